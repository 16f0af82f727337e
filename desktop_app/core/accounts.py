"""Accounts: who may write, review and administer. Passwords are kept only as argon2id hashes; after
five failed logins the next try must wait 30 seconds, and every failure is in the audit log.

Staff are managed by administrators (add, roles, 利用停止, password reset); nobody is ever deleted, so letters
and the audit log keep naming who wrote them. A password an administrator gave must be changed by its owner
at the next login. The facility can never lose its last active administrator.

Every account has a personal signing key (core/signing.py, rules in core/signatures.py), its private half
sealed under the password; `authenticate` opens it, and the Actor signs that person's approvals and audit
entries with it. Keys:
- add_user makes the key, registered by the adding administrator's signed entry (the facility's first
  administrator registers their own);
- reset_password makes a NEW key sealed under the given password (the old public key stays registered, so
  old signatures still verify; it is marked replaced and signs nothing after the reset);
- change_password re-seals the same key under the new password, except when it replaces a password an
  administrator gave (first password or reset): the administrator knew that password and so could open
  that key, so a new key is made, registered by the person's own signed entry;
- an account from before signing keys existed gets its key at its next successful login, registered by its
  own signed 「署名の鍵の登録」 entry."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desktop_app.core import audit, signing
from desktop_app.core.account_rules import (
    ROLE_LABELS,
    ROLES,
    name_look,
    name_problem,
    normalize_name,
    password_problem,
)
from desktop_app.core.db import Database
from desktop_app.core.db.models import FacilitySetting, User, UserKey, utcnow
from desktop_app.core.errors import Refusal, WorkflowRefused
from desktop_app.core.races import refuse_races

STATE_LABELS = {True: "有効", False: "無効"}
MAX_FAILURES = 5
LOCK_SECONDS = 30
WRONG_LOGIN = "職員名またはパスワードが違います。"
UNKNOWN_NAME = "（不明な職員名）"  # what the log keeps for a failed login whose name is no account: it may be a password
LOOKS_TAKEN = "同じように見える名前の職員がすでにいます。区別できる名前にしてください。"

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


def roles_ja(roles) -> str:
    return "・".join(ROLE_LABELS[r] for r in ROLES if r in roles)


def _roles_text(roles) -> str:
    return " ".join(r for r in ROLES if r in roles)


@dataclass(frozen=True)
class Actor:
    """A logged-in person, as the workflow sees them. `must_change_password` is set by authenticate when the
    password was given by an administrator: the login is not finished until the person sets their own."""

    id: int
    name: str
    roles: frozenset[str]
    must_change_password: bool = field(default=False, compare=False)
    # the opened signing key (only from a login or from making the account); never shown or logged
    key_id: int | None = field(default=None, compare=False, repr=False)
    signing_key: signing.Ed25519PrivateKey | None = field(default=None, compare=False, repr=False)

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def roles_ja(self) -> str:
        return roles_ja(self.roles)


@dataclass(frozen=True)
class StaffMember:
    """One account as 職員の管理 lists it: active or not, with its last login (UTC, naive)."""

    id: int
    name: str
    roles: frozenset[str]
    active: bool
    last_login_at: dt.datetime | None
    must_change_password: bool

    @property
    def roles_ja(self) -> str:
        return roles_ja(self.roles)

    @property
    def state_ja(self) -> str:
        return STATE_LABELS[self.active]

    def last_login_local(self) -> dt.datetime | None:
        """The last login in this PC's time zone (stored as UTC)."""
        if self.last_login_at is None:
            return None
        return self.last_login_at.replace(tzinfo=dt.UTC).astimezone()


def _actor(u: User) -> Actor:
    return Actor(u.id, u.name, frozenset(u.role_set), bool(u.must_change_password))


def _signer(actor: Actor | None):
    """The audit signer for an actor holding an opened key (None for one without)."""
    if actor is None or actor.signing_key is None or actor.key_id is None:
        return None
    key, key_id = actor.signing_key, actor.key_id
    return lambda entry_hash: (key_id, signing.sign(key, signing.entry_bytes(entry_hash)))


def _new_key(s: Session, user: User, password: str):
    """A new key pair for `user`, sealed under `password` and made current. Returns (private key, key row,
    fingerprint); the caller appends the entry that registers it (its text hash is the fingerprint) and
    passes it to _registered."""
    private, public, sealed = signing.new_sealed_key(password)
    row = UserKey(user_id=user.id, public_key=public, created_at=utcnow())
    s.add(row)
    s.flush()
    user.key_id, user.sealed_key = row.id, sealed
    return private, row, signing.fingerprint(public)


