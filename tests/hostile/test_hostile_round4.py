"""Hostile round 4: backup files built by someone who can recompute every part's SHA-256 in the manifest
(so the hash check alone proves nothing), and an empty `audit verify --expect`. Each case must end in exit 2
with a message, never exit 4 or a traceback, and must leave the target database as it was."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from desktop_app.core.db import archive, open_database
from tests.core.test_backup_restore import ADMIN_PW, fill, rows
from tests.test_cli_backup import cli  # noqa: F401 (the fixture: `desktop-app --db URL …`, never a traceback)

LETTER_TABLES = ("letters", "letter_versions", "approvals", "exports", "comments")
SOURCE_ROWS: dict[str, list[tuple]] = {}


@pytest.fixture(scope="module")
def backups(tmp_path_factory) -> dict[str, Path]:
    """One filled SQLite database, backed up both ways (made once: the cases only read these files)."""
    folder = tmp_path_factory.mktemp("round4")
    db = open_database(f"sqlite:///{(folder / 'source.sqlite3').as_posix()}", backup=False)
    try:
        fill(db, folder)
        archive.backup(db, folder / "sqlite.zip")
        archive.backup(db, folder / "logical.zip", method="logical")
    finally:
        db.dispose()
        SOURCE_ROWS.update(rows(db))
    return {"sqlite": folder / "sqlite.zip", "logical": folder / "logical.zip"}


def _load(path: Path) -> tuple[dict, dict[str, bytes]]:
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read(archive.MANIFEST)), {n: zf.read(n) for n in zf.namelist() if n != archive.MANIFEST}


def _write(path: Path, manifest: dict, parts: dict[str, bytes], manifest_text: str | None = None) -> Path:
    """A forged backup: every part's hash recomputed, as anyone holding the file can."""
    manifest = {**manifest, "parts": {n: hashlib.sha256(b).hexdigest() for n, b in parts.items()}}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
        zf.writestr(archive.MANIFEST, manifest_text if manifest_text is not None else json.dumps(manifest))
    return path


def _edit_first_letter(parts: dict[str, bytes], change) -> dict[str, bytes]:
    lines = parts["tables/letters.jsonl"].decode("utf-8").splitlines()
    lines[0] = change(json.loads(lines[0]))
    return {**parts, "tables/letters.jsonl": ("\n".join(lines) + "\n").encode("utf-8")}


def _foreign_sqlite(folder: Path) -> bytes:
    path = folder / "notes.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (body TEXT)")
    con.execute("INSERT INTO notes VALUES ('家計簿のメモ')")
    con.commit()
    con.close()
    return path.read_bytes()


def _forge(kind: str, backups: dict[str, Path], folder: Path) -> Path:
    out = folder / f"{kind}.zip"
    if kind in ("traversal_part", "padding_part", "renamed_part", "counts_lie", "negative_audit_count",
                "foreign_sqlite", "format_version_text"):
        m, parts = _load(backups["sqlite"])
    else:
        m, parts = _load(backups["logical"])
    if kind == "traversal_part":
        return _write(out, m, {**parts, "../../escaped.txt": b"x"})
    if kind == "padding_part":
        return _write(out, m, {**parts, "pad.bin": b"\0" * (8 * 1024 * 1024)})
    if kind == "renamed_part":
        return _write(out, m, {"db.sqlite3": parts[archive.SQLITE_PART]})
    if kind == "counts_lie":
        return _write(out, {**m, "counts": {**m["counts"], "letters": 99}}, parts)
    if kind == "negative_audit_count":
        return _write(out, {**m, "audit_count": -5}, parts)
    if kind == "foreign_sqlite":
        return _write(out, m, {archive.SQLITE_PART: _foreign_sqlite(folder)})
    if kind == "format_version_text":
        return _write(out, {**m, "format_version": "abc"}, parts)
    if kind == "deep_manifest":
        return _write(out, m, parts, manifest_text="[" * 100_000 + "]" * 100_000)
    if kind == "row_not_object":
        return _write(out, m, _edit_first_letter(parts, lambda r: "[1, 2, 3]"))
    if kind == "row_not_json":
        return _write(out, m, _edit_first_letter(parts, lambda r: "{not json"))
    if kind == "row_bad_date":
        return _write(out, m, _edit_first_letter(parts, lambda r: json.dumps({**r, "created_at": "昨日"})))
    if kind == "row_wrong_type":
        return _write(out, m, _edit_first_letter(parts, lambda r: json.dumps({**r, "id": "abc"})))
    if kind == "row_unknown_column":
        return _write(out, m, _edit_first_letter(parts, lambda r: json.dumps({**r, "smuggled": 1})))
    raise AssertionError(kind)


FORGERIES = ["traversal_part", "padding_part", "renamed_part", "counts_lie", "negative_audit_count", "foreign_sqlite",
             "format_version_text", "deep_manifest", "row_not_object", "row_not_json", "row_bad_date",
             "row_wrong_type", "row_unknown_column"]


@pytest.mark.parametrize("kind", FORGERIES)
def test_a_forged_backup_is_refused_with_exit_2_into_an_empty_database(cli, backups, tmp_path, kind):  # noqa: F811
    target = f"sqlite:///{(tmp_path / 'new.sqlite3').as_posix()}"
    code, said, err = cli(target, "restore", str(_forge(kind, backups, tmp_path)))
    assert code == 2, err
    assert "復元できません" in err and "restored" not in said
    db = open_database(target, backup=False)
    try:
        assert archive.is_empty(db)  # nothing restored, not even part of it
    finally:
        db.dispose()


@pytest.mark.parametrize("kind", ["foreign_sqlite", "counts_lie", "row_wrong_type"])
def test_a_forged_backup_with_force_leaves_the_facility_data_as_it_was(cli, backups, tmp_path, kind):  # noqa: F811
    url = f"sqlite:///{(tmp_path / 'facility.sqlite3').as_posix()}"
    code, _, err = cli(url, "restore", str(backups["sqlite"]))
    assert code == 0, err
    code, _, err = cli(url, "restore", str(_forge(kind, backups, tmp_path)), "--force", "--as", "園長 一郎",
                       "--password-stdin", stdin=ADMIN_PW + "\n")
    assert code == 2, err
    db = open_database(url, backup=False)
    try:  # the letters are the backup's (the login itself may rehash a password and add its log entry)
        after = rows(db)
        assert {t: after[t] for t in LETTER_TABLES} == {t: SOURCE_ROWS[t] for t in LETTER_TABLES}
    finally:
        db.dispose()
    code, said, _ = cli(url, "audit", "verify")
    assert code == 0 and "intact" in said


def test_an_empty_expect_is_bad_input_not_a_silent_pass(cli, backups, tmp_path):  # noqa: F811
    url = f"sqlite:///{(tmp_path / 'facility.sqlite3').as_posix()}"
    assert cli(url, "restore", str(backups["sqlite"]))[0] == 0
    code, said, err = cli(url, "audit", "verify", "--expect", "")  # e.g. --expect "$HEAD" with HEAD unset
    assert code == 2, said
    assert "--expect" in err
