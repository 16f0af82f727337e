"""The change watcher on SQLite and on a real PostgreSQL server: quiet when nothing was written, a change
seen once whoever wrote it (this Database, a second one as on another PC, another process), a lost
PostgreSQL connection reported and replaced, and migration 0003 up and down on both engines."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, text

from desktop_app.core import accounts
from desktop_app.core.context import Facility
from desktop_app.core.db import _alembic_config, open_database
from desktop_app.core.db.changes import ChangeFeed
from desktop_app.core.workflow import Services

TRIGGERED_TABLES = ("letters", "letter_versions", "marks", "comments", "approvals", "exports")


def no_findings(body, context):
    return []


def seen(watcher, timeout: float = 2.0) -> bool:
    """changed() as the window's next tick sees it. PostgreSQL hands a NOTIFY to the listening connection
    right after the writer's commit; a few milliseconds may pass, a timer tick is seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if watcher.changed():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


@pytest.fixture
def svc(db):
    return Services.open(db, no_findings)


@pytest.fixture
def people(db, svc):
    admin = accounts.add_user(db, "施設長", ["admin", "reviewer"], "admin-pass-kiku-4827", None)
    svc.admin.set_facility(Facility(name="特別養護老人ホーム テスト苑"), admin)
    writer = accounts.add_user(db, "作成 太郎", ["writer"], "writer-pass-kiku-4827", admin)
    reviewer = accounts.add_user(db, "確認 花子", ["reviewer"], "review-pass-kiku-4827", admin)
    return {"admin": admin, "writer": writer, "reviewer": reviewer}


@pytest.fixture
def second_pc(db_url):
    """The same database opened again, as the app on another PC opens it."""
    other = open_database(db_url, backup=False)
    yield other
    other.dispose()


def new_letter(svc, people) -> int:
    return svc.workflow.create(people["writer"], "monthly_report", "山田様\nお元気です。\n").id


def test_first_call_says_changed_then_quiet_while_nothing_is_written(db, svc, people):
    new_letter(svc, people)
    watcher = db.watcher()
    assert watcher.changed() is True
    svc.letters.queue()
    svc.letters.list()  # reading is not a change
    assert [watcher.changed() for _ in range(3)] == [False, False, False]


# Each workflow step, written on "this PC" (the watcher's own Database: its pooled connections are other
# connections than the watcher's) or on a second PC (another Database on the same file or server).
def _approve(svc, people, lid, tmp_path):
    svc.workflow.submit(people["writer"], lid)
    svc.workflow.approve(people["reviewer"], lid)


def _export(svc, people, lid, tmp_path):
    out = tmp_path / "letter.txt"
    out.write_text("", encoding="utf-8")  # written before: this step's own write is the export record

    def write(body, target):
        target.write_text(body, encoding="utf-8")

    svc.workflow.export(people["writer"], lid, out, write)


STEPS = {
    "create": lambda svc, people, lid, tmp: new_letter(svc, people),
    "save": lambda svc, people, lid, tmp: svc.workflow.save(people["writer"], lid, "山田様\n書き直しました。\n",
                                                   expected_version=svc.letters.get(lid).version),
    "propose": lambda svc, people, lid, tmp: svc.workflow.propose(people["writer"], lid, "pii.person:0:2", "ご本人の希望"),
    "submit": lambda svc, people, lid, tmp: svc.workflow.submit(people["writer"], lid),
    "return": lambda svc, people, lid, tmp: (svc.workflow.submit(people["writer"], lid),
                                             svc.workflow.return_letter(people["reviewer"], lid, "名前を伏せてください")),
    "approve": _approve,
}


@pytest.mark.parametrize("where", ["this_pc", "second_pc"])
@pytest.mark.parametrize("step", list(STEPS))
def test_a_write_is_seen_once(request, db, svc, people, where, step, tmp_path):
    lid = new_letter(svc, people)
    watcher = db.watcher()
    assert watcher.changed() and not watcher.changed()
    writer_db = db if where == "this_pc" else request.getfixturevalue("second_pc")
    STEPS[step](Services.open(writer_db, no_findings), people, lid, tmp_path)
    assert seen(watcher)
    assert watcher.changed() is False


@pytest.mark.parametrize("where", ["this_pc", "second_pc"])
def test_an_export_is_seen_once(request, db, svc, people, where, tmp_path):
    lid = new_letter(svc, people)
    _approve(svc, people, lid, tmp_path)
    watcher = db.watcher()
    assert watcher.changed() and not watcher.changed()
    writer_db = db if where == "this_pc" else request.getfixturevalue("second_pc")
    _export(Services.open(writer_db, no_findings), people, lid, tmp_path)
    assert seen(watcher)
    assert watcher.changed() is False


def test_two_watchers_of_one_database_each_see_the_change(db, svc, people):
    queue_view, main_window = db.watcher(), db.watcher()
    assert queue_view.changed() and main_window.changed()
    new_letter(svc, people)
    assert seen(queue_view)
    assert seen(main_window, timeout=0)  # the queue view's look did not use the change up


def test_a_write_from_another_process_is_seen(db, svc, people):
    lid = new_letter(svc, people)
    watcher = db.watcher()
    assert watcher.changed() and not watcher.changed()
    url = db.engine.url.render_as_string(hide_password=False)
    code = ("import sys\n"
            "from sqlalchemy import create_engine, text\n"
            "engine = create_engine(sys.argv[1])\n"
            "with engine.begin() as conn:\n"
            "    conn.execute(text('UPDATE letters SET body = :b WHERE id = :i'), {'b': '別のPCから', 'i': int(sys.argv[2])})\n"
            "engine.dispose()\n")
    subprocess.run([sys.executable, "-c", code, url, str(lid)], check=True, timeout=60)
    assert seen(watcher)
    assert watcher.changed() is False


