"""A PDF is a sendable file like the .docx: its own export record (pending → temporary name → written →
rename), its own audited 'export' entry, and the audit chain's head in its metadata. And a crash after the
record, before the rename, is finished at the next start (issue 21)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop_app.core import accounts, audit
from desktop_app.core.context import CheckContext, Facility
from desktop_app.core.db import open_database
from desktop_app.core.db.models import AuditEntry, Export
from desktop_app.core.docx_props import read_custom_properties
from desktop_app.core.export_docx import PdfUnavailable
from desktop_app.core.export_pdf import read_pdf_properties
from desktop_app.core.fileio import WriteError
from desktop_app.core.letter_session import LetterSession
from desktop_app.core.workflow import Services, transitions
from desktop_app.core.workflow.transitions import HEAD_COUNT, HEAD_HASH, file_sha256, temp_path

ROOT = Path(__file__).resolve().parents[2]
WRITER_PASSWORD = "hinoki-sugi-6284-nami"
BODY = "木村様\n今週は手作りの柏餅を皆さまと一緒に味わわれ、笑顔の多い一日でした。\n"


def no_findings(body, context):
    return []


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        if os.environ.get("CI"):  # .ci/run installs LibreOffice and poppler: missing there is a failure
            pytest.fail(f"{tool} is required in CI")
        pytest.skip(f"{tool} not installed")


def _people(db, svc):
    admin = accounts.add_user(db, "統括 和子", ["admin", "reviewer"], "sakura-kiku-7391-umi", None)
    svc.admin.set_facility(Facility(name="グループホーム あおば"), admin)
    writer = accounts.add_user(db, "記録 一樹", ["writer"], WRITER_PASSWORD, admin)
    reviewer = accounts.add_user(db, "点検 里美", ["reviewer"], "tsubaki-ume-5813-kawa", admin)
    return admin, writer, reviewer


def _approved(svc, writer, reviewer) -> int:
    lid = svc.workflow.create(writer, "monthly_report", BODY, {}, CheckContext(recipient="木村 陽子")).id
    svc.workflow.submit(writer, lid)
    svc.workflow.approve(reviewer, lid)
    return lid


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _records(db) -> list[Export]:
    with db.session() as s:
        return list(s.execute(select(Export).order_by(Export.id)).scalars())


def _entries(db) -> list[AuditEntry]:
    with db.session() as s:
        return list(s.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars())


def _fake_libreoffice(docx: Path, out_dir: Path, timeout: float = 180) -> Path:
    """Stands in for LibreOffice where a test is about the records, not the layout: a small PDF whose Info
    dictionary carries the .docx's keywords as LibreOffice writes them (a UTF-16 hex string)."""
    from docx import Document

    keywords = Document(str(docx)).core_properties.keywords
    pdf = out_dir / (docx.stem + ".pdf")
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj\n<</Title<FEFF>/Keywords<" + ("\ufeff" + keywords).encode("utf-16-be").hex()
                    .upper().encode() + b">>>\nendobj\ntrailer\n<</Info 1 0 R>>\n%%EOF\n")
    return pdf


# ---- the PDF's metadata ------------------------------------------------------------------------------
def test_the_head_is_read_from_hex_and_literal_keywords_and_the_newest_one_wins(tmp_path):
    pdf = tmp_path / "a.pdf"
    old = "\ufeffCareLetterAuditCount=3, CareLetterAuditHead=aa".encode("utf-16-be").hex().encode()
    pdf.write_bytes(b"%PDF-1.4\n<</Keywords<" + old + b">>>\n"  # an incremental update comes after it
                    b"<</Keywords (\\346\\227\\242\\345\\255\\230, CareLetterAuditCount=4, CareLetterAuditHead=bb\\051)>>\n")
    assert read_pdf_properties(pdf) == {HEAD_COUNT: "4", HEAD_HASH: "bb)"}
    plain = tmp_path / "b.pdf"
    plain.write_bytes(b"%PDF-1.4\n<</Title (x)>>\n")
    assert read_pdf_properties(plain) == {}


