"""The letter session without Qt (what the window, the reviewer's view and the CLI drive), and one
crash-recovery slot per window."""

from __future__ import annotations

import pytest

from desktop_app.core import accounts, audit, errors
from desktop_app.core.context import CheckContext, Facility
from desktop_app.core.findings import Finding, Severity
from desktop_app.core.letter_session import LetterSession
from desktop_app.core.recovery import RecoveryStore
from desktop_app.core.workflow import Services
from desktop_app.core.workflow.state import FindingStatus, Status

NAME = "鈴木"


def _high(text=NAME, start=0):
    return Finding(start, start + len(text), text, "pii.person", Severity.HIGH, "m", "e")


def finds_name(body, _ctx):
    """A stand-in for the check: every 鈴木 is a high finding (another resident's name)."""
    out, pos = [], body.find(NAME)
    while pos >= 0:
        out.append(_high(NAME, pos))
        pos = body.find(NAME, pos + 1)
    return out


@pytest.fixture
def facility(db):
    admin = accounts.add_user(db, "施設長", ["admin", "reviewer"], "password1-kiku-4827", None)
    svc = Services.open(db, finds_name)
    svc.admin.set_facility(Facility(name="テスト苑", staff=["佐藤 恵"]), admin)
    writer = accounts.add_user(db, "作成者", ["writer"], "password2-kiku-4827", admin)
    return svc, admin, writer


def session(svc, actor) -> LetterSession:
    return LetterSession(svc, actor, None, svc.admin.facility())


def test_only_the_newest_revision_keeps_findings(facility):
    svc, _admin, writer = facility
    s = session(svc, writer)
    assert s.set_body("鈴木様") and not s.set_body("鈴木様")
    old = s.revision
    s.set_body("鈴木様です")
    assert not s.set_findings(old, [_high()])
    assert s.set_findings(s.revision, [_high()])


def test_a_proposal_stays_open_until_a_reviewer_accepts(facility):
    svc, _admin, writer = facility
    s = session(svc, writer)
    s.set_body("鈴木様")
    s.set_findings(s.revision, [_high()])
    assert s.review().status(_high()) is FindingStatus.OPEN
    s.propose(_high(), "ご本人の旧姓")
    review = s.review()
    assert review.status(_high()) is FindingStatus.PROPOSED and not review.status(_high()).resolved
    assert [f.text for f in review.blocking] == [NAME] == [f.text for f in s.unresolved_high()]
    assert "重大な指摘 1件" in s.state_text()
    s.accepted[_high().key] = "確認者が了承"
    assert s.review().status(_high()) is FindingStatus.ACCEPTED and s.review().blocking == []
    assert "重大な指摘" not in s.state_text()


def test_the_context_is_typed_and_carries_the_facility(facility):
    svc, _admin, writer = facility
    s = session(svc, writer)
    assert isinstance(s.context, CheckContext)
    assert s.context.facility.name == "テスト苑" and s.context.facility.staff == ["佐藤 恵"]


def test_allowed_acts_follow_the_state_and_the_role(facility):
    svc, admin, writer = facility
    s = session(svc, writer)
    s.set_body("山田様\n今月もお元気です。\n")
    assert s.allowed().edit and s.allowed().submit and not s.allowed().review
    s.submit()
    allowed = s.allowed()
    assert not allowed.edit and not allowed.submit and "確認待ち" in allowed.why
    r = session(svc, admin)
    r.open(s.letter_id)
    assert r.allowed().review and not r.allowed().edit  # a reviewer only: no writer role
    own = session(svc, accounts.add_user(svc.db, "兼務", ["writer", "reviewer"], "password3-kiku-4827", admin))
    own.set_body("佐藤様\n")
    own.submit()
    assert not own.allowed().review  # nobody reviews their own letter


