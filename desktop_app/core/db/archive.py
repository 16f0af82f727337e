"""The administrator's backup and restore (`desktop-app backup` / `restore`, 管理 → バックアップ／復元…).

One backup is one zip file: a manifest (manifest.json) and the data. The manifest names the app version,
the schema revision, the row count of every table, the audit chain's head (count and hash) and the SHA-256
of every other part, so a restore can refuse a file with a changed byte or a missing table before it
touches the database, and prove afterwards that the chain it restored is the one that was backed up.

The data, by engine:
- ``sqlite``: SQLite's online backup API copies the live file (other windows may go on writing) into a
  temporary file, which is zipped as ``database.sqlite3``. Restored into SQLite with the same API, so a
  window that has the file open sees the restored pages, never a half-copied file.
- ``pg_dump``: PostgreSQL with ``pg_dump`` on PATH. The manifest's counts and head are read in a REPEATABLE
  READ transaction whose snapshot is exported and handed to ``pg_dump --snapshot``: the dump and the
  manifest describe the same moment. Restored with ``pg_restore --clean --single-transaction``.
- ``logical``: the app's own export, used on PostgreSQL without pg_dump (and on request on either engine):
  every table read in one REPEATABLE READ, READ ONLY transaction into ``tables/NAME.jsonl`` (one JSON row a
  line). It restores into SQLite or PostgreSQL.

Restoring the append-only tables (migration 0006): the restore runs as the database's owner and switches
the triggers off *inside its own transaction* (PostgreSQL ``ALTER TABLE … DISABLE TRIGGER USER``, which is
transactional; SQLite drops them and creates them again from their stored SQL), so no other session ever
sees the tables unguarded and a failed restore leaves the triggers as they were. The role the app normally
connects with cannot do this (it does not own the tables): a restore into PostgreSQL is a task for the
database owner. Sequences are set to the highest restored id afterwards.

Restore refuses: a file that fails its manifest check, a file from a newer schema (or, for the logical
export, another schema revision: restore it with the app version that wrote it, then upgrade), and a
database that already holds data unless ``force``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import DateTime, delete, func, insert, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError

from desktop_app.core.db import HEAD_REVISION, MIGRATIONS, Database, _sqlite_path, open_database
from desktop_app.core.db.backup import backup_sqlite, private
from desktop_app.core.db.models import AuditEntry, Base
from desktop_app.core.fileio import atomic_write

FORMAT = "careletter-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_PART = "database.sqlite3"
PGDUMP_PART = "database.pgdump"
GUARDED = ("audit_log", "approvals", "exports")  # the append-only tables of migration 0006


class BackupError(Exception):
    """A backup that cannot be made or a file that cannot be restored (the CLI's exit 2)."""


class RestoreRefused(Exception):
    """A restore that would overwrite data without force (the CLI's exit 3)."""


@dataclass
class Manifest:
    method: str
    engine: str
    revision: str
    app_version: str
    created_at: str
    counts: dict[str, int]
    audit_count: int
    audit_hash: str
    parts: dict[str, str] = field(default_factory=dict)  # part name -> SHA-256

    @property
    def head(self) -> str:
        """COUNT:HASH, as `audit verify --expect` takes it."""
        return f"{self.audit_count}:{self.audit_hash}"

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION, **self.__dict__},
                          ensure_ascii=False, indent=2, sort_keys=True)


@dataclass
class RestoreResult:
    manifest: Manifest
    rows: int
    verified: bool
    problem: str = ""


def tables() -> list:
    """Every table of the app's schema, parents before children."""
    return list(Base.metadata.sorted_tables)


