"""Migration 0004 (staff who must change a first password, last login, notices read, a letter made from
a sent one) goes up and down on both engines without losing a letter, an account or an audit entry."""

from __future__ import annotations

from sqlalchemy import func, inspect, select, text

from desktop_app.core import accounts, audit
from desktop_app.core.db import _alembic_config
from desktop_app.core.db.models import AuditEntry, Letter


def migrate(db, direction: str, revision: str) -> None:
    from alembic import command

    with db.engine.begin() as conn:
        getattr(command, direction)(_alembic_config(conn), revision)


def columns(db, table: str) -> set[str]:
    with db.engine.connect() as conn:
        return {c["name"] for c in inspect(conn).get_columns(table)}


NEW_USER_COLUMNS = {"must_change_password", "last_login_at", "notices_seen_at"}


def test_0004_adds_and_removes_its_columns_and_keeps_every_row(db):
    admin = accounts.add_user(db, "山田 施設長", ["admin", "reviewer"], "first-pass-1", None)
    with db.session() as s:
        s.add(Letter(template_id="monthly_report", fields={}, context={}, body="拝啓 十二月の様子です。",
                     status="exported", writer_id=admin.id))
    assert NEW_USER_COLUMNS <= columns(db, "users") and "derived_from_id" in columns(db, "letters")

    migrate(db, "downgrade", "0003")
    assert not (NEW_USER_COLUMNS & columns(db, "users")) and "derived_from_id" not in columns(db, "letters")
    with db.engine.connect() as conn:  # still there, read with plain SQL (the model has the new columns)
        assert conn.execute(text("SELECT body FROM letters")).scalars().all() == ["拝啓 十二月の様子です。"]
        assert conn.execute(text("SELECT name FROM users")).scalars().all() == ["山田 施設長"]

    migrate(db, "upgrade", "head")
    with db.session() as s:
        letter = s.execute(select(Letter)).scalar_one()
        assert letter.body == "拝啓 十二月の様子です。" and letter.derived_from_id is None
        assert s.scalar(select(func.count()).select_from(AuditEntry)) >= 1
    # an account that existed before the upgrade logs in and need not change its password
    actor = accounts.authenticate(db, "山田 施設長", "first-pass-1")
    assert actor.name == "山田 施設長"
    assert audit.verify(db).ok
