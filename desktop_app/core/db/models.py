"""Tables of the review workflow: users, letters and their versions, marks, comments, approvals,
exports, the audit log, per-window recovery slots and facility-wide settings (SQLAlchemy 2)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict: JSON, list: JSON}


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[str] = mapped_column(String(100))  # space-separated: writer reviewer admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # a first password or a reset one: the person sets their own at the next login
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # returned and approved letters after this moment are the person's new notices
    notices_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # the current signing key (user_keys.id) and its private half sealed under the password (core/signing.py)
    key_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sealed_key: Mapped[str | None] = mapped_column(Text, nullable=True)

    @property
    def role_set(self) -> set[str]:
        return set(self.roles.split())


class Letter(Base):
    __tablename__ = "letters"
    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[str] = mapped_column(String(100))
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    context: Mapped[dict] = mapped_column(JSON, default=dict)  # the check context, canonical form
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    writer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    last_editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # counts from the check at the last submit (for the reviewer's queue without re-checking 10,000 letters)
    high_count: Mapped[int] = mapped_column(Integer, default=0)
    medium_count: Mapped[int] = mapped_column(Integer, default=0)
    # optimistic concurrency: every write bumps it; a write carrying an older number is refused
    version: Mapped[int] = mapped_column(Integer, default=1)
    # 「この手紙をもとに新しく作成」: the sent letter this one was made from
    derived_from_id: Mapped[int | None] = mapped_column(ForeignKey("letters.id", ondelete="SET NULL"), nullable=True)
    # a Word letter's stored original (letter_sources.sha256), bound into the approval's context hash
    # (migration 0008); NULL for text letters and Word letters from before it (those keep only a path)
    source_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)

    writer: Mapped[User | None] = relationship(foreign_keys=[writer_id])
    last_editor: Mapped[User | None] = relationship(foreign_keys=[last_editor_id])

    __mapper_args__ = {"version_id_col": version}


class LetterSource(Base):
    """The original .docx of a Word letter, so that every PC can review, locate and export it (migration
    0008). A table of its own: listing or opening letters never loads the file."""

    __tablename__ = "letter_sources"
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LetterVersion(Base):
    """Every saved body, so the reviewer can see what changed since the last submission."""

    __tablename__ = "letter_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    body_sha: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    submitted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("letter_id", "number"),)


class Mark(Base):
    """A 確認済み mark on a finding: the writer's proposal, or the reviewer's acceptance."""

    __tablename__ = "marks"
    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    finding_key: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))  # proposal | accepted
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("letter_id", "finding_key", "kind"),)


class Comment(Base):
    """A reviewer's comment on a range of the text; `quote` re-anchors it after edits."""

    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    quote: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Approval(Base):
    __tablename__ = "approvals"
    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    body_sha: Mapped[str] = mapped_column(String(64))
    template_id: Mapped[str] = mapped_column(String(100))
    context_sha: Mapped[str] = mapped_column(String(64))
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    voided_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # the approver's signature over signing.approval_bytes(...) with the key user_keys.id == key_id
    key_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    signature: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # the text version (letter_versions.number) approved: signed, and unique with letter_id (migration 0007)
    version_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    signed_at: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # migration 0007: one approval per letter version (older rows keep NULL, which both engines let repeat)
    __table_args__ = (Index("uq_approvals_letter_version", "letter_id", "version_number", unique=True,
                            sqlite_where=text("voided_at IS NULL"), postgresql_where=text("voided_at IS NULL")),)


class Export(Base):
    __tablename__ = "exports"
    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letters.id", ondelete="CASCADE"), index=True)
    file_sha: Mapped[str] = mapped_column(String(64))
    body_sha: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(500))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # pending (recorded, file not yet renamed into place) | written | failed; no file without its record
    status: Mapped[str] = mapped_column(String(10), default="written", server_default="written")
    path: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    owner: Mapped[str] = mapped_column(String(200), default="", server_default="")  # host:pid writing it
    # the audit chain's head stamped into the file (count of entries and the newest entry's hash)
    audit_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    audit_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    __table_args__ = (Index("ix_exports_status", "status"),)  # migration 0007: pending exports found at start


class AuditEntry(Base):
    """Append-only, hash-chained. Holds hashes and ids, never letter text."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    # ISO 8601 UTC text, hashed exactly as stored (no time-zone or precision conversion by a driver)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    letter_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    text_hash: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(String(500), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # the actor's signature over signing.entry_bytes(hash); empty for failed logins and older entries
    key_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    signature: Mapped[str | None] = mapped_column(String(128), nullable=True)
    __table_args__ = (Index("ix_audit_letter", "letter_id"),)


class UserKey(Base):
    """A person's public signing key. Never deleted: a password reset gives a new key and marks this one
    replaced, and signatures made before stay verifiable."""

    __tablename__ = "user_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    public_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    registered_entry_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    replaced_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    replaced_entry_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class AuditHead(Base):
    """One row: the newest entry's hash. Locked while appending, so two PCs never fork the chain."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class RecoverySlot(Base):
    """Crash copy of one window's unsaved work (each window has its own slot)."""

    __tablename__ = "recovery_slots"
    slot: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), default="")  # host:pid of the window that writes it
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    letter_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    template_id: Mapped[str] = mapped_column(String(100))
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    body: Mapped[str] = mapped_column(Text)
    marks: Mapped[dict] = mapped_column(JSON, default=dict)
    saved_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class FacilitySetting(Base):
    """Facility-wide settings shared by every PC: the profile, the approval policy, retention."""

    __tablename__ = "facility_settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[dict] = mapped_column(JSON)
