"""The same act writes the same audit entries whichever way it was done: the reviewer's window gives each
high finding its own reason, the CLI's `letters approve --accept REASON` one reason for all; both go through
LetterSession.approve, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from desktop_app.core import accounts, audit
from desktop_app.core.context import Facility
from desktop_app.core.findings import Finding, Severity
from desktop_app.core.letter_session import LetterSession
from desktop_app.core.workflow import Services

OTHERS = ("小池", "大森")  # stand-ins for two other residents' names


def two_high_findings(body, _ctx):
    return [Finding(body.find(n), body.find(n) + len(n), n, "pii.person", Severity.HIGH, "m", "e")
            for n in OTHERS if n in body]


@pytest.fixture
def people(db):
    admin = accounts.add_user(db, "施設長", ["admin"], "password1-kiku-4827", None)
    svc = Services.open(db, two_high_findings)
    svc.admin.set_facility(Facility(name="テスト苑"), admin)
    return (svc, accounts.add_user(db, "作成者", ["writer"], "password2-kiku-4827", admin),
            accounts.add_user(db, "確認者", ["reviewer"], "password3-kiku-4827", admin))


def approve_and_log(svc, writer, reviewer, how: str) -> list[tuple[str, str, str]]:
    w = LetterSession(svc, writer, None, svc.admin.facility())
    w.set_body("山田様\n小池様と大森様もご一緒でした。\n")
    w.submit()
    r = LetterSession(svc, reviewer, None, svc.admin.facility())
    r.open(w.letter_id)
    r.check_now()
    if how == "window":  # ReviewView.approve: one reason per high finding
        r.approve(accept={f.key: "ご家族の了承あり" for f in r.review().blocking})
    else:  # cli letters approve --accept REASON
        r.approve(accept_reason="ご家族の了承あり")
    return [(e.actor, e.action, e.detail) for e in audit.entries(svc.db, w.letter_id)
            if e.action in ("accept_finding", "approve")]


def test_window_and_cli_approvals_leave_the_same_entries(people):
    svc, writer, reviewer = people
    window = approve_and_log(svc, writer, reviewer, "window")
    cli = approve_and_log(svc, writer, reviewer, "cli")
    assert window == cli
    assert [a for _who, a, _d in window] == ["accept_finding", "accept_finding", "approve"]
    assert {who for who, _a, _d in window} == {"確認者"}
