"""The real start of an existing facility, in a fresh process: the login dialog comes first, is painted,
is filled in by the start-up probe, and the main window follows (its modules loaded on a thread meanwhile).
benchmarks/startup_login.py times the same path; here only what happens, and in which order, is checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from desktop_app.gui.app import STARTUP_PROBE_ENV, STARTUP_PROBE_LOGIN_ENV

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "hidamari-pass-9"

SETUP = f"""
from desktop_app import config
from desktop_app.core import accounts
from desktop_app.core.context import Facility
from desktop_app.core.db import open_database, resolve_url
from desktop_app.core.workflow import Services
db = open_database(resolve_url(None, config.data_dir(), ""))
admin = accounts.add_user(db, "木村 施設長", ["admin", "writer"], {PASSWORD!r}, None)
Services.open(db, lambda text, ctx: []).admin.set_facility(Facility(name="ひだまり苑"), admin)
accounts.add_user(db, "小林 記録", ["writer"], {PASSWORD!r}, admin)
db.dispose()
"""


def _launch(data: Path, probe: Path, login: dict | None) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DESKTOP_APP_DATA_DIR=str(data), PYTHONPATH=str(ROOT))
    env[STARTUP_PROBE_ENV] = str(probe)
    env.pop(STARTUP_PROBE_LOGIN_ENV, None)
    if login is not None:
        env[STARTUP_PROBE_LOGIN_ENV] = json.dumps(login, ensure_ascii=False)
    proc = subprocess.run([sys.executable, "-m", "desktop_app.cli"], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(probe.read_text(encoding="utf-8"))


def _facility(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    env = dict(os.environ, DESKTOP_APP_DATA_DIR=str(data), PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", SETUP], check=True, env=env, cwd=ROOT, timeout=120)
    return data


def test_login_comes_first_and_the_main_window_follows_it(tmp_path):
    data = _facility(tmp_path)
    info = _launch(data, tmp_path / "probe.json", {"name": "小林 記録", "password": PASSWORD, "typing_s": 0.3})
    assert info["title"] == "ログイン" and info["visible"]
    assert "error" not in info
    assert info["shown_at"] <= info["login_at"] <= info["main_shown_at"]


def test_a_wrong_password_asks_again_instead_of_opening_the_window(tmp_path):
    data = _facility(tmp_path)
    info = _launch(data, tmp_path / "probe.json", {"name": "小林 記録", "password": "not-her-password"})
    assert info["error"] == "the login was refused" and "main_shown_at" not in info


def test_without_a_login_the_probe_closes_the_login_and_the_app_ends(tmp_path):
    data = _facility(tmp_path)
    info = _launch(data, tmp_path / "probe.json", None)
    assert info["title"] == "ログイン" and info["templates"] >= 12 and "login_at" not in info
