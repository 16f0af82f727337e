"""Staff managed by administrators: roles, 利用停止, password reset and change, and the rule that the
facility never loses its last administrator — on SQLite and on PostgreSQL, with the audit log free of
passwords."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from desktop_app.core import accounts, audit
from desktop_app.core.errors import Refusal, WorkflowRefused

ADMIN_PW = "kanri-pass-1"
STAFF_PW = "hajime-pass-1"


def refused(reason: Refusal, fn, *args, **kwargs) -> WorkflowRefused:
    with pytest.raises(WorkflowRefused) as info:
        fn(*args, **kwargs)
    assert info.value.reason == reason, info.value.message
    return info.value


@pytest.fixture
def admin(db):
    return accounts.add_user(db, "施設長 大川", ["admin", "reviewer"], ADMIN_PW, None)


@pytest.fixture
def staff(db, admin):
    return accounts.add_user(db, "介護 小林", ["writer"], STAFF_PW, admin)


def staff_row(db, name):
    return next(m for m in accounts.list_staff(db) if m.name == name)


def test_first_administrator_need_not_change_but_added_staff_must(db, admin, staff):
    assert accounts.authenticate(db, "施設長 大川", ADMIN_PW).must_change_password is False
    logged = accounts.authenticate(db, "介護 小林", STAFF_PW)
    assert logged.must_change_password is True and logged == staff  # the flag is not part of who they are
    assert staff_row(db, "介護 小林").must_change_password


def test_change_password_clears_the_flag_and_the_old_one_stops_working(db, staff):
    me = accounts.authenticate(db, "介護 小林", STAFF_PW)
    changed = accounts.change_password(db, me, STAFF_PW, "jibun-no-pass")
    assert changed.must_change_password is False
    refused(Refusal.WRONG_PASSWORD, accounts.authenticate, db, "介護 小林", STAFF_PW)
    assert accounts.authenticate(db, "介護 小林", "jibun-no-pass").must_change_password is False


@pytest.mark.parametrize(("old", "new", "reason", "says"), [
    ("machigai-pass-kiku-4827", "atarashii-1-kiku-4827", Refusal.WRONG_PASSWORD, "今のパスワードが違います"),
    (STAFF_PW, STAFF_PW, Refusal.BAD_INPUT, "違うもの"),
    (STAFF_PW, "mijikai", Refusal.BAD_INPUT, "10文字以上"),
])
def test_change_password_refusals(db, staff, old, new, reason, says):
    e = refused(reason, accounts.change_password, db, staff, old, new)
    assert says in e.message
    assert accounts.authenticate(db, "介護 小林", STAFF_PW).must_change_password  # nothing changed


def test_list_staff_shows_everyone_with_state_and_last_login(db, admin, staff):
    accounts.add_user(db, "調理 山口", ["writer"], STAFF_PW, admin)
    at = dt.datetime(2025, 4, 1, 9, 30)
    accounts.authenticate(db, "施設長 大川", ADMIN_PW, now=at)
    accounts.deactivate(db, "調理 山口", admin)
    listed = {m.name: m for m in accounts.list_staff(db)}
    assert set(listed) == {"施設長 大川", "介護 小林", "調理 山口"}
    assert listed["調理 山口"].state_ja == "無効" and listed["介護 小林"].state_ja == "有効"
    assert listed["施設長 大川"].last_login_at == at and listed["介護 小林"].last_login_at is None
    assert listed["施設長 大川"].roles_ja == "確認者・管理者"
    assert [m.name for m in accounts.list_staff(db)][-1] == "調理 山口"  # deactivated ones last
    assert [u.name for u in accounts.list_users(db)] == sorted(["施設長 大川", "介護 小林"])  # the login's names


def test_set_roles_changes_what_the_person_may_do(db, admin, staff):
    member = accounts.set_roles(db, "介護 小林", ["writer", "reviewer"], admin)
    assert member.roles == {"writer", "reviewer"}
    assert accounts.authenticate(db, "介護 小林", STAFF_PW).roles == {"writer", "reviewer"}
    refused(Refusal.BAD_INPUT, accounts.set_roles, db, "介護 小林", [], admin)
    refused(Refusal.BAD_INPUT, accounts.set_roles, db, "介護 小林", ["boss"], admin)
    refused(Refusal.UNKNOWN_USER, accounts.set_roles, db, "いない 人", ["writer"], admin)


def test_only_an_administrator_manages_staff(db, admin, staff):
    for fn, args in ((accounts.add_user, ("新人 森", ["writer"], STAFF_PW, staff)),
                     (accounts.set_roles, ("介護 小林", ["admin"], staff)),
                     (accounts.deactivate, ("施設長 大川", staff)),
                     (accounts.reset_password, ("施設長 大川", "nottaken-1-kiku-4827", staff))):
        refused(Refusal.MISSING_ROLE, fn, db, *args)
    # an administrator whose role was taken on another PC is refused too, whatever the login remembered
    accounts.add_user(db, "副施設長 林", ["admin"], ADMIN_PW, admin)
    accounts.set_roles(db, "施設長 大川", ["reviewer"], accounts.authenticate(db, "副施設長 林", ADMIN_PW))
    refused(Refusal.MISSING_ROLE, accounts.set_roles, db, "介護 小林", ["admin"], admin)


def test_deactivated_person_cannot_log_in_and_keeps_their_name(db, admin, staff):
    accounts.deactivate(db, "介護 小林", admin)
    e = refused(Refusal.WRONG_PASSWORD, accounts.authenticate, db, "介護 小林", STAFF_PW)
    assert e.message == "職員名またはパスワードが違います。"
    assert staff_row(db, "介護 小林").active is False  # the row stays for letters and the log
    refused(Refusal.WRONG_STATE, accounts.deactivate, db, "介護 小林", admin)
    e = refused(Refusal.BAD_INPUT, accounts.add_user, db, "介護 小林", ["writer"], STAFF_PW, admin)
    assert "利用停止中" in e.message
    accounts.reactivate(db, "介護 小林", admin)
    assert accounts.authenticate(db, "介護 小林", STAFF_PW).name == "介護 小林"
    assert accounts.remove_user is accounts.deactivate


def test_nobody_deactivates_themselves(db, admin):
    accounts.add_user(db, "副施設長 林", ["admin"], ADMIN_PW, admin)
    e = refused(Refusal.WRONG_STATE, accounts.deactivate, db, "施設長 大川", admin)
    assert "自分自身" in e.message


def test_reset_password_forces_a_change_and_unlocks(db, admin, staff):
    me = accounts.authenticate(db, "介護 小林", STAFF_PW)
    accounts.change_password(db, me, STAFF_PW, "jibun-no-pass")
    for _ in range(accounts.MAX_FAILURES):
        refused(Refusal.WRONG_PASSWORD, accounts.authenticate, db, "介護 小林", "wasureta")
    refused(Refusal.LOCKED, accounts.authenticate, db, "介護 小林", "jibun-no-pass")
    refused(Refusal.BAD_INPUT, accounts.reset_password, db, "介護 小林", "short", admin)
    accounts.reset_password(db, "介護 小林", "karini-pass-kiku-4827", admin)
    again = accounts.authenticate(db, "介護 小林", "karini-pass-kiku-4827")  # no longer locked
    assert again.must_change_password
    refused(Refusal.WRONG_PASSWORD, accounts.authenticate, db, "介護 小林", "jibun-no-pass")


# ---- the last administrator ----------------------------------------------------------------------
def test_the_last_administrator_cannot_be_deactivated_or_lose_the_role(db, admin, staff):
    e = refused(Refusal.LAST_ADMIN, accounts.set_roles, db, "施設長 大川", ["reviewer"], admin)
    assert "管理者がいなくなる" in e.message
    second = accounts.add_user(db, "副施設長 林", ["admin", "writer"], ADMIN_PW, admin)
    accounts.set_roles(db, "施設長 大川", ["reviewer"], admin)  # another administrator exists now
    refused(Refusal.LAST_ADMIN, accounts.set_roles, db, "副施設長 林", ["writer"], second)
    refused(Refusal.WRONG_STATE, accounts.deactivate, db, "副施設長 林", second)  # not oneself either
    admins = [m.name for m in accounts.list_staff(db) if m.active and "admin" in m.roles]
    assert admins == ["副施設長 林"]


def test_a_deactivated_administrator_does_not_count(db, admin):
    accounts.add_user(db, "副施設長 林", ["admin"], ADMIN_PW, admin)
    accounts.add_user(db, "主任 石田", ["admin"], ADMIN_PW, admin)
    accounts.deactivate(db, "副施設長 林", admin)
    accounts.deactivate(db, "主任 石田", admin)
    refused(Refusal.LAST_ADMIN, accounts.set_roles, db, "施設長 大川", ["writer"], admin)
    accounts.set_roles(db, "副施設長 林", ["writer"], admin)  # an inactive one may lose the role freely


def test_two_pcs_cannot_each_remove_one_of_the_last_two_administrators(db, admin):
    """Each administrator takes away their own 管理者 role at the same moment. The admin rows are locked,
    so the second change sees the first one and is refused: one administrator remains."""
    other = accounts.add_user(db, "副施設長 林", ["admin", "writer"], ADMIN_PW, admin)
    barrier = threading.Barrier(2, timeout=2)
    real_lock = accounts._lock_admins

    def lock_then_meet(s):
        rows = real_lock(s)
        try:
            barrier.wait()  # only reached together when nothing serializes the two transactions
        except threading.BrokenBarrierError:
            pass
        return rows

    results: dict[str, object] = {}

    def demote(actor):
        try:
            results[actor.name] = accounts.set_roles(db, actor.name, ["writer"], actor)
        except WorkflowRefused as exc:
            results[actor.name] = exc

    accounts._lock_admins = lock_then_meet
    try:
        threads = [threading.Thread(target=demote, args=(who,)) for who in (admin, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        accounts._lock_admins = real_lock
    refusals = [r for r in results.values() if isinstance(r, WorkflowRefused)]
    assert len(results) == 2 and len(refusals) == 1 and refusals[0].reason == Refusal.LAST_ADMIN
    assert len([m for m in accounts.list_staff(db) if m.active and "admin" in m.roles]) == 1


# ---- the audit log ------------------------------------------------------------------------------
def test_every_act_is_audited_once_without_secrets(db, admin, staff):
    accounts.set_roles(db, "介護 小林", ["writer", "reviewer"], admin)
    accounts.reset_password(db, "介護 小林", "karini-pass-kiku-4827", admin)
    me = accounts.authenticate(db, "介護 小林", "karini-pass-kiku-4827")
    accounts.change_password(db, me, "karini-pass-kiku-4827", "jibun-no-pass")
    accounts.deactivate(db, "介護 小林", admin)
    accounts.reactivate(db, "介護 小林", admin)
    entries = [e for e in audit.entries(db) if e.action not in ("login", "login_failed")]
    assert [(e.actor, e.action) for e in entries] == [
        ("施設長 大川", "user_added"), ("施設長 大川", "user_added"), ("施設長 大川", "user_roles_changed"),
        ("施設長 大川", "password_reset"), ("介護 小林", "password_changed"), ("施設長 大川", "user_deactivated"),
        ("施設長 大川", "user_reactivated")]
    assert "介護 小林" in entries[2].detail and "reviewer" in entries[2].detail
    with db.session() as s:
        from desktop_app.core.db.models import User

        hashes = [u.password_hash for u in s.query(User)]
    for e in audit.entries(db):
        for secret in (ADMIN_PW, STAFF_PW, "karini-pass-kiku-4827", "jibun-no-pass", "$argon2", *hashes):
            assert secret not in e.detail and secret not in e.actor
    for action in ("user_roles_changed", "user_deactivated", "user_reactivated", "password_reset", "password_changed"):
        assert action in audit.ACTIONS_JA
    assert audit.verify(db).ok
