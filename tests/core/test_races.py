"""Races are refusals, not crashes (issue 21): two reviewers at once, an edit during an approval, a locked
database during an export, two exports at once, a crash between writing and recording, and two
administrators removing each other. Real threads and processes against a real SQLite file and PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm.exc import StaleDataError

from desktop_app.core import accounts, audit
from desktop_app.core.context import CheckContext, Facility
from desktop_app.core.db.models import Approval, AuditEntry, Export
from desktop_app.core.docx_props import read_custom_properties
from desktop_app.core.errors import Refusal, WorkflowRefused
from desktop_app.core.letter_session import LetterSession
from desktop_app.core.races import CHANGED_FIRST
from desktop_app.core.workflow import Services
from desktop_app.core.workflow.state import Status
from desktop_app.core.workflow.transitions import HEAD_COUNT, HEAD_HASH, temp_path
from desktop_app.core.workflow.uow import unit_of_work

ROOT = Path(__file__).resolve().parents[2]


def no_findings(body, context):
    return []


@pytest.fixture
def svc(db):
    return Services.open(db, no_findings)


@pytest.fixture
def people(db, svc):
    admin = accounts.add_user(db, "統括 和子", ["admin", "reviewer"], "sakura-kiku-7391-umi", None)
    svc.admin.set_facility(Facility(name="ケアハウス みずほ苑"), admin)
    writer = accounts.add_user(db, "記録 一樹", ["writer"], "momiji-kaede-2048-yama", admin)
    reviewer = accounts.add_user(db, "点検 里美", ["reviewer"], "tsubaki-ume-5813-kawa", admin)
    return {"admin": admin, "writer": writer, "reviewer": reviewer}


def submitted(svc, people, body="森様\n先週は中庭で紅葉を眺めながらお茶を楽しまれました。\n") -> int:
    lid = svc.workflow.create(people["writer"], "monthly_report", body, {}, CheckContext(recipient="森 早苗")).id
    svc.workflow.submit(people["writer"], lid)
    return lid


def approved(svc, people) -> int:
    lid = submitted(svc, people)
    svc.workflow.approve(people["reviewer"], lid)
    return lid


def together(*calls):
    """Run the calls at the same moment on threads; each result is its return value or its exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, fn):
        barrier.wait()
        try:
            results[i] = fn()
        except BaseException as exc:  # noqa: BLE001 - the test looks at what came out
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def short_busy_timeout(db) -> None:
    """This test's connections wait half a second for a lock instead of ten."""
    db.engine.dispose()
    event.listen(db.engine, "connect", lambda con, _r: con.execute("PRAGMA busy_timeout=500"))


def sqlite_file(db) -> str:
    return db.engine.url.database


def write_text(body: str, target: Path) -> None:
    target.write_text(body, encoding="utf-8")


# ---- one place maps a lost race to CONFLICT ---------------------------------------------------------
def test_a_stale_row_inside_any_act_is_a_conflict_naming_who_changed_the_letter(svc, people, db):
    lid = submitted(svc, people)
    with pytest.raises(WorkflowRefused) as info, unit_of_work(db) as u:
        u.letter(lid)
        raise StaleDataError("letters row changed")
    assert info.value.reason == Refusal.CONFLICT
    assert CHANGED_FIRST in info.value.message and "記録 一樹さん" in info.value.message
    assert "確認依頼" in info.value.message  # what they did last


def test_one_approval_per_version_is_held_by_the_database(svc, people, db):
    lid = approved(svc, people)
    with pytest.raises(WorkflowRefused) as info, unit_of_work(db) as u:
        first = u.s.execute(select(Approval).where(Approval.letter_id == lid)).scalar_one()
        assert first.version_number == 1
        u.s.add(Approval(letter_id=lid, body_sha=first.body_sha, template_id=first.template_id,
                         context_sha=first.context_sha, approver_id=people["admin"].id, version_number=1))
        u.s.flush()
    assert info.value.reason == Refusal.CONFLICT and CHANGED_FIRST in info.value.message


def test_two_reviewers_approving_at_once_one_approval_and_a_refusal(svc, people, db):
    for _round in range(3):
        lid = submitted(svc, people)
        results = together(lambda lid=lid: svc.workflow.approve(people["reviewer"], lid),
                           lambda lid=lid: svc.workflow.approve(people["admin"], lid))
        ok = [r for r in results if not isinstance(r, BaseException)]
        refused = [r for r in results if isinstance(r, BaseException)]
        assert len(ok) == 1, results
        assert all(isinstance(r, WorkflowRefused) and r.reason in (Refusal.CONFLICT, Refusal.WRONG_STATE)
                   for r in refused), results
        with db.session() as s:
            assert len(s.execute(select(Approval).where(Approval.letter_id == lid)).all()) == 1