def _registered(row: UserKey, entry) -> None:
    row.registered_entry_id = entry.id


def _self_signer(private, row: UserKey):
    return lambda entry_hash: (row.id, signing.sign(private, signing.entry_bytes(entry_hash)))


def _with_key(actor: Actor, key_id: int, private) -> Actor:
    return replace(actor, key_id=key_id, signing_key=private)


def _member(u: User) -> StaffMember:
    return StaffMember(u.id, u.name, frozenset(u.role_set), bool(u.active), u.last_login_at,
                       bool(u.must_change_password))


def user_count(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(User).where(User.active.is_(True))) or 0


def list_users(db: Database) -> list[Actor]:
    """Active accounts only: the names the login offers."""
    with db.session() as s:
        return [_actor(u) for u in s.execute(select(User).where(User.active.is_(True)).order_by(User.name)).scalars()]


def list_staff(db: Database) -> list[StaffMember]:
    """Every account, active ones first, for 職員の管理 and `users list`."""
    with db.session() as s:
        rows = s.execute(select(User).order_by(User.active.desc(), User.name)).scalars()
        return [_member(u) for u in rows]


def _check_name(name: str) -> None:
    """`name` already normalised (normalize_name): no controls, no invisible or direction-changing characters."""
    problem = name_problem(name)
    if problem:
        raise WorkflowRefused(Refusal.BAD_INPUT, problem)


def _check_lookalike(s: Session, name: str) -> None:
    """A second 「施設長」 that differs only by a zero-width space or spacing would pass for the first on
    every screen and in the audit log."""
    look = name_look(name)
    for other in s.execute(select(User.name)).scalars():
        if other != name and name_look(other) == look:
            raise WorkflowRefused(Refusal.BAD_INPUT, f"{LOOKS_TAKEN}（「{other}」）")


def _check_roles(roles: set[str]) -> None:
    bad = roles - set(ROLES)
    if not roles or bad:
        raise WorkflowRefused(Refusal.BAD_INPUT, "役割は writer（作成者）・reviewer（確認者）・admin（管理者）から選んでください。")


def _facility_name(db: Database) -> str:
    with db.session() as s:
        row = s.get(FacilitySetting, "facility")
    value = row.value.get("v") if row is not None and isinstance(row.value, dict) else None
    return str(value.get("name") or "") if isinstance(value, dict) else ""


def _check_password(password: str, db: Database, name: str) -> None:
    """At least MIN_PASSWORD characters and hard to guess (account_rules.password_problem: zxcvbn, with the
    facility's and the person's names as the words an attacker tries first)."""
    problem = password_problem(password, (_facility_name(db), name))
    if problem:
        raise WorkflowRefused(Refusal.BAD_INPUT, problem)


def _require_admin(s: Session, by: Actor | None, what: str) -> User:
    """The acting administrator as stored now: roles or 利用停止 changed on another PC count, not the
    roles remembered at login."""
    row = s.get(User, by.id) if by is not None else None
    if row is None or not row.active or "admin" not in row.role_set:
        raise WorkflowRefused(Refusal.MISSING_ROLE, f"{what}のは管理者だけです。")
    return row


def _lock_admins(s: Session) -> list[User]:
    """The active administrators, locked until the transaction ends, so that two PCs cannot each take away
    one of the last two. PostgreSQL locks the rows (FOR UPDATE; a waiting transaction re-reads them after
    the other commits). SQLite has one writer at a time: a write that changes nothing takes its write lock
    before the count is read."""
    if s.get_bind().dialect.name == "sqlite":
        s.execute(update(User).where(User.id.is_(None)).values(failed_logins=User.failed_logins))
    q = (select(User).where(User.active.is_(True), User.roles.contains("admin")).order_by(User.id)
         .with_for_update())
    return [u for u in s.execute(q).scalars() if "admin" in u.role_set]


def _staff(s: Session, name: str, lock: bool = True) -> User:
    q = select(User).where(User.name == normalize_name(name))
    if lock:
        q = q.with_for_update()
    user = s.execute(q).scalar_one_or_none()
    if user is None:
        raise WorkflowRefused(Refusal.UNKNOWN_USER, f"職員「{name.strip()}」は登録されていません。")
    return user


