"""Backups of the SQLite workflow database, in backups/ next to it.

A backup is taken only when the database is opened for writing and the newest backup is more than a day
old (a read never takes one, so reads cannot push out the copy from before a mistake). Every change to the
backups folder happens under one lock file: two processes never write or delete the same backup. A
backup is written under a temporary name and renamed when complete, so a half-written one never carries a
backup's name. Kept: the newest of each of the last 7 days that have one, and the newest of each of the
last 4 ISO weeks.

PostgreSQL is backed up by the facility's own server tools, not by the app."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

BACKUP_EVERY = dt.timedelta(days=1)
DAILY_KEPT = 7
WEEKLY_KEPT = 4
_STAMP = "%Y%m%d-%H%M%S-%f"
_SUFFIX = ".sqlite3"
_TMP_SUFFIX = ".partial"
# the tables a retention purge deletes a letter from (admin.purge_expired), children first
PURGED_TABLES = ("letter_versions", "marks", "comments", "approvals", "exports", "letter_sources")


def private(path: Path, mode: int) -> None:
    """Letters hold names and diagnoses: on macOS and Linux only the user may read them."""
    if os.name == "nt":
        return  # the data folder is under the user's own profile
    with contextlib.suppress(OSError):
        if path.exists() and stat.S_IMODE(path.stat().st_mode) != mode:
            os.chmod(path, mode)


def backups_dir(path: Path) -> Path:
    return path.parent / "backups"


def backup_time(path: Path, backup: Path) -> dt.datetime | None:
    """When `backup` was taken, read from its name; None for a file that is not one of path's backups."""
    name = backup.name
    prefix = f"{path.stem}-"
    if not (name.startswith(prefix) and name.endswith(_SUFFIX)):
        return None
    try:
        return dt.datetime.strptime(name[len(prefix):-len(_SUFFIX)], _STAMP)
    except ValueError:
        return None


def list_backups(path: Path) -> list[Path]:
    """Complete backups of path, newest first (a backup still being written has a temporary name)."""
    folder = backups_dir(path)
    if not folder.is_dir():
        return []
    found = [(t, b) for b in folder.glob(f"{path.stem}-*{_SUFFIX}") if (t := backup_time(path, b)) is not None]
    return [b for _t, b in sorted(found, reverse=True)]


def backups_to_keep(times: Iterable[dt.datetime], daily: int = DAILY_KEPT, weekly: int = WEEKLY_KEPT) -> set[dt.datetime]:
    """The retention rule: the newest backup of each of the `daily` most recent days that have one, and
    the newest of each of the `weekly` most recent ISO weeks that have one."""
    by_day: dict[dt.date, dt.datetime] = {}
    by_week: dict[tuple[int, int], dt.datetime] = {}
    for t in sorted(times, reverse=True):
        by_day.setdefault(t.date(), t)
        iso = t.isocalendar()
        by_week.setdefault((iso[0], iso[1]), t)
    return set(list(by_day.values())[:daily]) | set(list(by_week.values())[:weekly])


