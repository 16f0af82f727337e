"""Accounts: who may write, review and administer. Passwords are kept only as argon2id hashes; after
five failed logins the next try must wait 30 seconds, and every failure is in the audit log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from desktop_app.core import audit
from desktop_app.core.db import Database
from desktop_app.core.db.models import User, utcnow
from desktop_app.core.errors import Refusal, WorkflowRefused

ROLES = ("writer", "reviewer", "admin")
ROLE_LABELS = {"writer": "作成者", "reviewer": "確認者", "admin": "管理者"}
MAX_FAILURES = 5
LOCK_SECONDS = 30
MIN_PASSWORD = 8

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@dataclass(frozen=True)
class Actor:
    """A logged-in person, as the workflow sees them."""

    id: int
    name: str
    roles: frozenset[str]

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def roles_ja(self) -> str:
        return "・".join(ROLE_LABELS[r] for r in ROLES if r in self.roles)


def _actor(u: User) -> Actor:
    return Actor(u.id, u.name, frozenset(u.role_set))


def user_count(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(User).where(User.active.is_(True))) or 0


def list_users(db: Database) -> list[Actor]:
    with db.session() as s:
        return [_actor(u) for u in s.execute(select(User).where(User.active.is_(True)).order_by(User.name)).scalars()]


def _validate(name: str, roles: set[str], password: str) -> None:
    if not name.strip() or len(name) > 100 or any(ord(c) < 32 for c in name):
        raise WorkflowRefused(Refusal.BAD_INPUT, "利用者名を正しく入力してください（100文字まで）。")
    bad = roles - set(ROLES)
    if not roles or bad:
        raise WorkflowRefused(Refusal.BAD_INPUT, "役割は writer（作成者）・reviewer（確認者）・admin（管理者）から選んでください。")
    if len(password) < MIN_PASSWORD:
        raise WorkflowRefused(Refusal.BAD_INPUT, f"パスワードは{MIN_PASSWORD}文字以上にしてください。")


def add_user(db: Database, name: str, roles: set[str] | list[str], password: str, by: Actor | None) -> Actor:
    """The first account needs no login and must include 管理者; later ones are added by an administrator."""
    roles = set(roles)
    name = name.strip()
    _validate(name, roles, password)
    with db.session() as s:
        count = s.scalar(select(func.count()).select_from(User)) or 0
        if count == 0:
            if "admin" not in roles:
                raise WorkflowRefused(Refusal.SETUP_REQUIRED, "最初の利用者は管理者（admin）にしてください。")
        elif by is None or not by.has("admin"):
            raise WorkflowRefused(Refusal.MISSING_ROLE, "利用者を追加できるのは管理者だけです。")
        user = User(name=name, password_hash=_hasher.hash(password), roles=" ".join(r for r in ROLES if r in roles),
                    active=True, failed_logins=0)
        s.add(user)
        try:
            s.flush()
        except IntegrityError:
            raise WorkflowRefused(Refusal.BAD_INPUT, f"利用者「{name}」はすでに登録されています。") from None
        audit.append(s, by.name if by else name, "user_added", detail=f"{name} ({user.roles})")
        return _actor(user)


def remove_user(db: Database, name: str, by: Actor) -> None:
    if not by.has("admin"):
        raise WorkflowRefused(Refusal.MISSING_ROLE, "利用者を削除できるのは管理者だけです。")
    with db.session() as s:
        user = s.execute(select(User).where(User.name == name, User.active.is_(True))).scalar_one_or_none()
        if user is None:
            raise WorkflowRefused(Refusal.UNKNOWN_USER, f"利用者「{name}」は登録されていません。")
        admins = s.scalar(select(func.count()).select_from(User).where(
            User.active.is_(True), User.roles.contains("admin"))) or 0
        if "admin" in user.role_set and admins <= 1:
            raise WorkflowRefused(Refusal.BAD_INPUT, "最後の管理者は削除できません。")
        user.active = False  # kept, so letters and the audit log still name who wrote them
        audit.append(s, by.name, "user_removed", detail=name)


def authenticate(db: Database, name: str, password: str, now: dt.datetime | None = None) -> Actor:
    """Check a password. Refusals: UNKNOWN_USER / WRONG_PASSWORD (both recorded) and LOCKED."""
    now = now or utcnow()
    with db.session() as s:
        user = s.execute(select(User).where(User.name == name.strip(), User.active.is_(True))).scalar_one_or_none()
        if user is None:
            audit.append(s, name.strip()[:100] or "?", "login_failed", detail="unknown user")
            refusal = WorkflowRefused(Refusal.WRONG_PASSWORD, "利用者名またはパスワードが違います。")
        else:
            if user.failed_logins >= MAX_FAILURES and user.last_failed_at is not None:
                wait = LOCK_SECONDS - (now - user.last_failed_at).total_seconds()
                if wait > 0:
                    raise WorkflowRefused(Refusal.LOCKED, f"ログインの失敗が続いたため、あと{int(wait) + 1}秒待ってからお試しください。",
                                          wait_seconds=wait)
            try:
                _hasher.verify(user.password_hash, password)
            except (VerificationError, InvalidHashError):
                user.failed_logins += 1
                user.last_failed_at = now
                audit.append(s, user.name, "login_failed", detail=f"failure {user.failed_logins}")
                refusal = WorkflowRefused(Refusal.WRONG_PASSWORD, "利用者名またはパスワードが違います。")
            else:
                if _hasher.check_needs_rehash(user.password_hash):
                    user.password_hash = _hasher.hash(password)
                user.failed_logins = 0
                user.last_failed_at = None
                audit.append(s, user.name, "login")
                return _actor(user)
    raise refusal  # after the session committed the failure to the log
