"""Account acts are refusals too (issue 21): a race lost by an account act (two administrators adding the
same name, removing each other, the database busy) ends in WorkflowRefused with a Japanese message, not in
IntegrityError or StaleDataError, whichever front end called it. Real threads against SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from desktop_app.core import accounts, audit
from desktop_app.core.db.models import User
from desktop_app.core.errors import Refusal, WorkflowRefused
from desktop_app.core.races import CHANGED_FIRST
from tests.core.test_races import together


def _japanese(message: str) -> bool:
    return any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in message)


@pytest.fixture
def two_admins(db):
    first = accounts.add_user(db, "統括 和子", ["admin"], "sakura-kiku-7391-umi", None)
    second = accounts.add_user(db, "副施設長 健", ["admin"], "momiji-kaede-2048-yama", first)
    return first, second


def test_two_administrators_adding_the_same_name_at_once_one_account_and_a_refusal(db, two_admins):
    first, second = two_admins
    for n in range(3):
        name = f"介護 花子{n}"
        results = together(lambda name=name: accounts.add_user(db, name, ["writer"], "tsubaki-ume-5813-kawa", first),
                           lambda name=name: accounts.add_user(db, name, ["writer"], "hinoki-sugi-6620-mori", second))
        added = [r for r in results if isinstance(r, accounts.Actor)]
        refused = [r for r in results if isinstance(r, BaseException)]
        assert len(added) == 1 and len(refused) == 1, results
        assert isinstance(refused[0], WorkflowRefused), results
        assert refused[0].reason in (Refusal.BAD_INPUT, Refusal.CONFLICT) and _japanese(refused[0].message)
        with db.session(write=False) as s:
            assert s.scalar(select(User.id).where(User.name == name)) == added[0].id
    actions = [e.action for e in audit.entries(db)]
    assert actions.count("user_added") == 2 + 3  # the two administrators and one per round
    assert audit.verify(db).ok


def test_two_administrators_removing_each_other_at_once_one_stays_and_the_other_is_refused(db, two_admins):
    first, second = two_admins
    results = together(lambda: accounts.deactivate(db, second.name, first),
                       lambda: accounts.deactivate(db, first.name, second))
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], WorkflowRefused), results
    assert _japanese(refused[0].message)
    assert len([m for m in accounts.list_users(db) if "admin" in m.roles]) == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("lost", [
    StaleDataError("users row changed"),
    IntegrityError("INSERT INTO users", {}, sqlite3.IntegrityError("UNIQUE constraint failed: users.name")),
    OperationalError("UPDATE users", {}, sqlite3.OperationalError("database is locked")),
], ids=["stale", "unique", "busy"])
@pytest.mark.parametrize("act", ["add_user", "set_roles", "deactivate", "reactivate", "reset_password",
                                 "change_password"])
def test_every_account_act_maps_a_lost_race_to_conflict(db, two_admins, monkeypatch, act, lost):
    first, second = two_admins
    staff = accounts.add_user(db, "記録 一樹", ["writer"], "kaede-ichou-3390-nami", first)
    if act == "reactivate":
        accounts.deactivate(db, staff.name, first)
    if act == "change_password":
        staff = accounts.change_password(db, staff, "kaede-ichou-3390-nami", "nanohana-4471-hoshi-zora")

    def race(*_a, **_k):
        raise lost

    calls = {
        "add_user": lambda: accounts.add_user(db, "新人 太郎", ["writer"], "ajisai-hasu-7702-tsuki", first),
        "set_roles": lambda: accounts.set_roles(db, staff.name, ["writer", "reviewer"], first),
        "deactivate": lambda: accounts.deactivate(db, staff.name, first),
        "reactivate": lambda: accounts.reactivate(db, staff.name, first),
        "reset_password": lambda: accounts.reset_password(db, staff.name, "ajisai-hasu-7702-tsuki", first),
        "change_password": lambda: accounts.change_password(db, staff, "nanohana-4471-hoshi-zora",
                                                            "ajisai-hasu-7702-tsuki"),
    }
    with monkeypatch.context() as m, pytest.raises(WorkflowRefused) as info:
        m.setattr(accounts.audit, "append", race)  # the other PC's change surfaces at the write
        calls[act]()
    assert info.value.reason == Refusal.CONFLICT and CHANGED_FIRST in info.value.message
    assert accounts.authenticate(db, "副施設長 健", "momiji-kaede-2048-yama").name == second.name  # nothing else broke
