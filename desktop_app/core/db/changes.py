"""Tells the windows cheaply whether the workflow data changed, so their timers need not re-read every letter."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from sqlalchemy.engine import Engine

CHANNEL = "careletter_changes"  # the PostgreSQL NOTIFY channel; migration 0003 feeds it from triggers
RECONNECT_AFTER_S = 5.0  # a server that is away is not asked again on every tick (each try may wait)
CONNECT_TIMEOUT_S = 3


class _SqliteProbe:
    """PRAGMA data_version on a connection of its own that never writes: the number moves whenever any
    OTHER connection commits to the file (the app's pooled connections, another process, another PC)."""

    def __init__(self, path: Path):
        self.path = path
        self._con: sqlite3.Connection | None = None
        self._last: int | None = None

    def poll(self) -> bool:
        try:
            if self._con is None:
                # autocommit (isolation_level=None): no read transaction stays open, which would pin the
                # WAL and freeze data_version at the snapshot
                self._con = sqlite3.connect(str(self.path), timeout=1, isolation_level=None,
                                            check_same_thread=False)
            version = self._con.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error:
            self.close()  # a file that went away or is locked: say "changed" and let the reader explain
            return True
        changed = version != self._last
        self._last = version
        return changed

    def close(self) -> None:
        if self._con is not None:
            try:
                self._con.close()
            except sqlite3.Error:
                pass
            self._con = None
        self._last = None  # a new connection starts a new count: its first answer is "changed"


class _PostgresProbe:
    """LISTEN on its own autocommit connection; the triggers of migration 0003 NOTIFY on every write to
    the workflow tables, whoever writes (this PC, another PC, psql)."""

    def __init__(self, engine: Engine):
        # the engine's own connect arguments: Database.url hides the password, the dialect does not
        _args, params = engine.dialect.create_connect_args(engine.url)
        params.pop("context", None)
        params.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
        params["application_name"] = "careletter-watch"  # so an administrator can tell it in pg_stat_activity
        self._params = params
        self._con = None
        self._next_try = 0.0

    def _connect(self) -> bool:
        if time.monotonic() < self._next_try:
            return False
        try:
            import psycopg

            self._con = psycopg.connect(autocommit=True, **self._params)
            self._con.execute(f"LISTEN {CHANNEL}")
        except Exception:
            self.close()
            self._next_try = time.monotonic() + RECONNECT_AFTER_S
            return False
        return True

    def poll(self) -> bool:
        if self._con is None:
            self._connect()
            return True  # nothing was heard while there was no connection: assume the worst
        try:
            # A round trip first: the server has queued the NOTIFY of any commit that finished before it,
            # and a connection the server dropped is found here, not only after the OS gives up on it.
            self._con.execute("SELECT 1")
            # drained to the end: a generator left half-read puts the rest back for the next look
            return len(list(self._con.notifies(timeout=0))) > 0
        except Exception:
            self.close()
            return True

    def close(self) -> None:
        if self._con is not None:
            try:
                self._con.close()
            except Exception:
                pass
            self._con = None


class _AlwaysProbe:
    """A database this module cannot watch (in-memory SQLite, another engine): every tick re-reads, as before."""

    def poll(self) -> bool:
        return True

    def close(self) -> None:
        pass


class ChangeFeed:
    """One watching connection per Database, shared by all its watchers: a counter that moves on change."""

    def __init__(self, engine: Engine):
        backend = engine.dialect.name
        database = engine.url.database
        if backend == "sqlite" and database and database != ":memory:" and not database.startswith("file:"):
            self._probe = _SqliteProbe(Path(database))
        elif backend == "postgresql":
            self._probe = _PostgresProbe(engine)
        else:
            self._probe = _AlwaysProbe()
        self._lock = threading.Lock()  # one probe connection; a check from a worker thread must wait its turn
        self._closed = False
        self.generation = 0

    def current(self) -> int:
        with self._lock:
            # closed: a window still holding a watcher must not open a connection again, nor miss a change
            if self._closed or self._probe.poll():
                self.generation += 1
            return self.generation

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._probe.close()


class ChangeWatcher:
    """changed(): has any letter-related data changed since this watcher's last call? The first call says
    True. A lost connection also says True (a re-read is the safe answer). Each window holds its own
    watcher, so one window's look does not hide a change from another."""

    def __init__(self, feed: ChangeFeed):
        self._feed = feed
        self._seen: int | None = None
        self._closed = False

    def changed(self) -> bool:
        if self._closed:
            return True
        generation = self._feed.current()
        changed = generation != self._seen
        self._seen = generation
        return changed

    def invalidate(self) -> None:
        """The caller's re-read failed: the next changed() says True so it tries again."""
        self._seen = None

    def close(self) -> None:
        # the connection belongs to the Database's feed (closed by Database.dispose): this watcher only
        # stops asking, and says True from now on
        self._closed = True
