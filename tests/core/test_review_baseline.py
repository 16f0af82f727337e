"""The reviewer's 「前回確認した版との違い」 compares with the text a reviewer last decided on (returned, or
approved and later edited), not merely the previous request: a request the writer withdrew before anyone
decided was never seen, and comparing with it hid what changed before it. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from desktop_app.core import accounts
from desktop_app.core.context import CheckContext, Facility
from desktop_app.core.workflow import Services
from desktop_app.core.workflow.state import Status, inline_diff

GREETING = "松本様\n"
WEATHER = "紅葉が色づき、朝夕は肌寒くなってまいりました。\n"
OUTING = "先日は中庭で焼き芋会があり、二本も召し上がりました。\n"
CLOSING = "季節の変わり目ですので、ご家族様もご自愛ください。\n"
FIRST = GREETING + WEATHER + OUTING + CLOSING


@pytest.fixture
def svc(db):
    return Services.open(db, lambda body, context: [])


@pytest.fixture
def people(db, svc):
    admin = accounts.add_user(db, "施設長 一郎", ["admin", "reviewer"], "admin-pass-kiku-4827", None)
    svc.admin.set_facility(Facility(name="老人保健施設 しらかば"), admin)
    writer = accounts.add_user(db, "記録 由美", ["writer"], "writer-pass-kiku-4827", admin)
    reviewer = accounts.add_user(db, "点検 健二", ["reviewer"], "review-pass-kiku-4827", admin)
    return {"writer": writer, "reviewer": reviewer}


def new_letter(svc, people, body: str = FIRST) -> int:
    return svc.workflow.create(people["writer"], "monthly_report", body, {"recipient_name": "松本 和子"},
                               CheckContext(recipient="松本 和子")).id


def edit(svc, people, lid: int, body: str):
    return svc.workflow.save(people["writer"], lid, body, svc.letters.get(lid).version)


def test_a_withdrawn_request_is_not_the_baseline(svc, people):
    wf, writer, reviewer = svc.workflow, people["writer"], people["reviewer"]
    lid = new_letter(svc, people)
    wf.submit(writer, lid)
    returned = wf.return_letter(reviewer, lid, "焼き芋の本数は書かないでください")
    assert returned.status == Status.RETURNED
    assert (returned.previous_submitted, returned.previous_version) == (FIRST, 1)  # what was just decided on

    # the writer deletes the sentence and asks again (第2版) ...
    without_outing = GREETING + WEATHER + CLOSING
    edit(svc, people, lid, without_outing)
    waiting = wf.submit(writer, lid)
    assert (waiting.previous_submitted, waiting.previous_version) == (FIRST, 1)
    # ... withdraws the request before anyone looked, fixes a word and asks again (第3版)
    assert wf.withdraw_request(writer, lid).status == Status.DRAFT
    fixed = GREETING + WEATHER.replace("肌寒く", "冷え込むように") + CLOSING
    edit(svc, people, lid, fixed)
    view = wf.submit(writer, lid)
    assert view.status == Status.SUBMITTED and view.body == fixed
    # the baseline is still the version the reviewer returned, so the deleted sentence shows as deleted
    assert (view.previous_submitted, view.previous_version) == (FIRST, 1)
    ops = inline_diff(view.previous_submitted, view.body)
    assert "".join(t for op, t in ops if op == "delete").count("焼き芋会") == 1
    assert "冷え込むように" in "".join(t for op, t in ops if op == "insert")
    assert "".join(t for op, t in ops if op != "delete") == fixed

    # once the reviewer decides on 第3版, that becomes what they last saw
    decided = wf.return_letter(reviewer, lid, "結びをもう少し丁寧に")
    assert (decided.previous_submitted, decided.previous_version) == (fixed, 3)
    edit(svc, people, lid, fixed.replace("ご自愛ください", "どうぞご自愛くださいませ"))
    again = wf.submit(writer, lid)
    assert (again.previous_submitted, again.previous_version) == (fixed, 3)


def test_an_approved_version_edited_afterwards_is_the_baseline(svc, people):
    wf, writer, reviewer = svc.workflow, people["writer"], people["reviewer"]
    lid = new_letter(svc, people)
    wf.submit(writer, lid)
    assert wf.approve(reviewer, lid).status == Status.APPROVED
    changed = FIRST.replace(OUTING, "")
    edited = edit(svc, people, lid, changed)
    assert edited.status == Status.DRAFT and not edited.approval_valid  # the edit voided the approval
    wf.submit(writer, lid)
    # a withdrawal and one more edit change nothing about what the reviewer last approved
    wf.withdraw_request(writer, lid)
    final = changed.replace("紅葉", "銀杏")
    edit(svc, people, lid, final)
    view = wf.submit(writer, lid)
    assert (view.previous_submitted, view.previous_version) == (FIRST, 1)
    ops = inline_diff(view.previous_submitted, view.body)
    assert any(op == "delete" and "焼き芋会" in t for op, t in ops)
    assert any(op == "insert" and "銀杏" in t for op, t in ops)


def test_no_baseline_until_a_reviewer_has_decided(svc, people):
    wf, writer = svc.workflow, people["writer"]
    lid = new_letter(svc, people)
    first = wf.submit(writer, lid)
    assert first.previous_submitted is None and first.previous_version is None
    # withdrawn and asked again: still nobody has seen it, so nothing is marked as changed
    wf.withdraw_request(writer, lid)
    edit(svc, people, lid, FIRST.replace("二本", "たくさん"))
    second = wf.submit(writer, lid)
    assert second.previous_submitted is None and second.previous_version is None


def test_going_back_to_the_reviewed_text_names_the_reviewed_version(svc, people):
    wf, writer, reviewer = svc.workflow, people["writer"], people["reviewer"]
    lid = new_letter(svc, people)
    wf.submit(writer, lid)
    wf.return_letter(reviewer, lid, "このままでよいか、もう一度ご確認ください")
    # asked again unchanged: the same 第1版
    same = wf.submit(writer, lid)
    assert (same.previous_submitted, same.previous_version) == (FIRST, 1)
    wf.return_letter(reviewer, lid, "やはり確認してください")
    # changed (第2版) and changed back (第3版, the same text as 第1版): no difference, and the version the
    # reviewer saw is 第1版, not the one waiting now
    edit(svc, people, lid, FIRST.replace(OUTING, ""))
    edit(svc, people, lid, FIRST)
    back = wf.submit(writer, lid)
    assert back.previous_submitted == back.body == FIRST
    assert back.previous_version == 1
