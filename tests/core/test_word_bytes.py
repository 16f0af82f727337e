"""Word letters on any PC (issue 22): the original .docx is stored with the letter (letter_sources,
migration 0008), so a second PC sharing the database reviews it with each finding's place in the file and
exports it after the file is gone from the first PC; the original's SHA-256 is bound into the approval;
retention removes the bytes (from backups too); a letter from before the migration keeps its path."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import func, inspect, select, text

from desktop_app.core import accounts
from desktop_app.core.context import Facility
from desktop_app.core.db import _alembic_config, open_database
from desktop_app.core.db.models import Letter, LetterSource
from desktop_app.core.errors import Refusal, WorkflowRefused
from desktop_app.core.fileio import WriteError
from desktop_app.core.findings import Finding, Severity
from desktop_app.core.letter_session import LetterSession
from desktop_app.core.word import letter as word
from desktop_app.core.word import read_docx
from desktop_app.core.workflow import Services
from desktop_app.core.workflow.state import MAX_SOURCE_BYTES, Status
from tests.core.docx_fixtures import DIAGNOSIS, HEADER_PHONE, TABLE_PHONE, THIRD_PARTY, build_letter_docx


def finds_data(body: str, _ctx) -> list[Finding]:
    """A stand-in for the check: the other resident's name (high) and the table's phone number (medium)."""
    out = []
    for needle, sev, kind in ((THIRD_PARTY, Severity.HIGH, "pii.person"), (TABLE_PHONE, Severity.MEDIUM, "pii.phone")):
        pos = body.find(needle)
        while pos >= 0:
            out.append(Finding(pos, pos + len(needle), needle, kind, sev, "m", "e"))
            pos = body.find(needle, pos + 1)
    return out


def staff(db):
    svc = Services.open(db, finds_data)
    admin = accounts.add_user(db, "施設長", ["admin"], "admin-pass-kiku-4827", None)
    svc.admin.set_facility(Facility(name="特別養護老人ホーム わかば苑"), admin)
    writer = accounts.add_user(db, "記入 みどり", ["writer"], "writer-pass-kiku-4827", admin)
    reviewer = accounts.add_user(db, "確認 ひろし", ["reviewer"], "review-pass-kiku-4827", admin)
    return svc, admin, writer, reviewer


def new_word_letter(svc, writer, path: Path, submit: bool = True) -> int:
    s = LetterSession(svc, writer, None, svc.admin.facility())
    s.start_word(path, read_docx(path))
    s.check_now()
    return (s.submit() if submit else s.save()).id


def approve_accepting_all(svc, reviewer, letter_id: int) -> LetterSession:
    r = LetterSession(svc, reviewer, None, svc.admin.facility())
    r.open(letter_id)
    found = r.check_now()
    r.approve(accept={f.key: "ご家族に確認済みです" for f in found})
    return r


def export(svc, actor, letter_id: int, out: Path):
    s = LetterSession(svc, actor, None, svc.admin.facility())
    s.open(letter_id)
    plan = s.prepare_export()
    return plan, s.commit_export(plan, out)


def counts(db) -> tuple[int, int]:
    with db.session(write=False) as s:
        return (s.scalar(select(func.count()).select_from(LetterSource)) or 0,
                s.scalar(select(func.count()).select_from(Letter)) or 0)


def migrate(db, direction: str, revision: str) -> None:
    from alembic import command

    with db.engine.begin() as conn:
        getattr(command, direction)(_alembic_config(conn), revision)


def test_one_pc_creates_a_word_letter_and_another_reviews_and_exports_it(db_url, tmp_path, monkeypatch):
    """Two data folders, one database (SQLite file or PostgreSQL server): the writer's PC reads the .docx,
    which is then deleted; the reviewer's PC sees every finding's place and exports into the original's layout."""
    monkeypatch.setenv("DESKTOP_APP_DATA_DIR", str(tmp_path / "writer_pc_data"))
    writer_pc = open_database(db_url)
    monkeypatch.setenv("DESKTOP_APP_DATA_DIR", str(tmp_path / "reviewer_pc_data"))
    reviewer_pc = open_database(db_url, backup=False)
    try:
        svc_a, _admin, writer, reviewer = staff(writer_pc)
        (tmp_path / "writer_pc").mkdir()
        src = build_letter_docx(tmp_path / "writer_pc" / "1月のお便り.docx")
        original = src.read_bytes()
        lid = new_word_letter(svc_a, writer, src)
        src.unlink()  # gone from the writer's PC (and never on the reviewer's)

        svc_b = Services.open(reviewer_pc, finds_data)
        r = LetterSession(svc_b, reviewer, None, svc_b.admin.facility())
        r.open(lid)
        assert r.word_document() is not None and r.word_document().source == original
        places = {f.text: word.location_of(f) for f in r.check_now()}
        assert places[THIRD_PARTY].startswith("表1") and places[TABLE_PHONE].startswith("表1")
        assert r.place_of(0, 2)  # the comment dialog's place too
        r.approve(accept={f.key: "ご家族に確認済みです" for f in r.findings})
        assert r.view.status is Status.APPROVED and r.approval_valid

        (tmp_path / "reviewer_pc").mkdir()
        out = tmp_path / "reviewer_pc" / "送付用.docx"
        plan, result = export(svc_b, reviewer, lid, out)
        assert plan.prepared.suggested_name == "1月のお便り_送付用.docx"
        assert result.path == out and out.is_file()
        sent = Document(str(out))
        assert len(sent.tables) == 1 and sent.tables[0].cell(1, 2).text == TABLE_PHONE  # the original's layout
        assert sent.tables[0].cell(2, 1).text == f"同室の{THIRD_PARTY}様（{DIAGNOSIS}）と衣類の入れ替え"
        assert sent.sections[0].header.paragraphs[0].text == f"担当直通 {HEADER_PHONE}"
        assert svc_a.letters.get(lid).status is Status.EXPORTED  # the writer's PC sees it sent
    finally:
        reviewer_pc.dispose()
        writer_pc.dispose()


