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
from tests.gui.conftest import PASSWORD as STAFF_PASSWORD
from tests.gui.conftest import answers

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
accounts.add_user(db, "小林 記録", ["writer"], {PASSWORD!r}, admin, must_change=False)  # changed long ago
accounts.add_user(db, "新井 新人", ["writer"], {PASSWORD!r}, admin)  # added today: must change it first
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
    assert info["qt_cancel"] == "キャンセル"  # Qt's own words are Japanese from the first dialog on
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


# ---- the same start in this process, the prompts answered by the test --------------------------------
def _close(window) -> None:
    window._closing_ok = True
    window.close()


def test_login_typed_before_the_database_was_open_is_checked_then(qtbot, gui_db, people, monkeypatch):
    from desktop_app.gui.app import create_window

    asked = answers(monkeypatch, "ask_login", [("佐藤 作成", STAFF_PASSWORD)])
    w = create_window(login_first=True)
    try:
        assert w is not None and w.controller.actor.name == "佐藤 作成"
        assert asked == [([], "", "")]  # once, at once: the staff list not known yet
    finally:
        _close(w)


def test_a_first_password_typed_early_must_still_be_changed_before_the_window(qtbot, gui_db, people, monkeypatch):
    from desktop_app.core import accounts
    from desktop_app.gui.app import create_window

    accounts.add_user(gui_db, "新井 新人", ["writer"], STAFF_PASSWORD, people["admin"])  # given by the admin
    answers(monkeypatch, "ask_login", [("新井 新人", STAFF_PASSWORD)])
    changes = answers(monkeypatch, "ask_change_password", [None])  # she closes the change: not logged in
    assert create_window(login_first=True) is None and len(changes) == 1

    answers(monkeypatch, "ask_login", [("新井 新人", STAFF_PASSWORD)])
    answers(monkeypatch, "ask_change_password", [("", "arai-own-pass-2", "arai-own-pass-2")])
    w = create_window(login_first=True)
    try:
        assert w is not None and w.controller.actor.name == "新井 新人"
        assert accounts.authenticate(gui_db, "新井 新人", "arai-own-pass-2").must_change_password is False
    finally:
        _close(w)


def test_a_wrong_password_typed_early_is_explained_in_the_next_login(qtbot, gui_db, people, monkeypatch):
    from desktop_app.gui.app import create_window

    asked = answers(monkeypatch, "ask_login", [("佐藤 作成", "wrong-guess-1"), ("佐藤 作成", STAFF_PASSWORD)])
    w = create_window(login_first=True)
    try:
        assert w is not None and w.controller.actor.name == "佐藤 作成"
        users, name, message = asked[1]
        assert "佐藤 作成" in users and name == "佐藤 作成" and "パスワードが違います" in message
    finally:
        _close(w)


def test_closing_the_early_login_ends_the_start(qtbot, gui_db, people, monkeypatch):
    from desktop_app.gui.app import create_window

    asked = answers(monkeypatch, "ask_login", [])
    assert create_window(login_first=True) is None
    assert len(asked) == 1


def test_a_new_installation_gets_the_set_up_not_a_login(qtbot, monkeypatch):
    from desktop_app.gui.app import create_window

    setups = answers(monkeypatch, "ask_setup", [])  # closed
    assert create_window(login_first=True) is None
    assert len(setups) == 1 and setups[0][1] is True  # the administrator part is asked for


def test_accounts_without_a_profile_close_the_early_login_for_the_set_up(qtbot, gui_db, monkeypatch):
    from desktop_app.core import accounts
    from desktop_app.gui.app import create_window
    from desktop_app.gui.login_worker import DatabaseOpener

    accounts.add_user(gui_db, "木村 施設長", ["admin", "writer"], STAFF_PASSWORD, None)
    from desktop_app import config

    opener = DatabaseOpener(config.Settings())
    opener.wait()
    assert opener.db is not None and not opener.ready_for_login  # the profile is still missing
    opener.close()
    logins = answers(monkeypatch, "ask_login", [("木村 施設長", STAFF_PASSWORD), ("木村 施設長", STAFF_PASSWORD)])
    infos = []
    monkeypatch.setattr("desktop_app.gui.prompts.info", lambda *a: infos.append(a[1]))
    setups = answers(monkeypatch, "ask_setup", [{"facility": {"name": "ひだまり苑"}}])
    w = create_window(login_first=True)
    try:
        assert w is not None and w.controller.session.facility.name == "ひだまり苑"
        assert infos == ["施設情報が未登録です"] and len(setups) == 1 and setups[0][1] is False
        assert len(logins) == 2  # the early login was not used: the set-up's own login asks
    finally:
        _close(w)


def test_the_login_worker_knows_the_database_file_and_variable_of_core():
    from desktop_app.core import db
    from desktop_app.gui import login_worker

    assert (login_worker.DB_FILE, login_worker.DB_ENV) == (db.DB_FILE, db.DB_ENV)


def test_a_database_that_cannot_be_opened_is_explained_after_the_early_login(qtbot, monkeypatch):
    from desktop_app.gui.app import create_window

    monkeypatch.setenv("CARELETTER_DB", "sqlite:////proc/no-such/dir/x.sqlite3")
    logins = answers(monkeypatch, "ask_login", [("佐藤 作成", STAFF_PASSWORD)])
    errors = []
    monkeypatch.setattr("desktop_app.gui.prompts.error", lambda parent, title, text: errors.append((title, text)))
    assert create_window(login_first=True) is None
    assert len(logins) == 1  # the login came first, before anyone knew
    [(title, text)] = errors
    assert title == "データベースを開けません" and "/proc/no-such/dir" in text and "Traceback" not in text
