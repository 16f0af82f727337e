"""Reading letters: one letter with its marks, comments and approval, the lists behind the queue, 手紙を開く
and 自分の手紙, and a writer's notices (returned or approved letters). Nothing here writes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from desktop_app.core.accounts import Actor
from desktop_app.core.context import CheckContext, person_name
from desktop_app.core.db import Database
from desktop_app.core.db.models import (
    Approval,
    AuditEntry,
    Comment,
    Letter,
    LetterSource,
    LetterVersion,
    User,
)
from desktop_app.core.workflow.state import CommentView, LetterSummary, LetterView, Notice, Status, anchor
from desktop_app.core.workflow.uow import UnitOfWork, unit_of_work

NO_WRITER = "（以前の下書き）"
# the audit actions a writer is told about, and the state the letter must still be in for the notice to hold
NOTICE_ACTIONS = {"return": ("returned", Status.RETURNED), "approve": ("approved", Status.APPROVED)}
# a reviewer's decisions: each is audited with the hash of the exact text the reviewer decided on
REVIEWER_DECISIONS = ("return", "approve")


def _json(value) -> dict:
    """A JSON column as a dict (some drivers hand it back as text)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def _names_of(fields: dict | None, context: dict | None = None) -> tuple[str, str]:
    """(利用者（ご本人）, 宛先) of a letter: the template's resident_name / recipient_name fields, else the
    person roles of its check context (a Word letter or one made on the command line has no form)."""
    fields, context = _json(fields), _json(context)

    def name(field: str, role: str) -> str:
        value = fields.get(field)
        if isinstance(value, str) and value.strip():
            return value.strip()
        return person_name(context.get(role)) or ""

    return name("resident_name", "subject"), name("recipient_name", "recipient")


