"""The letter being written in one window, without Qt: body, revision, marks, dirty flag, workflow state
and approval. The window presents it; saving, submitting and recovery go through here to core.review."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field

from sqlalchemy import delete, select

from desktop_app.core.accounts import Actor
from desktop_app.core.context import CheckContext
from desktop_app.core.db import Database
from desktop_app.core.db.models import RecoverySlot, utcnow
from desktop_app.core.findings import Finding
from desktop_app.core.review import CommentView, LetterView, ReviewService, Status, unresolved_high


@dataclass
class DraftSession:
    template_id: str = ""
    fields: dict = field(default_factory=dict)
    body: str = ""
    letter_id: int | None = None
    version: int | None = None  # the database version this window last saw (optimistic concurrency)
    status: Status = Status.DRAFT
    proposals: dict[str, str] = field(default_factory=dict)  # the writer's 確認済み marks: key -> reason
    accepted: dict[str, str] = field(default_factory=dict)  # the reviewer's acceptances (read-only here)
    comments: list[CommentView] = field(default_factory=list)
    approval_valid: bool = False
    saved_body: str = ""
    generated_text: str | None = None  # the text as last generated from the form
    revision: int = 0
    findings: list[Finding] = field(default_factory=list)
    context: CheckContext = field(default_factory=CheckContext)

    # ---- editing ------------------------------------------------------------------------
    def set_body(self, text: str) -> bool:
        """Record an edit; False when the text did not change (Qt reports format changes as edits too)."""
        if text == self.body:
            return False
        self.body = text
        self.revision += 1
        return True

    def next_revision(self) -> int:
        self.revision += 1
        return self.revision

    @property
    def dirty(self) -> bool:
        return bool(self.body.strip()) and self.body != self.saved_body

    @property
    def edited_by_hand(self) -> bool:
        return bool(self.body.strip()) and self.body != (self.generated_text or "")

    def set_findings(self, revision: int, findings: list[Finding]) -> bool:
        """Keep findings only for the newest revision (older check results are dropped)."""
        if revision != self.revision:
            return False
        self.findings = list(findings)
        return True

    def unresolved_high(self) -> list[Finding]:
        """High findings a reviewer has not accepted. The writer's proposals never unblock anything."""
        return unresolved_high(self.findings, self.accepted)

    def toggle_proposal(self, finding: Finding, reason: str | None) -> None:
        if reason is None:
            self.proposals.pop(finding.key, None)
        else:
            self.proposals[finding.key] = reason

    @property
    def read_only(self) -> bool:
        """Submitted letters wait for the reviewer; the writer edits again after a return."""
        return self.status == Status.SUBMITTED

    # ---- the workflow --------------------------------------------------------------------
    def load(self, view: LetterView) -> None:
        self.letter_id, self.version = view.id, view.version
        self.template_id, self.fields = view.template_id, dict(view.fields)
        self.body = self.saved_body = view.body
        self.status, self.approval_valid = view.status, view.approval_valid
        self.proposals, self.accepted = dict(view.proposals), dict(view.accepted)
        self.comments = list(view.comments)
        self.context = view.check_context
        self.generated_text = None
        self.revision += 1

    def save(self, service: ReviewService, actor: Actor) -> LetterView:
        """Create or save a version; raises WorkflowRefused (CONFLICT keeps self.body untouched)."""
        if self.letter_id is None:
            view = service.create(actor, self.template_id, self.body, self.fields, self.context)
        else:
            view = service.save(actor, self.letter_id, self.body, self.version or 0, fields=self.fields,
                                context=self.context, template_id=self.template_id)
        # create/save already return the stored letter: read it again only when proposals were synced
        stale = False
        for key, reason in self.proposals.items():
            if view.proposals.get(key) != reason:
                service.propose(actor, view.id, key, reason)
                stale = True
        for key in set(view.proposals) - set(self.proposals):
            service.withdraw(actor, view.id, key)
            stale = True
        if stale:
            view = service.get(view.id)
        self._after_save(view)
        return view

    def save_as_new(self, service: ReviewService, actor: Actor) -> LetterView:
        """After a conflict: the same text as a new letter, so nothing typed is lost."""
        self.letter_id = None
        self.version = None
        return self.save(service, actor)

    def submit(self, service: ReviewService, actor: Actor) -> LetterView:
        if self.dirty or self.letter_id is None:
            self.save(service, actor)
        view = service.submit(actor, self.letter_id)  # type: ignore[arg-type]
        self._after_save(view)
        return view

    def refresh(self, service: ReviewService) -> LetterView | None:
        if self.letter_id is None:
            return None
        view = service.get(self.letter_id)
        if not self.dirty:
            self.load(view)
        else:
            self.status, self.comments, self.accepted = view.status, list(view.comments), dict(view.accepted)
        return view

    def _after_save(self, view: LetterView) -> None:
        self.letter_id, self.version = view.id, view.version
        self.saved_body = view.body
        self.status, self.approval_valid = view.status, view.approval_valid
        self.accepted, self.comments = dict(view.accepted), list(view.comments)


# ---- crash recovery: one slot per window ------------------------------------------------------
def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError):
        return False
    return True


class RecoveryStore:
    """Each window writes its unsaved work to its own slot every few seconds; closing it clears only that
    slot. At start, slots left by windows that no longer run are offered for restoring."""

    def __init__(self, db: Database, user_id: int | None = None):
        self.db = db
        self.user_id = user_id
        self.slot = uuid.uuid4().hex

    def save(self, session: DraftSession) -> None:
        with self.db.session() as s:
            row = s.get(RecoverySlot, self.slot)
            if row is None:
                row = RecoverySlot(slot=self.slot, owner=_owner())
                s.add(row)
            row.user_id, row.letter_id, row.template_id = self.user_id, session.letter_id, session.template_id
            row.fields, row.body, row.marks = dict(session.fields), session.body, dict(session.proposals)
            row.saved_at = utcnow()

    def clear(self) -> None:
        with self.db.session() as s:
            s.execute(delete(RecoverySlot).where(RecoverySlot.slot == self.slot))

    def orphaned(self) -> list[RecoverySlot]:
        """Slots of windows that crashed (or of the old single-slot version), newest first."""
        with self.db.session() as s:
            rows = s.execute(select(RecoverySlot).order_by(RecoverySlot.saved_at.desc())).scalars().all()
        return [r for r in rows if r.slot != self.slot and not _alive(r.owner or "")
                and (self.user_id is None or r.user_id in (None, self.user_id)) and r.body.strip()]

    def restore(self, row: RecoverySlot) -> DraftSession:
        session = DraftSession(template_id=row.template_id, fields=dict(row.fields or {}), body=row.body,
                               letter_id=row.letter_id, proposals=dict(row.marks or {}))
        self.discard(row)
        return session

    def discard(self, row: RecoverySlot) -> None:
        with self.db.session() as s:
            s.execute(delete(RecoverySlot).where(RecoverySlot.slot == row.slot))