def known_revisions() -> list[str]:
    return sorted(p.name[:4] for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _revision(con: Connection) -> str:
    return str(con.execute(text("SELECT version_num FROM alembic_version")).scalar() or "")


def _counts_and_head(con: Connection) -> tuple[dict[str, int], int, str]:
    counts = {t.name: int(con.execute(select(func.count()).select_from(t)).scalar() or 0) for t in tables()}
    last = con.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar() or ""
    return counts, counts["audit_log"], str(last)


# ---- backup -----------------------------------------------------------------------------------------
def backup(db: Database, out: Path, *, method: str | None = None, app_version: str = "") -> Manifest:
    """Write a backup of `db` to `out` (a temporary name first, renamed when complete). method: None for
    the engine's own (sqlite, or pg_dump when on PATH, else logical), or "logical" to force the export."""
    out = Path(out)
    if not out.parent.is_dir():
        raise BackupError(f"保存先のフォルダー「{out.parent}」がありません。")
    if method is None:
        method = "sqlite" if db.backend == "sqlite" else ("pg_dump" if shutil.which("pg_dump") else "logical")
    if method == "sqlite" and db.backend != "sqlite" or method == "pg_dump" and db.backend != "postgresql":
        raise BackupError(f"この方式（{method}）は {db.backend} のデータベースには使えません。")
    made: list[Manifest] = []

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            if method == "sqlite":
                manifest = _backup_sqlite(db, zf)
            elif method == "pg_dump":
                manifest = _backup_pg_dump(db, zf)
            elif method == "logical":
                manifest = _backup_logical(db, zf)
            else:
                raise BackupError(f"知らない方式です：{method}")
            manifest.app_version = app_version
            zf.writestr(MANIFEST, manifest.to_json())
        made.append(manifest)

    # a temporary name beside `out`, on disk (fsync) before the rename; private: letters hold names and diagnoses
    atomic_write(out, write, mode=0o600)
    return made[0]


def _manifest(method: str, engine: str, revision: str, counts: dict[str, int], count: int, last: str) -> Manifest:
    return Manifest(method, engine, revision, "", _now(), counts, count, last)


def _backup_sqlite(db: Database, zf: zipfile.ZipFile) -> Manifest:
    path = _sqlite_path(db.url)
    if path is None:
        raise BackupError("このデータベースはファイルではありません。")
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / SQLITE_PART
        src = sqlite3.connect(str(path), timeout=30)
        try:
            dst = sqlite3.connect(str(copy))
            try:
                src.backup(dst)  # SQLite's online backup: a consistent copy while others write
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        # the manifest is read from the copy itself: it describes exactly what is in the file
        from sqlalchemy import create_engine

        engine = create_engine(f"sqlite:///{copy.as_posix()}")
        try:
            with engine.connect() as con:
                revision = _revision(con)
                counts, count, last = _counts_and_head(con)
        finally:
            engine.dispose()
        data = copy.read_bytes()
    manifest = _manifest("sqlite", "sqlite", revision, counts, count, last)
    zf.writestr(SQLITE_PART, data)
    manifest.parts[SQLITE_PART] = _sha(data)
    return manifest


def _read_only_snapshot(con: Connection, backend: str) -> None:
    if backend == "postgresql":
        con.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


def _encode(table, row) -> str:
    values = {}
    for col in table.columns:
        v = row._mapping[col.name]
        values[col.name] = v.isoformat() if isinstance(v, dt.datetime) else v
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def _backup_logical(db: Database, zf: zipfile.ZipFile) -> Manifest:
    with db.session(write=False) as s:
        con = s.connection()
        _read_only_snapshot(con, db.backend)  # the first statement of the transaction: one snapshot for all
        revision = _revision(con)
        counts, count, last = _counts_and_head(con)
        manifest = _manifest("logical", db.backend, revision, counts, count, last)
        for t in tables():
            buf = io.StringIO()
            pk = list(t.primary_key.columns)
            for row in con.execute(select(t).order_by(*pk)):
                buf.write(_encode(t, row) + "\n")
            data = buf.getvalue().encode("utf-8")
            name = f"tables/{t.name}.jsonl"
            zf.writestr(name, data)
            manifest.parts[name] = _sha(data)
    return manifest


def _libpq(db_url: str) -> tuple[list[str], dict[str, str]]:
    """Connection options for pg_dump / pg_restore, the password only in the child's environment."""
    u = make_url(db_url)
    args = ["-h", u.host or "localhost", "-p", str(u.port or 5432), "-d", u.database or ""]
    if u.username:
        args += ["-U", u.username]
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    return args, env


def _engine_url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def _backup_pg_dump(db: Database, zf: zipfile.ZipFile) -> Manifest:
    conn_args, env = _libpq(_engine_url(db))
    with db.session(write=False) as s:
        con = s.connection()
        _read_only_snapshot(con, db.backend)
        revision = _revision(con)
        counts, count, last = _counts_and_head(con)
        snapshot = con.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
        with tempfile.TemporaryDirectory() as folder:
            dump = Path(folder) / PGDUMP_PART
            # the dump reads the very snapshot the counts and the head were read in (the transaction stays open)
            proc = subprocess.run(["pg_dump", *conn_args, "--format=custom", "--no-owner", "--no-privileges",
                                   f"--snapshot={snapshot}", "-f", str(dump)],
                                  capture_output=True, text=True, env=env, timeout=3600)
            if proc.returncode != 0:
                raise BackupError(f"pg_dump が失敗しました：{proc.stderr.strip()[:300]}")
            data = dump.read_bytes()
    manifest = _manifest("pg_dump", "postgresql", revision, counts, count, last)
    zf.writestr(PGDUMP_PART, data)
    manifest.parts[PGDUMP_PART] = _sha(data)
    return manifest


# ---- reading a backup --------------------------------------------------------------------------------
def read_manifest(file: Path) -> tuple[Manifest, dict[str, bytes]]:
    """The manifest and every part, checked: each part's SHA-256, every table's part present with its row
    count, and the schema revision one this app knows. Raises BackupError naming what is wrong."""
    file = Path(file)
    if not file.is_file():
        raise BackupError(f"ファイル「{file}」がありません。")
    try:
        with zipfile.ZipFile(file) as zf:
            names = set(zf.namelist())
            if MANIFEST not in names:
                raise BackupError("バックアップの目録（manifest.json）がありません。このアプリのバックアップではありません。")
            unknown = sorted(names - _expected_parts())
            if unknown:  # checked before any part is read: a stray part (a ../ name, a padding bomb) is never inflated
                raise BackupError(f"このアプリのバックアップにはない部分が含まれています（{unknown[0][:80]}）。")
            raw = json.loads(zf.read(MANIFEST).decode("utf-8"))
            parts = {n: zf.read(n) for n in names if n != MANIFEST}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, UnicodeDecodeError, ValueError,
            EOFError, RecursionError) as exc:
        # a changed byte in the compressed data fails the zip's own CRC here
        raise BackupError(f"バックアップファイルが壊れているか、このアプリのバックアップではありません（{exc}）。") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BackupError("このアプリのバックアップではありません。")
    try:
        newer = int(raw.get("format_version", 0)) > FORMAT_VERSION
    except (TypeError, ValueError) as exc:
        raise BackupError(f"バックアップの目録が正しくありません（{exc}）。") from exc
    if newer:
        raise BackupError("新しい版のアプリで作られたバックアップです。アプリを最新版に更新してください。")
    try:
        m = Manifest(str(raw["method"]), str(raw["engine"]), str(raw["revision"]), str(raw.get("app_version", "")),
                     str(raw["created_at"]), {str(k): int(v) for k, v in dict(raw["counts"]).items()},
                     int(raw["audit_count"]), str(raw["audit_hash"]), {str(k): str(v) for k, v in dict(raw["parts"]).items()})
    except (KeyError, TypeError, ValueError) as exc:
        raise BackupError(f"バックアップの目録が正しくありません（{exc}）。") from exc
    if (m.audit_count < 0 or any(v < 0 for v in m.counts.values())
            or not _HEAD_HASH.fullmatch(m.audit_hash) or (m.audit_count == 0) != (m.audit_hash == "")):
        raise BackupError("バックアップの目録が正しくありません（行数または監査ログの先頭）。")
    if m.revision not in known_revisions():
        raise BackupError(f"新しい版のアプリで作られたバックアップです（スキーマ {m.revision}）。アプリを最新版に更新してください。")
    for name, digest in m.parts.items():
        if name not in parts:
            raise BackupError(f"バックアップの一部（{name}）がありません。")
        if _sha(parts[name]) != digest:
            raise BackupError(f"バックアップの一部（{name}）が書き換えられています。")
    if set(parts) - set(m.parts):
        raise BackupError("目録にない部分がバックアップに含まれています。")
    if m.method == "logical":
        for t in tables():
            name = f"tables/{t.name}.jsonl"
            if name not in parts or t.name not in m.counts:
                raise BackupError(f"バックアップに表「{t.name}」がありません。")
            lines = parts[name].count(b"\n")
            if lines != m.counts[t.name]:
                raise BackupError(f"表「{t.name}」の行数が目録と違います（{lines}／{m.counts[t.name]}）。")
    elif m.method not in ("sqlite", "pg_dump"):
        raise BackupError(f"知らない方式のバックアップです：{m.method}")
    else:
        part = SQLITE_PART if m.method == "sqlite" else PGDUMP_PART
        if part not in m.parts:
            raise BackupError(f"バックアップの一部（{part}）がありません。")
    return m, parts