def test_an_edit_landing_while_approve_runs_is_never_an_internal_error(svc, people, db):
    for _round in range(3):
        lid = submitted(svc, people)
        svc.workflow.withdraw_request(people["writer"], lid)
        view = svc.letters.get(lid)
        svc.workflow.submit(people["writer"], lid)
        view = svc.letters.get(lid)
        results = together(lambda lid=lid, n=view.text_version: svc.workflow.approve(people["reviewer"], lid, version=n),
                           lambda lid=lid: svc.workflow.withdraw_request(people["writer"], lid))
        for r in results:
            assert not isinstance(r, BaseException) or isinstance(r, WorkflowRefused), results


# ---- approve what was read ---------------------------------------------------------------------------
def test_approve_refuses_a_version_the_reviewer_did_not_read(svc, people):
    lid = submitted(svc, people)
    reviewer = LetterSession(svc, people["reviewer"], None, svc.admin.facility())
    reviewer.open(lid)  # the reviewer reads 第1版
    assert reviewer.view.text_version == 1
    svc.workflow.withdraw_request(people["writer"], lid)
    v = svc.letters.get(lid)
    svc.workflow.save(people["writer"], lid, v.body + "来月は書道教室にも参加される予定です。\n", v.version)
    svc.workflow.submit(people["writer"], lid)  # 第2版 is waiting now
    with pytest.raises(WorkflowRefused) as info:
        reviewer.approve()  # the window approves what it shows: 第1版
    assert info.value.reason == Refusal.CONFLICT and "第1版" in info.value.message and "第2版" in info.value.message
    assert svc.letters.get(lid).status == Status.SUBMITTED
    with pytest.raises(WorkflowRefused):
        svc.workflow.approve(people["reviewer"], lid, version=1)
    reviewer.open(lid)
    assert reviewer.approve().status == Status.APPROVED


# ---- no sendable file without its record ---------------------------------------------------------------
def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # another connection's write lock
def test_export_while_the_database_is_write_locked_is_refused_and_leaves_no_file(svc, people, db, tmp_path):
    lid = approved(svc, people)
    short_busy_timeout(db)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    ticket = svc.workflow.check_export(people["writer"], lid)
    blocker = sqlite3.connect(sqlite_file(db), timeout=0)
    try:
        def write_then_lock(body: str, target: Path) -> None:
            write_text(body, target)
            blocker.execute("BEGIN IMMEDIATE")  # another program takes the write lock before the record

        with pytest.raises(WorkflowRefused) as info:
            svc.workflow.commit_export(people["writer"], ticket, out_dir / "送付.txt", write_then_lock)
        assert info.value.reason == Refusal.CONFLICT and CHANGED_FIRST in info.value.message
        assert files(out_dir) == []  # neither the file nor its temporary copy
    finally:
        blocker.rollback()
        blocker.close()
    # the record it could not finish is pending (the lock kept it from being marked failed) and never written
    with db.session() as s:
        assert [e.status for e in s.execute(select(Export)).scalars()] in (["pending"], ["failed"])
    assert svc.letters.get(lid).status == Status.APPROVED


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # another connection's write lock
def test_export_when_the_lock_is_held_from_the_start_writes_nothing(svc, people, db, tmp_path):
    lid = approved(svc, people)
    short_busy_timeout(db)
    ticket = svc.workflow.check_export(people["writer"], lid)
    blocker = sqlite3.connect(sqlite_file(db), timeout=0)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(WorkflowRefused) as info:
            svc.workflow.commit_export(people["writer"], ticket, tmp_path / "送付.txt", write_text)
        assert info.value.reason == Refusal.CONFLICT
    finally:
        blocker.rollback()
        blocker.close()
    assert not (tmp_path / "送付.txt").exists()


def test_two_exports_of_one_letter_at_once_never_leave_a_file_without_its_record(svc, people, db, tmp_path):
    lid = approved(svc, people)
    a, b = tmp_path / "a" / "送付.txt", tmp_path / "b" / "送付.txt"
    a.parent.mkdir()
    b.parent.mkdir()
    results = together(lambda: svc.workflow.export(people["writer"], lid, a, write_text),
                       lambda: svc.workflow.export(people["reviewer"], lid, b, write_text))
    for r in results:
        assert not isinstance(r, BaseException) or (isinstance(r, WorkflowRefused)
                                                    and r.reason == Refusal.CONFLICT), results
    with db.session() as s:
        written = {(e.path, e.file_sha) for e in s.execute(select(Export).where(Export.status == "written")).scalars()}
    on_disk = [p for p in (a, b) if p.exists()]
    assert on_disk  # at least one export went through
    from desktop_app.core.workflow.transitions import file_sha256

    assert {(str(p), file_sha256(p)) for p in on_disk} <= written
    assert files(a.parent) in ([], ["送付.txt"]) and files(b.parent) in ([], ["送付.txt"])  # no temporary copy


def test_a_failing_writer_leaves_no_file_and_a_failed_record_in_the_log(svc, people, db, tmp_path):
    lid = approved(svc, people)

    def half_written(body: str, target: Path) -> None:
        target.write_text(body[:5], encoding="utf-8")
        raise OSError(28, "No space left on device")

    (tmp_path / "out").mkdir()
    with pytest.raises(OSError):
        svc.workflow.export(people["writer"], lid, tmp_path / "out" / "送付.txt", half_written)
    assert files(tmp_path / "out") == []
    with db.session() as s:
        assert [e.status for e in s.execute(select(Export)).scalars()] == ["failed"]
    assert [e.action for e in audit.entries(db, lid)][-1] == "export_failed"