def reviewed_baseline(u: UnitOfWork, letter: Letter, status: Status) -> tuple[str, int] | None:
    """(body, version number) of the text a reviewer last saw and decided on (returned or approved): the
    baseline of the reviewer's 「前回確認した版との違い」. Not merely the previous request: a request the
    writer withdrew (依頼を取り下げる) before anyone decided was never reviewed, and comparing with it would
    hide the changes made before it. Derived from what is already stored: the newest return/approve audit
    entry holds the hash of the decided text, and the submitted version with that hash is the one shown.
    None when no reviewer has decided on this letter yet (its first request)."""
    decided = u.s.scalar(select(AuditEntry.text_hash)
                         .where(AuditEntry.letter_id == letter.id, AuditEntry.action.in_(REVIEWER_DECISIONS))
                         .order_by(AuditEntry.id.desc()).limit(1))
    if not decided:
        return None
    submitted = [(body, number) for body, number in u.s.execute(
        select(LetterVersion.body, LetterVersion.number)
        .where(LetterVersion.letter_id == letter.id, LetterVersion.body_sha == decided,
               LetterVersion.submitted.is_(True))
        .order_by(LetterVersion.number.desc()))]
    if not submitted:
        return None
    if status == Status.SUBMITTED and len(submitted) > 1:
        # the decision came before the current request, so when the writer went back to the very text the
        # reviewer saw (A → B → A) the decided version is the older one, not the one waiting now
        current = u.s.scalar(select(func.max(LetterVersion.number))
                             .where(LetterVersion.letter_id == letter.id, LetterVersion.submitted.is_(True)))
        older = [v for v in submitted if v[1] != current]
        if older:
            return older[0]
    return submitted[0]


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
            status = Status(letter.status)
            previous, previous_number = reviewed_baseline(u, letter, status) or (None, None)
            return LetterView(
                id=letter.id, template_id=letter.template_id, fields=dict(letter.fields or {}),
                context=CheckContext.from_dict(letter.context or {}), body=letter.body, status=status,
                writer=names.get(letter.writer_id, NO_WRITER), writer_id=letter.writer_id,
                last_editor_id=letter.last_editor_id, version=letter.version, high_count=letter.high_count,
                medium_count=letter.medium_count, proposals=u.marks(letter.id, "proposal"),
                accepted=u.marks(letter.id, "accepted"), comments=comments,
                approved_by=names.get(approval.approver_id) if approval and approval.voided_at is None else None,
                approval_valid=valid, previous_submitted=previous, previous_version=previous_number,
                derived_from=letter.derived_from_id, text_version=u.text_version(letter.id))

    def source(self, letter_id: int) -> bytes | None:
        """A Word letter's stored original (.docx bytes), or None: a text letter, a Word letter from before
        migration 0008 (only its path is known), or stored bytes that no longer match the hash the letter's
        approval binds to (never handed out as if they were the original)."""
        with unit_of_work(self.db) as u:
            row = u.s.execute(select(LetterSource.content, LetterSource.sha256, Letter.source_sha256)
                              .join(Letter, Letter.id == LetterSource.letter_id)
                              .where(LetterSource.letter_id == letter_id)).first()
        if row is None or row.source_sha256 is None:
            return None
        data = bytes(row.content)
        return data if hashlib.sha256(data).hexdigest() == row.sha256 == row.source_sha256 else None

    def list(self, status: Status | str | None = None, limit: int | None = None,
             writer_id: int | None = None) -> list[LetterSummary]:
        writer = aliased(User)
        q = (select(Letter.id, Letter.template_id, Letter.status, writer.name, Letter.updated_at, Letter.submitted_at,
                    Letter.high_count, Letter.medium_count, func.substr(Letter.body, 1, 60), Letter.fields,
                    Letter.context)
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
                              *_names_of(r[9], r[10]))
                for r in rows]

    def queue(self) -> list[LetterSummary]:
        """Letters awaiting review, oldest request first."""
        return list(reversed(self.list(Status.SUBMITTED)))

    def mine(self, actor: Actor) -> list[LetterSummary]:
        """自分の手紙: the letters this person wrote, newest change first."""
        return self.list(writer_id=actor.id)

    def notices(self, actor: Actor) -> list[Notice]:
        """This person's letters returned or approved since they last marked their notices seen (all such
        letters when they never did), newest first. A notice lapses once the letter moved on (a returned
        letter submitted again, an approved one sent), so only what still asks something of them is shown."""
        with unit_of_work(self.db) as u:
            s = u.s
            seen = s.scalar(select(User.notices_seen_at).where(User.id == actor.id))
            q = (select(AuditEntry.letter_id, AuditEntry.action, AuditEntry.actor, AuditEntry.at)
                 .where(AuditEntry.action.in_(NOTICE_ACTIONS),
                        AuditEntry.letter_id.in_(select(Letter.id).where(Letter.writer_id == actor.id))))
            if seen is not None:
                q = q.where(AuditEntry.at > seen.isoformat(timespec="microseconds"))
            latest: dict[int, tuple[str, str, str]] = {}
            for letter_id, action, by, at in s.execute(q.order_by(AuditEntry.id)):
                latest[letter_id] = (action, by, at)  # the newest decision on each letter
            out = []
            for letter_id, (action, by, at) in latest.items():
                letter = s.get(Letter, letter_id)
                kind, state = NOTICE_ACTIONS[action]
                if letter is None or Status(letter.status) != state:
                    continue
                comments: tuple[str, ...] = ()
                if kind == "returned":  # the reviewer's comments of this round (after the last request)
                    q = select(Comment).where(Comment.letter_id == letter_id).order_by(Comment.id)
                    if letter.submitted_at is not None:
                        q = q.where(Comment.created_at >= letter.submitted_at)
                    comments = tuple((f"「{c.quote}」：" if c.quote else "") + c.text for c in s.execute(q).scalars())
                out.append(Notice(letter_id, letter.template_id, kind, by, dt.datetime.fromisoformat(at), comments,
                                  *_names_of(letter.fields, letter.context)))
        return sorted(out, key=lambda n: n.at, reverse=True)