_HEAD_HASH = re.compile(r"(?:[0-9a-f]{64})?")


def _expected_parts() -> set[str]:
    """Every name a backup of any method may hold: nothing else is read."""
    return {MANIFEST, SQLITE_PART, PGDUMP_PART, *(f"tables/{t.name}.jsonl" for t in tables())}


# ---- restore -----------------------------------------------------------------------------------------
def is_empty(db: Database) -> bool:
    """No row in any of the app's tables (a database just created, or never used)."""
    with db.session(write=False) as s:
        con = s.connection()
        return all(con.execute(select(t).limit(1)).first() is None for t in tables())


def check_target(db: Database, force: bool) -> bool:
    """True when the target is empty; RestoreRefused when it holds data and force is off."""
    empty = is_empty(db)
    if not empty and not force:
        raise RestoreRefused("復元先のデータベースにはすでにデータがあります。上書きするには --force"
                             "（画面では上書きの確認）が必要です。")
    return empty


def restore(file: Path, db_url: str, force: bool = False, *, password: str | None = None) -> RestoreResult:
    """Restore `file` into the database at db_url (created and migrated first when new). The file is checked
    completely before anything is written; then `audit verify` runs against the manifest's head."""
    manifest, parts = read_manifest(file)
    if manifest.method == "logical" and manifest.revision != HEAD_REVISION:
        raise BackupError(f"このバックアップはスキーマ {manifest.revision} の版で作られています（この版は {HEAD_REVISION}）。"
                          "作った版のアプリで復元してから、この版に更新してください。")
    db = open_database(db_url, backup=False, password=password)
    try:
        empty = check_target(db, force)
        if manifest.method == "sqlite":
            path = _sqlite_path(db.url)
            if path is None:
                raise BackupError("SQLiteのバックアップはSQLiteのデータベースにだけ復元できます。")
            if not empty:
                backup_sqlite(path)  # the data being replaced stays in the backups folder
            db.dispose()
            _restore_sqlite_file(parts[SQLITE_PART], path, manifest)
            db = open_database(db_url, backup=False, password=password)  # migrates an older file to head
        elif manifest.method == "pg_dump":
            if db.backend != "postgresql":
                raise BackupError("pg_dump のバックアップはPostgreSQLにだけ復元できます。")
            url = _engine_url(db)
            db.dispose()
            _restore_pg_dump(parts[PGDUMP_PART], url)
            db = open_database(db_url, backup=False, password=password)  # migrates an older dump to head
        else:
            if not empty and db.backend == "sqlite" and (path := _sqlite_path(db.url)) is not None:
                backup_sqlite(path)
            _restore_logical(db, parts)
        return _verify_after(db, manifest)
    finally:
        db.dispose()


