"""One unit of work for every workflow act: a transaction, the letter row (locked when it will change), the
rows an approval depends on, and one audit entry per act, written the same way whichever window or command
made it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop_app.core import audit, signing
from desktop_app.core.accounts import ROLE_LABELS, Actor
from desktop_app.core.db import Database
from desktop_app.core.db.models import (
    Approval,
    AuditEntry,
    FacilitySetting,
    Letter,
    LetterVersion,
    Mark,
    User,
)
from desktop_app.core.errors import Refusal, WorkflowRefused
from desktop_app.core.races import local_time, refuse_races
from desktop_app.core.workflow.state import context_sha, sha256


class UnitOfWork:
    """The open transaction of one act, with the row helpers that the transitions, queries and
    administration share."""

    def __init__(self, s: Session):
        self.s = s
        self.touched: list[int] = []  # letters this act read: whose last change a lost race names


    # ---- letters ---------------------------------------------------------------------
    def letter(self, letter_id: int, lock: bool = False) -> Letter:
        q = select(Letter).where(Letter.id == letter_id)
        if lock:
            q = q.with_for_update()
        letter = self.s.execute(q).scalar_one_or_none()
        if letter is None:
            raise WorkflowRefused(Refusal.NOT_FOUND, f"手紙 {letter_id} は見つかりません。")
        self.touched.append(letter_id)
        return letter

    def marks(self, letter_id: int, kind: str) -> dict[str, str]:
        rows = self.s.execute(select(Mark.finding_key, Mark.reason).where(Mark.letter_id == letter_id,
                                                                         Mark.kind == kind))
        return {k: r for k, r in rows}

    def upsert_mark(self, letter_id: int, key: str, kind: str, reason: str, actor: Actor) -> None:
        m = self.s.execute(select(Mark).where(Mark.letter_id == letter_id, Mark.finding_key == key,
                                              Mark.kind == kind)).scalar_one_or_none()
        if m is None:
            self.s.add(Mark(letter_id=letter_id, finding_key=key[:500], kind=kind, reason=reason, user_id=actor.id))
        else:
            m.reason, m.user_id = reason, actor.id

    def valid_approval(self, letter: Letter) -> Approval | None:
        """The approval that still holds: bound to this exact body, template and context."""
        ap = self.s.execute(select(Approval).where(Approval.letter_id == letter.id, Approval.voided_at.is_(None))
                            .order_by(Approval.id.desc()).limit(1)).scalar_one_or_none()
        if ap is None:
            return None
        if (ap.body_sha, ap.template_id, ap.context_sha) != (sha256(letter.body), letter.template_id,
                                                             context_sha(letter.context, letter.source_sha256)):
            return None
        return ap

    def text_version(self, letter_id: int) -> int:
        """The stored text's version number (第N版): the newest letter_versions.number."""
        return self.s.scalar(select(func.max(LetterVersion.number)).where(LetterVersion.letter_id == letter_id)) or 0

    def add_version(self, letter: Letter, actor: Actor, submitted: bool = False) -> None:
        number = (self.s.scalar(select(func.max(LetterVersion.number))
                                .where(LetterVersion.letter_id == letter.id)) or 0) + 1
        self.s.add(LetterVersion(letter_id=letter.id, number=number, body=letter.body, body_sha=sha256(letter.body),
                                 author_id=actor.id, submitted=submitted))

    # ---- the audit log -------------------------------------------------------------------
    def record(self, actor: Actor | str, action: str, letter: Letter | int | None = None, body: str | None = None,
               detail: str = "") -> None:
        """One audit entry for one act; the text is kept only as its hash. A person's act is refused (and the
        transaction rolled back) when their account was stopped, or a role they logged in with taken away,
        since the login: a window left open on another PC acts with the roles read at its login."""
        if isinstance(actor, Actor):
            self.still_allowed(actor)
        letter_id = letter.id if isinstance(letter, Letter) else letter
        name = actor.name if isinstance(actor, Actor) else actor
        signer = self._signer(actor) if isinstance(actor, Actor) else None
        audit.append(self.s, name, action, letter_id, sha256(body) if body is not None else "", detail=detail,
                     signer=signer)

    def _signer(self, actor: Actor):
        """Signs the entry with the actor's opened key, called under the audit head's lock. A key that is no
        longer the person's current one (a password reset since this login) or none at all is refused:
        every act of a person is signed with their current key."""
        def sign(entry_hash: str) -> tuple[int, str]:
            current = self.s.scalar(select(User.key_id).where(User.id == actor.id))
            if actor.signing_key is None or actor.key_id is None or current != actor.key_id:
                raise WorkflowRefused(Refusal.ACCOUNT_CHANGED,
                                      f"{actor.name}さんのパスワードが再設定されたか、署名の鍵が開かれていません。"
                                      "この操作は行われていません。ログアウトして、もう一度ログインしてください。")
            return actor.key_id, signing.sign(actor.signing_key, signing.entry_bytes(entry_hash))
        return sign

    def still_allowed(self, actor: Actor) -> None:
        user = self.s.get(User, actor.id)
        if user is None or not user.active:
            raise WorkflowRefused(Refusal.ACCOUNT_CHANGED,
                                  f"{actor.name}さんのアカウントは利用停止になっています。この操作は行われていません。"
                                  "画面の文面はそのまま残っています。管理者にご確認ください。")
        lost = actor.roles - user.role_set
        if lost:
            names = "・".join(ROLE_LABELS[r] for r in sorted(lost))
            raise WorkflowRefused(Refusal.ACCOUNT_CHANGED,
                                  f"{actor.name}さんの役割が変わりました（「{names}」がなくなりました）。この操作は行われていません。"
                                  "画面の文面はそのまま残っています。ログアウトして、もう一度ログインしてください。")

    # ---- facility-wide settings ----------------------------------------------------------
    def setting(self, key: str, default):
        row = self.s.get(FacilitySetting, key)
        return row.value.get("v", default) if row is not None and isinstance(row.value, dict) else default

    def set_setting(self, key: str, value) -> None:
        row = self.s.get(FacilitySetting, key)
        if row is None:
            self.s.add(FacilitySetting(key=key, value={"v": value}))
        else:
            row.value = {"v": value}


@contextlib.contextmanager
def unit_of_work(db: Database) -> Iterator[UnitOfWork]:
    """A transaction: committed when the block ends, rolled back on any error. A race lost to another PC or
    window (the row changed first, the same approval stored first, the database busy) is refused with
    CONFLICT naming who changed the letter last, never an internal error."""
    touched: list[int] = []
    with refuse_races(lambda: last_change(db, touched)), db.session() as s:
        u = UnitOfWork(s)
        u.touched = touched
        yield u


def last_change(db: Database, letter_ids: list[int]) -> str:
    """「佐藤さんが 14:05 に承認」: the newest audit entry of these letters, read after the lost race."""
    if not letter_ids:
        return ""
    with db.session() as s:
        e = s.execute(select(AuditEntry).where(AuditEntry.letter_id.in_(set(letter_ids)))
                      .order_by(AuditEntry.id.desc()).limit(1)).scalar_one_or_none()
        if e is None:
            return ""
        return f"{e.actor}さんが {local_time(e.at)} に「{audit.ACTIONS_JA.get(e.action, e.action)}」"


def require(actor: Actor, role: str, what: str) -> None:
    if not actor.has(role):
        raise WorkflowRefused(Refusal.MISSING_ROLE, f"{what}には「{ROLE_LABELS[role]}」の役割が必要です。")
