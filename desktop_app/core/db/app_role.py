"""The PostgreSQL role the app connects as (issue 21): not the owner that runs the migrations, but a role that
may only add to the record of what happened. Its grants are what keeps the audit log, the approvals and the
exports append-only when the triggers of migrations 0006/0007 are not enough: the owner (or anyone holding
the owner's password) can disable a trigger, the app's role cannot, and a grant it lacks holds regardless.

- audit_log: SELECT, INSERT only.
- approvals: SELECT, INSERT, and UPDATE of voided_at only, on a row not yet voided (row-level security:
  an edit voids an approval once; a voided one is not touched again).
- exports: SELECT, INSERT, and UPDATE of status and file_sha only, on a row still `pending` (row-level
  security: a pending export becomes written or failed once; a written record's file hash stays).
- No DELETE on those three: the retention purge goes through careletter_purge (SECURITY DEFINER, owned by
  the owner), which the role may only EXECUTE; purge_token is read by the triggers, never written by the role.
- Everything else the app keeps (letters, versions, marks, comments, users, keys, settings, crash copies):
  SELECT, INSERT, UPDATE, DELETE. alembic_version: SELECT (the app checks the schema's revision at start).

The owner runs `desktop-app --db URL db grant-app-role ROLE` (or pipes `db grant-app-role ROLE --print`
into psql) after the migrations; the role itself, with its password, is made by the owner beforehand
(`CREATE ROLE careletter_app LOGIN` and psql's `\\password careletter_app`), so no password passes through
this app or a command line. Run it again after an upgrade that adds a table."""

from __future__ import annotations

import re

from sqlalchemy import text

from desktop_app.core.db import Database

APPEND_ONLY = ("audit_log", "approvals", "exports")
KEPT = ("users", "user_keys", "letters", "letter_versions", "letter_sources", "marks", "comments", "recovery_slots",
        "facility_settings")
HEAD = "audit_head"
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class BadRoleName(ValueError):
    pass


def _ident(role: str) -> str:
    if not _ROLE.match(role) or role in ("public", "postgres"):
        raise BadRoleName(f"ロール名「{role}」は使えません（半角英小文字・数字・_、63文字まで）。")
    return f'"{role}"'


def grant_statements(role: str) -> list[str]:
    """The SQL the database owner runs so that `role` can work the app and nothing more on the record
    tables. Idempotent: revokes first, then grants; the row-level policies are dropped and made again."""
    r = _ident(role)
    tables = ", ".join((*APPEND_ONLY, *KEPT, HEAD, "purge_token", "alembic_version"))
    out = [
        f"REVOKE ALL ON {tables} FROM {r}",
        f"GRANT USAGE ON SCHEMA public TO {r}",
        f"GRANT SELECT, INSERT ON {', '.join(APPEND_ONLY)} TO {r}",
        f"GRANT UPDATE (voided_at) ON approvals TO {r}",
        f"GRANT UPDATE (status, file_sha) ON exports TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(KEPT)} TO {r}",
        f"GRANT SELECT, INSERT, UPDATE ON {HEAD} TO {r}",
        f"GRANT SELECT ON purge_token, alembic_version TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r}",
        f"GRANT EXECUTE ON FUNCTION careletter_purge(integer[]) TO {r}",
    ]
    # row-level security binds the column grants to the one change the app makes; the owner and the
    # SECURITY DEFINER purge bypass it (a table's owner is not subject to its policies unless FORCE'd)
    for table, update_when in (("approvals", "voided_at IS NULL"), ("exports", "status = 'pending'")):
        out += [
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"DROP POLICY IF EXISTS careletter_read ON {table}",
            f"DROP POLICY IF EXISTS careletter_add ON {table}",
            f"DROP POLICY IF EXISTS careletter_settle ON {table}",
            f"CREATE POLICY careletter_read ON {table} FOR SELECT USING (true)",
            f"CREATE POLICY careletter_add ON {table} FOR INSERT WITH CHECK (true)",
            f"CREATE POLICY careletter_settle ON {table} FOR UPDATE USING ({update_when}) WITH CHECK (true)",
        ]
    return out


def grant_app_role(db: Database, role: str) -> list[str]:
    """Run grant_statements as the connected role (the owner) in one transaction; returns what was run.
    The role must exist already (it is made, with its password, by the owner)."""
    if db.backend != "postgresql":
        raise BadRoleName("アプリ用のロールは PostgreSQL のデータベースにだけ設定します。")
    statements = grant_statements(role)
    with db.engine.begin() as con:
        if con.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() is None:
            raise BadRoleName(f"ロール「{role}」がありません。先にデータベースの管理者が作成してください"
                              f"（CREATE ROLE {role} LOGIN; psql の \\password {role}）。")
        for statement in statements:
            con.execute(text(statement))
    return statements