def test_a_closed_watcher_or_a_disposed_database_says_changed(db):
    closed, kept = db.watcher(), db.watcher()
    closed.changed()
    kept.changed()
    closed.close()
    assert [closed.changed() for _ in range(2)] == [True, True]
    db.dispose()
    assert [kept.changed() for _ in range(2)] == [True, True]  # its connection is gone: always "re-read"


def test_invalidate_makes_the_next_look_a_change(db):
    watcher = db.watcher()
    watcher.changed()
    watcher.invalidate()  # the caller's re-read failed
    assert watcher.changed() is True
    assert watcher.changed() is False


# ---- SQLite ------------------------------------------------------------------------------------
@pytest.fixture
def sqlite_db(tmp_path):
    database = open_database(f"sqlite:///{(tmp_path / 'w.sqlite3').as_posix()}", backup=False)
    yield database
    database.dispose()


def test_sqlite_watcher_holds_no_read_transaction_that_would_pin_the_wal(sqlite_db):
    watcher = sqlite_db.watcher()
    watcher.changed()
    with sqlite_db.engine.begin() as conn:
        conn.execute(text("INSERT INTO facility_settings (key, value) VALUES ('x', '{}')"))
    assert watcher.changed()
    raw = sqlite_db.engine.raw_connection()
    try:
        busy, _log, _done = raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        raw.close()
    assert busy == 0  # a reader holding a snapshot would make the checkpoint busy


def test_sqlite_counts_any_commit_as_a_change(sqlite_db):
    """SQLite has no notifications: data_version moves on every commit, also to users or recovery slots.
    A write that is not about letters costs one re-read, never a missed change."""
    watcher = sqlite_db.watcher()
    watcher.changed()
    accounts.add_user(sqlite_db, "施設長", ["admin"], "admin-pass-kiku-4827", None)
    assert watcher.changed() is True


def test_sqlite_file_that_vanished_says_changed_and_does_not_raise(tmp_path):
    path = tmp_path / "gone.sqlite3"
    feed = ChangeFeed(create_engine(f"sqlite:///{(path / 'nowhere' / 'x.sqlite3').as_posix()}"))
    first = feed.current()
    assert feed.current() > first  # cannot open: every look says "changed"
    feed.close()


# ---- PostgreSQL ----------------------------------------------------------------------------------
@pytest.fixture
def pg_db(postgres_server):
    database = open_database(postgres_server.new_database())
    yield database
    database.dispose()


@pytest.mark.parametrize("table", TRIGGERED_TABLES)
def test_postgresql_every_workflow_table_notifies(pg_db, table):
    """A statement on any workflow table notifies, whatever code wrote it (here: plain SQL)."""
    watcher = pg_db.watcher()
    watcher.changed()
    other = open_database(pg_db.engine.url.render_as_string(hide_password=False), backup=False)
    try:
        with other.engine.begin() as conn:
            conn.execute(text(f"DELETE FROM {table}"))
    finally:
        other.dispose()
    assert seen(watcher)
    assert watcher.changed() is False


def test_postgresql_writes_outside_the_workflow_tables_do_not_notify(pg_db):
    watcher = pg_db.watcher()
    watcher.changed()
    accounts.add_user(pg_db, "施設長", ["admin"], "admin-pass-kiku-4827", None)  # users and the audit log
    with pg_db.engine.begin() as conn:
        conn.execute(text("SELECT pg_notify('some_other_channel', 'x')"))
    assert seen(watcher, timeout=0.3) is False


def test_postgresql_lost_connection_says_changed_then_listens_again(pg_db, postgres_server):
    svc = Services.open(pg_db, no_findings)
    admin = accounts.add_user(pg_db, "施設長", ["admin", "writer"], "admin-pass-kiku-4827", None)
    svc.admin.set_facility(Facility(name="テスト苑"), admin)
    watcher = pg_db.watcher()
    assert watcher.changed() and not watcher.changed()
    with pg_db.engine.begin() as conn:
        killed = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                   "WHERE application_name = 'careletter-watch'")).scalar()
    assert killed == 1
    # the drop is found, not raised; then a new connection, which cannot know what it missed meanwhile;
    # then listening again, and quiet
    assert [watcher.changed() for _ in range(4)] == [True, True, False, False]
    svc.workflow.create(admin, "monthly_report", "山田様\n")
    assert seen(watcher)
    assert watcher.changed() is False


def test_postgresql_server_away_says_changed_and_does_not_raise():
    feed = ChangeFeed(create_engine("postgresql+psycopg://nobody@127.0.0.1:1/careletter"))
    first = feed.current()
    assert feed.current() > first and feed.current() > first + 1  # each look: "re-read"
    feed.close()


# ---- migration 0003 ------------------------------------------------------------------------------
def triggers(db) -> set[str]:
    with db.engine.connect() as conn:
        if db.backend == "postgresql":
            return set(conn.execute(text(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars())
        return set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())


def migrate(db, direction: str, revision: str) -> None:
    from alembic import command

    with db.engine.begin() as conn:
        getattr(command, direction)(_alembic_config(conn), revision)


def test_migration_0003_upgrades_and_downgrades_on_both_engines(db):
    notify = {f"{t}_notify_change" for t in TRIGGERED_TABLES} if db.backend == "postgresql" else set()
    at_head = triggers(db)  # an empty database opened = upgraded to head
    assert notify <= at_head
    assert (at_head - notify) and all("notify" not in t for t in at_head - notify)  # the append-only ones (0006+)
    migrate(db, "downgrade", "0002")
    assert triggers(db) == set()
    migrate(db, "upgrade", "0003")
    assert triggers(db) == notify
    migrate(db, "upgrade", "head")
    assert triggers(db) == at_head
