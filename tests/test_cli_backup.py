"""`desktop-app backup` and `restore`: an administrator's login, exit codes 0 / 2 / 3 and never a traceback,
and a restored database that `audit verify --expect` accepts with the backup's head. SQLite and PostgreSQL
(the logical export forced with --logical there)."""

from __future__ import annotations

import json
import zipfile

import pytest

from desktop_app.core.db import archive, open_database
from tests.conftest import run_cli
from tests.core.test_backup_restore import ADMIN_PW, REVIEWER_PW, fill, other_url, rows


@pytest.fixture
def cli(monkeypatch, capsys):
    def run(db_url: str, *argv, stdin: str = ""):
        code, out, err = run_cli(monkeypatch, capsys, ["--db", db_url, *argv], stdin)
        assert "Traceback" not in err
        return code, out, err

    return run


@pytest.fixture
def filled(db, db_url, tmp_path):
    fill(db, tmp_path)
    return db_url


@pytest.mark.parametrize("logical", [False, True])
def test_backup_then_restore_into_an_empty_database(cli, filled, db, tmp_path, request, logical):
    out = tmp_path / "daily.zip"
    extra = ["--logical"] if logical else []
    code, said, err = cli(filled, "backup", "--out", str(out), *extra, "--as", "園長 一郎", "--password-stdin",
                          stdin=ADMIN_PW + "\n")
    assert code == 0, err
    assert "3 letters" in said and out.is_file()
    with zipfile.ZipFile(out) as zf:
        head = json.loads(zf.read(archive.MANIFEST))
    expect = f"{head['audit_count']}:{head['audit_hash']}"

    target = other_url(filled, tmp_path, request)
    code, said, err = cli(target, "restore", str(out))  # an empty database: no account yet, no login
    assert code == 0, err
    assert "audit log intact" in said
    code, said, _ = cli(target, "audit", "verify", "--expect", expect)
    assert code == 0 and "intact" in said
    restored = open_database(target, backup=False)
    try:
        assert rows(restored) == rows(db)
    finally:
        restored.dispose()


def test_backup_needs_an_administrator(cli, filled, tmp_path):
    out = tmp_path / "b.zip"
    assert cli(filled, "backup", "--out", str(out))[0] == 2  # no login at all
    code, _, err = cli(filled, "backup", "--out", str(out), "--as", "主任 夏美", "--password-stdin",
                       stdin=REVIEWER_PW + "\n")
    assert code == 3 and "refused" in err
    code, _, _ = cli(filled, "backup", "--out", str(out), "--as", "園長 一郎", "--password-stdin",
                     stdin="wrong-password-0000\n")
    assert code == 3
    assert not out.exists()
    code, _, err = cli(filled, "backup", "--out", str(tmp_path / "no-such-folder" / "b.zip"), "--as", "園長 一郎",
                       "--password-stdin", stdin=ADMIN_PW + "\n")
    assert code == 2 and "フォルダー" in err


def test_restore_refusals_and_bad_files(cli, filled, db, tmp_path, request):
    out = tmp_path / "b.zip"
    assert cli(filled, "backup", "--out", str(out), "--logical", "--as", "園長 一郎", "--password-stdin",
               stdin=ADMIN_PW + "\n")[0] == 0
    # a database with data: refused without --force, even for the administrator
    code, _, err = cli(filled, "restore", str(out), "--as", "園長 一郎", "--password-stdin", stdin=ADMIN_PW + "\n")
    assert code == 3 and "--force" in err
    # --force by someone who is not an administrator of it
    code, _, _ = cli(filled, "restore", str(out), "--force", "--as", "主任 夏美", "--password-stdin",
                     stdin=REVIEWER_PW + "\n")
    assert code == 3
    # --force by its administrator: restored over the data, chain intact
    code, said, err = cli(filled, "restore", str(out), "--force", "--as", "園長 一郎", "--password-stdin",
                          stdin=ADMIN_PW + "\n")
    assert code == 0 and "audit log intact" in said, err
    # not a backup, missing, tampered: exit 2 and the target untouched
    target = other_url(filled, tmp_path, request)
    junk = tmp_path / "letter.zip"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    assert cli(target, "restore", str(junk))[0] == 2
    assert cli(target, "restore", str(tmp_path / "missing.zip"))[0] == 2
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(out) as zin, zipfile.ZipFile(tampered, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            zout.writestr(name, data.replace("書道".encode(), "茶道".encode()) if name == "tables/letters.jsonl" else data)
    code, _, err = cli(target, "restore", str(tampered))
    assert code == 2 and "書き換えられています" in err
    fresh = open_database(target, backup=False)
    try:
        assert archive.is_empty(fresh)
    finally:
        fresh.dispose()


def test_an_internal_error_is_one_line_exit_4(cli, filled, tmp_path, monkeypatch):
    def broken(*_a, **_k):
        raise RuntimeError("disk went away")

    monkeypatch.setattr(archive, "backup", broken)
    code, _, err = cli(filled, "backup", "--out", str(tmp_path / "b.zip"), "--as", "園長 一郎", "--password-stdin",
                       stdin=ADMIN_PW + "\n")
    assert code == 4 and "internal error" in err and len(err.strip().splitlines()) == 1