def _exporting(db, tmp_path):
    """An approved letter opened by its writer, ready to export: (session, plan, out), `out` the .docx's
    path in a folder of its own."""
    svc = Services.open(db, no_findings)
    _admin, writer, reviewer = _people(db, svc)
    session = LetterSession(svc, writer, None, svc.admin.facility())
    session.open(_approved(svc, writer, reviewer))
    out = tmp_path / "送付" / "お便り.docx"
    out.parent.mkdir()
    return session, session.prepare_export(), out


def test_a_pdf_that_lost_the_head_is_not_written_and_its_record_fails(db, tmp_path, monkeypatch):
    def without_keywords(docx, out_dir, timeout=180):
        pdf = out_dir / (docx.stem + ".pdf")
        pdf.write_bytes(b"%PDF-1.4\n<</Title (x)>>\n%%EOF\n")
        return pdf

    monkeypatch.setattr("desktop_app.core.export_pdf.convert_to_pdf", without_keywords)
    session, plan, out = _exporting(db, tmp_path)
    out = out.with_suffix(".pdf")
    with pytest.raises(PdfUnavailable, match="監査ログ"):
        session.commit_export(plan, out)
    assert _files(out.parent) == []
    assert [r.status for r in _records(db)] == ["failed"]
    assert _entries(db)[-1].action == "export_failed"
    assert audit.verify(db).ok


def test_docx_then_pdf_are_two_written_records_each_with_its_head(db, tmp_path, monkeypatch):
    monkeypatch.setattr("desktop_app.core.export_pdf.convert_to_pdf", _fake_libreoffice)
    session, plan, out = _exporting(db, tmp_path)
    docx = session.commit_export(plan, out)
    pdf = session.commit_export(plan, out.with_suffix(".pdf"))
    assert _files(out.parent) == ["お便り.docx", "お便り.pdf"]  # no temporary copy left
    records, entries = _records(db), _entries(db)
    assert [(Path(r.path).name, r.status) for r in records] == [("お便り.docx", "written"), ("お便り.pdf", "written")]
    assert [r.file_sha for r in records] == [docx.digest, pdf.digest] == [file_sha256(out), file_sha256(out.with_suffix(".pdf"))]
    exports = [e for e in entries if e.action == "export"]
    assert [e.detail for e in exports] == [f"file {docx.digest}", f"file {pdf.digest}"]
    # the PDF's head is the log before its own entry: it includes the .docx's export
    assert read_pdf_properties(out.with_suffix(".pdf")) == {HEAD_COUNT: str(len(entries) - 1), HEAD_HASH: entries[-2].hash}
    assert entries[-2].id == exports[0].id
    assert read_custom_properties(out)[HEAD_HASH] == records[0].audit_hash
    assert audit.verify(db, expect=f"{records[1].audit_count}:{records[1].audit_hash}").ok


@pytest.mark.slow
def test_libreoffice_pdf_carries_the_head_and_audit_verify_accepts_it(tmp_path):
    """With the real LibreOffice: the head travels through the .docx's keywords into the PDF's Info dictionary
    (pdfinfo reads it too), and the log holds that head."""
    _need("soffice")
    _need("pdfinfo")
    db = open_database(f"sqlite:///{(tmp_path / 'pdf.sqlite3').as_posix()}")
    try:
        session, plan, out = _exporting(db, tmp_path)
        session.commit_export(plan, out)
        pdf = session.commit_export(plan, out.with_suffix(".pdf")).path
        assert pdf.read_bytes().startswith(b"%PDF")
        head = read_pdf_properties(pdf)
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        keywords = re.search(r"^Keywords:\s*(.*)$", info, re.M)
        assert keywords and f"{HEAD_COUNT}={head[HEAD_COUNT]}" in keywords.group(1), info
        assert f"{HEAD_HASH}={head[HEAD_HASH]}" in keywords.group(1)
        records = _records(db)
        assert [(r.status, Path(r.path).suffix) for r in records] == [("written", ".docx"), ("written", ".pdf")]
        assert (head[HEAD_COUNT], head[HEAD_HASH]) == (str(records[1].audit_count), records[1].audit_hash)
        assert records[1].file_sha == file_sha256(pdf)
        assert audit.verify(db, expect=f"{head[HEAD_COUNT]}:{head[HEAD_HASH]}").ok
        assert _files(out.parent) == ["お便り.docx", "お便り.pdf"]
    finally:
        db.dispose()


