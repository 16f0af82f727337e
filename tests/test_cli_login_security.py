"""The command line's login and output (issue 21): passwords read as UTF-8 lines that end only at a newline,
a login for every command that shows letters, accounts or the log, and control characters escaped in
everything printed. Runs on SQLite and on PostgreSQL through --db."""

from __future__ import annotations

import pytest

from desktop_app.cli_common import visible
from desktop_app.cli_workflow import CliExit, password_lines
from desktop_app.core import accounts, audit
from desktop_app.core.db import open_database
from tests.conftest import run_cli

BOSS_PW = "kaede-mori-tsuru-5581"
STAFF_PW = "ame-nochi-hare-0937"


@pytest.fixture
def cli(db_url, monkeypatch, capsys):
    def run(*argv, stdin: str | bytes = b""):
        return run_cli(monkeypatch, capsys, ["--db", db_url, *argv], stdin)

    return run


@pytest.fixture
def staffed(cli):
    assert cli("users", "add", "boss", "--role", "admin", "--role", "reviewer", "--password-stdin",
               stdin=f"{BOSS_PW}\n")[0] == 0
    return cli


def test_lines_end_only_at_a_newline():
    assert password_lines(b"abc\x0cdef\r\nsecond\xe2\x80\xa8half\n") == ["abc\x0cdef", "second\u2028half"]
    assert password_lines(b"\xef\xbb\xbfone\ntwo") == ["one", "two"]
    assert password_lines(b"  spaced \t\n") == ["  spaced \t"]  # only the newline is removed
    assert password_lines(b"\n\n") == ["", ""]


@pytest.mark.parametrize("cut", ["\x0c", "\u2028", "\x0b", "\x1c", "\u0085"])
def test_a_password_with_a_line_breaking_character_needs_all_of_it(cli, cut):
    whole = f"yuki-hana{cut}tsuki-4410"
    assert cli("users", "add", "boss", "--role", "admin", "--password-stdin", stdin=f"{whole}\n")[0] == 0
    code, _, err = cli("letters", "mine", "--as", "boss", "--password-stdin", stdin="yuki-hana\n")
    assert code == 3 and "パスワードが違います" in err
    assert cli("letters", "mine", "--as", "boss", "--password-stdin", stdin=f"{whole}\r\n")[0] == 0


def test_bytes_that_are_not_utf8_are_bad_input(staffed):
    code, _, err = staffed("letters", "mine", "--as", "boss", "--password-stdin", stdin=b"kaede-\xff\xfe-5581\n")
    assert code == 2 and "UTF-8" in err and "文字コード" in err and "Traceback" not in err
    with pytest.raises(CliExit):
        password_lines(b"ok\n\x80bad\n")


@pytest.mark.parametrize("argv", [
    ("letters", "show", "1"), ("letters", "list"), ("letters", "mine"), ("users", "list"),
    ("audit", "show"),
])
def test_commands_that_show_something_need_a_login(staffed, argv):
    code, out, err = staffed(*argv)
    assert code == 2 and "--as" in err and "ログイン" in err and out == ""
    code, out, err = staffed(*argv, "--as", "boss", "--password-stdin", stdin="not-the-password-1\n")
    assert code == 3 and out == ""


def test_accounts_and_the_log_are_for_an_administrator(staffed):
    assert staffed("users", "add", "kaori", "--role", "writer", "--as", "boss", "--password-stdin",
                   stdin=f"{BOSS_PW}\n{STAFF_PW}\n")[0] == 0
    for argv in (("users", "list"), ("audit", "show")):
        code, out, err = staffed(*argv, "--as", "kaori", "--password-stdin", stdin=f"{STAFF_PW}\n")
        assert code == 3 and "管理者" in err and out == ""
    code, out, _ = staffed("users", "list", "--as", "boss", "--password-stdin", stdin=f"{BOSS_PW}\n")
    assert code == 0 and "kaori\twriter" in out
    assert staffed("letters", "list", "--as", "kaori", "--password-stdin", stdin=f"{STAFF_PW}\n")[0] == 0


def test_weak_passwords_are_refused_on_the_command_line(cli):
    for weak in ("password", "12345678", "password12"):
        code, _, err = cli("users", "add", "boss", "--role", "admin", "--password-stdin", stdin=f"{weak}\n")
        assert code == 2 and "推測されにくい" in err


def test_the_log_shows_escapes_and_no_forged_line(staffed, db_url):
    db = open_database(db_url)
    try:
        with db.session() as s:
            audit.append(s, "boss\x1b]0;owned\x07\n2026-01-01 00:00:00Z\tchief\tapprove", "comment",
                         detail="\x1b[2J\u202eevil\u0085")
    finally:
        db.dispose()
    code, out, _ = staffed("audit", "show", "--as", "boss", "--password-stdin", stdin=f"{BOSS_PW}\n")
    assert code == 0
    assert "\x1b" not in out and "\u202e" not in out and "\u0085" not in out and "\x07" not in out
    forged = [ln for ln in out.splitlines() if "owned" in ln]
    assert len(forged) == 1 and "\\x1b]0;owned\\x07\\n2026-01-01" in forged[0] and "\\u202eevil\\x85" in forged[0]
    assert all(len(ln.split("\t")) == 8 for ln in out.splitlines())


def test_a_typed_password_in_the_name_field_is_not_logged(staffed):
    code, _, _ = staffed("letters", "mine", "--as", BOSS_PW, "--password-stdin", stdin=f"{BOSS_PW}\n")
    assert code == 3
    code, out, _ = staffed("audit", "show", "--as", "boss", "--password-stdin", stdin=f"{BOSS_PW}\n")
    assert code == 0 and BOSS_PW not in out and accounts.UNKNOWN_NAME in out


def test_letter_text_keeps_japanese_and_newlines_but_not_escapes():
    body = "山田様\n\t本日は\x1b[31m赤\x1b[0m字\r\n敬具\x7f"
    assert visible(body, lines=True) == "山田様\n\t本日は\\x1b[31m赤\\x1b[0m字\r\n敬具\\x7f"
    assert visible("名前\n承認\t\u200b") == "名前\\n承認\\t\\u200b"
