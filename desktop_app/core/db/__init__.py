"""Opening the workflow database: SQLite in the user data folder by default, PostgreSQL for a facility
with several PCs. Migrates the schema with Alembic, backs the SQLite file up, and turns every way a
database can be unusable into a DatabaseUnavailable with a reason the window and the CLI can explain."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.core import secrets
from desktop_app.core.db.backup import backup_if_due, backup_sqlite, backups_dir, list_backups  # noqa: F401
from desktop_app.core.db.backup import private as _private

DB_ENV = "CARELETTER_DB"
DB_FILE = "careletter.sqlite3"
LEGACY_FILE = "drafts.sqlite3"  # the drafts database before the review workflow
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
CONNECT_TIMEOUT_S = 5  # a server that accepts the connection and never answers is reported, not waited on
KEYCHAIN_SERVICE = "careletter-db"  # the OS keychain entry: service, and the account from keychain_account()
_OUR_REVISION = re.compile(r"^\d{4}")  # this app's Alembic revisions are numbered 0001, 0002, …


class DatabaseUnavailable(Exception):
    """reason: corrupt | locked | newer_schema | unreachable | bad_url | permission | tls | auth."""

    def __init__(self, reason: str, message: str, path: Path | None = None, backup: Path | None = None):
        super().__init__(message)
        self.reason = reason
        self.path = path
        self.backup = backup  # newest good backup, offered when the file is corrupt


def default_url(data_dir: Path) -> str:
    return f"sqlite:///{(Path(data_dir) / DB_FILE).as_posix()}"


def resolve_url(explicit: str | None, data_dir: Path, settings_url: str = "") -> str:
    """--db, then CARELETTER_DB, then the URL in 設定, then the SQLite file in the data folder."""
    return explicit or os.environ.get(DB_ENV) or settings_url or default_url(data_dir)


def _sqlite_path(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def _explain(exc: BaseException, url: str) -> DatabaseUnavailable:
    path = _sqlite_path(url)
    msg = str(getattr(exc, "orig", exc)).lower()
    where = f"「{path}」" if path else "データベース"
    if "does not support ssl" in msg or "ssl was required" in msg:
        return DatabaseUnavailable("tls", "データベースのサーバーが暗号化（TLS）に対応していないため、接続しませんでした。"
                                   "サーバーでTLSを有効にしてください（暗号化しない接続は、設定で「暗号化しない」を選んだ"
                                   "ときだけ使います）。", path)
    if "certificate" in msg or "ssl" in msg and ("verify" in msg or "root" in msg):
        return DatabaseUnavailable("tls", "データベースのサーバーの証明書を確認できないため、接続しませんでした。"
                                   "設定の認証局（CA）の証明書ファイルとサーバー名を確認してください。", path)
    if "password authentication failed" in msg or "no password supplied" in msg:
        return DatabaseUnavailable("auth", "データベースのパスワードが違うか、入力されていません。設定でパスワードを"
                                   "確認してください。", path)
    if "not a database" in msg or "malformed" in msg or "file is encrypted" in msg:
        return DatabaseUnavailable("corrupt", f"{where}が壊れているため開けません。", path)
    if "locked" in msg or "busy" in msg:
        return DatabaseUnavailable("locked", f"{where}は別のプログラムが使用中です。しばらくしてからもう一度お試しください。", path)
    if "readonly" in msg or "permission" in msg or "unable to open" in msg:
        return DatabaseUnavailable("permission", f"{where}を開けません（書き込み権限を確認してください）。", path)
    detail = secrets.redact(str(getattr(exc, "orig", exc)))
    return DatabaseUnavailable("unreachable", f"データベースに接続できません（{detail}）。"
                               "設定のデータベースURLとネットワークを確認してください。", path)


def _sqlite_check(path: Path) -> None:
    """Open with the plain driver first: a corrupt file is told apart from a locked one before any migration,
    and another program's SQLite file is refused before anything (a table, the WAL mode) is written to it."""
    if not path.exists():
        return
    try:
        con = sqlite3.connect(str(path), timeout=5)
        try:
            row = con.execute("PRAGMA quick_check").fetchone()
            tables = {r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")}
            versions = (con.execute("SELECT version_num FROM alembic_version").fetchall()
                        if "alembic_version" in tables else [])
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise _explain(exc, f"sqlite:///{path}") from exc
    if not row or row[0] != "ok":
        raise DatabaseUnavailable("corrupt", f"「{path}」が壊れているため開けません。", path)
    ours = (not tables  # an empty file: nothing to lose
            or "drafts" in tables and "alembic_version" not in tables  # the drafts database of earlier versions
            or bool(versions) and all(_OUR_REVISION.match(str(v[0])) for v in versions))
    if not ours:
        raise DatabaseUnavailable(
            "not_ours", f"「{path}」はこのアプリのデータベースではありません（別のプログラムのファイルのようです）。"
            "ファイルには何も書き込んでいません。--db のパスを確認してください。", path)


def move_aside(path: Path) -> Path:
    """Move a corrupt database file (and its -wal/-shm) aside, keeping it for inspection."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    shutil.move(str(path), str(aside))
    for suffix in ("-wal", "-shm"):
        side = Path(str(path) + suffix)
        if side.exists():
            shutil.move(str(side), str(aside) + suffix)
    return aside


def restore_backup(path: Path, backup: Path) -> None:
    shutil.copy2(backup, path)
    _private(path, 0o600)


class Database:
    """An engine and a session factory over one migrated database."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.url = str(engine.url)
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._feed = None

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextlib.contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error. On SQLite it starts
        with BEGIN IMMEDIATE (the write lock first, so what it reads is still true when it writes: two PCs
        appending to the audit chain would otherwise both chain onto the same head); write=False is a plain
        read snapshot that lets writers go on (audit verify over a long log)."""
        s = self._sessions()
        if not write:
            s.connection(execution_options={SQLITE_BEGIN: "DEFERRED"})
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def watcher(self):
        """A ChangeWatcher of its own for one window; all of them share one watching connection."""
        from desktop_app.core.db.changes import ChangeFeed, ChangeWatcher

        if self._feed is None:
            self._feed = ChangeFeed(self.engine)
        return ChangeWatcher(self._feed)

    def purge_note(self) -> str:
        """What a retention purge does beyond the deletion, for its audit entry's detail."""
        if self.backend == "sqlite":
            return "backups: purged letters removed from every backup (each rebuilt and vacuumed); file vacuumed"
        return "backups: not kept by the app on PostgreSQL (the server's own backups are the facility's)"

    def scrub_after_purge(self, letter_ids: list[int]) -> None:
        """After a purge has committed: VACUUM the SQLite file (outside any transaction) and remove the
        letters from every backup. secure_delete already overwrote their pages; VACUUM also drops the free
        pages and the write-ahead log's old copies. A busy file is left to secure_delete alone."""
        path = _sqlite_path(self.url)
        if path is None:
            return
        from desktop_app.core.db.backup import scrub_backups, vacuum

        scrub_backups(path, letter_ids)
        with contextlib.suppress(sqlite3.OperationalError):
            vacuum(path)

    def dispose(self) -> None:
        if self._feed is not None:
            self._feed.close()
            self._feed = None  # the engine can be used again after dispose; so can a new watcher()
        self.engine.dispose()


SQLITE_BEGIN = "careletter_sqlite_begin"  # execution option: how the next transaction begins on SQLite


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # the driver's own transaction handling starts a transaction only at the first INSERT/UPDATE, after the
    # reads it depends on; SQLAlchemy's begin event (_sqlite_begin) says BEGIN itself instead
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA secure_delete=ON")  # a purged letter's text is overwritten, not only unlinked
    cur.close()


def _sqlite_begin(conn) -> None:
    """Every transaction takes SQLite's write lock at its start (waiting up to the busy timeout), so
    read-then-write acts (the audit head, a letter's version) are serialised between processes and PCs."""
    mode = conn.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")
    conn.exec_driver_sql(f"BEGIN {'DEFERRED' if mode == 'DEFERRED' else 'IMMEDIATE'}")


def _alembic_config(connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


# The newest migration in migrations/versions (a test keeps the two equal). A database already there
# is opened without importing Alembic, which is a quarter of a second of the window's start.
HEAD_REVISION = "0008"


def _at_head(engine: Engine) -> bool:
    with engine.connect() as conn:
        conn.execution_options(**{SQLITE_BEGIN: "DEFERRED"})
        if "alembic_version" not in inspect(conn).get_table_names():
            return False
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [HEAD_REVISION]


def _migrate(engine: Engine, url: str) -> None:
    if _at_head(engine):
        return
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util.exc import CommandError

    with engine.begin() as conn:
        cfg = _alembic_config(conn)
        script = ScriptDirectory.from_config(cfg)
        current = MigrationContext.configure(conn).get_current_revision()
        if current is not None:
            try:
                script.get_revision(current)
            except CommandError:
                raise DatabaseUnavailable(
                    "newer_schema",
                    "このデータベースは新しい版のアプリで作られています。アプリを最新版に更新してください。",
                    _sqlite_path(url)) from None
        elif "drafts" in inspect(conn).get_table_names():
            command.stamp(cfg, "0001")  # the drafts database of earlier versions: migrate it, keep its drafts
        command.upgrade(cfg, "head")


def password_in_url(url: str) -> bool:
    """True when a database URL carries a password (refused on the command line: `ps` shows it to everyone)."""
    try:
        return bool(make_url(url).password)
    except (ArgumentError, ValueError):  # malformed otherwise too: still say the password is the problem
        return re.search(r"://[^/?#@]*:[^/?#@]*@", url) is not None


def keychain_account(url) -> str:
    """The keychain account name a facility stores the database password under: user@host:port/database."""
    return secrets.account_for(url)


def keychain_password(url) -> str | None:
    """The database password typed at this start (a PC without a keychain), else the OS keychain's
    (`keyring`: macOS Keychain, Windows Credential Manager, Secret Service), else None."""
    return secrets.read_password(url)


# ---- TLS between the PCs and the server ------------------------------------------------------------------
SSLMODES = ("require", "verify-full", "disable")  # what 設定 offers; libpq's other modes are taken as written
DEFAULT_SSLMODE = "require"


def sslmode_of(url) -> str:
    """The TLS mode a PostgreSQL URL connects with: its sslmode, or require when it names none."""
    u = make_url(url) if isinstance(url, str) else url
    return str(u.query.get("sslmode") or DEFAULT_SSLMODE)


def postgres_connect_args(parsed) -> dict:
    """psycopg's extra connection arguments: a time-out, and TLS (sslmode=require) unless the URL chooses.
    verify-full needs the CA file (sslrootcert) to exist: a missing one is a bad URL, said in Japanese."""
    args: dict = {}
    if parsed.get_driver_name() in ("psycopg", "psycopg2") and "connect_timeout" not in parsed.query:
        args["connect_timeout"] = CONNECT_TIMEOUT_S
    if "sslmode" not in parsed.query:
        args["sslmode"] = DEFAULT_SSLMODE
    mode = sslmode_of(parsed)
    if mode in ("verify-ca", "verify-full"):
        root = parsed.query.get("sslrootcert")
        if not root:
            raise DatabaseUnavailable("bad_url", "サーバー証明書を確認する接続（verify-full）には、認証局（CA）の証明書"
                                      "ファイルが必要です。設定で証明書ファイルを選んでください。")
        if not Path(str(root)).is_file():
            raise DatabaseUnavailable("bad_url", f"認証局（CA）の証明書ファイル「{root}」が見つかりません。")
    return args


def pg_url(host: str, port: int | None, database: str, user: str, sslmode: str = DEFAULT_SSLMODE,
           sslrootcert: str = "") -> str:
    """The URL 設定 stores for a facility's server: never a password (that goes to the keychain)."""
    from sqlalchemy.engine import URL

    query = {"sslmode": sslmode or DEFAULT_SSLMODE}
    if sslrootcert and query["sslmode"] in ("verify-ca", "verify-full"):
        query["sslrootcert"] = sslrootcert
    return URL.create("postgresql+psycopg", username=user or None, host=host or None,
                      port=port if port and port != 5432 else None, database=database or None,
                      query=query).render_as_string(hide_password=True)


def pg_fields(url: str) -> dict | None:
    """A PostgreSQL URL's parts for 設定's fields (an older URL without sslmode gets require), or None for
    any other URL. The password, when an older settings.json still holds one, is returned to be moved."""
    try:
        u = make_url(url)
    except (ArgumentError, ValueError):
        return None
    if u.get_backend_name() != "postgresql":
        return None
    return {"host": u.host or "", "port": u.port or 5432, "database": u.database or "", "user": u.username or "",
            "password": u.password or "", "sslmode": sslmode_of(u), "sslrootcert": str(u.query.get("sslrootcert") or "")}


def _parse(url: str):
    try:
        parsed = make_url(url)
        port = parsed.port
    except (ArgumentError, ValueError, TypeError) as exc:
        raise DatabaseUnavailable("bad_url", secrets.redact(f"データベースのURLが正しくありません（{exc}）：{url}")) from None
    if port is not None and not 0 < port < 65536:
        raise DatabaseUnavailable("bad_url", f"データベースのURLのポート番号が正しくありません：{port}")
    return parsed


def open_database(url: str, *, backup: bool = True, must_exist: bool = False, password: str | None = None) -> Database:
    """Open (and create or migrate) the database at url. Raises DatabaseUnavailable.

    backup: the database is opened for writing (a write command, the window's login); an SQLite backup is
    then taken when the newest one is more than a day old (core.db.backup). Reads pass False.
    must_exist: refuse an SQLite file that is not there yet instead of creating it (a read command given a
    path: a mistyped path must not become a new, empty database that "verifies").
    A new SQLite file is created only in a folder that exists (the app's data folder always does).
    password: for PostgreSQL (from --db-password-stdin); without it, the one typed at this start (no
    keychain), the OS keychain, then libpq's own PGPASSFILE / ~/.pgpass. PostgreSQL connects with TLS
    (sslmode=require) unless the URL says otherwise (postgres_connect_args)."""
    parsed = _parse(url)
    path = _sqlite_path(url)
    if path is not None:
        if not path.parent.is_dir():
            raise DatabaseUnavailable("missing", f"フォルダー「{path.parent}」がありません。データベースの場所を確認してください"
                                      "（新しいデータベースは、すでにあるフォルダーにだけ作ります）。", path)
        legacy = path.parent / LEGACY_FILE
        if not path.exists() and legacy.exists() and path.name != LEGACY_FILE:
            _sqlite_check(legacy)
            shutil.copy2(legacy, path)  # the old file stays as it was, as a backup
        if must_exist and not path.exists():
            raise DatabaseUnavailable("missing", f"「{path}」にデータベースがありません。パスを確認してください。", path)
        _sqlite_check(path)
        if backup:
            try:
                backup_if_due(path)
            except sqlite3.DatabaseError as exc:
                raise _explain(exc, url) from exc
    try:
        if path is not None:
            engine = create_engine(url, connect_args={"timeout": 30})  # writers queue for the write lock
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            secrets.remember(password)
            secrets.remember(parsed.password)  # an older settings.json's URL: still never printed
            postgres = parsed.get_backend_name() == "postgresql"
            connect_args = postgres_connect_args(parsed) if postgres else {}
            secret = password or (None if parsed.password else keychain_password(parsed) if postgres else None)
            target = parsed.set(password=secret) if secret else parsed
            engine = create_engine(target, pool_pre_ping=True, connect_args=connect_args)
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError, TypeError) as exc:
        raise DatabaseUnavailable("bad_url", f"このデータベースURLは使えません：{parsed.drivername}") from exc
    try:
        _migrate(engine, url)
    except DatabaseUnavailable:
        engine.dispose()
        raise
    except DBAPIError as exc:
        engine.dispose()
        raise _explain(exc, url) from exc
    if path is not None:
        for p in (path, Path(str(path) + "-wal"), Path(str(path) + "-shm")):
            _private(p, 0o600)
    return Database(engine)
