"""Reading letters: one letter with its marks, comments and approval, and the lists behind the queue and
手紙を開く. Nothing here writes."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from desktop_app.core.context import CheckContext
from desktop_app.core.db import Database
from desktop_app.core.db.models import Approval, Comment, Letter, LetterVersion, User
from desktop_app.core.workflow.state import CommentView, LetterSummary, LetterView, Status, anchor
from desktop_app.core.workflow.uow import unit_of_work

NO_WRITER = "（以前の下書き）"
RESIDENT_FIELDS = ("resident_name",)  # the templates' person field with role "subject" (ご利用者)
FAMILY_FIELDS = ("recipient_name",)  # the templates' person field with role "recipient" (宛先のご家族)


def _names_of(fields: dict | None) -> tuple[str, str]:
    """(resident, family) as the writer typed them in the letter's form; empty where the template has no such
    field (a notice to all families, a Word letter)."""
    if isinstance(fields, str):  # a driver that hands back the JSON column as text
        try:
            fields = json.loads(fields)
        except ValueError:
            fields = {}
    fields = fields if isinstance(fields, dict) else {}

    def first(names: tuple[str, ...]) -> str:
        return next((str(fields[n]).strip() for n in names if str(fields.get(n) or "").strip()), "")

    return first(RESIDENT_FIELDS), first(FAMILY_FIELDS)


class LetterQueries:
    def __init__(self, db: Database):
        self.db = db

    def get(self, letter_id: int) -> LetterView:
        with unit_of_work(self.db) as u:
            s = u.s
            letter = u.letter(letter_id)
            names = dict(s.execute(select(User.id, User.name)).all())
            comments = []
            for c in s.execute(select(Comment).where(Comment.letter_id == letter.id).order_by(Comment.id)).scalars():
                pos = anchor(letter.body, c.start, c.end, c.quote) if c.quote else None
                comments.append(CommentView(c.id, pos[0] if pos else None, pos[1] if pos else None, c.quote, c.text,
                                            names.get(c.author_id, "?"), c.created_at.isoformat(timespec="minutes")))
            approval = s.execute(select(Approval).where(Approval.letter_id == letter.id)
                                 .order_by(Approval.id.desc()).limit(1)).scalar_one_or_none()
            valid = u.valid_approval(letter) is not None
            submitted = s.execute(select(LetterVersion.body).where(LetterVersion.letter_id == letter.id,
                                                                   LetterVersion.submitted.is_(True))
                                  .order_by(LetterVersion.number.desc()).limit(2)).scalars().all()
            status = Status(letter.status)
            previous = None
            if status == Status.SUBMITTED and len(submitted) >= 2:
                previous = submitted[1]
            elif status != Status.SUBMITTED and submitted:
                previous = submitted[0]
            return LetterView(
                id=letter.id, template_id=letter.template_id, fields=dict(letter.fields or {}),
                context=CheckContext.from_dict(letter.context or {}), body=letter.body, status=status,
                writer=names.get(letter.writer_id, NO_WRITER), writer_id=letter.writer_id,
                last_editor_id=letter.last_editor_id, version=letter.version, high_count=letter.high_count,
                medium_count=letter.medium_count, proposals=u.marks(letter.id, "proposal"),
                accepted=u.marks(letter.id, "accepted"), comments=comments,
                approved_by=names.get(approval.approver_id) if approval and approval.voided_at is None else None,
                approval_valid=valid, previous_submitted=previous)

    def list(self, status: Status | str | None = None, limit: int | None = None,
             writer_id: int | None = None) -> list[LetterSummary]:
        writer = aliased(User)
        q = (select(Letter.id, Letter.template_id, Letter.status, writer.name, Letter.updated_at, Letter.submitted_at,
                    Letter.high_count, Letter.medium_count, func.substr(Letter.body, 1, 60), Letter.fields)
             .outerjoin(writer, writer.id == Letter.writer_id))
        if status is not None:
            q = q.where(Letter.status == Status(status).value)
        if writer_id is not None:
            q = q.where(Letter.writer_id == writer_id)
        order = Letter.submitted_at if status == Status.SUBMITTED else Letter.updated_at
        q = q.order_by(order.desc(), Letter.id.desc())
        if limit:
            q = q.limit(limit)
        with unit_of_work(self.db) as u:
            rows = u.s.connection().execute(q).all()
        statuses = {st.value: st for st in Status}
        return [LetterSummary(r[0], r[1], statuses[r[2]], r[3] or NO_WRITER, r[4], r[5], r[6], r[7], r[8] or "",
                              *_names_of(r[9])) for r in rows]

    def queue(self) -> list[LetterSummary]:
        """Letters awaiting review, oldest request first."""
        return list(reversed(self.list(Status.SUBMITTED)))
