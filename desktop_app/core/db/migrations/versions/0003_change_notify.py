"""PostgreSQL: every write to the workflow tables sends NOTIFY careletter_changes (core.db.changes listens).
Nothing on SQLite, whose watcher reads PRAGMA data_version instead.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

CHANNEL = "careletter_changes"  # the same name as core.db.changes.CHANNEL; a migration keeps its own copy
FUNCTION = "careletter_notify_change"
# what the reviewer's queue and the writer's open letter show (not users, audit log, recovery slots)
TABLES = ("letters", "letter_versions", "marks", "comments", "approvals", "exports")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # payload: the table's name. PostgreSQL folds equal notifications of one transaction into one, so a
    # transaction that writes a thousand rows of a table still sends one per table.
    op.execute(f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
            RETURN NULL;
        END
        $$""")
    for table in TABLES:
        # statement-level: one call per statement, not per row, so bulk writes cost nothing extra;
        # EXECUTE PROCEDURE (not FUNCTION) so that PostgreSQL 10 accepts it too
        op.execute(f"CREATE TRIGGER {table}_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   f"ON {table} FOR EACH STATEMENT EXECUTE PROCEDURE {FUNCTION}()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_notify_change ON {table}")
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
