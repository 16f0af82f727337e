"""Staff names (issue 21): NFKC-normalised, no control or invisible characters, no second name that looks
like the first; the login finds a name typed in another width. And the password rule: 10 characters and
zxcvbn score 3, said in Japanese, the same words in the core and the forms."""

from __future__ import annotations

import pytest

from desktop_app.core import accounts, audit
from desktop_app.core.account_rules import name_look, password_problem
from desktop_app.core.errors import Refusal, WorkflowRefused

ADMIN_PW = "sakura-kiku-7391-umi"
STAFF_PW = "natsu-yama-kawa-2846"


@pytest.fixture
def admin(db):
    return accounts.add_user(db, "施設長", ["admin", "reviewer"], ADMIN_PW, None)


def refused(fn, *args) -> WorkflowRefused:
    with pytest.raises(WorkflowRefused) as info:
        fn(*args)
    assert info.value.reason == Refusal.BAD_INPUT
    return info.value


@pytest.mark.parametrize(("name", "says"), [
    ("佐藤\u202e花子", "見えない文字"),       # right-to-left override
    ("佐藤\u2067花子\u2069", "見えない文字"),  # an isolate
    ("施設\u200b長", "見えない文字"),          # zero-width space: a second 施設長
    ("佐藤\u0085花子", "制御文字"),            # C1 control (NEL)
    ("佐藤\x7f花子", "制御文字"),              # DEL
    ("佐藤\x1b[2J花子", "制御文字"),           # ESC
    ("佐藤\n承認", "制御文字"),
])
def test_names_with_controls_or_invisible_characters_are_refused(db, admin, name, says):
    e = refused(accounts.add_user, db, name, ["writer"], STAFF_PW, admin)
    assert says in e.message
    assert [m.name for m in accounts.list_staff(db)] == ["施設長"]


@pytest.mark.parametrize("lookalike", ["施設 長", "施 設 長", "施設\u3000長"])
def test_a_name_that_only_differs_by_spacing_is_refused(db, admin, lookalike):
    e = refused(accounts.add_user, db, lookalike, ["writer"], STAFF_PW, admin)
    assert "同じように見える名前の職員がすでにいます" in e.message


def test_names_are_nfkc_normalised_and_the_login_uses_the_same_form(db, admin):
    added = accounts.add_user(db, "ｵｵﾉ　ｔａｒｏ", ["writer"], STAFF_PW, admin)  # half-width kana, full-width letters
    assert added.name == "オオノ taro"
    assert accounts.authenticate(db, "オオノ taro", STAFF_PW).name == "オオノ taro"
    assert accounts.authenticate(db, "ｵｵﾉ ｔａｒｏ", STAFF_PW).name == "オオノ taro"
    assert name_look("ｵｵﾉ　ｔａｒｏ") == name_look("オオノtaro")


def test_different_names_are_still_accepted(db, admin):
    accounts.add_user(db, "施設長 代理", ["writer"], STAFF_PW, admin)
    accounts.add_user(db, "佐藤 花子", ["writer"], "umi-sora-hoshi-5120", admin)
    assert {m.name for m in accounts.list_staff(db)} == {"施設長", "施設長 代理", "佐藤 花子"}


@pytest.mark.parametrize("weak", ["password", "12345678", "password12", "1234567890", "abcdefghij", "qwertyuiop"])
def test_weak_passwords_are_refused_with_advice(db, weak):
    e = refused(accounts.add_user, db, "施設長", ["admin"], weak, None)
    assert "長く、推測されにくい" in e.message and "3つ以上つなげ" in e.message


def test_the_persons_and_the_facilitys_names_count_as_guessable(db, admin):
    from desktop_app.core.context import Facility
    from desktop_app.core.workflow import Services

    Services.open(db, lambda text, ctx: []).admin.set_facility(Facility(name="Sakuranoniwa"), admin)
    assert password_problem("sakuranoniwa-7") == "" and password_problem("tanakahanako-3") == ""  # alone they would do
    e = refused(accounts.add_user, db, "佐藤 花子", ["writer"], "sakuranoniwa-7", admin)
    assert "推測されやすい" in e.message
    e = refused(accounts.add_user, db, "tanakahanako", ["writer"], "tanakahanako-3", admin)
    assert "推測されやすい" in e.message


