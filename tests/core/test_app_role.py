"""The PostgreSQL role the app connects as (issue 21, migration 0006's notes made real): created by the owner
with a password, granted by core.db.app_role, it runs a whole day of work (accounts, create, save, submit,
approve, export, the retention purge through careletter_purge), and cannot change the record even when the
owner has switched the append-only triggers off: the grants alone hold."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from desktop_app.core import accounts, audit
from desktop_app.core.context import CheckContext, Facility
from desktop_app.core.db import open_database
from desktop_app.core.db.app_role import BadRoleName, grant_app_role, grant_statements
from desktop_app.core.db.models import Approval, Export, Letter
from desktop_app.core.workflow import Services
from desktop_app.core.workflow.state import Status
from tests.conftest import unguard

ROLE = "careletter_app"
ROLE_PASSWORD = "hotaru-yuzu-8142-kumo"


def no_findings(_body, _context):
    return []


def write_text(body: str, target: Path) -> None:
    target.write_text(body, encoding="utf-8")


@pytest.fixture
def owner_and_app(postgres_server, tmp_path, monkeypatch):
    url = postgres_server.new_database()
    owner = open_database(url, backup=False)  # the owner runs the migrations
    role = f"{ROLE}_{make_url(url).database}"  # one role per test database (roles are server-wide)
    with owner.engine.begin() as c:
        c.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{ROLE_PASSWORD}'")
    grant_app_role(owner, role)
    passfile = tmp_path / "pgpass"  # the password never goes into a URL
    passfile.write_text(f"*:*:*:{role}:{ROLE_PASSWORD}\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    app = open_database(make_url(url).set(username=role).render_as_string(hide_password=False), backup=False)
    yield owner, app, role
    app.dispose()
    owner.dispose()


def refused(app, statement: str) -> None:
    with pytest.raises(ProgrammingError) as info, app.engine.begin() as c:
        c.execute(text(statement))
    assert isinstance(info.value.orig, psycopg.errors.InsufficientPrivilege), info.value


def day_of_work(svc, admin, writer, reviewer, out: Path) -> int:
    lid = svc.workflow.create(writer, "monthly_report", "藤田様\n今月は菜園で育てたミニトマトを収穫されました。\n", {},
                              CheckContext(recipient="藤田 節子")).id
    v = svc.letters.get(lid)
    svc.workflow.save(writer, lid, v.body + "収穫祭では皆さまに配って回られました。\n", v.version)
    svc.workflow.submit(writer, lid)
    svc.workflow.approve(reviewer, lid, version=svc.letters.get(lid).text_version)
    svc.workflow.export(writer, lid, out, write_text)
    return lid


def test_the_app_role_works_a_day_and_cannot_change_the_record(owner_and_app, tmp_path):
    owner, app, role = owner_and_app
    with app.engine.connect() as c:
        assert c.exec_driver_sql("SELECT current_user").scalar() == role
        assert c.exec_driver_sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").scalar() is False
    admin = accounts.add_user(app, "統括 和子", ["admin", "reviewer"], "sakura-kiku-7391-umi", None)
    svc = Services.open(app, no_findings)
    svc.admin.set_facility(Facility(name="特別養護老人ホーム しおさい"), admin)
    writer = accounts.add_user(app, "記録 一樹", ["writer"], "momiji-kaede-2048-yama", admin)
    reviewer = accounts.add_user(app, "点検 里美", ["reviewer"], "tsubaki-ume-5813-kawa", admin)
    accounts.set_roles(app, reviewer.name, ["reviewer", "writer"], admin)

    first = day_of_work(svc, admin, writer, reviewer, tmp_path / "一通目.txt")
    # the retention purge, through the SECURITY DEFINER function (the role has no DELETE on the records)
    assert svc.admin.purge_expired(now=dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=4000)) == 1
    with app.session(write=False) as s:
        assert s.get(Letter, first) is None
        assert s.execute(select(Approval).where(Approval.letter_id == first)).first() is None
    second = day_of_work(svc, admin, writer, reviewer, tmp_path / "二通目.txt")
    assert svc.letters.get(second).status == Status.EXPORTED
    # an edit after an approval voids it (UPDATE of voided_at, once) on a third letter
    third = svc.workflow.create(writer, "monthly_report", "小池様\n朝の体操に毎日参加されています。\n", {},
                                CheckContext(recipient="小池 勝")).id
    svc.workflow.submit(writer, third)
    svc.workflow.approve(reviewer, third, version=1)
    v = svc.letters.get(third)
    svc.workflow.save(writer, third, v.body + "笑顔が増えました。\n", v.version)
    with app.session(write=False) as s:
        assert s.execute(select(Approval.voided_at).where(Approval.letter_id == third)).scalar_one() is not None
    assert audit.verify(app).ok

    unguard(owner)  # the owner switches every append-only trigger off: only the grants are left
    refused(app, "UPDATE audit_log SET actor = '施設長' WHERE id = 1")
    refused(app, "DELETE FROM audit_log")
    refused(app, "DELETE FROM approvals")
    refused(app, "DELETE FROM exports")
    refused(app, "UPDATE approvals SET approver_id = approver_id")
    refused(app, "UPDATE exports SET body_sha = 'x', file_name = 'forged.docx'")
    refused(app, "INSERT INTO purge_token (txid) VALUES (txid_current())")
    # file_sha and voided_at are the app's own updates, allowed once: a written export's hash and a voided
    # approval are out of reach (row-level security), however the statement is written
    with app.engine.begin() as c:
        assert c.execute(text("UPDATE exports SET file_sha = repeat('0', 64)")).rowcount == 0
        assert c.execute(text("UPDATE exports SET status = 'pending'")).rowcount == 0
        assert c.execute(text("UPDATE approvals SET voided_at = NULL WHERE voided_at IS NOT NULL")).rowcount == 0
    with app.session(write=False) as s:
        written = s.execute(select(Export).where(Export.letter_id == second)).scalar_one()
    assert written.status == "written" and written.file_sha != "0" * 64
    assert audit.verify(app).ok  # nothing changed


def test_grant_statements_quote_a_checked_role_name_only():
    sql = grant_statements("careletter_app")
    assert "GRANT SELECT, INSERT ON audit_log, approvals, exports TO \"careletter_app\"" in sql
    assert not any("DELETE" in s and ("audit_log" in s or "approvals" in s) and s.startswith("GRANT") for s in sql)
    for bad in ("app; DROP TABLE letters", "Care", "postgres", "", "x" * 64):
        with pytest.raises(BadRoleName):
            grant_statements(bad)


def test_the_cli_prints_the_grants_and_runs_them_as_the_owner(postgres_server, capsys):
    from desktop_app import cli

    assert cli.main(["db", "grant-app-role", "careletter_app", "--print"]) == 0
    out = capsys.readouterr().out
    assert "GRANT SELECT, INSERT ON audit_log, approvals, exports TO \"careletter_app\";" in out
    assert "GRANT EXECUTE ON FUNCTION careletter_purge(integer[])" in out
    assert cli.main(["db", "grant-app-role", "app; DROP TABLE letters", "--print"]) == 2

    url = postgres_server.new_database()
    open_database(url, backup=False).dispose()
    role = f"cli_{make_url(url).database}"
    assert cli.main(["--db", url, "db", "grant-app-role", role]) == 2  # the owner makes the role first
    assert "CREATE ROLE" in capsys.readouterr().err
    owner = open_database(url, backup=False)
    try:
        with owner.engine.begin() as c:
            c.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        assert cli.main(["--db", url, "db", "grant-app-role", role]) == 0
        with owner.engine.connect() as c:
            can = c.execute(text("SELECT has_table_privilege(:r, 'audit_log', 'INSERT'), "
                                 "has_table_privilege(:r, 'audit_log', 'UPDATE'), "
                                 "has_table_privilege(:r, 'approvals', 'DELETE'), "
                                 "has_table_privilege(:r, 'letters', 'UPDATE')"), {"r": role}).one()
        assert tuple(can) == (True, False, False, True)
    finally:
        owner.dispose()


def test_every_table_of_the_models_has_its_grant():
    """A table added later (letter_sources came with Word letters on any PC) without a grant makes the app's
    role fail at its first use on a facility's server: every model table is named in one of the lists."""
    from desktop_app.core.db import app_role
    from desktop_app.core.db.models import Base

    granted = set(app_role.APPEND_ONLY) | set(app_role.KEPT) | {app_role.HEAD}
    assert set(Base.metadata.tables) <= granted, sorted(set(Base.metadata.tables) - granted)
