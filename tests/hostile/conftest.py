"""Hostile inputs, each run through the real command in a fresh process with a time limit.

A hostile input must end with a documented exit code (never 1, which means "findings"), a one-line message
that names what was wrong, within bounded time, and must leave everything else working.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "resources" / "samples"


@dataclass
class Result:
    code: int
    out: str
    err: str
    seconds: float

    @property
    def err_lines(self) -> list[str]:
        return [ln for ln in self.err.splitlines() if ln.strip()]


def run_app(args: list[str], timeout: float = 30, extra_env: dict | None = None, code: str | None = None) -> Result:
    """`python -m desktop_app ARGS` (or `python -c CODE`) in a fresh process; the data folder comes from the
    isolated_data_dir fixture through the environment. A run past `timeout` fails the test."""
    env = {k: v for k, v in os.environ.items() if k != "DESKTOP_APP_DEBUG"}
    env.update({"PYTHONIOENCODING": "utf-8", "QT_QPA_PLATFORM": "offscreen", **(extra_env or {})})
    cmd = [sys.executable, "-c", code] if code else [sys.executable, "-m", "desktop_app", *args]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(args) or code[:60]} ran past {timeout} s")
    return Result(proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace"),
                  time.perf_counter() - t0)


def assert_refused(res: Result, code: int, *fragments: str, max_seconds: float = 15) -> None:
    """The documented code, one line of message with the fragments, no traceback, bounded time."""
    assert res.code == code, f"exit {res.code}, stderr: {res.err[-800:]}"
    assert "Traceback" not in res.err, res.err[-800:]
    assert len(res.err_lines) >= 1
    for frag in fragments:
        assert frag in res.err, f"{frag!r} not in {res.err[-800:]!r}"
    assert res.seconds < max_seconds, f"took {res.seconds:.1f} s"


def assert_still_renders(template: str = "thanks") -> None:
    """Nothing else broke: a bundled template still renders from its sample."""
    res = run_app(["render", template, "--data", str(SAMPLES / f"{template}.json"),
                   "--facility", str(SAMPLES / "facility.json")])
    assert res.code == 0, res.err[-800:]
    assert "敬具" in res.out or "謹白" in res.out or res.out.strip()


@pytest.fixture
def user_templates(isolated_data_dir) -> Path:
    folder = isolated_data_dir / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