# ---- a crash after the record, before the rename ------------------------------------------------------
CRASH_AT_RENAME = r"""
import os, sys
from pathlib import Path
from desktop_app.core import accounts
from desktop_app.core.db import open_database
from desktop_app.core.workflow import Services

url, lid, name, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
db = open_database(url, backup=False)
svc = Services.open(db, lambda body, ctx: [])
actor = accounts.authenticate(db, name, sys.stdin.readline().rstrip("\n"))
real_replace = os.replace

def die_at_the_rename(src, dst, *a, **k):
    if Path(dst) == out:
        os._exit(9)  # the power goes off after the record is committed, before the file gets its name
    return real_replace(src, dst, *a, **k)

os.replace = die_at_the_rename
svc.workflow.export(actor, lid, out, lambda body, target: target.write_text(body, encoding="utf-8"))
"""


def test_a_crash_after_the_record_is_finished_at_the_next_start(db, db_url, tmp_path):
    svc = Services.open(db, no_findings)
    _admin, writer, reviewer = _people(db, svc)
    lid = _approved(svc, writer, reviewer)
    out = tmp_path / "送付" / "お便り.txt"
    out.parent.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", CRASH_AT_RENAME, db_url, str(lid), writer.name, str(out)],
                          input=WRITER_PASSWORD + "\n", env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 9, done.stderr
    record = _records(db)[0]
    tmp = temp_path(out, record.id)
    assert record.status == "written" and not out.exists() and tmp.is_file()  # recorded, under the temporary name
    assert file_sha256(tmp) == record.file_sha
    Services.open(db, no_findings)  # the next start (the crashed process is gone)
    assert _files(out.parent) == ["お便り.txt"] and out.read_text(encoding="utf-8") == BODY
    last = _entries(db)[-1]
    assert (last.action, last.letter_id, last.detail) == ("export_renamed", lid, f"export {record.id}: {tmp.name} -> {out.name}")
    assert [r.status for r in _records(db)] == ["written"]
    assert audit.verify(db).ok
    Services.open(db, no_findings)  # nothing more to do
    assert _entries(db)[-1].id == last.id


def _written_but_not_renamed(db, svc, writer, reviewer, out: Path, monkeypatch) -> Export:
    """An export whose rename failed (a file open in another program, say): the record says written, the file
    keeps its temporary name, and the person is told so."""
    lid = _approved(svc, writer, reviewer)

    def refuse(src, dst, *a, **k):
        raise PermissionError(13, "Permission denied")

    with monkeypatch.context() as m:
        m.setattr(transitions.os, "replace", refuse)
        with pytest.raises(WriteError, match="記録済み"):
            svc.workflow.export(writer, lid, out, lambda body, target: target.write_text(body, encoding="utf-8"))
    record = _records(db)[-1]
    assert record.status == "written" and temp_path(out, record.id).is_file()  # never removed
    monkeypatch.setattr(transitions, "owner_alive", lambda owner, since: False)  # as after a restart
    return record


