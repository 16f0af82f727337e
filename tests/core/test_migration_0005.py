"""Migration 0005 (signing keys) goes down and up on both engines without losing an account or an entry,
and an account that comes back without a key gets one at its next login."""

from __future__ import annotations

from sqlalchemy import inspect, text

from desktop_app.core import accounts, audit
from tests.core.test_migration_0004 import columns, migrate


def test_0005_adds_and_removes_its_columns_and_table_and_keeps_every_row(db):
    accounts.add_user(db, "園長 北村", ["admin", "reviewer"], "sakura-kiku-7391-umi", None)
    assert {"key_id", "sealed_key"} <= columns(db, "users")
    assert {"key_id", "signature", "version_number", "signed_at"} <= columns(db, "approvals")
    assert {"key_id", "signature"} <= columns(db, "audit_log")
    migrate(db, "downgrade", "0004")
    with db.engine.connect() as conn:
        assert "user_keys" not in inspect(conn).get_table_names()
        assert conn.execute(text("SELECT name FROM users")).scalars().all() == ["園長 北村"]
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == 1
    assert "sealed_key" not in columns(db, "users") and "signature" not in columns(db, "audit_log")
    migrate(db, "upgrade", "head")  # the app's code below reads the later revisions' columns too
    # the entry from before stays unsigned; the account gets a new key at its login and the log is intact
    actor = accounts.authenticate(db, "園長 北村", "sakura-kiku-7391-umi")
    assert actor.key_id is not None
    result = audit.verify(db)
    assert result.ok, result.problem
