"""The writer is never stuck: a request for review can be withdrawn, a sent letter is read-only but a new draft
can be made from it, returned and approved letters come as notices until read, and 自分の手紙 lists the
person's own letters. Each test runs on SQLite and on PostgreSQL (the `db` fixture)."""

from __future__ import annotations

import pytest

from desktop_app.core import accounts, audit
from desktop_app.core.context import CheckContext, Facility
from desktop_app.core.errors import Refusal, WorkflowRefused
from desktop_app.core.letter_session import LetterSession
from desktop_app.core.workflow import Services
from desktop_app.core.workflow.queries import _names_of
from desktop_app.core.workflow.state import Status

BODY = "小川 節子 様\n\n朝晩の冷え込みが増してまいりました。母上様は毎朝のラジオ体操に参加されています。\n"
FIELDS = {"recipient_name": "小川 節子", "resident_name": "小川 ハル", "month_label": "十一月"}


@pytest.fixture
def staff(db):
    admin = accounts.add_user(db, "施設長", ["admin"], "password1-kiku-4827", None)
    svc = Services.open(db, lambda text, ctx: [])
    svc.admin.set_facility(Facility(name="みどり園"), admin)
    writer = accounts.add_user(db, "大野 作成", ["writer"], "password2-kiku-4827", admin)
    other = accounts.add_user(db, "川口 作成", ["writer"], "password3-kiku-4827", admin)
    reviewer = accounts.add_user(db, "森 確認", ["reviewer"], "password4-kiku-4827", admin)
    return svc, writer, other, reviewer


def session(svc, actor) -> LetterSession:
    return LetterSession(svc, actor, None, svc.admin.facility())


def written(svc, writer, body=BODY, fields=FIELDS) -> LetterSession:
    s = session(svc, writer)
    s.template_id, s.fields, s.body = "monthly_report", dict(fields), body
    s.context = CheckContext(facility=svc.admin.facility(), recipient=fields.get("recipient_name"),
                             subject=fields.get("resident_name"))
    s.save()
    return s


def sent(svc, writer, reviewer, tmp_path) -> int:
    s = written(svc, writer)
    s.submit()
    svc.workflow.approve(reviewer, s.letter_id)
    out = tmp_path / f"sent-{s.letter_id}.txt"

    def write(body: str, target):
        target.write_text(body, encoding="utf-8")

    svc.workflow.export(writer, s.letter_id, out, write)
    return s.letter_id


def refused(reason: Refusal, fn, *args, **kwargs) -> WorkflowRefused:
    with pytest.raises(WorkflowRefused) as exc:
        fn(*args, **kwargs)
    assert exc.value.reason == reason, exc.value.message
    return exc.value


# ---- withdrawing a request -----------------------------------------------------------------------
def test_a_withdrawn_request_is_an_editable_draft_again_and_audited_once(staff, db):
    svc, writer, _other, _reviewer = staff
    s = written(svc, writer)
    s.submit()
    assert s.read_only and not s.allowed().edit and s.allowed().withdraw and "依頼を取り下げる" in s.banner()
    view = s.withdraw_request()
    assert view.status == Status.DRAFT and s.status == Status.DRAFT
    assert s.allowed().edit and s.allowed().submit and not s.allowed().withdraw
    assert svc.letters.queue() == []
    actions = [e.action for e in audit.entries(db, s.letter_id)]
    assert actions.count("request_withdrawn") == 1 and actions[-1] == "request_withdrawn"
    s.set_body(BODY + "追伸：面会の予約は受付までお電話ください。\n")
    assert s.save().status == Status.DRAFT  # the writer's change is saved as usual
    assert s.submit().status == Status.SUBMITTED


