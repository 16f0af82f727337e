"""Personal signing keys: every account gets an Ed25519 key pair (the private key sealed under the password),
public keys stay registered after a reset so that old signatures still verify, approvals carry the
approver's signature, and audit entries the signature of their actor.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain CREATE TABLE / ADD COLUMN (never batch mode, which rebuilds `users` and fails on SQLite with
    # foreign keys on). Every new column is nullable: accounts, approvals and entries from before the upgrade
    # have no key; an account gets one at its next login (core/accounts.py).
    op.create_table(
        "user_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("registered_entry_id", sa.Integer, nullable=True),  # the audit entry that registered it
        sa.Column("replaced_at", sa.DateTime, nullable=True),  # a password reset gave the person a new key
        sa.Column("replaced_entry_id", sa.Integer, nullable=True),
    )
    op.add_column("users", sa.Column("key_id", sa.Integer, nullable=True))
    op.add_column("users", sa.Column("sealed_key", sa.Text, nullable=True))
    op.add_column("approvals", sa.Column("key_id", sa.Integer, nullable=True))
    op.add_column("approvals", sa.Column("signature", sa.String(128), nullable=True))
    op.add_column("approvals", sa.Column("version_number", sa.Integer, nullable=True))
    op.add_column("approvals", sa.Column("signed_at", sa.String(32), nullable=True))
    op.add_column("audit_log", sa.Column("key_id", sa.Integer, nullable=True))
    op.add_column("audit_log", sa.Column("signature", sa.String(128), nullable=True))


def downgrade() -> None:
    # SQLite 3.35 and later drop a column in place
    for column in ("signature", "key_id"):
        op.drop_column("audit_log", column)
    for column in ("signed_at", "version_number", "signature", "key_id"):
        op.drop_column("approvals", column)
    for column in ("sealed_key", "key_id"):
        op.drop_column("users", column)
    op.drop_table("user_keys")