@contextlib.contextmanager
def _account_act(db: Database) -> Iterator[Session]:
    """The transaction of one account act (add, roles, 利用停止/再開, password reset or change): a race lost
    to another administrator (the row changed first, the same name stored first, the database busy) is
    refused with CONFLICT, the way every workflow act is (core/races.py), never an internal error."""
    with refuse_races(), db.session() as s:
        yield s


LAST_ADMIN = "管理者がいなくなるため、この変更はできません。先に別の職員を管理者にしてください。"


def add_user(db: Database, name: str, roles: set[str] | list[str], password: str, by: Actor | None,
             must_change: bool | None = None) -> Actor:
    """The first account needs no login and must include 管理者; later ones are added by an administrator,
    and by default must change the password the administrator gave them at their first login."""
    roles = set(roles)
    name = normalize_name(name)
    _check_name(name)
    _check_roles(roles)
    _check_password(password, db, name)
    with _account_act(db) as s:
        count = s.scalar(select(func.count()).select_from(User)) or 0
        if count == 0:
            if "admin" not in roles:
                raise WorkflowRefused(Refusal.SETUP_REQUIRED, "最初の職員は管理者（admin）にしてください。")
        else:
            _require_admin(s, by, "職員を追加できる")
        existing = s.execute(select(User).where(User.name == name)).scalar_one_or_none()
        if existing is not None:
            hint = "（利用停止中です。利用を再開できます）" if not existing.active else ""
            raise WorkflowRefused(Refusal.BAD_INPUT, f"職員「{name}」はすでに登録されています。{hint}")
        _check_lookalike(s, name)
        if must_change is None:
            must_change = count > 0
        user = User(name=name, password_hash=_hasher.hash(password), roles=_roles_text(roles),
                    active=True, failed_logins=0, must_change_password=must_change)
        s.add(user)
        try:
            s.flush()
        except IntegrityError:
            raise WorkflowRefused(Refusal.BAD_INPUT, f"職員「{name}」はすでに登録されています。") from None
        private, key, fp = _new_key(s, user, password)
        signer = _signer(by) if by is not None else _self_signer(private, key)
        _registered(key, audit.append(s, by.name if by else name, "user_added", text_sha=fp,
                                      detail=f"{name} ({user.roles})", signer=signer))
        return _with_key(_actor(user), key.id, private)


def set_roles(db: Database, name: str, roles: set[str] | list[str], by: Actor) -> StaffMember:
    """Change what a person may do. Taking 管理者 from the last active administrator is refused."""
    roles = set(roles)
    _check_roles(roles)
    with _account_act(db) as s:
        admins = _lock_admins(s)  # first: on SQLite nothing may be read before the write lock
        _require_admin(s, by, "役割を変更できる")
        user = _staff(s, name)
        old = user.role_set
        if old == roles:
            return _member(user)
        if user.active and "admin" in old and "admin" not in roles and len(admins) <= 1:
            raise WorkflowRefused(Refusal.LAST_ADMIN, LAST_ADMIN)
        user.roles = _roles_text(roles)
        audit.append(s, by.name, "user_roles_changed", detail=f"{user.name}: {_roles_text(old)} -> {user.roles}",
                     signer=_signer(by))
        return _member(user)


def deactivate(db: Database, name: str, by: Actor) -> StaffMember:
    """利用停止: the person can no longer log in; their letters and the audit log keep their name."""
    with _account_act(db) as s:
        admins = _lock_admins(s)  # first: on SQLite nothing may be read before the write lock
        _require_admin(s, by, "職員を利用停止にできる")
        user = _staff(s, name)
        if not user.active:
            raise WorkflowRefused(Refusal.WRONG_STATE, f"職員「{user.name}」はすでに利用停止になっています。")
        if user.id == by.id:
            raise WorkflowRefused(Refusal.WRONG_STATE, "自分自身を利用停止にすることはできません。")
        if "admin" in user.role_set and len(admins) <= 1:
            raise WorkflowRefused(Refusal.LAST_ADMIN, LAST_ADMIN)
        user.active = False
        audit.append(s, by.name, "user_deactivated", detail=user.name, signer=_signer(by))
        return _member(user)


remove_user = deactivate  # the earlier name (`users remove`)