def test_a_failed_rename_keeps_the_file_and_the_next_start_names_it(db, tmp_path, monkeypatch):
    svc = Services.open(db, no_findings)
    _admin, writer, reviewer = _people(db, svc)
    out = tmp_path / "送付" / "お便り.txt"
    out.parent.mkdir()
    record = _written_but_not_renamed(db, svc, writer, reviewer, out, monkeypatch)
    assert svc.workflow.finish_renames() == [record.id]
    assert _files(out.parent) == ["お便り.txt"]
    assert file_sha256(out) == record.file_sha
    assert _entries(db)[-1].action == "export_renamed"
    assert audit.verify(db).ok


def test_a_changed_or_blocked_temporary_file_is_left_and_reported_once(db, tmp_path, monkeypatch, caplog):
    svc = Services.open(db, no_findings)
    _admin, writer, reviewer = _people(db, svc)
    changed_out, taken_out = tmp_path / "a" / "変更.txt", tmp_path / "b" / "使用中.txt"
    changed_out.parent.mkdir()
    taken_out.parent.mkdir()
    changed = _written_but_not_renamed(db, svc, writer, reviewer, changed_out, monkeypatch)
    taken = _written_but_not_renamed(db, svc, writer, reviewer, taken_out, monkeypatch)
    temp_path(changed_out, changed.id).write_text("誰かが書き換えた内容", encoding="utf-8")
    taken_out.write_text("別のファイル", encoding="utf-8")
    before = len(_entries(db))
    for _ in range(2):  # two starts: a warning each time, one entry each in the log
        assert svc.workflow.finish_renames() == []
    assert not changed_out.exists() and temp_path(changed_out, changed.id).read_text(encoding="utf-8") == "誰かが書き換えた内容"
    assert taken_out.read_text(encoding="utf-8") == "別のファイル" and temp_path(taken_out, taken.id).is_file()
    reports = _entries(db)[before:]
    assert [(e.action, e.letter_id) for e in reports] == [("export_unfinished", changed.letter_id),
                                                         ("export_unfinished", taken.letter_id)]
    assert "記録と違います" in reports[0].detail and "すでにあります" in reports[1].detail
    assert sum("一時的な名前のまま" in r.getMessage() for r in caplog.records) == 4
    assert audit.verify(db).ok


def test_cli_export_with_pdf_records_both_files(tmp_path, monkeypatch, capsys):
    """`letters export --pdf`: the .docx and the PDF, each recorded and audited, the PDF with the head."""
    from types import SimpleNamespace

    import desktop_app.cli_workflow as wf
    from tests.conftest import run_cli

    url = f"sqlite:///{(tmp_path / 'cli.sqlite3').as_posix()}"
    db = open_database(url)
    try:
        svc = Services.open(db, no_findings)
        _admin, writer, reviewer = _people(db, svc)
        lid = _approved(svc, writer, reviewer)
        monkeypatch.setattr("desktop_app.core.export_pdf.convert_to_pdf", _fake_libreoffice)
        monkeypatch.setattr(wf, "_runner", lambda load_model=True: SimpleNamespace(check=lambda text, ctx: []))
        out = tmp_path / "送付" / "お便り.docx"
        out.parent.mkdir()
        code, printed, err = run_cli(monkeypatch, capsys, ["--db", url, "letters", "export", str(lid), "--out", str(out),
                                                           "--pdf", "--as", writer.name, "--password-stdin"],
                                     WRITER_PASSWORD + "\n")
        assert code == 0, err
        records = _records(db)
        assert [(Path(r.path).name, r.status) for r in records] == [("お便り.docx", "written"), ("お便り.pdf", "written")]
        assert f"wrote {out.with_suffix('.pdf')} (sha256 {records[1].file_sha})" in printed
        assert read_pdf_properties(out.with_suffix(".pdf")) == {HEAD_COUNT: str(records[1].audit_count),
                                                                HEAD_HASH: records[1].audit_hash}
        assert [e.detail for e in _entries(db) if e.action == "export"] == [f"file {r.file_sha}" for r in records]
        assert audit.verify(db).ok
    finally:
        db.dispose()