def test_an_approval_over_one_original_does_not_hold_for_another(db, tmp_path):
    svc, _admin, writer, reviewer = staff(db)
    first = build_letter_docx(tmp_path / "お便り.docx")
    lid = new_word_letter(svc, writer, first)
    approve_accepting_all(svc, reviewer, lid)
    # another .docx with the very same text (only its file differs), put in place of the stored original
    other = Document(str(first))
    other.core_properties.title = "別のファイル"
    other.save(str(tmp_path / "別.docx"))
    swapped = (tmp_path / "別.docx").read_bytes()
    digest = word.sha256(swapped)
    assert read_docx(tmp_path / "別.docx").body_text() == read_docx(first).body_text()
    with db.engine.begin() as con:
        con.execute(text("UPDATE letter_sources SET content = :c, sha256 = :h WHERE letter_id = :i"),
                    {"c": swapped, "h": digest, "i": lid})
        con.execute(text("UPDATE letters SET source_sha256 = :h WHERE id = :i"), {"h": digest, "i": lid})
    assert not svc.letters.get(lid).approval_valid
    with pytest.raises(WorkflowRefused) as refused:
        export(svc, writer, lid, tmp_path / "送付用.docx")
    assert refused.value.reason is Refusal.STALE_APPROVAL and not (tmp_path / "送付用.docx").exists()


def test_stored_bytes_altered_behind_the_letters_back_are_not_exported(db, tmp_path):
    svc, _admin, writer, reviewer = staff(db)
    lid = new_word_letter(svc, writer, build_letter_docx(tmp_path / "お便り.docx"))
    approve_accepting_all(svc, reviewer, lid)
    with db.engine.begin() as con:  # the bytes change, the hashes stay
        con.execute(text("UPDATE letter_sources SET content = :c WHERE letter_id = :i"),
                    {"c": b"PK\x03\x04 altered", "i": lid})
    assert svc.letters.source(lid) is None
    with pytest.raises(WriteError) as refused:
        export(svc, writer, lid, tmp_path / "送付用.docx")
    assert "元のWordファイル" in str(refused.value) and not (tmp_path / "送付用.docx").exists()


def test_a_file_over_the_limit_is_refused_by_the_workflow(db):
    svc, _admin, writer, _reviewer = staff(db)
    with pytest.raises(WorkflowRefused) as refused:
        svc.workflow.create(writer, word.WORD_TEMPLATE_ID, "本文です。", {word.NAME: "大きい.docx"},
                            source=b"\0" * (MAX_SOURCE_BYTES + 1), source_name="大きい.docx")
    assert refused.value.reason is Refusal.BAD_INPUT
    assert "上限 20 MB" in str(refused.value) and "大きい.docx" in str(refused.value)
    assert counts(db) == (0, 0)


def test_a_new_draft_from_a_sent_word_letter_keeps_its_original(db, tmp_path):
    svc, _admin, writer, reviewer = staff(db)
    src = build_letter_docx(tmp_path / "お便り.docx")
    lid = new_word_letter(svc, writer, src)
    approve_accepting_all(svc, reviewer, lid)
    export(svc, writer, lid, tmp_path / "送付用.docx")
    src.unlink()
    derived = svc.workflow.derive(writer, lid)
    assert svc.letters.source(derived.id) == svc.letters.source(lid) is not None


