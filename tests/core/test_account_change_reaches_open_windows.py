"""A window left open keeps the Actor read at its login. When an administrator stops that account, or takes a
role away, on another PC, the next act from the open window is refused (nothing is written, nothing is
recorded in the audit log as that person), on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from desktop_app.core import accounts
from desktop_app.core.context import Facility
from desktop_app.core.db.models import AuditEntry
from desktop_app.core.errors import Refusal, WorkflowRefused
from desktop_app.core.workflow import Services
from desktop_app.core.workflow.state import Status

BODY = "拝啓\n師走に入り、朝の冷え込みが厳しくなってまいりました。\n敬具\n"


@pytest.fixture
def facility(db):
    admin = accounts.add_user(db, "石田 施設長", ["admin", "reviewer"], "ishida-pass-1", None)
    svc = Services.open(db, lambda text, ctx: [])
    svc.admin.set_facility(Facility(name="ケアハウス やまびこ"), admin)
    writer = accounts.add_user(db, "青木 記録", ["writer"], "aoki-pass-12", admin, must_change=False)
    reviewer = accounts.add_user(db, "岡田 主任", ["reviewer", "writer"], "okada-pass-1", admin, must_change=False)
    return svc, admin, writer, reviewer


def audit_count(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(AuditEntry))


def test_a_stopped_writer_can_no_longer_save_submit_or_start_a_letter(db, facility):
    svc, admin, writer, _reviewer = facility
    letter = svc.workflow.create(writer, "monthly_report", BODY)  # logged in this morning
    accounts.deactivate(db, writer.name, admin)  # stopped at noon on the office PC
    before = audit_count(db)
    for act in (lambda: svc.workflow.save(writer, letter.id, BODY + "追伸\n", letter.version),
                lambda: svc.workflow.submit(writer, letter.id),
                lambda: svc.workflow.create(writer, "monthly_report", BODY)):
        with pytest.raises(WorkflowRefused) as exc:
            act()
        assert exc.value.reason == Refusal.ACCOUNT_CHANGED and "利用停止" in exc.value.message
    view = svc.letters.get(letter.id)
    assert view.body == BODY and view.status == Status.DRAFT and view.version == letter.version
    assert audit_count(db) == before and len(svc.letters.list()) == 1


def test_a_reviewer_whose_role_was_taken_away_cannot_approve(db, facility):
    svc, admin, writer, reviewer = facility
    letter = svc.workflow.create(writer, "monthly_report", BODY)
    svc.workflow.submit(writer, letter.id)
    accounts.set_roles(db, reviewer.name, {"writer"}, admin)
    with pytest.raises(WorkflowRefused) as exc:
        svc.workflow.approve(reviewer, letter.id)
    assert exc.value.reason == Refusal.ACCOUNT_CHANGED and "確認者" in exc.value.message
    assert svc.letters.get(letter.id).status == Status.SUBMITTED
    # logged in again, with the roles they have now: writing still works, approving is refused as before
    again = accounts.authenticate(db, reviewer.name, "okada-pass-1")
    assert again.roles == frozenset({"writer"})
    with pytest.raises(WorkflowRefused) as exc:
        svc.workflow.approve(again, letter.id)
    assert exc.value.reason == Refusal.MISSING_ROLE


def test_a_role_added_meanwhile_takes_nothing_away(db, facility):
    svc, admin, writer, _reviewer = facility
    accounts.set_roles(db, writer.name, {"writer", "reviewer"}, admin)
    letter = svc.workflow.create(writer, "monthly_report", BODY)  # the open window still works
    assert svc.letters.get(letter.id).status == Status.DRAFT


def test_a_stopped_writers_export_leaves_no_file(db, facility, tmp_path):
    svc, admin, writer, reviewer = facility
    letter = svc.workflow.create(writer, "monthly_report", BODY)
    svc.workflow.submit(writer, letter.id)
    svc.workflow.approve(reviewer, letter.id)
    ticket = svc.workflow.check_export(writer, letter.id)
    accounts.deactivate(db, writer.name, admin)
    target = tmp_path / "手紙.docx"

    def write(body: str, tmp):
        tmp.write_text(body, encoding="utf-8")

    with pytest.raises(WorkflowRefused) as exc:
        svc.workflow.commit_export(writer, ticket, target, write)
    assert exc.value.reason == Refusal.ACCOUNT_CHANGED
    assert not target.exists() and svc.letters.get(letter.id).status == Status.APPROVED
