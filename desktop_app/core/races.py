"""Races are refusals, not crashes: whatever another PC (or another window) changed first while an act ran,
the act ends in WorkflowRefused(CONFLICT) with a message saying who changed what, never in an internal
error. One place maps the database's ways of saying so: SQLAlchemy's StaleDataError (the row's version moved
on), an IntegrityError (a unique rule the other act satisfied first: one approval per version) and the
database being busy (SQLite's "database is locked", PostgreSQL's deadlock and lock timeouts)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from desktop_app.core.errors import Refusal, WorkflowRefused

CHANGED_FIRST = "ほかの方が先に変更しました"
_BUSY = ("database is locked", "database table is locked", "busy", "deadlock detected", "could not serialize",
         "lock timeout", "could not obtain lock", "lock not available")


def is_busy(exc: BaseException) -> bool:
    """The database refused because another connection holds the lock (not because it is unreachable)."""
    return isinstance(exc, OperationalError) and any(w in str(exc.orig).lower() for w in _BUSY)


def local_time(at: str) -> str:
    """An audit entry's UTC time as the person's clock shows it (「14:05」, with the date when not today)."""
    try:
        when = dt.datetime.fromisoformat(at).replace(tzinfo=dt.UTC).astimezone()
    except ValueError:
        return at
    return when.strftime("%H:%M") if when.date() == dt.date.today() else when.strftime("%Y-%m-%d %H:%M")


def race_message(exc: BaseException, who: str = "") -> str:
    if is_busy(exc):
        return (f"{CHANGED_FIRST}（または、いま変更中です）。この操作は行われていません。"
                "しばらくしてから、もう一度お試しください。")
    where = f"（{who}）" if who else ""
    return f"{CHANGED_FIRST}{where}。この操作は行われていません。開き直して内容を確かめてから、もう一度お試しください。"


def is_race(exc: BaseException) -> bool:
    return isinstance(exc, StaleDataError | IntegrityError) or is_busy(exc)


@contextlib.contextmanager
def refuse_races(who: Callable[[], str] | None = None) -> Iterator[None]:
    """Run a transaction; a lost race becomes WorkflowRefused(CONFLICT). `who` (called after the rollback)
    says who changed what first, e.g. 「佐藤さんが 14:05 に承認」; it may return ""."""
    try:
        yield
    except WorkflowRefused:
        raise
    except Exception as exc:
        if not is_race(exc):
            raise
        said = ""
        if who is not None and not is_busy(exc):
            try:
                said = who()
            except Exception:  # noqa: BLE001 - the refusal is what matters; the name is a courtesy
                said = ""
        raise WorkflowRefused(Refusal.CONFLICT, race_message(exc, said), race=type(exc).__name__) from None
