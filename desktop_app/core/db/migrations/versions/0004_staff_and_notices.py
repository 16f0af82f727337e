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
    # batch mode: SQLite cannot add a foreign key to an existing table otherwise
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("last_login_at", sa.DateTime, nullable=True))
        batch.add_column(sa.Column("notices_seen_at", sa.DateTime, nullable=True))
    with op.batch_alter_table("letters") as batch:
        batch.add_column(sa.Column("derived_from_id", sa.Integer, nullable=True))
        batch.create_foreign_key("fk_letters_derived_from", "letters", ["derived_from_id"], ["id"],
                                 ondelete="SET NULL")


def downgrade() -> None:
    with op.batch_alter_table("letters") as batch:
        batch.drop_constraint("fk_letters_derived_from", type_="foreignkey")
        batch.drop_column("derived_from_id")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("notices_seen_at")
        batch.drop_column("last_login_at")
        batch.drop_column("must_change_password")
