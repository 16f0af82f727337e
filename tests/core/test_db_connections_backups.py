"""Issue 21, connections and backups: connect time-out, bad URL parts, SQLite paths that must not become a
database, the password never on the command line, backups only for writes (locked, complete, 7 daily + 4
weekly), and a purge that leaves the letter's text in no file."""

from __future__ import annotations

import datetime as dt
import io
import multiprocessing
import socket
import sqlite3
import sys
import threading
import time
import types

import pytest

from desktop_app import cli, config
from desktop_app.core.db import backup as backup_mod
from desktop_app.core.db import list_backups, open_database

PASSWORD = "sakura-kiku-7391-umi"


def tables(path) -> list[str]:
    con = sqlite3.connect(str(path))
    try:
        return sorted(r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'"))
    finally:
        con.close()


# ---- connections -------------------------------------------------------------------------------------
@pytest.fixture
def silent_server():
    """A TCP server that accepts every connection and never says a word."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield srv.getsockname()[1]
    stop.set()
    t.join()
    for c in held:
        c.close()
    srv.close()


def test_silent_server_is_reported_within_the_connect_timeout(silent_server, capsys):
    started = time.monotonic()
    code = cli.main(["--db", f"postgresql+psycopg://nobody@127.0.0.1:{silent_server}/none", "audit", "verify"])
    took = time.monotonic() - started
    assert code == 2  # the database unreachable: the same exit as every DatabaseUnavailable
    assert "unreachable" in capsys.readouterr().err
    assert took < 8, f"waited {took:.1f} s"


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://nobody@127.0.0.1:abc/none",   # port not a number
    "postgresql+psycopg://nobody@127.0.0.1:70000/none",  # port out of range
    "nosuchdriver+x://nobody@host/none",                # unknown driver
    "this is not a url",                                # malformed
    "postgresql+psycopg://nobody@[::1/none",            # broken host
])
def test_bad_url_part_is_usage_error_not_internal(url, capsys):
    code = cli.main(["--db", url, "letters", "list"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "bad_url" in err


# ---- SQLite paths --------------------------------------------------------------------------------------
def test_path_in_missing_folder_is_refused_and_nothing_created(tmp_path, capsys):
    target = tmp_path / "no-such-folder" / "careletter.sqlite3"
    assert cli.main(["--db", f"sqlite:///{target}", "users", "add", "施設長", "--role", "admin",
                     "--password-stdin"]) == 2
    assert "ありません" in capsys.readouterr().err
    assert not target.parent.exists()


def test_read_command_on_mistyped_path_creates_nothing(tmp_path, capsys):
    target = tmp_path / "carelettre.sqlite3"  # a typo of an existing folder's file
    assert cli.main(["--db", f"sqlite:///{target}", "audit", "verify"]) == 2
    assert "missing" in capsys.readouterr().err and not target.exists()


def test_another_programs_sqlite_file_gets_no_tables(tmp_path, capsys):
    foreign = tmp_path / "household.sqlite3"
    con = sqlite3.connect(str(foreign))
    con.execute("CREATE TABLE expenses (id INTEGER PRIMARY KEY, item TEXT)")
    con.execute("INSERT INTO expenses (item) VALUES ('米')")
    con.commit()
    con.close()
    before = tables(foreign)
    header = foreign.read_bytes()[:100]
    for argv in (["letters", "list"], ["users", "add", "施設長", "--role", "admin", "--password-stdin"]):
        assert cli.main(["--db", f"sqlite:///{foreign}", *argv]) == 2
        assert "not_ours" in capsys.readouterr().err
    assert tables(foreign) == before == ["expenses"]
    assert foreign.read_bytes()[:100] == header  # not even switched to WAL
    assert not (tmp_path / "backups").exists()


def test_audit_verify_on_an_empty_database_says_so(tmp_path, capsys):
    path = tmp_path / "careletter.sqlite3"
    open_database(f"sqlite:///{path}", backup=False).dispose()
    assert cli.main(["--db", f"sqlite:///{path}", "audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "記録がありません" in out and "intact" not in out


def test_new_file_in_existing_folder_is_created_for_a_write(tmp_path):
    target = tmp_path / "facility.sqlite3"
    open_database(f"sqlite:///{target}").dispose()
    assert "alembic_version" in tables(target)
    open_database(f"sqlite:///{target}", backup=False, must_exist=True).dispose()  # ours now: opens


# ---- the window honours --db ------------------------------------------------------------------------
def test_window_opens_the_database_given_with_db(tmp_path, monkeypatch):
    import desktop_app.gui.app as gui_app

    # set (not deleted) first, so that monkeypatch removes what cmd_gui puts there for this process: later
    # tests must not inherit this window's database
    monkeypatch.setenv("CARELETTER_DB", "")
    target = tmp_path / "other-pc.sqlite3"
    seen = {}

    def fake_run_gui():
        from desktop_app.core.db import resolve_url

        settings = config.Settings.load()
        settings.database_url = "sqlite:///" + str(tmp_path / "from-settings.sqlite3")
        seen["url"] = resolve_url(None, config.data_dir(), settings.database_url)  # as the window resolves it
        return 0

    monkeypatch.setattr(gui_app, "run_gui", fake_run_gui)
    assert cli.main(["--db", f"sqlite:///{target}"]) == 0
    assert seen["url"] == f"sqlite:///{target}"


def test_window_login_worker_opens_the_db_url(tmp_path, monkeypatch):
    """The login worker (the window's first open) goes through resolve_url: CARELETTER_DB set by --db wins."""
    from desktop_app.gui.login_worker import DatabaseOpener

    target = tmp_path / "given.sqlite3"
    monkeypatch.setenv("CARELETTER_DB", f"sqlite:///{target}")
    opener = DatabaseOpener(config.Settings.load())
    opener.wait()
    try:
        assert opener.error is None and opener.db is not None
        assert opener.db.url == f"sqlite:///{target}"
    finally:
        opener.db.dispose()
    assert target.exists() and not (config.data_dir() / "careletter.sqlite3").exists()


# ---- the password never on the command line ----------------------------------------------------
def test_password_in_db_url_is_refused(capsys):
    code = cli.main(["--db", f"postgresql+psycopg://staff:{PASSWORD}@127.0.0.1:5432/care", "letters", "list"])
    err = capsys.readouterr().err
    assert code == 2 and "PGPASSFILE" in err and "--db-password-stdin" in err and PASSWORD not in err


def test_password_in_db_url_is_refused_for_the_window_too(monkeypatch, capsys):
    import desktop_app.gui.app as gui_app

    monkeypatch.setenv("CARELETTER_DB", "")

    monkeypatch.setattr(gui_app, "run_gui", lambda: pytest.fail("the window must not start"))
    assert cli.main(["--db", f"postgresql+psycopg://staff:{PASSWORD}@db.local/care"]) == 2


class _Captured(Exception):
    pass


def capture_engine_url(monkeypatch) -> dict:
    """Stop open_database where it would connect, keeping the URL and arguments it built."""
    import desktop_app.core.db as dbmod

    seen: dict = {}

    def fake_create_engine(url, **kw):
        seen["url"], seen["kw"] = url, kw
        raise _Captured

    monkeypatch.setattr(dbmod, "create_engine", fake_create_engine)
    return seen


def test_password_from_stdin_reaches_the_connection(monkeypatch):
    seen = capture_engine_url(monkeypatch)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(f"{PASSWORD}\nnext-line\n".encode())))
    cli.main(["--db", "postgresql+psycopg://staff@127.0.0.1:5432/care", "--db-password-stdin", "letters", "list"])
    assert seen["url"].password == PASSWORD and seen["kw"]["connect_args"]["connect_timeout"] == 5
    assert sys.stdin.read() == "next-line\n"  # the --password-stdin lines are left for the login


