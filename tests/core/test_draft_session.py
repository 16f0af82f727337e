"""The window's letter state without Qt, and one crash-recovery slot per window."""

from __future__ import annotations

from desktop_app.core import accounts, errors
from desktop_app.core.draft_session import DraftSession, RecoveryStore
from desktop_app.core.findings import Finding, Severity
from desktop_app.core.review import ReviewService, Status


def _high(text="鈴木"):
    return Finding(0, len(text), text, "pii.person", Severity.HIGH, "m", "e")


def test_only_the_newest_revision_keeps_findings_and_proposals_never_unblock():
    s = DraftSession(template_id="monthly_report")
    assert s.set_body("鈴木様") and not s.set_body("鈴木様")
    old = s.revision
    s.set_body("鈴木様です")
    assert not s.set_findings(old, [_high()])
    assert s.set_findings(s.revision, [_high()])
    s.toggle_proposal(_high(), "ご本人の旧姓")
    assert [f.text for f in s.unresolved_high()] == ["鈴木"]
    s.accepted[_high().key] = "確認者が了承"
    assert s.unresolved_high() == []


def test_save_submit_and_conflict_keep_the_text(db):
    admin = accounts.add_user(db, "admin", ["admin", "writer"], "password1", None)
    svc = ReviewService(db, lambda body, ctx: [])
    svc.set_facility({"name": "テスト苑"}, admin)
    a = DraftSession(template_id="monthly_report", body="一通目\n")
    a.toggle_proposal(_high(), "理由")
    a.save(svc, admin)
    assert not a.dirty and svc.get(a.letter_id).proposals == {_high().key: "理由"}
    b = DraftSession()
    b.load(svc.get(a.letter_id))
    b.set_body("別のPCでの変更\n")
    b.save(svc, admin)
    a.set_body("このPCでの変更\n")
    try:
        a.save(svc, admin)
        raise AssertionError("a conflict was expected")
    except errors.WorkflowRefused as exc:
        assert exc.reason == errors.Refusal.CONFLICT
    assert a.body == "このPCでの変更\n"
    a.save_as_new(svc, admin)
    assert svc.get(a.letter_id).body == "このPCでの変更\n"
    assert a.submit(svc, admin).status == Status.SUBMITTED and a.read_only


def test_each_window_has_its_own_recovery_slot(db):
    w1, w2 = RecoveryStore(db), RecoveryStore(db)
    w1.save(DraftSession(template_id="t", body="窓1の本文"))
    w2.save(DraftSession(template_id="t", body="窓2の本文"))
    w1.clear()  # closing window 1 does not wipe window 2's crash copy
    fresh = RecoveryStore(db)
    assert [r.body for r in fresh.orphaned()] == []  # window 2 is still running (same process)
    from desktop_app.core.db.models import RecoverySlot

    with db.session() as s:
        s.get(RecoverySlot, w2.slot).owner = "another-host:1"
    rows = fresh.orphaned()
    assert [r.body for r in rows] == ["窓2の本文"]
    assert fresh.restore(rows[0]).body == "窓2の本文" and fresh.orphaned() == []
