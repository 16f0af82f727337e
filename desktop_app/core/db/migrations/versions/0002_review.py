"""Review workflow: users, letters with versions, marks, comments, approvals, exports, audit log,
per-window recovery slots, facility settings. Drafts of the old schema become letters (下書き).

Revision ID: 0002
Revises: 0001
"""

import datetime as dt
import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("roles", sa.String(100), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        sa.Column("last_failed_at", sa.DateTime, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "letters",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("template_id", sa.String(100), nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("context", sa.JSON, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("writer_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("last_editor_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("submitted_at", sa.DateTime, nullable=True),
        sa.Column("high_count", sa.Integer, nullable=False),
        sa.Column("medium_count", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_letters_status", "letters", ["status"])
    op.create_index("ix_letters_updated_at", "letters", ["updated_at"])
    op.create_table(
        "letter_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("letter_id", sa.Integer, sa.ForeignKey("letters.id", ondelete="CASCADE"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("body_sha", sa.String(64), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("submitted", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("letter_id", "number"),
    )
    op.create_index("ix_letter_versions_letter_id", "letter_versions", ["letter_id"])
    op.create_table(
        "marks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("letter_id", sa.Integer, sa.ForeignKey("letters.id", ondelete="CASCADE"), nullable=False),
        sa.Column("finding_key", sa.String(500), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("letter_id", "finding_key", "kind"),
    )
    op.create_index("ix_marks_letter_id", "marks", ["letter_id"])
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("letter_id", sa.Integer, sa.ForeignKey("letters.id", ondelete="CASCADE"), nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("quote", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_comments_letter_id", "comments", ["letter_id"])
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("letter_id", sa.Integer, sa.ForeignKey("letters.id", ondelete="CASCADE"), nullable=False),
        sa.Column("body_sha", sa.String(64), nullable=False),
        sa.Column("template_id", sa.String(100), nullable=False),
        sa.Column("context_sha", sa.String(64), nullable=False),
        sa.Column("approver_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("voided_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_approvals_letter_id", "approvals", ["letter_id"])
    op.create_table(
        "exports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("letter_id", sa.Integer, sa.ForeignKey("letters.id", ondelete="CASCADE"), nullable=False),
        sa.Column("file_sha", sa.String(64), nullable=False),
        sa.Column("body_sha", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_exports_letter_id", "exports", ["letter_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("letter_id", sa.Integer, nullable=True),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_letter", "audit_log", ["letter_id"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("last_id", sa.Integer, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "recovery_slots",
        sa.Column("slot", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(200), nullable=False, server_default=""),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("letter_id", sa.Integer, nullable=True),
        sa.Column("template_id", sa.String(100), nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("marks", sa.JSON, nullable=False),
        sa.Column("saved_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "facility_settings",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.JSON, nullable=False),
    )
    _move_old_drafts()
    op.drop_table("autosave")
    op.drop_table("drafts")


def _loads(raw, default):
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return default
    return value if isinstance(value, type(default)) else default


def _move_old_drafts() -> None:
    """Each old draft becomes a letter in 下書き with its body as version 1; its 確認済み marks become
    the writer's proposals; the old crash copy becomes a recovery slot."""
    conn = op.get_bind()
    now = _now()
    letters = sa.table("letters", *(sa.column(c) for c in (
        "id", "template_id", "body", "status", "created_at", "updated_at", "high_count",
        "medium_count", "version")), sa.column("fields", sa.JSON), sa.column("context", sa.JSON))
    versions = sa.table("letter_versions", *(sa.column(c) for c in (
        "letter_id", "number", "body", "body_sha", "submitted", "created_at")))
    marks = sa.table("marks", *(sa.column(c) for c in ("letter_id", "finding_key", "kind", "reason", "created_at")))
    slots = sa.table("recovery_slots", sa.column("slot"), sa.column("letter_id"), sa.column("template_id"),
                     sa.column("fields", sa.JSON), sa.column("body"), sa.column("marks", sa.JSON), sa.column("saved_at"))
    for row in conn.execute(sa.text("SELECT id, template_id, fields, body, reviewed, updated_at FROM drafts")):
        try:
            updated = dt.datetime.fromisoformat(row.updated_at)
        except (TypeError, ValueError):
            updated = now
        conn.execute(letters.insert().values(
            id=row.id, template_id=row.template_id, fields=_loads(row.fields, {}), context={}, body=row.body,
            status="draft", created_at=updated, updated_at=updated, high_count=0, medium_count=0, version=1))
        conn.execute(versions.insert().values(
            letter_id=row.id, number=1, body=row.body, body_sha=hashlib.sha256(row.body.encode("utf-8")).hexdigest(),
            submitted=False, created_at=updated))
        for key, reason in _loads(row.reviewed, {}).items():
            conn.execute(marks.insert().values(letter_id=row.id, finding_key=str(key)[:500], kind="proposal",
                                               reason=str(reason), created_at=updated))
    for row in conn.execute(sa.text("SELECT draft_id, template_id, fields, body, reviewed FROM autosave")):
        conn.execute(slots.insert().values(slot="legacy", letter_id=row.draft_id, template_id=row.template_id,
                                           fields=_loads(row.fields, {}), body=row.body,
                                           marks=_loads(row.reviewed, {}), saved_at=now))


def downgrade() -> None:
    raise NotImplementedError("the review schema cannot be downgraded; restore a backup instead")
