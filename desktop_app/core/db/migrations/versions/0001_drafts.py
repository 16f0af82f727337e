"""The drafts database as it was before the review workflow (drafts + one autosave slot).

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("template_id", sa.Text, nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("reviewed", sa.Text, nullable=False, server_default="{}"),
        sa.Column("updated_at", sa.Text, nullable=False),
    )
    op.create_table(
        "autosave",
        sa.Column("slot", sa.Integer, primary_key=True),
        sa.Column("draft_id", sa.Integer),
        sa.Column("template_id", sa.Text, nullable=False),
        sa.Column("fields", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("reviewed", sa.Text, nullable=False, server_default="{}"),
        sa.Column("saved_at", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("autosave")
    op.drop_table("drafts")
