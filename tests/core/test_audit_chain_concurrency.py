"""Many PCs writing at once: every act appends to the audit chain, and the database serialises the
appends (SQLite BEGIN IMMEDIATE, PostgreSQL an advisory lock and FOR UPDATE on the head), so an honest
facility's log never reads as tampered. Real processes against a real database file / server."""

from __future__ import annotations

import multiprocessing

import pytest

from desktop_app.core import accounts, audit
from desktop_app.core.context import CheckContext, Facility
from desktop_app.core.db import open_database
from desktop_app.core.workflow import Services

WRITERS = 50
WRITER_PASSWORD = "momiji-kaede-2846-yama"


def _no_findings(_body, _context):
    return []


def _write_one(url: str, n: int, start, results) -> None:
    """One `letters new --as` in a process of its own (forked: the parent's engine is not used here): a
    bare entry (the transaction's first write, after it read the head), a login and a letter."""
    try:
        db = open_database(url, backup=False)
        try:
            start.wait(timeout=30)
            with db.session() as s:  # an act whose first write is its entry: a refused login (never signed)
                audit.append(s, accounts.UNKNOWN_NAME, "login_failed", detail=f"writer {n}")
            writer = accounts.authenticate(db, "記録 三郎", WRITER_PASSWORD)
            svc = Services.open(db, _no_findings)
            svc.workflow.create(writer, "monthly_report", f"佐々木様\n{n}回目のお便りです。庭の梅が咲きました。\n",
                                {"recipient_name": "佐々木 和子"}, CheckContext(recipient="佐々木 和子"))
            results.put(("ok", n))
        finally:
            db.dispose()
    except BaseException as exc:  # reported to the parent, which fails the test with it
        results.put(("error", f"{n}: {type(exc).__name__}: {exc}"))


def test_parallel_writers_leave_one_chain(db_url):
    db = open_database(db_url, backup=False)
    admin = accounts.add_user(db, "施設長", ["admin", "reviewer"], "sakura-kiku-7391-umi", None)
    Services.open(db, _no_findings).admin.set_facility(Facility(name="グループホーム 若葉の家"), admin)
    accounts.add_user(db, "記録 三郎", ["writer"], WRITER_PASSWORD, admin)
    db.dispose()  # no pooled connection crosses the fork

    ctx = multiprocessing.get_context("fork")
    start = ctx.Barrier(WRITERS)
    results = ctx.Queue()
    procs = [ctx.Process(target=_write_one, args=(db_url, n, start, results)) for n in range(WRITERS)]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    errors = [msg for kind, msg in outcomes if kind == "error"]
    assert errors == []

    db = open_database(db_url, backup=False)
    try:
        result = audit.verify(db)
        assert result.ok, f"BROKEN at entry {result.broken_id}: {result.problem}"
        actions = [e.action for e in audit.entries(db)]
        assert actions.count("create") == WRITERS and actions.count("login") == WRITERS
        assert actions.count("login_failed") == WRITERS
        count, _hash = audit.head(db)
        assert count == result.checked
    finally:
        db.dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_reads_do_not_block_on_a_writer(tmp_path, backend):
    """verify reads a snapshot (BEGIN DEFERRED): a transaction holding the write lock does not stop it."""
    url = f"sqlite:///{(tmp_path / 'w.sqlite3').as_posix()}"
    db = open_database(url, backup=False)
    other = open_database(url, backup=False)
    try:
        with db.session() as s:
            audit.append(s, "system", "comment")
        with other.session() as s:  # holds SQLite's write lock until the block ends
            audit.append(s, "system", "comment")
            result = audit.verify(db)
            assert result.ok and result.checked == 1
        assert audit.verify(db).checked == 2
    finally:
        db.dispose()
        other.dispose()
