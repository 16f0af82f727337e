"""A facility's day in the app: staff who must change a first password, when each person last logged in
and last read their notices, and a letter made from a sent one (「この手紙をもとに新しく作成」).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, never batch mode: batch mode rebuilds the table, and on SQLite rebuilding `users`
    # (which letters refer to) fails with foreign keys on. SQLite keeps derived_from_id a plain number (it
    # cannot add a foreign key to a table in place); PostgreSQL gets the constraint.
    op.add_column("users", sa.Column("must_change_password", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("users", sa.Column("last_login_at", sa.DateTime, nullable=True))
    op.add_column("users", sa.Column("notices_seen_at", sa.DateTime, nullable=True))
    op.add_column("letters", sa.Column("derived_from_id", sa.Integer, nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key("fk_letters_derived_from", "letters", "letters", ["derived_from_id"], ["id"],
                              ondelete="SET NULL")


def downgrade() -> None:
    # SQLite 3.35 and later drop a column in place
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("fk_letters_derived_from", "letters", type_="foreignkey")
    op.drop_column("letters", "derived_from_id")
    for column in ("notices_seen_at", "last_login_at", "must_change_password"):
        op.drop_column("users", column)
