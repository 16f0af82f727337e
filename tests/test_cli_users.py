"""`desktop-app users`: staff managed from the command line with the same rules and audit entries as the
window (add, list, roles, deactivate/remove, reactivate, reset-password, passwd), and the exit codes
(0 ok, 2 bad input, 3 refused). Runs on SQLite and on PostgreSQL through --db."""

from __future__ import annotations

import pytest

from desktop_app.core import accounts, audit
from desktop_app.core.db import open_database
from tests.conftest import run_cli


@pytest.fixture
def cli(db_url, monkeypatch, capsys):
    def run(*argv, stdin: str = ""):
        return run_cli(monkeypatch, capsys, ["--db", db_url, *argv], stdin)

    return run


@pytest.fixture
def staffed(cli):
    assert cli("users", "add", "oyama", "--role", "admin", "--password-stdin", stdin="oyama-pass1\n")[0] == 0
    code, out, _ = cli("users", "add", "kobayashi", "--role", "writer", "--as", "oyama", "--password-stdin",
                       stdin="oyama-pass1\nkobayashi-1-kiku-4827\n")
    assert code == 0 and "must change" in out
    return cli


def listed(cli) -> dict[str, list[str]]:
    code, out, _ = cli("users", "list", "--as", "oyama", "--password-stdin", stdin="oyama-pass1\n")
    assert code == 0
    return {line.split("\t")[0]: line.split("\t")[1:] for line in out.splitlines()}


def audited(db_url) -> list[tuple[str, str, str]]:
    db = open_database(db_url)
    try:
        return [(e.actor, e.action, e.detail) for e in audit.entries(db) if not e.action.startswith("login")]
    finally:
        db.dispose()


def test_list_shows_roles_state_last_login_and_the_change_to_come(staffed):
    rows = listed(staffed)
    assert rows["oyama"][:3] == ["admin", "管理者", "有効"] and rows["oyama"][3] != "-"  # logged in to add
    assert rows["kobayashi"] == ["writer", "作成者", "有効", "-", "要パスワード変更"]


def test_roles_changes_and_the_last_admin_is_refused(staffed, db_url):
    cli = staffed
    code, out, _ = cli("users", "roles", "kobayashi", "--role", "writer", "--role", "reviewer", "--as", "oyama",
                       "--password-stdin", stdin="oyama-pass1\n")
    assert code == 0 and "作成者・確認者" in out
    assert listed(cli)["kobayashi"][:2] == ["writer reviewer", "作成者・確認者"]
    code, _, err = cli("users", "roles", "oyama", "--role", "writer", "--as", "oyama", "--password-stdin",
                       stdin="oyama-pass1\n")
    assert code == 3 and "last_admin" in err and "管理者がいなくなる" in err and "Traceback" not in err
    code, _, err = cli("users", "roles", "kobayashi", "--role", "boss", "--as", "oyama", "--password-stdin",
                       stdin="oyama-pass1\n")
    assert code == 2  # argparse refuses the unknown role
    assert ("oyama", "user_roles_changed", "kobayashi: writer -> writer reviewer") in audited(db_url)


@pytest.mark.parametrize("command", ["deactivate", "remove"])
def test_deactivate_and_its_old_name_stop_logins_but_keep_the_person(staffed, command, db_url):
    cli = staffed
    code, out, _ = cli("users", command, "kobayashi", "--as", "oyama", "--password-stdin", stdin="oyama-pass1\n")
    assert code == 0 and "deactivated kobayashi" in out
    assert listed(cli)["kobayashi"][2] == "無効"
    code, _, err = cli("users", "passwd", "--as", "kobayashi", "--password-stdin", stdin="kobayashi-1-kiku-4827\nnew-pass-1\n")
    assert code == 3 and "職員名またはパスワードが違います" in err
    assert ("oyama", "user_deactivated", "kobayashi") in audited(db_url)
    assert cli("users", "reactivate", "kobayashi", "--as", "oyama", "--password-stdin", stdin="oyama-pass1\n")[0] == 0
    assert listed(cli)["kobayashi"][2] == "有効"


def test_reset_password_then_the_person_changes_it(staffed, db_url):
    cli = staffed
    code, _, err = cli("users", "reset-password", "kobayashi", "--as", "kobayashi", "--password-stdin",
                       stdin="kobayashi-1-kiku-4827\nhijacked-1-kiku-4827\n")
    assert code == 3 and "管理者だけ" in err  # a writer cannot reset anyone's password
    code, _, _ = cli("users", "reset-password", "kobayashi", "--as", "oyama", "--password-stdin",
                     stdin="oyama-pass1\nkarini-pass-kiku-4827\n")
    assert code == 0 and listed(cli)["kobayashi"][-1] == "要パスワード変更"
    code, _, err = cli("users", "passwd", "--as", "kobayashi", "--password-stdin", stdin="karini-pass-kiku-4827\nkarini-pass-kiku-4827\n")
    assert code == 2 and "違うもの" in err  # the same password again is bad input
    code, out, _ = cli("users", "passwd", "--as", "kobayashi", "--password-stdin", stdin="karini-pass-kiku-4827\njibun-pass-kiku-4827\n")
    assert code == 0 and "password changed" in out
    assert len(listed(cli)["kobayashi"]) == 4  # no longer has to change it
    db = open_database(db_url)
    try:
        assert accounts.authenticate(db, "kobayashi", "jibun-pass-kiku-4827").must_change_password is False
    finally:
        db.dispose()
    entries = audited(db_url)
    assert ("oyama", "password_reset", "kobayashi") in entries and ("kobayashi", "password_changed", "") in entries
    assert not any(pw in detail for *_, detail in entries for pw in ("karini-pass-kiku-4827", "jibun-pass-kiku-4827", "oyama-pass1"))


def test_passwords_only_from_standard_input(staffed):
    code, _, err = staffed("users", "reset-password", "kobayashi", "--as", "oyama")
    assert code == 2 and "--password-stdin" in err
    code, _, err = staffed("users", "passwd", "--as", "oyama", "--password-stdin", stdin="oyama-pass1\n")
    assert code == 2 and "missing password line" in err
    code, _, err = staffed("users", "deactivate", "nobody", "--as", "oyama", "--password-stdin", stdin="oyama-pass1\n")
    assert code == 3 and "登録されていません" in err