def reactivate(db: Database, name: str, by: Actor) -> StaffMember:
    """利用再開: the person logs in again with the password they had (failed logins forgotten)."""
    with _account_act(db) as s:
        _require_admin(s, by, "職員の利用を再開できる")
        user = _staff(s, name)
        if user.active:
            raise WorkflowRefused(Refusal.WRONG_STATE, f"職員「{user.name}」は利用停止になっていません。")
        user.active = True
        user.failed_logins = 0
        user.last_failed_at = None
        audit.append(s, by.name, "user_reactivated", detail=user.name, signer=_signer(by))
        return _member(user)


def reset_password(db: Database, name: str, new_password: str, by: Actor) -> StaffMember:
    """For a forgotten password: the administrator gives a new one, which its owner must change at the next
    login. A login locked by failures is unlocked."""
    _check_password(new_password, db, normalize_name(name))
    with _account_act(db) as s:
        _require_admin(s, by, "パスワードを再設定できる")
        user = _staff(s, name)
        user.password_hash = _hasher.hash(new_password)
        user.must_change_password = True
        user.failed_logins = 0
        user.last_failed_at = None
        old_key = s.get(UserKey, user.key_id) if user.key_id is not None else None
        _private, key, fp = _new_key(s, user, new_password)
        entry = audit.append(s, by.name, "password_reset", text_sha=fp, detail=user.name, signer=_signer(by))
        _registered(key, entry)
        if old_key is not None:  # stays registered for the signatures made with it, signs nothing more
            old_key.replaced_at, old_key.replaced_entry_id = utcnow(), entry.id
        return _member(user)


def change_password(db: Database, actor: Actor, old: str, new: str) -> Actor:
    """Everyone changes their own password: the current one, then a new one of at least MIN_PASSWORD
    characters that differs from it. Clears must_change_password."""
    # before the transaction: it reads the facility's name in a session of its own (on SQLite a second
    # write transaction inside this one would wait for itself)
    _check_password(new, db, actor.name)
    with _account_act(db) as s:
        user = s.get(User, actor.id, with_for_update=True)
        if user is None or not user.active:
            raise WorkflowRefused(Refusal.UNKNOWN_USER, "この職員は利用停止になっています。")
        try:
            _hasher.verify(user.password_hash, old)
        except (VerificationError, InvalidHashError):
            raise WorkflowRefused(Refusal.WRONG_PASSWORD, "今のパスワードが違います。") from None
        if new == old:
            raise WorkflowRefused(Refusal.BAD_INPUT, "新しいパスワードは今のパスワードと違うものにしてください。")
        given = user.must_change_password  # the old password came from an administrator
        private = _open_key(user, old)
        user.password_hash = _hasher.hash(new)
        user.must_change_password = False
        if private is not None and not given:
            user.sealed_key = signing.seal(private, new)
            entry_key, fp, signer = user.key_id, "", _self_signer(private, s.get(UserKey, user.key_id))
            audit.append(s, user.name, "password_changed", text_sha=fp, signer=signer)
            return _with_key(replace(_actor(user), must_change_password=False), entry_key, private)
        # a new key: the administrator who gave the old password could open the old one (and an account
        # from before signing keys gets its first one here)
        old_row = s.get(UserKey, user.key_id) if private is not None else None
        new_private, key, fp = _new_key(s, user, new)
        signer = _self_signer(private, old_row) if old_row is not None else _self_signer(new_private, key)
        entry = audit.append(s, user.name, "password_changed", text_sha=fp, signer=signer)
        _registered(key, entry)
        if old_row is not None:
            old_row.replaced_at, old_row.replaced_entry_id = utcnow(), entry.id
        return _with_key(replace(_actor(user), must_change_password=False), key.id, new_private)


KEY_BROKEN = "署名の鍵を開けませんでした。管理者にパスワードの再設定を依頼してください。"


def _open_key(user: User, password: str):
    """The person's private key, opened with the password that was just verified (None for an account
    from before signing keys). A sealed key that does not open under the right password was changed."""
    if not user.sealed_key:
        return None
    try:
        return signing.unseal(user.sealed_key, password)
    except signing.WrongPassword:
        raise WorkflowRefused(Refusal.WRONG_PASSWORD, KEY_BROKEN) from None


_dummy: tuple[PasswordHasher, str] | None = None


def _dummy_hash() -> str:
    """A hash of nothing anyone knows, made with the hasher in use (so the same cost as a real account's)."""
    global _dummy
    if _dummy is None or _dummy[0] is not _hasher:
        _dummy = (_hasher, _hasher.hash("no account has this password: " + str(id(_hasher))))
    return _dummy[1]


