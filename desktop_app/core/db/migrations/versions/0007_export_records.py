"""Races are refusals: an export is recorded as pending before its file exists, and one approval per letter
version is enforced by the database.

- exports.status: pending | written | failed (rows from before this migration were all written)
- exports.path: the final path the file is (or was to be) renamed to
- exports.owner: host:pid of the process writing it, so that a later start can tell a crashed export
  from one another process is still writing
- exports.audit_count, exports.audit_hash: the audit chain's head stamped into the file
- approvals.version_number (0005): the text version (letter_versions.number) the reviewer approved; a unique
  index (letter_id, version_number) over the approvals not voided makes a second approval of the same version fail in the database
  (older rows keep NULL, which both engines treat as distinct)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


SETTLED = "exports: a written or failed export cannot be changed / 書き出しの記録は変更できません"
SETTLE_COLUMNS = "file_sha, status, path, owner, audit_count, audit_hash"
SQLITE_SETTLE = (f"CREATE TRIGGER exports_settle_once BEFORE UPDATE OF {SETTLE_COLUMNS} ON exports "
                 f"WHEN OLD.status <> 'pending' BEGIN SELECT RAISE(ABORT, '{SETTLED}'); END")
POSTGRES_SETTLE = [
    f"""CREATE FUNCTION careletter_settle_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'pending' THEN
        RAISE EXCEPTION '{SETTLED}' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$""",
    f"CREATE TRIGGER exports_settle_once BEFORE UPDATE OF {SETTLE_COLUMNS} ON exports "
    "FOR EACH ROW EXECUTE FUNCTION careletter_settle_once()",
]


def upgrade() -> None:
    # plain ADD COLUMN (no batch mode: rebuilding a table fails on SQLite with foreign keys on)
    op.add_column("exports", sa.Column("status", sa.String(10), nullable=False, server_default="written"))
    op.add_column("exports", sa.Column("path", sa.String(1000), nullable=False, server_default=""))
    op.add_column("exports", sa.Column("owner", sa.String(200), nullable=False, server_default=""))
    op.add_column("exports", sa.Column("audit_count", sa.Integer, nullable=True))
    op.add_column("exports", sa.Column("audit_hash", sa.String(64), nullable=True))
    op.create_index("ix_exports_status", "exports", ["status"])
    # only live approvals: a voided one (a context change, an unsigned approval sent back to review) must not
    # keep the same version from being approved again
    live = sa.text("voided_at IS NULL")
    op.create_index("uq_approvals_letter_version", "approvals", ["letter_id", "version_number"], unique=True,
                    sqlite_where=live, postgresql_where=live)
    for statement in POSTGRES_SETTLE if op.get_bind().dialect.name == "postgresql" else [SQLITE_SETTLE]:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS exports_settle_once ON exports")
        op.execute("DROP FUNCTION IF EXISTS careletter_settle_once()")
    else:
        op.execute("DROP TRIGGER IF EXISTS exports_settle_once")
    op.drop_index("uq_approvals_letter_version", table_name="approvals")
    op.drop_index("ix_exports_status", table_name="exports")
    for column in ("audit_hash", "audit_count", "owner", "path", "status"):
        op.drop_column("exports", column)
