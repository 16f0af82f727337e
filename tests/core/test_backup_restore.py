"""Backup and restore (core/db/archive.py): backup → a new database → restore gives the same rows and an
intact audit chain whose head is the manifest's, on SQLite and PostgreSQL (the logical export forced there
even where pg_dump exists, and pg_dump too when it is installed); a changed byte, a missing table, a newer
schema and a non-empty target without force are refused before anything is written."""

from __future__ import annotations

import json
import os
import shutil
import stat
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select, text

from desktop_app.core import accounts, audit
from desktop_app.core.context import CheckContext, Facility
from desktop_app.core.db import archive, open_database
from desktop_app.core.workflow import Services

ADMIN_PW, WRITER_PW, REVIEWER_PW = "hotaru-yuki-4821-mori", "ajisai-nami-9137-sora", "kikyou-tsuki-6605-hana"
BODIES = ("小林様\n梅雨の晴れ間に中庭で紫陽花を眺め、穏やかな午後を過ごされました。\n",
          "石井様\n今月は書道クラブで「夏」の一文字を力強く書き上げられました。\n",
          "岡田様\n敬老会では手拍子をしながら懐かしい歌を口ずさんでおられました。\n")


def _quiet(_body, _context):
    return []


def fill(db, tmp_path: Path) -> dict:
    """Letters in several states, a comment, an approval, an export and the audit entries of each act."""
    svc = Services.open(db, _quiet)
    admin = accounts.add_user(db, "園長 一郎", ["admin", "reviewer"], ADMIN_PW, None)
    svc.admin.set_facility(Facility(name="グループホーム すずらん"), admin)
    writer = accounts.add_user(db, "職員 春子", ["writer"], WRITER_PW, admin)
    reviewer = accounts.add_user(db, "主任 夏美", ["reviewer"], REVIEWER_PW, admin)
    ids = []
    for body in BODIES:
        letter = svc.workflow.create(writer, "monthly_report", body, {"recipient_name": "小林 和子"},
                                     CheckContext(recipient="小林 和子"))
        ids.append(letter.id)
    svc.workflow.submit(writer, ids[0])
    svc.workflow.approve(reviewer, ids[0])
    svc.workflow.export(writer, ids[0], tmp_path / "sent.txt", lambda body, target: target.write_text(body, encoding="utf-8"))
    svc.workflow.submit(writer, ids[1])
    svc.workflow.add_comment(reviewer, ids[1], 0, 3, "お名前の漢字をご確認ください。")
    svc.workflow.return_letter(reviewer, ids[1], "季節の話題を一つ加えてください。")
    return {"admin": admin, "ids": ids}


def rows(db) -> dict[str, list[tuple]]:
    with db.engine.connect() as con:
        return {t.name: [tuple(r) for r in con.execute(select(t).order_by(*t.primary_key.columns))]
                for t in archive.tables()}


def other_url(db_url: str, tmp_path: Path, request) -> str:
    if db_url.startswith("sqlite"):
        return f"sqlite:///{(tmp_path / 'restored.sqlite3').as_posix()}"
    return request.getfixturevalue("postgres_server").new_database()


@pytest.mark.parametrize("method", [None, "logical"])
def test_round_trip_same_letters_and_intact_chain(db, db_url, tmp_path, request, method):
    fill(db, tmp_path)
    before = rows(db)
    out = tmp_path / "facility-backup.zip"
    manifest = archive.backup(db, out, method=method, app_version="9.9.9")
    assert manifest.method == (method or ("sqlite" if db.backend == "sqlite" else
                                          "pg_dump" if shutil.which("pg_dump") else "logical"))
    assert manifest.counts["letters"] == 3 and manifest.audit_count == audit.head(db).count
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left
    if os.name != "nt":
        assert stat.S_IMODE(out.stat().st_mode) == 0o600  # letters hold names and diagnoses

    target = other_url(db_url, tmp_path, request)
    result = archive.restore(out, target)
    assert result.verified, result.problem
    restored = open_database(target, backup=False)
    try:
        assert rows(restored) == before
        assert audit.verify(restored, expect=manifest.head).ok
        # the sequences go on after the restored ids, and the triggers guard the log again
        svc = Services.open(restored, _quiet)
        writer = accounts.authenticate(restored, "職員 春子", WRITER_PW)
        new = svc.workflow.create(writer, "monthly_report", "新井様\n朝の体操に毎日参加されています。\n", {},
                                  CheckContext())
        assert new.id == max(before["letters"])[0] + 1
        with pytest.raises(Exception):  # noqa: B017 - the engine's own error for a refused trigger
            with restored.engine.begin() as con:
                con.execute(text("DELETE FROM audit_log"))
        assert audit.verify(restored).ok
    finally:
        restored.dispose()