def test_purge_removes_the_stored_original(db, tmp_path):
    svc, _admin, writer, reviewer = staff(db)
    lid = new_word_letter(svc, writer, build_letter_docx(tmp_path / "お便り.docx"))
    approve_accepting_all(svc, reviewer, lid)
    export(svc, writer, lid, tmp_path / "送付用.docx")
    keep = new_word_letter(svc, writer, build_letter_docx(tmp_path / "次のお便り.docx"))
    with db.engine.begin() as con:
        con.execute(text("UPDATE letters SET updated_at = :t WHERE id = :i"),
                    {"t": dt.datetime(2020, 1, 1), "i": lid})
    assert counts(db) == (2, 2)
    assert svc.admin.purge_expired() == 1
    assert counts(db) == (1, 1)
    assert svc.letters.source(lid) is None and svc.letters.source(keep) is not None


def test_purge_removes_the_stored_original_from_every_sqlite_backup(tmp_path):
    from desktop_app.core.db import backup as backup_mod
    from desktop_app.core.db.backup import list_backups

    path = tmp_path / "careletter.sqlite3"
    db = open_database(f"sqlite:///{path}")
    svc, _admin, writer, _reviewer = staff(db)
    src = build_letter_docx(tmp_path / "お便り.docx")
    data = src.read_bytes()
    needle = data[len(data) // 2:len(data) // 2 + 64]  # compressed bytes found in no other file
    new_word_letter(svc, writer, src, submit=False)  # a draft left untouched: purged after the period
    db.dispose()
    backup_mod.backup_sqlite(path, now=dt.datetime.now() - dt.timedelta(days=2))
    assert list_backups(path) and all(needle in b.read_bytes() for b in list_backups(path))
    db = open_database(f"sqlite:///{path}", backup=False)
    try:
        svc = Services.open(db, finds_data)
        assert svc.admin.purge_expired(now=dt.datetime.now(dt.UTC).replace(tzinfo=None)
                                       + dt.timedelta(days=4000)) == 1
    finally:
        db.dispose()
    assert list_backups(path)  # rebuilt, not thrown away
    for f in [path, *list_backups(path)]:
        assert needle not in f.read_bytes(), f.name


def test_migration_0008_goes_down_and_up_with_data_and_an_old_letter_still_exports_with_its_file(db, tmp_path):
    svc, _admin, writer, reviewer = staff(db)
    src = build_letter_docx(tmp_path / "お便り.docx")
    lid = new_word_letter(svc, writer, src)
    text_letter = svc.workflow.create(writer, "monthly_report", "山本 様\n\n今月も穏やかに過ごされました。\n").id
    assert counts(db) == (1, 2)
    migrate(db, "downgrade", "0007")
    tables = inspect(db.engine).get_table_names()
    assert "letter_sources" not in tables
    assert "source_sha256" not in {c["name"] for c in inspect(db.engine).get_columns("letters")}
    with db.engine.connect() as con:
        assert con.execute(text("SELECT count(*) FROM letters")).scalar() == 2
    migrate(db, "upgrade", "head")
    assert counts(db) == (0, 2)  # the letters stay; the stored original went with 0008's downgrade
    view = svc.letters.get(lid)
    assert view.body and svc.letters.get(text_letter).body
    assert svc.letters.source(lid) is None  # now a letter as from before 0008: its path only

    # such a letter still works on the PC that has the file: places, approval, export
    r = approve_accepting_all(svc, reviewer, lid)
    assert word.location_of(next(f for f in r.findings if f.text == THIRD_PARTY)).startswith("表1")
    _plan, result = export(svc, writer, lid, tmp_path / "送付用.docx")
    assert Document(str(result.path)).tables[0].cell(1, 2).text == TABLE_PHONE


def test_a_letter_without_stored_bytes_is_refused_where_its_file_is_gone_or_changed(db, tmp_path):
    """What a letter from before migration 0008 (fields with a path, no bytes) does, as before."""
    svc, _admin, writer, reviewer = staff(db)
    src = build_letter_docx(tmp_path / "お便り.docx")
    doc = read_docx(src)
    lid = svc.workflow.create(writer, word.WORD_TEMPLATE_ID, doc.text, word.letter_fields(src, doc)).id
    svc.workflow.submit(writer, lid)
    approve_accepting_all(svc, reviewer, lid)
    changed = Document(str(src))
    changed.add_paragraph("あとから書き足した一文です。")
    changed.save(str(src))
    with pytest.raises(WriteError) as refused:
        export(svc, writer, lid, tmp_path / "送付用.docx")
    assert "取り込んだ後に変更されています" in str(refused.value)
    src.unlink()
    with pytest.raises(WriteError) as refused:
        export(svc, writer, lid, tmp_path / "送付用.docx")
    assert "元のWordファイル" in str(refused.value) and not (tmp_path / "送付用.docx").exists()
