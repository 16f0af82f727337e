"""Opening the workflow database: SQLite in the user data folder by default, PostgreSQL for a facility
with several PCs. Migrates the schema with Alembic, backs the SQLite file up, and turns every way a
database can be unusable into a DatabaseUnavailable with a reason the window and the CLI can explain."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

DB_ENV = "CARELETTER_DB"
DB_FILE = "careletter.sqlite3"
LEGACY_FILE = "drafts.sqlite3"  # the drafts database before the review workflow
BACKUPS_KEPT = 3
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DatabaseUnavailable(Exception):
    """reason: corrupt | locked | newer_schema | unreachable | bad_url | permission."""

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
    if "not a database" in msg or "malformed" in msg or "file is encrypted" in msg:
        return DatabaseUnavailable("corrupt", f"{where}が壊れているため開けません。", path)
    if "locked" in msg or "busy" in msg:
        return DatabaseUnavailable("locked", f"{where}は別のプログラムが使用中です。しばらくしてからもう一度お試しください。", path)
    if "readonly" in msg or "permission" in msg or "unable to open" in msg:
        return DatabaseUnavailable("permission", f"{where}を開けません（書き込み権限を確認してください）。", path)
    return DatabaseUnavailable("unreachable", f"データベースに接続できません（{getattr(exc, 'orig', exc)}）。"
                               "設定のデータベースURLとネットワークを確認してください。", path)


def _private(path: Path, mode: int) -> None:
    """Letters hold names and diagnoses: on macOS and Linux only the user may read them."""
    if os.name == "nt":
        return  # the data folder is under the user's own profile
    with contextlib.suppress(OSError):
        if path.exists() and stat.S_IMODE(path.stat().st_mode) != mode:
            os.chmod(path, mode)


def _sqlite_check(path: Path) -> None:
    """Open with the plain driver first: a corrupt file is told apart from a locked one before any migration."""
    if not path.exists():
        return
    try:
        con = sqlite3.connect(str(path), timeout=5)
        try:
            row = con.execute("PRAGMA quick_check").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise _explain(exc, f"sqlite:///{path}") from exc
    if not row or row[0] != "ok":
        raise DatabaseUnavailable("corrupt", f"「{path}」が壊れているため開けません。", path)


def backups_dir(path: Path) -> Path:
    return path.parent / "backups"


def list_backups(path: Path) -> list[Path]:
    """Newest first."""
    folder = backups_dir(path)
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{path.stem}-*.sqlite3"), reverse=True)


def backup_sqlite(path: Path, keep: int = BACKUPS_KEPT) -> Path | None:
    """SQLite's online backup into backups/, keeping the newest `keep` generations."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    folder = backups_dir(path)
    folder.mkdir(mode=0o700, exist_ok=True)
    _private(folder, 0o700)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    target = folder / f"{path.stem}-{stamp}.sqlite3"
    src = sqlite3.connect(str(path), timeout=5)
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    _private(target, 0o600)
    for old in list_backups(path)[keep:]:
        with contextlib.suppress(OSError):
            old.unlink()
    return target


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
HEAD_REVISION = "0006"


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


def open_database(url: str, *, backup: bool = True) -> Database:
    """Open (and create or migrate) the database at url. Raises DatabaseUnavailable."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable("bad_url", f"データベースのURLが正しくありません：{url}") from exc
    path = _sqlite_path(url)
    if path is not None:
        folder_existed = path.parent.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        if not folder_existed:
            _private(path.parent, 0o700)
        legacy = path.parent / LEGACY_FILE
        if not path.exists() and legacy.exists() and path.name != LEGACY_FILE:
            _sqlite_check(legacy)
            shutil.copy2(legacy, path)  # the old file stays as it was, as a backup
        _sqlite_check(path)
        if backup:
            try:
                backup_sqlite(path)
            except sqlite3.DatabaseError as exc:
                raise _explain(exc, url) from exc
    try:
        if path is not None:
            engine = create_engine(url, connect_args={"timeout": 30})  # writers queue for the write lock
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
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
