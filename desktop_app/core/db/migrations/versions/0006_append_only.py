"""Append-only where the record of what happened is kept: the audit log, the approvals and the exports.

Triggers refuse, on SQLite and PostgreSQL alike:
- any UPDATE or DELETE of audit_log;
- any DELETE of approvals or exports, except during the retention purge;
- an UPDATE of approvals other than setting voided_at once (from NULL), which is how an edit voids an
  approval; an UPDATE of exports that touches what was written (letter, file hash, text hash, file name,
  who, when). Other export columns (the pending → written / failed status of a pending export) stay
  updatable: the triggers name the guarded columns (UPDATE OF ...), so a column added later is not refused.

The retention purge (core/workflow/admin.py) deletes letters past their time with their approvals and
exports. It passes through a token: a row in purge_token written in the purge's own transaction and
removed before it commits. On SQLite the app writes the token itself (anyone holding the file can drop a
trigger anyway: on SQLite the triggers stop mistakes and naive edits, and `audit verify --expect` catches
the rest). On PostgreSQL only the SECURITY DEFINER function careletter_purge(ids) writes it, logging
the purge in the server log, so a role without INSERT on purge_token cannot delete a record.

PostgreSQL roles (what a facility's administrator sets up; the app's own connection is not the owner):

    -- the owner (runs the migrations) keeps everything; the app's role:
    GRANT SELECT, INSERT ON audit_log, approvals, exports TO careletter_app;
    GRANT UPDATE (voided_at) ON approvals TO careletter_app;
    GRANT UPDATE (status) ON exports TO careletter_app;          -- once exports have a status column
    GRANT SELECT, UPDATE ON audit_head TO careletter_app;
    GRANT SELECT ON purge_token TO careletter_app;               -- read by the triggers; no INSERT
    GRANT EXECUTE ON FUNCTION careletter_purge(integer[]) TO careletter_app;
    GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO careletter_app;
    -- and SELECT, INSERT, UPDATE, DELETE on the other tables (letters, letter_versions, marks, ...)

Revision ID: 0006
Revises: 0004 (re-chained at merge)
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

APPROVAL_FIXED = ("id, letter_id, body_sha, template_id, context_sha, approver_id, created_at, "
                  "key_id, signature, version_number, signed_at")
EXPORT_FIXED = "id, letter_id, body_sha, file_name, user_id, created_at"  # file_sha: set when a pending export is written (0007)
REFUSED = "append-only: this record cannot be changed or deleted / 記録は変更・削除できません"

SQLITE = [
    "CREATE TABLE purge_token (id INTEGER PRIMARY KEY)",
    f"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
    f"CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
    f"CREATE TRIGGER approvals_no_delete BEFORE DELETE ON approvals WHEN NOT EXISTS (SELECT 1 FROM purge_token) "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
    f"CREATE TRIGGER exports_no_delete BEFORE DELETE ON exports WHEN NOT EXISTS (SELECT 1 FROM purge_token) "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
    f"CREATE TRIGGER approvals_fixed BEFORE UPDATE OF {APPROVAL_FIXED} ON approvals "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
    f"CREATE TRIGGER approvals_void_once BEFORE UPDATE OF voided_at ON approvals "
    f"WHEN OLD.voided_at IS NOT NULL OR NEW.voided_at IS NULL BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
    f"CREATE TRIGGER exports_fixed BEFORE UPDATE OF {EXPORT_FIXED} ON exports "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
]
SQLITE_DROP = ["audit_log_no_update", "audit_log_no_delete", "approvals_no_delete", "exports_no_delete",
               "approvals_fixed", "approvals_void_once", "exports_fixed"]

POSTGRES = [
    "CREATE TABLE purge_token (txid bigint PRIMARY KEY)",
    f"""CREATE FUNCTION careletter_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME <> 'audit_log'
       AND EXISTS (SELECT 1 FROM purge_token WHERE txid = txid_current()) THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'approvals' AND TG_ARGV[0] = 'void' THEN
        -- nested: PL/pgSQL does not promise to stop at the first false AND, and other tables' OLD
        -- has no voided_at
        IF OLD.voided_at IS NULL AND NEW.voided_at IS NOT NULL THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION '{REFUSED}' USING ERRCODE = 'insufficient_privilege';
END $$""",
    """CREATE FUNCTION careletter_purge(ids integer[]) RETURNS integer LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE n integer;
BEGIN
    INSERT INTO purge_token (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
    DELETE FROM approvals WHERE letter_id = ANY(ids);
    DELETE FROM exports WHERE letter_id = ANY(ids);
    DELETE FROM purge_token WHERE txid = txid_current();
    n := coalesce(array_length(ids, 1), 0);
    RAISE LOG 'careletter retention purge by %: % letters (%)', session_user, n, ids;
    RETURN n;
END $$""",
    "REVOKE ALL ON FUNCTION careletter_purge(integer[]) FROM PUBLIC",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION careletter_refuse('none')",
    "CREATE TRIGGER approvals_no_delete BEFORE DELETE ON approvals FOR EACH ROW EXECUTE FUNCTION careletter_refuse('none')",
    "CREATE TRIGGER exports_no_delete BEFORE DELETE ON exports FOR EACH ROW EXECUTE FUNCTION careletter_refuse('none')",
    f"CREATE TRIGGER approvals_fixed BEFORE UPDATE OF {APPROVAL_FIXED} ON approvals "
    "FOR EACH ROW EXECUTE FUNCTION careletter_refuse('none')",
    "CREATE TRIGGER approvals_void_once BEFORE UPDATE OF voided_at ON approvals "
    "FOR EACH ROW EXECUTE FUNCTION careletter_refuse('void')",
    f"CREATE TRIGGER exports_fixed BEFORE UPDATE OF {EXPORT_FIXED} ON exports "
    "FOR EACH ROW EXECUTE FUNCTION careletter_refuse('none')",
]
POSTGRES_DROP = [("audit_log_append_only", "audit_log"), ("approvals_no_delete", "approvals"),
                 ("exports_no_delete", "exports"), ("approvals_fixed", "approvals"),
                 ("approvals_void_once", "approvals"), ("exports_fixed", "exports")]


def upgrade() -> None:
    for statement in POSTGRES if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table in POSTGRES_DROP:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS careletter_purge(integer[])")
        op.execute("DROP FUNCTION IF EXISTS careletter_refuse()")
    else:
        for name in SQLITE_DROP:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS purge_token")
