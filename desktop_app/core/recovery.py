"""Crash recovery: each window writes its unsaved work to its own slot every few seconds; what windows that
ended without closing left behind is offered at the next start."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field

from sqlalchemy import delete, select

from desktop_app.core.db import Database
from desktop_app.core.db.models import RecoverySlot, utcnow


@dataclass
class Recovered:
    """The unsaved work of a window that ended without closing."""

    template_id: str = ""
    fields: dict = field(default_factory=dict)
    body: str = ""
    letter_id: int | None = None
    proposals: dict[str, str] = field(default_factory=dict)


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

    def save(self, session) -> None:
        """Keep `session`'s unsaved work (a LetterSession: its letter, template, form, text and proposals)."""
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

    def restore(self, row: RecoverySlot) -> Recovered:
        recovered = Recovered(template_id=row.template_id, fields=dict(row.fields or {}), body=row.body,
                              letter_id=row.letter_id, proposals=dict(row.marks or {}))
        self.discard(row)
        return recovered

    def discard(self, row: RecoverySlot) -> None:
        with self.db.session() as s:
            s.execute(delete(RecoverySlot).where(RecoverySlot.slot == row.slot))
