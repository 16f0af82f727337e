"""Word letters on any PC: the original .docx is stored with the letter, so review, places and export work
from every PC, not only the one where the file lies.

- letter_sources (one row per Word letter made since this revision; a separate table so that ordinary
  queries of letters never load the file):
  - letter_id: the letter (primary key; deleted with it)
  - name: the original's file name (for messages and the export's suggested name)
  - size: its size in bytes (at most core/word/letter.py MAX_SOURCE_BYTES, 20 MB)
  - sha256: the SHA-256 of `content`
  - content: the original's bytes
  - created_at
- letters.source_sha256: the SHA-256 of the stored original (NULL: a text letter, or a Word letter from
  before this revision, which keeps using the path in its fields). It is bound into the context hash that
  an approval signs and the export gate compares (workflow/state.py context_sha), so an approval of the
  text over one original does not hold for another original.

Plain CREATE TABLE and ADD COLUMN (no batch mode: rebuilding a table fails on SQLite with foreign keys on).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "letter_sources",
        sa.Column("letter_id", sa.Integer, sa.ForeignKey("letters.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.add_column("letters", sa.Column("source_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    # the Word letters made since 0008 keep their text and their path; their stored originals go
    op.drop_column("letters", "source_sha256")
    op.drop_table("letter_sources")
