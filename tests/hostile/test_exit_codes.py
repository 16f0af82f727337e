"""The exit-code contract: 0 clean, 1 findings, 2 bad input, 3 refused, 4 internal error (one line; traceback
only with --debug), and a 200,000-character one-line letter is checked in bounded time."""

from __future__ import annotations

import pytest

from desktop_app import cli
from tests.hostile.conftest import assert_refused, run_app

CRASH = "import desktop_app.cli as c\nc.cmd_templates = lambda args: dict()['boom']\nraise SystemExit(c.main({argv}))\n"


def test_internal_error_is_exit_4_with_one_line_and_no_traceback():
    res = run_app([], code=CRASH.format(argv="['templates']"))
    assert_refused(res, 4, "internal error", "KeyError", "--debug")
    assert len(res.err_lines) == 1


@pytest.mark.parametrize("argv,env", [("['--debug', 'templates']", {}), ("['templates']", {"DESKTOP_APP_DEBUG": "1"})])
def test_debug_shows_the_traceback(argv, env):
    res = run_app([], code=CRASH.format(argv=argv), extra_env=env)
    assert res.code == 4 and "Traceback" in res.err and "KeyError" in res.err


def test_usage_errors_exit_2():
    assert run_app(["no-such-command"]).code == 2
    assert run_app(["render"]).code == 2
    assert_refused(run_app(["check", "--no-model"]), 2, "check:")


def test_memory_error_is_exit_4(monkeypatch, capsys):
    def exhaust(args):
        raise MemoryError

    monkeypatch.setattr(cli, "cmd_templates", exhaust)
    assert cli.main(["templates"]) == 4
    assert "out of memory" in capsys.readouterr().err


def test_help_documents_the_exit_codes(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for line in ("0  clean", "1  findings", "2  bad input", "3  refused", "4  internal error"):
        assert line in out


def test_long_one_line_letter_is_checked_in_bounded_time(tmp_path):
    # The check engineer makes the check linear; this only guards against a hang or a crash (limit 60 s).
    unit = "本日は晴天で、山田様はお元気です、"
    letter = tmp_path / "long.txt"
    letter.write_text((unit * (200_000 // len(unit) + 1))[:200_000] + "\n", encoding="utf-8")
    res = run_app(["check", "--no-model", str(letter)], timeout=90)
    assert "Traceback" not in res.err
    assert res.code in (0, 1, 2), res.err[-800:]
    if res.code == 2:  # an input limit may refuse it: then with a message naming the file
        assert "long.txt" in res.err
    assert res.seconds < 60, f"took {res.seconds:.1f} s"
