"""Failed logins counted by the database (issue 21): 20 wrong guesses sent at once count as 20, and the
lockout then holds for the right password too. Real threads against a real SQLite file and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from desktop_app.core import accounts, audit
from desktop_app.core.db.models import User
from desktop_app.core.errors import Refusal, WorkflowRefused

PW = "hoshi-nami-kaze-6024"
GUESSES = 20


def test_parallel_wrong_guesses_all_count_and_lock_the_right_password(db):
    accounts.add_user(db, "施設長", ["admin"], PW, None)
    start = threading.Barrier(GUESSES)
    outcomes: list[Refusal | str] = []
    lock = threading.Lock()

    def guess(n: int) -> None:
        start.wait()
        try:
            accounts.authenticate(db, "施設長", f"wrong-guess-{n}-xyz")
            result: Refusal | str = "logged in"
        except WorkflowRefused as exc:
            result = exc.reason
        except Exception as exc:  # noqa: BLE001 - a crash is what this test is looking for
            result = f"crash: {exc!r}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(GUESSES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(outcomes) == GUESSES and all(o in (Refusal.WRONG_PASSWORD, Refusal.LOCKED) for o in outcomes), outcomes
    wrong = outcomes.count(Refusal.WRONG_PASSWORD)
    with db.session() as s:
        counted = s.scalar(select(User.failed_logins).where(User.name == "施設長"))
    # every guess whose password was checked is counted; a guess refused as locked was never checked
    assert counted == wrong and wrong >= accounts.MAX_FAILURES
    assert len([e for e in audit.entries(db) if e.action == "login_failed"]) == wrong
    with pytest.raises(WorkflowRefused) as info:
        accounts.authenticate(db, "施設長", PW)
    assert info.value.reason == Refusal.LOCKED


def test_a_guess_counted_after_the_read_still_locks_the_right_password(db, monkeypatch):
    """The reset after a right password is conditional: failures counted between its read and its write
    (another PC guessing at the same moment) keep the lock."""
    accounts.add_user(db, "施設長", ["admin"], PW, None)
    real = accounts._password_matches

    def slow_match(stored, password):
        ok = real(stored, password)
        with db.session() as s:  # meanwhile, five guesses land
            s.execute(User.__table__.update().values(failed_logins=accounts.MAX_FAILURES,
                                                     last_failed_at=accounts.utcnow()))
        return ok

    monkeypatch.setattr(accounts, "_password_matches", slow_match)
    with pytest.raises(WorkflowRefused) as info:
        accounts.authenticate(db, "施設長", PW)
    assert info.value.reason == Refusal.LOCKED