def test_save_submit_and_conflict_keep_the_text(facility):
    svc, admin, writer = facility
    a = session(svc, writer)
    a.set_body("一通目\n")
    a.propose(_high(), "理由")
    a.save()
    assert not a.dirty and svc.letters.get(a.letter_id).proposals == {_high().key: "理由"}
    b = session(svc, writer)
    b.open(a.letter_id)
    b.set_body("別のPCでの変更\n")
    b.save()
    a.set_body("このPCでの変更\n")
    with pytest.raises(errors.WorkflowRefused) as info:
        a.save()
    assert info.value.reason == errors.Refusal.CONFLICT
    assert a.body == "このPCでの変更\n"
    a.save_as_new()
    assert svc.letters.get(a.letter_id).body == "このPCでの変更\n"
    assert a.submit().status == Status.SUBMITTED and a.read_only


def approved_and_prepared(svc, admin, writer, body: str):
    """A letter written, approved by another person, and through the gate's first step."""
    w = session(svc, writer)
    w.set_body(body)
    w.submit()
    r = session(svc, admin)
    r.open(w.letter_id)
    r.approve()
    w.refresh()
    return w, w.prepare_export()


def test_export_prepares_outside_and_commits_only_the_checked_text(facility, tmp_path):
    svc, admin, writer = facility
    w, plan = approved_and_prepared(svc, admin, writer, "山田様\n今月もお元気に過ごされました。\n")
    assert not (tmp_path / "a.docx").exists() and plan.prepared.suggested_name.endswith(".docx")
    # meanwhile someone edits the letter: the commit refuses, writes nothing, records nothing
    other = session(svc, writer)
    other.open(w.letter_id)
    other.set_body("山田様\n書き換えられた本文\n")
    other.save()
    with pytest.raises(errors.WorkflowRefused) as info:
        w.commit_export(plan, tmp_path / "a.docx")
    assert info.value.reason == errors.Refusal.CONFLICT
    assert not (tmp_path / "a.docx").exists()
    assert not any(e.action == "export" for e in audit.entries(svc.db))


def test_a_file_written_for_an_export_that_cannot_be_recorded_is_removed(facility, tmp_path, monkeypatch):
    svc, admin, writer = facility
    w, plan = approved_and_prepared(svc, admin, writer, "山田様\n今月もお元気です。\n")
    out = tmp_path / "sent.docx"

    def fail(*_a, **_k):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(audit, "append", fail)  # the export's record cannot be written
    with pytest.raises(RuntimeError):
        w.commit_export(plan, out)
    assert not out.exists()
    assert svc.letters.get(w.letter_id).status == Status.APPROVED


def test_each_window_has_its_own_recovery_slot(facility, db):
    svc, _admin, writer = facility
    w1, w2 = RecoveryStore(db), RecoveryStore(db)
    s1, s2 = session(svc, writer), session(svc, writer)
    s1.set_body("窓1の本文")
    s2.set_body("窓2の本文")
    w1.save(s1)
    w2.save(s2)
    w1.clear()  # closing window 1 does not wipe window 2's crash copy
    fresh = RecoveryStore(db)
    assert [r.body for r in fresh.orphaned()] == []  # window 2 is still running (same process)
    from desktop_app.core.db.models import RecoverySlot

    with db.session() as s:
        s.get(RecoverySlot, w2.slot).owner = "another-host:1"
    rows = fresh.orphaned()
    assert [r.body for r in rows] == ["窓2の本文"]
    assert fresh.restore(rows[0]).body == "窓2の本文" and fresh.orphaned() == []


def test_an_approved_letter_edited_on_screen_no_longer_says_it_can_be_exported(facility, tmp_path):
    svc, admin, writer = facility
    s, _plan = approved_and_prepared(svc, admin, writer, "拝啓　十二月のご様子をお知らせします。敬具")
    assert s.status == Status.APPROVED and "このまま書き出せます" in s.banner()
    s.set_body(s.body + "\n追伸　来週は餅つきです。")
    assert "この文面は承認されていません" in s.banner() and "このまま書き出せます" not in s.banner()
    s.set_body(s.saved_body)  # 元に戻す: the approved text again
    assert "このまま書き出せます" in s.banner()