def test_another_writer_may_withdraw_but_a_reviewer_may_not(staff):
    svc, writer, other, reviewer = staff
    s = written(svc, writer)
    s.submit()
    r = session(svc, reviewer)
    r.open(s.letter_id)
    assert not r.allowed().withdraw
    refused(Refusal.MISSING_ROLE, r.withdraw_request)
    o = session(svc, other)
    o.open(s.letter_id)
    assert o.allowed().withdraw and o.withdraw_request().status == Status.DRAFT


@pytest.mark.parametrize("state", ["draft", "returned", "approved", "exported"])
def test_only_a_letter_waiting_for_review_can_be_withdrawn(staff, tmp_path, state):
    svc, writer, _other, reviewer = staff
    if state == "exported":
        lid = sent(svc, writer, reviewer, tmp_path)
    else:
        s = written(svc, writer)
        lid = s.letter_id
        if state != "draft":
            s.submit()
            if state == "returned":
                svc.workflow.return_letter(reviewer, lid, "日付をご確認ください。")
            else:
                svc.workflow.approve(reviewer, lid)
    e = refused(Refusal.WRONG_STATE, svc.workflow.withdraw_request, writer, lid)
    assert "取り下げられるのは確認待ちの手紙だけ" in e.message
    assert svc.letters.get(lid).status == Status(state)


# ---- a sent letter -------------------------------------------------------------------------------
def test_a_sent_letter_is_read_only_and_a_save_is_refused(staff, tmp_path):
    svc, writer, _other, reviewer = staff
    lid = sent(svc, writer, reviewer, tmp_path)
    s = session(svc, writer)
    s.open(lid)
    allowed = s.allowed()
    assert s.read_only and not allowed.edit and not allowed.fix and not allowed.submit and not allowed.withdraw
    assert allowed.derive and allowed.new and "送付済み" in allowed.why
    v = svc.letters.get(lid)
    e = refused(Refusal.WRONG_STATE, svc.workflow.save, writer, lid, v.body + "書き足し。\n", v.version)
    assert "この手紙をもとに新しく作成" in e.message
    after = svc.letters.get(lid)
    assert after.status == Status.EXPORTED and after.body == BODY and after.approval_valid


def test_a_new_draft_from_a_sent_letter_keeps_template_fields_and_text(staff, tmp_path, db):
    svc, writer, other, reviewer = staff
    lid = sent(svc, writer, reviewer, tmp_path)
    s = session(svc, other)  # a colleague writes next month's letter from it
    s.open(lid)
    view = s.derive_new()
    assert view.id != lid and s.letter_id == view.id and view.status == Status.DRAFT
    assert (view.template_id, view.fields, view.body) == ("monthly_report", FIELDS, BODY)
    assert view.context.recipient == "小川 節子" and view.derived_from == lid
    assert view.writer == "川口 作成" and not view.approval_valid
    assert s.allowed().edit and not s.allowed().derive and f"手紙 #{lid} をもとに作成" in s.banner()
    assert svc.letters.get(lid).status == Status.EXPORTED  # the sent one is untouched
    entries = [e for e in audit.entries(db, view.id)]
    assert [e.action for e in entries] == ["derive"] and entries[0].detail == f"from {lid}"
    s.set_body(BODY.replace("ラジオ体操", "書道の時間"))
    assert s.save().status == Status.DRAFT


def test_only_a_sent_letter_is_made_into_a_new_draft(staff):
    svc, writer, _other, reviewer = staff
    s = written(svc, writer)
    refused(Refusal.WRONG_STATE, svc.workflow.derive, writer, s.letter_id)
    refused(Refusal.MISSING_ROLE, svc.workflow.derive, reviewer, s.letter_id)
    assert not s.allowed().derive and s.allowed().new