def _password_matches(stored_hash: str | None, password: str) -> bool:
    """argon2id verify; an unknown or deactivated person is verified against the dummy hash, so that both
    take the same time and a wrong password does not tell whether the name is a real account."""
    try:
        return _hasher.verify(stored_hash if stored_hash is not None else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False


def _lock_cutoff(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=LOCK_SECONDS)


def _refuse_if_locked(failed: int, last_failed_at: dt.datetime | None, now: dt.datetime) -> None:
    if failed >= MAX_FAILURES and last_failed_at is not None:
        wait = LOCK_SECONDS - (now - last_failed_at).total_seconds()
        if wait > 0:
            raise WorkflowRefused(Refusal.LOCKED, f"ログインの失敗が続いたため、あと{int(wait) + 1}秒待ってからお試しください。",
                                  wait_seconds=wait)


def _count_failure(db: Database, user_id: int, name: str, now: dt.datetime) -> int:
    """One failed login, counted by the database in its own transaction (failed_logins + 1, never a value
    read earlier): 20 guesses at once count as 20. The UPDATE comes first, so on SQLite the write lock is
    taken before anything is read, and on PostgreSQL the row lock orders the guesses."""
    with db.session() as s:
        s.execute(update(User).where(User.id == user_id)
                  .values(failed_logins=User.failed_logins + 1, last_failed_at=now))
        count = s.scalar(select(User.failed_logins).where(User.id == user_id)) or 0
        audit.append(s, name, "login_failed", detail=f"failure {count}")
        return count


def _record_unknown(db: Database, user: User | None) -> None:
    """A failed login for no active account. The typed name is not kept: it may be a password typed into
    the name field, or a name meant to forge a line in the log. A deactivated account keeps its real name."""
    with db.session() as s:
        if user is None:
            audit.append(s, UNKNOWN_NAME, "login_failed", detail="unknown user")
        else:
            audit.append(s, user.name, "login_failed", detail="deactivated user")


def authenticate(db: Database, name: str, password: str, now: dt.datetime | None = None) -> Actor:
    """Check a password. Refusals: UNKNOWN_USER / WRONG_PASSWORD (both recorded) and LOCKED. A deactivated
    person is refused like an unknown one, after the same work. The name is normalised as add_user stores
    it. The Actor says whether the password must be changed now."""
    now = now or utcnow()
    with db.session() as s:
        user = s.execute(select(User).where(User.name == normalize_name(name))).scalar_one_or_none()
        if user is not None:
            s.expunge(user)
    known = user is not None and user.active
    if known:
        _refuse_if_locked(user.failed_logins, user.last_failed_at, now)
    if not _password_matches(user.password_hash if known else None, password):
        if known:
            _count_failure(db, user.id, user.name, now)
        else:
            _record_unknown(db, user)
        raise WorkflowRefused(Refusal.WRONG_PASSWORD, WRONG_LOGIN)
    # the key is opened outside the transaction too (one more argon2 derivation): on SQLite a write
    # transaction holds the whole database
    private = _open_key(user, password)
    with db.session() as s:
        # the reset is conditional: guesses counted since the read above (on another PC, at the same
        # moment) lock this login too, and a deactivation in between refuses it
        done = s.execute(update(User).where(
            User.id == user.id, User.active.is_(True),
            (User.failed_logins < MAX_FAILURES) | User.last_failed_at.is_(None)
            | (User.last_failed_at <= _lock_cutoff(now)),
        ).values(failed_logins=0, last_failed_at=None, last_login_at=now)).rowcount
        row = s.get(User, user.id)
        if not done:
            if row is not None and row.active:
                _refuse_if_locked(row.failed_logins, row.last_failed_at, now)
            raise WorkflowRefused(Refusal.WRONG_PASSWORD, WRONG_LOGIN)
        if _hasher.check_needs_rehash(row.password_hash):
            row.password_hash = _hasher.hash(password)
        if row.sealed_key != user.sealed_key:  # a reset on another PC between the two reads
            raise WorkflowRefused(Refusal.WRONG_PASSWORD, WRONG_LOGIN)
        if private is None:  # an account from before signing keys: its first key, self-registered
            private, key, fp = _new_key(s, row, password)
            _registered(key, audit.append(s, row.name, "key_registered", text_sha=fp,
                                          signer=_self_signer(private, key)))
        actor = _with_key(_actor(row), row.key_id, private)
        audit.append(s, row.name, "login", signer=_signer(actor))
        return actor