def _verify_after(db: Database, manifest: Manifest) -> RestoreResult:
    from desktop_app.core import audit  # audit imports the db package: not at module level

    with db.session(write=False) as s:
        con = s.connection()
        counts, _count, _last = _counts_and_head(con)
    rows = sum(counts.values())
    if counts != manifest.counts:
        diff = ", ".join(f"{k} {counts.get(k)}/{v}" for k, v in manifest.counts.items() if counts.get(k) != v)
        return RestoreResult(manifest, rows, False, f"復元後の行数が目録と違います：{diff}")
    if manifest.audit_count == 0:
        return RestoreResult(manifest, rows, True)  # a database never used: nothing to verify
    result = audit.verify(db, expect=manifest.head)
    return RestoreResult(manifest, rows, result.ok, "" if result.ok else result.problem)


def _check_sqlite_copy(src: sqlite3.Connection, manifest: Manifest) -> None:
    """The file inside the backup is this app's database at the manifest's revision, with the manifest's
    row counts and audit head (a manifest rewritten with fresh part hashes still has to match its data)."""
    if not all(re.fullmatch(r"[a-z_]{1,64}", name) for name in manifest.counts):
        raise BackupError("バックアップの目録が正しくありません（表の名前）。")
    try:
        revision = src.execute("SELECT version_num FROM alembic_version").fetchone()
        counts = {name: int(src.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in manifest.counts}
        last = src.execute("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    except sqlite3.Error as exc:
        raise BackupError(f"バックアップの中のファイルはこのアプリのデータベースではありません（{exc}）。") from exc
    if not revision or str(revision[0]) != manifest.revision:
        raise BackupError("バックアップの中のデータベースの版が目録と違います。")
    if counts != manifest.counts or counts.get("audit_log") != manifest.audit_count \
            or str(last[0] if last else "") != manifest.audit_hash:
        raise BackupError("バックアップの中のデータベースが目録（行数・監査ログの先頭）と違います。")


def _restore_sqlite_file(data: bytes, path: Path, manifest: Manifest | None = None) -> None:
    with tempfile.TemporaryDirectory(dir=path.parent) as folder:
        copy = Path(folder) / SQLITE_PART
        copy.write_bytes(data)
        src = sqlite3.connect(str(copy))
        try:
            row = src.execute("PRAGMA integrity_check").fetchone()
            if not row or row[0] != "ok":
                raise BackupError("バックアップの中のデータベースが壊れています。")
            if manifest is not None:
                _check_sqlite_copy(src, manifest)  # before the target is touched: nothing half-restored
            dst = sqlite3.connect(str(path), timeout=30)
            try:
                src.backup(dst)  # page by page in one transaction of the target: readers never see half
            finally:
                dst.close()
        finally:
            src.close()
    private(path, 0o600)


def _restore_pg_dump(data: bytes, db_url: str) -> None:
    if not shutil.which("pg_restore"):
        raise BackupError("pg_restore が見つかりません（PostgreSQLのクライアントを入れてください）。")
    conn_args, env = _libpq(db_url)
    with tempfile.TemporaryDirectory() as folder:
        dump = Path(folder) / PGDUMP_PART
        dump.write_bytes(data)
        proc = subprocess.run(["pg_restore", *conn_args, "--clean", "--if-exists", "--single-transaction",
                               "--no-owner", "--no-privileges", "--exit-on-error", str(dump)],
                              capture_output=True, text=True, env=env, timeout=3600)
    if proc.returncode != 0:
        raise BackupError(f"pg_restore が失敗しました：{proc.stderr.strip()[:300]}")


def _decode(table, line: bytes) -> dict:
    """One JSONL row; BackupError for anything that is not an object of this table's columns."""
    try:
        row = json.loads(line)
        if not isinstance(row, dict) or set(row) - set(table.columns.keys()):
            raise ValueError("not a row of this table")
        for col in table.columns:
            v = row.get(col.name)
            if isinstance(col.type, DateTime) and isinstance(v, str):
                row[col.name] = dt.datetime.fromisoformat(v)
    except (ValueError, RecursionError) as exc:
        raise BackupError(f"表「{table.name}」の行が正しくありません（{str(exc)[:120]}）。") from exc
    return row


def _restore_logical(db: Database, parts: dict[str, bytes], batch: int = 1000) -> None:
    """One transaction: the guarded tables' triggers off, every table emptied and refilled, sequences set,
    the triggers back on. Any failure rolls all of it back."""
    with db.session() as s:
        con = s.connection()
        if db.backend == "postgresql":
            for name in GUARDED:
                con.exec_driver_sql(f"ALTER TABLE {name} DISABLE TRIGGER USER")
            sqlite_triggers: list[tuple[str, str]] = []
        else:
            sqlite_triggers = [(r[0], r[1]) for r in con.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type='trigger' AND sql IS NOT NULL").all()]
            for name, _sql in sqlite_triggers:
                con.exec_driver_sql(f'DROP TRIGGER "{name}"')
        for t in reversed(tables()):
            con.execute(delete(t))
        for t in tables():
            lines = [ln for ln in parts[f"tables/{t.name}.jsonl"].split(b"\n") if ln]
            for i in range(0, len(lines), batch):
                try:
                    con.execute(insert(t), [_decode(t, ln) for ln in lines[i:i + batch]])
                except SQLAlchemyError as exc:  # a value of the wrong type: the whole restore rolls back
                    raise BackupError(f"表「{t.name}」の行を戻せません（{type(exc.orig or exc).__name__}）。") from exc
        if db.backend == "postgresql":
            for t in tables():
                if "id" in t.columns and t.columns["id"].primary_key:
                    con.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), COALESCE(MAX(id), 1), "
                        f"MAX(id) IS NOT NULL) FROM {t.name}")
            for name in GUARDED:
                con.exec_driver_sql(f"ALTER TABLE {name} ENABLE TRIGGER USER")
        else:
            for _name, sql in sqlite_triggers:
                con.exec_driver_sql(sql)