@contextlib.contextmanager
def folder_lock(folder: Path, wait: bool) -> Iterator[bool]:
    """An exclusive lock on folder/.lock (fcntl on macOS and Linux, msvcrt on Windows), released when the
    block ends or the process dies. Yields False when `wait` is off and another process holds it."""
    fd = os.open(str(folder / ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    got = False
    try:
        if os.name == "nt":
            import msvcrt

            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
                got = True
            except OSError:
                got = False
        else:
            import fcntl

            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
                got = True
            except OSError:
                got = False
        yield got
    finally:
        if got:
            with contextlib.suppress(OSError):
                if os.name == "nt":
                    import msvcrt

                    os.lseek(fd, 0, os.SEEK_SET)
                    msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
                else:
                    import fcntl

                    fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _folder(path: Path) -> Path:
    folder = backups_dir(path)
    folder.mkdir(mode=0o700, exist_ok=True)
    private(folder, 0o700)
    return folder


def _take(path: Path, folder: Path, now: dt.datetime) -> Path:
    """SQLite's online backup into a temporary name, renamed once complete. Called under the lock."""
    for stale in folder.glob(f"*{_TMP_SUFFIX}*"):  # left by a process that died while writing: no one else writes now
        with contextlib.suppress(OSError):
            stale.unlink()
    target = folder / f"{path.stem}-{now.strftime(_STAMP)}{_SUFFIX}"
    tmp = folder / f"{target.name}{_TMP_SUFFIX}"
    try:
        src = sqlite3.connect(str(path), timeout=10)
        try:
            dst = sqlite3.connect(str(tmp))
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")  # a backup is one self-contained file
            finally:
                dst.close()
        finally:
            src.close()
        private(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return target


def _prune(path: Path) -> None:
    times = {t: b for b in list_backups(path) if (t := backup_time(path, b)) is not None}
    keep = backups_to_keep(times)
    for t, b in times.items():
        if t not in keep:
            with contextlib.suppress(OSError):
                b.unlink()


def backup_sqlite(path: Path, now: dt.datetime | None = None) -> Path | None:
    """Take a backup now (waiting for the lock), then apply the retention rule."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    folder = _folder(path)
    with folder_lock(folder, wait=True):
        target = _take(path, folder, now or dt.datetime.now())
        _prune(path)
    return target


def backup_if_due(path: Path, now: dt.datetime | None = None) -> Path | None:
    """The backup taken when the database is opened for writing: only when the newest backup is older than
    BACKUP_EVERY, and skipped when another process holds the lock (it is taking that backup)."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    now = now or dt.datetime.now()
    newest = list_backups(path)
    if newest and (t := backup_time(path, newest[0])) is not None and now - t < BACKUP_EVERY:
        return None  # the common case, without touching the lock
    folder = _folder(path)
    with folder_lock(folder, wait=False) as got:
        if not got:
            return None
        newest = list_backups(path)  # another process may have taken it while this one waited
        if newest and (t := backup_time(path, newest[0])) is not None and now - t < BACKUP_EVERY:
            return None
        target = _take(path, folder, now)
        _prune(path)
    return target


def _scrub_one(backup: Path, letter_ids: list[int]) -> None:
    con = sqlite3.connect(str(backup), timeout=10, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=DELETE")
        con.execute("PRAGMA secure_delete=ON")
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        touched = [t for t in (*PURGED_TABLES, "letters") if t in tables]
        # triggers that refuse deletes (the append-only tables) are set aside for this scrub and put back
        triggers = con.execute("SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name IN "
                               f"({','.join('?' * len(touched))})", touched).fetchall() if touched else []
        marks = ",".join("?" * len(letter_ids))
        con.execute("BEGIN IMMEDIATE")
        try:
            for name, _sql in triggers:
                con.execute(f'DROP TRIGGER "{name}"')
            for t in touched:
                column = "id" if t == "letters" else "letter_id"
                con.execute(f'DELETE FROM "{t}" WHERE {column} IN ({marks})', letter_ids)
            for _name, sql in triggers:
                con.execute(sql)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("VACUUM")
    finally:
        con.close()


def scrub_backups(path: Path, letter_ids: Iterable[int]) -> int:
    """Remove purged letters (and their versions, marks, comments, approvals and exports) from every backup
    and VACUUM it, so their text is in no backup file. A backup that cannot be rebuilt is deleted: purged
    text must not stay anywhere. Returns how many backups were rebuilt."""
    ids = sorted(set(letter_ids))
    folder = backups_dir(path)
    if not ids or not folder.is_dir():
        return 0
    rebuilt = 0
    with folder_lock(folder, wait=True):
        for b in list_backups(path):
            try:
                _scrub_one(b, ids)
                rebuilt += 1
            except sqlite3.Error:
                with contextlib.suppress(OSError):
                    b.unlink()
            for side in (Path(f"{b}-journal"), Path(f"{b}-wal"), Path(f"{b}-shm")):
                if not b.exists():
                    with contextlib.suppress(OSError):
                        side.unlink()
    return rebuilt


def vacuum(path: Path) -> None:
    """VACUUM the main file after a purge (outside any transaction), then fold the write-ahead log into it
    and empty it: the log, too, holds pages written while the letter existed."""
    con = sqlite3.connect(str(path), timeout=10, isolation_level=None)
    try:
        con.execute("PRAGMA secure_delete=ON")
        con.execute("VACUUM")
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