CRASH = r"""
import os, sys
from pathlib import Path
from desktop_app.core.accounts import Actor
from desktop_app.core.db import open_database
from desktop_app.core.workflow import Services

url, lid, uid, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
svc = Services.open(open_database(url, backup=False), lambda body, ctx: [])
actor = Actor(uid, "記録 一樹", frozenset({"writer"}))

def write_then_die(body, target):
    target.write_text(body, encoding="utf-8")
    os._exit(9)  # the power goes off after the file is written, before it is recorded

svc.workflow.export(actor, lid, out, write_then_die)
"""


def test_a_crash_between_writing_and_recording_leaves_no_sendable_file_and_the_next_open_fails_it(
        svc, people, db, db_url, tmp_path):
    lid = approved(svc, people)
    out = tmp_path / "送付" / "手紙.txt"
    out.parent.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", CRASH, db_url, str(lid), str(people["writer"].id), str(out)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 9, done.stderr
    assert not out.exists()  # nothing under the name that gets sent
    with db.session() as s:
        pending = s.execute(select(Export)).scalar_one()
    assert pending.status == "pending" and temp_path(out, pending.id).exists()
    Services.open(db, no_findings)  # the next start
    with db.session() as s:
        assert s.get(Export, pending.id).status == "failed"
    assert files(out.parent) == []  # the temporary copy is removed too
    assert [e.action for e in audit.entries(db, lid)][-1] == "export_failed"
    assert audit.verify(db).ok
    assert svc.letters.get(lid).status == Status.APPROVED


# ---- the audit chain's head in the sent file -----------------------------------------------------------
def test_every_docx_export_carries_the_audit_head(svc, people, db, tmp_path):
    lid = approved(svc, people)
    session = LetterSession(svc, people["writer"], None, svc.admin.facility())
    session.open(lid)
    plan = session.prepare_export()
    out = tmp_path / "out" / "送付.docx"
    out.parent.mkdir()
    session.commit_export(plan, out)
    props = read_custom_properties(out)
    with db.session() as s:
        entries = s.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
        record = s.execute(select(Export)).scalar_one()
    assert entries[-1].action == "export"
    # the head read when the export was recorded as pending: every entry before the export's own
    assert props == {HEAD_COUNT: str(len(entries) - 1), HEAD_HASH: entries[-2].hash}
    assert (record.audit_count, record.audit_hash, record.status) == (len(entries) - 1, entries[-2].hash, "written")
    assert files(out.parent) == ["送付.docx"]
    from docx import Document

    assert "紅葉" in "\n".join(p.text for p in Document(str(out)).paragraphs)  # still a Word file


# ---- the last administrator --------------------------------------------------------------------------
def test_two_administrators_removing_each_other_at_once_leave_one(db, svc):
    """Depends on SQLite taking its write lock before the administrators are counted (accounts._lock_admins;
    BEGIN IMMEDIATE from the `chain` work makes it certain)."""
    keeper = accounts.add_user(db, "統括 和子", ["admin"], "sakura-kiku-7391-umi", None)
    for n in range(4):
        a = accounts.add_user(db, f"副施設長 {n}", ["admin"], "momiji-kaede-2048-yama", keeper)
        b = accounts.add_user(db, f"事務長 {n}", ["admin"], "tsubaki-ume-5813-kawa", keeper)
        accounts.deactivate(db, keeper.name, a)  # now a and b are the only two administrators
        results = together(lambda a=a, b=b: accounts.deactivate(db, b.name, a),
                           lambda a=a, b=b: accounts.deactivate(db, a.name, b))
        assert all(not isinstance(r, BaseException) or isinstance(r, WorkflowRefused) for r in results), results
        admins = [m for m in accounts.list_users(db) if "admin" in m.roles]
        assert len(admins) == 1, results
        assert sum(isinstance(r, BaseException) for r in results) == 1, results
        keeper = admins[0]


def test_the_cli_turns_a_race_outside_any_act_into_exit_3(capsys):
    from sqlalchemy.exc import OperationalError

    from desktop_app import cli_workflow

    def locked(_args):
        raise OperationalError("UPDATE users", {}, sqlite3.OperationalError("database is locked"))

    assert cli_workflow.run(locked, None) == 3
    assert CHANGED_FIRST in capsys.readouterr().err


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_migration_0007_goes_down_and_up_again_with_data(svc, people, db, tmp_path):
    from alembic import command

    from desktop_app.core.db import _alembic_config

    approved(svc, people)
    with db.engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "0006")  # 0007's own step (0005 below it holds the keys)
    with db.engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "head")
    with db.session() as s:
        assert s.execute(select(Approval.version_number)).scalars().all() == [1]  # the approval survived
    lid = approved(svc, people)
    svc.workflow.export(people["writer"], lid, tmp_path / "送付.txt", write_text)
    with db.session() as s:
        assert [e.status for e in s.execute(select(Export)).scalars()] == ["written"]