def test_logical_restore_across_engines(db, db_url, tmp_path, request):
    """The app's own export written on one engine restores into the other."""
    fill(db, tmp_path)
    before = rows(db)
    out = tmp_path / "cross.zip"
    manifest = archive.backup(db, out, method="logical")
    target = (request.getfixturevalue("postgres_server").new_database() if db_url.startswith("sqlite")
              else f"sqlite:///{(tmp_path / 'from-pg.sqlite3').as_posix()}")
    assert archive.restore(out, target).verified
    restored = open_database(target, backup=False)
    try:
        assert rows(restored) == before and audit.verify(restored, expect=manifest.head).ok
    finally:
        restored.dispose()


def _rewrite(src: Path, dst: Path, change) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            data = change(name, zin.read(name))
            if data is not None:
                zout.writestr(name, data)


def test_a_tampered_backup_is_refused_before_anything_is_written(db, tmp_path):
    fill(db, tmp_path)
    out = tmp_path / "b.zip"
    archive.backup(db, out, method="logical")
    target = f"sqlite:///{(tmp_path / 'fresh.sqlite3').as_posix()}"

    def letter_changed(name, data):
        return data.replace("紫陽花".encode(), "向日葵".encode()) if name == "tables/letters.jsonl" else data

    cases = {
        "changed": (letter_changed, "書き換えられています"),
        "missing": (lambda name, data: None if name == "tables/approvals.jsonl" else data, "ありません"),
        "newer": (lambda name, data: json.dumps({**json.loads(data), "revision": "9999"}).encode()
                  if name == archive.MANIFEST else data, "新しい版"),
    }
    for label, (change, words) in cases.items():
        bad = tmp_path / f"{label}.zip"
        _rewrite(out, bad, change)
        with pytest.raises(archive.BackupError, match=words):
            archive.restore(bad, target)
    # one flipped byte inside a stored part (its compressed data): the zip's CRC or the part's hash refuses it
    raw = bytearray(out.read_bytes())
    with zipfile.ZipFile(out) as zf:
        info = zf.getinfo("tables/letters.jsonl")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start + info.compress_size // 2] ^= 0x01
    flipped = tmp_path / "flipped.zip"
    flipped.write_bytes(bytes(raw))
    with pytest.raises(archive.BackupError):
        archive.restore(flipped, target)
    fresh = open_database(target, backup=False)
    try:
        assert archive.is_empty(fresh)
    finally:
        fresh.dispose()


def test_a_database_with_data_is_not_overwritten_without_force(db, db_url, tmp_path, request):
    fill(db, tmp_path)
    out = tmp_path / "b.zip"
    manifest = archive.backup(db, out, method="logical")
    target = other_url(db_url, tmp_path, request)
    other = open_database(target)
    try:
        accounts.add_user(other, "別の 管理者", ["admin"], "shirakaba-ume-3318-take", None)
    finally:
        other.dispose()
    with pytest.raises(archive.RestoreRefused):
        archive.restore(out, target)
    other = open_database(target, backup=False)
    try:
        with other.engine.connect() as con:
            assert [u for (u,) in con.execute(text("SELECT name FROM users"))] == ["別の 管理者"]
    finally:
        other.dispose()
    result = archive.restore(out, target, force=True)
    assert result.verified, result.problem
    other = open_database(target, backup=False)
    try:
        assert rows(other) == rows(db) and audit.verify(other, expect=manifest.head).ok
    finally:
        other.dispose()