# ---- notices ---------------------------------------------------------------------------------------
def test_a_returned_letter_comes_with_the_reviewers_comment_until_seen(staff):
    svc, writer, other, reviewer = staff
    s = written(svc, writer)
    s.submit()
    assert svc.letters.notices(writer) == []
    svc.workflow.return_letter(reviewer, s.letter_id, "面会時間の記載が古いので直してください。",
                               ranges=[(0, 5, "お名前の字をご確認ください。")])
    notices = svc.letters.notices(writer)
    assert [(n.letter_id, n.kind, n.by) for n in notices] == [(s.letter_id, "returned", "森 確認")]
    n = notices[0]
    assert n.label_ja == "差し戻されました" and (n.resident, n.family) == ("小川 ハル", "小川 節子")
    assert "面会時間の記載が古いので直してください。" in n.comments
    assert any(c.startswith("「小川 節子」：") and "字をご確認" in c for c in n.comments)
    assert svc.letters.notices(other) == []  # only the letter's writer is told
    svc.workflow.mark_notices_seen(writer, max(x.at for x in notices))
    assert svc.letters.notices(writer) == []


def test_an_approval_is_a_notice_and_a_new_decision_after_seen_is_too(staff):
    svc, writer, _other, reviewer = staff
    first, second = written(svc, writer), written(svc, writer, fields={"recipient_name": "北村 様"})
    first.submit()
    second.submit()
    svc.workflow.approve(reviewer, first.letter_id)
    assert [(n.letter_id, n.kind) for n in svc.letters.notices(writer)] == [(first.letter_id, "approved")]
    svc.workflow.mark_notices_seen(writer)
    assert svc.letters.notices(writer) == []
    svc.workflow.return_letter(reviewer, second.letter_id, "敬称が重なっています。")
    notices = svc.letters.notices(writer)
    assert [(n.letter_id, n.kind, n.comments) for n in notices] == [
        (second.letter_id, "returned", ("敬称が重なっています。",))]
    # seen up to an older moment: the newer decision is not hidden
    svc.workflow.mark_notices_seen(writer, notices[0].at.replace(year=2000))
    assert len(svc.letters.notices(writer)) == 1


def test_a_notice_lapses_when_the_letter_moved_on(staff):
    svc, writer, _other, reviewer = staff
    s = written(svc, writer)
    s.submit()
    svc.workflow.return_letter(reviewer, s.letter_id, "行事名を確認してください。")
    assert len(svc.letters.notices(writer)) == 1
    s.open(s.letter_id)
    s.submit()  # fixed and sent again: nothing is asked of the writer any more
    assert svc.letters.notices(writer) == []


# ---- 自分の手紙 ------------------------------------------------------------------------------------
def test_my_letters_lists_only_mine_with_state_and_names(staff, tmp_path):
    svc, writer, other, reviewer = staff
    draft = written(svc, writer)
    waiting = written(svc, writer, fields={"recipient_name": "西田 和子", "resident_name": "西田 トメ"})
    waiting.submit()
    lid_sent = sent(svc, writer, reviewer, tmp_path)
    written(svc, other, fields={"recipient_name": "東 様"})
    mine = svc.letters.mine(writer)
    assert sorted(m.id for m in mine) == sorted([draft.letter_id, waiting.letter_id, lid_sent])
    by_id = {m.id: m for m in mine}
    assert by_id[waiting.letter_id].status == Status.SUBMITTED
    assert (by_id[waiting.letter_id].resident, by_id[waiting.letter_id].family) == ("西田 トメ", "西田 和子")
    assert by_id[lid_sent].status == Status.EXPORTED and by_id[draft.letter_id].status == Status.DRAFT
    assert all(m.updated_at for m in mine)


@pytest.mark.parametrize("fields, context, names", [
    ({"resident_name": "小川 ハル", "recipient_name": "小川 節子"}, {}, ("小川 ハル", "小川 節子")),
    ({}, {"subject": {"name": "岡 トミ"}, "recipient": "岡 一郎"}, ("岡 トミ", "岡 一郎")),
    ({"resident_name": "  "}, {"recipient": "ご家族様各位"}, ("", "")),
    (None, None, ("", "")),
])
def test_names_come_from_the_form_else_the_context(fields, context, names):
    assert _names_of(fields, context) == names