def test_password_from_the_keychain(monkeypatch):
    seen = capture_engine_url(monkeypatch)
    asked = []

    def get_password(service, account):
        asked.append((service, account))
        return PASSWORD

    monkeypatch.setitem(sys.modules, "keyring", types.SimpleNamespace(get_password=get_password))
    with pytest.raises(_Captured):
        open_database("postgresql+psycopg://staff@db.local/care")
    assert seen["url"].password == PASSWORD
    assert asked == [("careletter-db", "staff@db.local:5432/care")]


def test_without_keychain_entry_libpq_reads_pgpassfile(monkeypatch, tmp_path):
    """No password is put in: libpq then reads PGPASSFILE by itself (as the psycopg connection string shows)."""
    seen = capture_engine_url(monkeypatch)
    monkeypatch.setitem(sys.modules, "keyring", types.SimpleNamespace(get_password=lambda s, a: None))
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"db.local:5432:care:staff:{PASSWORD}\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    with pytest.raises(_Captured):
        open_database("postgresql+psycopg://staff@db.local/care")
    assert seen["url"].password is None
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    info = conninfo_to_dict(make_conninfo(host="db.local", user="staff", dbname="care"))
    assert "password" not in info  # so libpq's own PGPASSFILE lookup applies


def test_pgpassfile_password_is_used_by_a_real_server(postgres_server, tmp_path, monkeypatch):
    """A server that asks for a password: with it only in PGPASSFILE, the app connects."""
    url = postgres_server.new_database()
    base = open_database(url, backup=False)
    try:
        with base.engine.begin() as c:
            c.exec_driver_sql(f"CREATE ROLE pgpass_staff LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
    finally:
        base.dispose()
    from sqlalchemy.engine import make_url

    u = make_url(url)
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"*:*:*:pgpass_staff:{PASSWORD}\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    db = open_database(u.set(username="pgpass_staff").render_as_string(hide_password=False), backup=False)
    try:
        with db.engine.connect() as c:
            assert c.exec_driver_sql("SELECT current_user").scalar() == "pgpass_staff"
    finally:
        db.dispose()


# ---- backups ---------------------------------------------------------------------------------------
def make_db(tmp_path):
    path = tmp_path / "careletter.sqlite3"
    open_database(f"sqlite:///{path}", backup=False).dispose()
    return path


def test_reads_take_no_backup(tmp_path, capsys, monkeypatch):
    from desktop_app.core.accounts import add_user
    from tests.conftest import run_cli

    path = make_db(tmp_path)
    db = open_database(f"sqlite:///{path}", backup=False)
    add_user(db, "施設長", ["admin"], "kaede-suzume-5581-mori", None)
    db.dispose()
    for _ in range(3):
        for argv in (["audit", "verify"], ["audit", "show"], ["users", "list"]):
            login = [] if argv[1] == "verify" else ["--as", "施設長", "--password-stdin"]
            code, _, err = run_cli(monkeypatch, capsys, ["--db", f"sqlite:///{path}", *argv, *login],
                                   "kaede-suzume-5581-mori\n")
            assert code == 0, err
    assert list_backups(path) == []


def test_write_takes_one_backup_a_day(tmp_path):
    path = make_db(tmp_path)
    open_database(f"sqlite:///{path}").dispose()
    first = list_backups(path)
    assert len(first) == 1
    open_database(f"sqlite:///{path}").dispose()
    assert list_backups(path) == first  # newer than a day: none taken
    later = dt.datetime.now() + dt.timedelta(days=1, minutes=1)
    taken = backup_mod.backup_if_due(path, now=later)
    assert taken is not None and list_backups(path)[0] == taken


def _open_for_writing(url, start):
    start.wait()
    try:
        open_database(url).dispose()
        return ""
    except Exception as exc:  # noqa: BLE001 - reported back to the test
        return f"{type(exc).__name__}: {exc}"


def test_twenty_parallel_writers_leave_only_complete_backups(tmp_path):
    path = make_db(tmp_path)
    old = dt.datetime.now() - dt.timedelta(days=3)
    backup_mod.backup_sqlite(path, now=old)  # the newest backup is old: every process wants a new one
    ctx = multiprocessing.get_context("fork")
    start = ctx.Manager().Event()
    with ctx.Pool(20) as pool:
        results = [pool.apply_async(_open_for_writing, (f"sqlite:///{path}", start)) for _ in range(20)]
        time.sleep(0.5)
        start.set()
        errors = [r.get(timeout=60) for r in results]
    assert errors == [""] * 20
    backups = list_backups(path)
    assert len(backups) == 2  # the old one and exactly one new one
    leftovers = [p.name for p in backups[0].parent.iterdir() if p.name != ".lock" and p not in backups]
    assert leftovers == []
    for b in backups:
        con = sqlite3.connect(str(b))
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        finally:
            con.close()


def test_retention_keeps_seven_daily_and_four_weekly():
    base = dt.datetime(2025, 3, 31, 9, 0)  # a Monday
    times = [base - dt.timedelta(days=d, hours=h) for d in range(40) for h in (0, 5)]
    keep = backup_mod.backups_to_keep(times)
    daily = {base - dt.timedelta(days=d) for d in range(7)}  # the newest of each of the last 7 days
    assert daily <= keep
    # the newest of each of the last 4 ISO weeks: 2025-W14 (today), W13, W12, W11 — their Sundays' 9:00
    weekly = {base, dt.datetime(2025, 3, 30, 9), dt.datetime(2025, 3, 23, 9), dt.datetime(2025, 3, 16, 9)}
    assert weekly <= keep
    assert keep == daily | weekly and len(keep) == 9  # two weekly ones are also daily ones
    assert backup_mod.backups_to_keep([]) == set()


def test_pruning_uses_the_rule_on_files(tmp_path):
    path = make_db(tmp_path)
    base = dt.datetime(2025, 3, 31, 9, 0)
    for d in range(30):
        backup_mod.backup_sqlite(path, now=base - dt.timedelta(days=29 - d))
    kept = {backup_mod.backup_time(path, b) for b in list_backups(path)}
    assert kept == backup_mod.backups_to_keep([base - dt.timedelta(days=d) for d in range(30)])
    assert len(kept) == 9 and min(kept) == dt.datetime(2025, 3, 16, 9)


# ---- purge -------------------------------------------------------------------------------------------
def test_purged_letter_text_is_in_no_file(tmp_path, monkeypatch):
    from desktop_app.core import accounts
    from desktop_app.core.context import CheckContext, Facility
    from desktop_app.core.db.models import AuditEntry
    from desktop_app.core.workflow import Services

    path = tmp_path / "careletter.sqlite3"
    db = open_database(f"sqlite:///{path}")
    secret = "緑川しずく様は先週から右膝の痛みで通院されています"
    svc = Services.open(db, lambda text, ctx: [])
    admin = accounts.add_user(db, "施設長", ["admin", "writer", "reviewer"], PASSWORD, None)
    svc.admin.set_facility(Facility(name="ひかりの丘ホーム"), admin)
    lid = svc.workflow.create(admin, "monthly_report", f"{secret}。\n", {"recipient_name": "緑川 一郎"},
                              CheckContext(recipient="緑川 一郎")).id
    db.dispose()
    db = open_database(f"sqlite:///{path}")
    backup_mod.backup_sqlite(path, now=dt.datetime.now() - dt.timedelta(days=2))
    backup_mod.backup_sqlite(path)
    assert len(list_backups(path)) >= 2
    needle = secret.encode("utf-8")
    assert any(needle in b.read_bytes() for b in list_backups(path))
    svc = Services.open(db, lambda text, ctx: [])
    assert svc.admin.purge_expired(now=dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=4000)) == 1
    db.dispose()
    for f in [path, *path.parent.glob("careletter.sqlite3-*"), *list_backups(path)]:
        assert needle not in f.read_bytes(), f.name
    assert len(list_backups(path)) >= 2  # rebuilt, not thrown away
    db = open_database(f"sqlite:///{path}", backup=False)
    try:
        with db.session() as s:
            details = [e.detail for e in s.query(AuditEntry).filter_by(action="retention_purge", letter_id=lid)]
        assert details and "backup" in details[0]
    finally:
        db.dispose()


def test_secure_delete_is_on(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'x.sqlite3'}", backup=False)
    try:
        with db.engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    finally:
        db.dispose()