def test_reset_and_own_change_use_the_same_rule(db, admin):
    staff = accounts.add_user(db, "佐藤 花子", ["writer"], STAFF_PW, admin)
    refused(accounts.reset_password, db, "佐藤 花子", "12345678", admin)
    refused(accounts.change_password, db, staff, STAFF_PW, "password")
    accounts.change_password(db, staff, STAFF_PW, "kumo-tsuki-ame-3318")
    assert accounts.authenticate(db, "佐藤 花子", "kumo-tsuki-ame-3318").name == "佐藤 花子"


def test_the_forms_show_the_core_message(qtbot):
    from desktop_app.gui.account_forms import _password_problem

    assert _password_problem("password12", "password12") == password_problem("password12")
    assert "推測されやすい" in _password_problem("password12", "password12")
    assert _password_problem(STAFF_PW, STAFF_PW) == ""


def test_a_failed_login_keeps_no_unknown_name_in_the_log(db, admin):
    typed = "my-secret-pass-9921"  # a password typed into the name field
    with pytest.raises(WorkflowRefused):
        accounts.authenticate(db, typed, "anything-else")
    with pytest.raises(WorkflowRefused):
        accounts.authenticate(db, "誰か\n2026-01-01\t施設長\tapprove", "x")
    with pytest.raises(WorkflowRefused):
        accounts.authenticate(db, "施設長", "wrong-but-long-1")
    failed = [(e.actor, e.detail) for e in audit.entries(db) if e.action == "login_failed"]
    assert failed == [(accounts.UNKNOWN_NAME, "unknown user"), (accounts.UNKNOWN_NAME, "unknown user"),
                      ("施設長", "failure 1")]
    assert all(typed not in e.actor + e.detail for e in audit.entries(db))


def test_an_unknown_user_is_verified_against_a_dummy_hash(db, admin, monkeypatch):
    """Same work for an unknown name as for a wrong password (the timing itself: benchmarks/login_timing.py)."""
    verified = []

    class SpyHasher(type(accounts._hasher)):
        def verify(self, stored, password):
            verified.append(stored)
            return super().verify(stored, password)

    monkeypatch.setattr(accounts, "_hasher", SpyHasher(time_cost=1, memory_cost=1024, parallelism=1))
    with pytest.raises(WorkflowRefused):
        accounts.authenticate(db, "だれでもない人", "some-password-1")
    with pytest.raises(WorkflowRefused):
        accounts.authenticate(db, "施設長", "some-password-1")
    assert len(verified) == 2
    assert verified[0] == accounts._dummy_hash() and verified[0].startswith("$argon2id$")
    assert verified[1] != verified[0]


def test_a_facility_name_counts_word_by_word_as_a_guessable_word():
    """zxcvbn matches each user input as one token: 「グループホーム すずらん」 whole never matched the すずらん in a
    password, so 「すずらん20241205」 passed; its words are inputs of their own now."""
    from zxcvbn import zxcvbn

    from desktop_app.core.account_rules import guessable_words, password_problem

    assert {"すずらん", "グループホーム", "グループホームすずらん"} <= set(guessable_words(["グループホーム すずらん"]))
    assert zxcvbn("すずらん20241205", user_inputs=["グループホーム すずらん"])["score"] >= 3  # the old input
    assert "推測されやすい" in password_problem("すずらん20241205", ("グループホーム すずらん", "山田 花子"))
    assert "推測されやすい" in password_problem("ｙａｍａｄａｈａｎａｋｏ2024", ("グループホーム すずらん", "yamada hanako"))
    assert password_problem("kaede-suzume-5581-mori", ("グループホーム すずらん", "山田 花子")) == ""
