"""The writer is never stuck in the window: 新しい手紙 always works, a request can be withdrawn, buttons that
would change a letter that cannot change are off, 自分の手紙 opens a letter, a returned letter comes as a
notice (not a dialog), and a sent letter is read-only but can start a new draft. One full writer → reviewer →
export cycle runs through two windows on PostgreSQL."""

from __future__ import annotations

import pytest

from desktop_app.core.workflow.state import Status
from desktop_app.gui import prompts
from tests.gui.conftest import PASSWORD, pick_in_queue, wait_check

pytestmark = [pytest.mark.gui, pytest.mark.nlp]

# no other person's name: nothing high, so a submit asks nothing
CALM = "ご家族の皆様\n\n朝夕はずいぶん涼しくなりました。中庭の柿の実が色づき、皆さまで眺めて過ごしました。\n"
PHONE = "ご家族の皆様\n\n面会のご予約は090-3141-5926までお電話ください。\n"


def write(qtbot, w, body: str) -> None:
    w.editor.setPlainText(body)
    wait_check(qtbot, w)


def submitted(qtbot, w, body=CALM) -> int:
    write(qtbot, w, body)
    assert w.controller.submit_for_review()
    return w.controller.session.letter_id


def sent_letter(svc, people, tmp_path, body=CALM) -> int:
    """A letter written, approved and exported without a window."""
    v = svc.workflow.create(people["writer"], "monthly_report", body,
                            {"recipient_name": "村上 幸子", "resident_name": "村上 ウメ"})
    svc.workflow.submit(people["writer"], v.id)
    svc.workflow.approve(people["reviewer"], v.id)
    out = tmp_path / f"sent-{v.id}.txt"

    def put(text: str, target):
        target.write_text(text, encoding="utf-8")

    svc.workflow.export(people["writer"], v.id, out, put)
    return v.id


def test_new_letter_stays_enabled_after_submit_and_withdraw_makes_the_letter_editable(qtbot, make_window, said):
    w = make_window("writer")
    w.resize(1024, 700)
    w.show()
    lid = submitted(qtbot, w)
    a = w.actions
    assert w.width() <= 1024  # the longer banner and the extra button still fit a small screen
    assert w.editor.isReadOnly() and not a.save_action.isEnabled() and not a.submit_action.isEnabled()
    assert a.new_action.isEnabled() and a.withdraw_action.isEnabled() and a.letter_tools[a.withdraw_action].isVisible()
    assert not a.derive_action.isEnabled() and not a.letter_tools[a.derive_action].isVisible()
    assert "依頼を取り下げる" in w.body_label.text()

    a.withdraw_action.trigger()
    s = w.controller.session
    assert s.letter_id == lid and s.status == Status.DRAFT and not w.editor.isReadOnly()
    assert a.save_action.isEnabled() and a.submit_action.isEnabled() and not a.withdraw_action.isEnabled()
    assert not a.letter_tools[a.withdraw_action].isVisible()
    assert w.controller.services.letters.get(lid).status == Status.DRAFT
    w.editor.appendPlainText("来月は音楽会を予定しております。")
    assert w.controller.save_draft()
    assert w.controller.services.letters.get(lid).body.endswith("来月は音楽会を予定しております。")

    assert w.controller.submit_for_review()
    a.new_action.trigger()  # Ctrl+N on a letter waiting for review: a fresh letter, nothing asked
    assert w.controller.session.letter_id is None and not w.editor.isReadOnly() and w.editor.toPlainText() == ""
    assert w.controller.services.letters.get(lid).status == Status.SUBMITTED


def test_fix_buttons_are_off_on_a_letter_waiting_for_review(qtbot, make_window, said, monkeypatch):
    w = make_window("writer")
    write(qtbot, w, PHONE)
    phone = next(f for f in w.controller.session.findings if f.category.startswith("pii.") and "090" in f.text)
    w.panel.select_finding(phone)
    assert w.panel.mask_btn.isEnabled() and w.panel.review_btn.isEnabled()
    monkeypatch.setattr(prompts, "ask_text", lambda *a, **k: "ご家族の希望で施設の番号を載せています")
    for f in w.controller.session.unresolved_high():
        w.controller.mark_reviewed(f)
    assert w.controller.submit_for_review()
    w.panel.select_finding(phone)
    assert w.panel.current() == phone  # still readable …
    assert not w.panel.mask_btn.isEnabled() and not w.panel.apply_btn.isEnabled()  # … but nothing changes it
    assert not w.panel.review_btn.isEnabled() and "変更できません" in w.panel.mask_btn.toolTip()
    w.panel.mask_btn.click()
    assert "〇〇" not in w.editor.toPlainText()
    w.actions.withdraw_action.trigger()
    w.panel.select_finding(phone)
    assert w.panel.mask_btn.isEnabled()
    w.panel.mask_btn.click()
    assert "〇〇" in w.editor.toPlainText() and "090-3141-5926" not in w.editor.toPlainText()


def test_my_letters_groups_by_state_and_opens_a_letter(qtbot, make_window, people, said, monkeypatch):
    w = make_window("writer")
    svc = w.controller.services
    draft = svc.workflow.create(people["writer"], "monthly_report", CALM,
                                {"recipient_name": "石井 明美", "resident_name": "石井 ツル"}).id
    waiting = svc.workflow.create(people["writer"], "thanks", "石井 明美 様\n\n先日はお花をありがとうございました。\n").id
    svc.workflow.submit(people["writer"], waiting)
    svc.workflow.create(people["admin"], "monthly_report", "施設長が書いた手紙です。\n")  # not mine
    w.editor.setPlainText("まだ保存していない書きかけの文です。\n")

    dlg = w.controller.open_my_letters()
    qtbot.waitExposed(dlg)
    assert dlg.windowTitle() == "自分の手紙" and dlg.width() <= 1024 and dlg.height() <= 768
    assert dlg.groups() == ["下書き", "確認待ち"]
    assert sorted(it.data(0, 0x0100) for it in dlg.letter_items()) == [draft, waiting]
    row = dlg.item_for(draft)
    assert (row.text(1), row.text(2)) == ("石井 ツル", "石井 明美")
    assert row.text(3) == w.library.get("monthly_report").title and row.text(4)

    asked = []
    monkeypatch.setattr(prompts, "ask_save_discard_cancel", lambda *a: asked.append(a[1]) or "cancel")
    dlg.tree.itemDoubleClicked.emit(dlg.item_for(waiting), 0)
    assert asked == ["手紙を開く"] and w.controller.session.letter_id is None and dlg.isVisible()
    monkeypatch.setattr(prompts, "ask_save_discard_cancel", lambda *a: "discard")
    dlg.tree.itemDoubleClicked.emit(dlg.item_for(waiting), 0)
    assert w.controller.session.letter_id == waiting and w.editor.toPlainText().startswith("石井 明美 様")
    assert w.editor.isReadOnly() and w.actions.withdraw_action.isEnabled() and not dlg.isVisible()


def test_a_returned_letter_comes_as_a_notice_with_the_reviewers_comment(qtbot, make_window, said, monkeypatch):
    w = make_window("writer")
    lid = submitted(qtbot, w)
    w.actions.new_action.trigger()  # the writer goes on with another letter
    w.controller.poll_letter(force=True)
    assert not w.notice_bar.isVisibleTo(w)

    reviewer = make_window("reviewer")
    reviewer.controller.open_review()
    view = reviewer.controller.review_view
    assert pick_in_queue(view, lid)
    monkeypatch.setattr(prompts, "ask_long_text", lambda *a, **k: "柿の木は裏庭のものです。場所を直してください。")
    assert view.return_letter()

    w.controller.poll_letter()  # what the 4-second timer does; no dialog comes (every prompt would fail)
    bar = w.notice_bar
    assert bar.isVisibleTo(w)
    assert f"手紙 #{lid}" in bar.text() and "田中 確認さんが差し戻しました" in bar.text()
    assert "柿の木は裏庭のものです。" in bar.text()
    w.controller.poll_letter(force=True)
    assert bar.isVisibleTo(w) and len(bar.notices) == 1  # shown once, not again and again

    bar.open_buttons[lid].click()
    assert w.controller.session.letter_id == lid and w.controller.session.status == Status.RETURNED
    assert not w.editor.isReadOnly()
    # the letter needs the height now: the bar folds to its title line, and unfolds on request
    assert bar.isVisibleTo(w) and bar.folded and not bar.rows_box.isVisibleTo(w)
    bar.fold_btn.click()
    assert bar.rows_box.isVisibleTo(w) and "柿の木は裏庭のものです。" in bar.text()
    bar.close_btn.click()
    assert not bar.isVisibleTo(w)
    w.controller.poll_letter(force=True)
    assert not bar.isVisibleTo(w) and w.controller.services.letters.notices(w.controller.actor) == []


def test_a_sent_letter_is_read_only_and_a_new_draft_can_be_made_from_it(qtbot, make_window, people, said, tmp_path):
    w = make_window("writer")
    lid = sent_letter(w.controller.services, people, tmp_path, body=PHONE)
    assert w.controller.open_letter(lid)
    wait_check(qtbot, w)
    s, a = w.controller.session, w.actions
    assert s.status == Status.EXPORTED and w.editor.isReadOnly() and not w.form.isEnabled()
    assert not a.save_action.isEnabled() and not a.submit_action.isEnabled() and a.new_action.isEnabled()
    assert a.derive_action.isEnabled() and a.letter_tools[a.derive_action].isVisible()
    assert not a.draft_action.isEnabled()  # no 下書き stamp on a letter that was sent
    assert "送付済み" in w.body_label.text()
    phone = next(f for f in s.findings if "090" in f.text)
    w.panel.select_finding(phone)
    assert not w.panel.mask_btn.isEnabled()
    assert not w.controller.save_draft() and said[-1][1] == "送付済み"

    a.derive_action.trigger()
    s = w.controller.session
    assert s.letter_id != lid and s.status == Status.DRAFT and s.view.derived_from == lid
    assert not w.editor.isReadOnly() and w.editor.toPlainText() == PHONE
    assert f"手紙 #{lid} をもとに作成" in w.body_label.text()
    assert w.form.values()["resident_name"] == "村上 ウメ"
    assert not a.derive_action.isEnabled() and a.save_action.isEnabled() and a.draft_action.isEnabled()
    assert w.controller.services.letters.get(lid).status == Status.EXPORTED


def test_writer_reviewer_export_cycle_through_the_windows_on_postgresql(qtbot, engine, postgres_server, tmp_path,
                                                                        said, monkeypatch):
    from desktop_app.core import accounts, audit
    from desktop_app.core.context import Facility
    from desktop_app.core.db import open_database
    from desktop_app.core.workflow import Services
    from desktop_app.gui.app import create_window
    from desktop_app.gui.check_dispatcher import CheckDispatcher

    url = postgres_server.new_database()
    writer_pc, reviewer_pc = open_database(url), open_database(url, backup=False)
    admin = accounts.add_user(writer_pc, "施設長", ["admin"], PASSWORD, None)
    Services.open(writer_pc, lambda t, c: []).admin.set_facility(Facility(name="ひまわり荘"), admin)
    writer = accounts.add_user(writer_pc, "岡田 作成", ["writer"], PASSWORD, admin)
    reviewer = accounts.add_user(writer_pc, "吉川 確認", ["reviewer"], PASSWORD, admin)
    windows = []
    try:
        for db, actor in ((writer_pc, writer), (reviewer_pc, reviewer)):
            win = create_window(CheckDispatcher(engine=engine, delay_ms=50), db=db, actor=actor)
            win.controller.model_ready = True
            windows.append(win)
        w, r = windows
        lid = submitted(qtbot, w)
        r.controller.open_review()
        view = r.controller.review_view
        assert pick_in_queue(view, lid)
        monkeypatch.setattr(prompts, "ask_long_text", lambda *a, **k: "季節のご挨拶を一言加えてください。")
        assert view.return_letter()

        w.controller.poll_letter(force=True)
        assert "季節のご挨拶を一言加えてください。" in w.notice_bar.text()
        w.notice_bar.open_buttons[lid].click()
        w.notice_bar.close_btn.click()
        assert w.controller.session.status == Status.RETURNED and not w.editor.isReadOnly()
        write(qtbot, w, CALM + "\n朝晩冷えますので、どうぞご自愛ください。\n")
        assert w.controller.submit_for_review()

        view.refresh()
        assert pick_in_queue(view, lid)
        assert view.approve()
        w.controller.poll_letter(force=True)
        assert w.controller.session.status == Status.APPROVED
        assert "吉川 確認さんが承認しました" in w.notice_bar.text()

        target = tmp_path / "ひまわり荘からのお便り.docx"
        monkeypatch.setattr(prompts, "save_file", lambda *a, **k: str(target))
        assert w.controller.export_word() == target and target.exists()
        assert w.controller.session.status == Status.EXPORTED and w.editor.isReadOnly()
        assert w.actions.derive_action.isEnabled() and not w.actions.save_action.isEnabled()
        w.actions.derive_action.trigger()
        assert w.controller.session.view.derived_from == lid and not w.editor.isReadOnly()
        actions = [e.action for e in audit.entries(reviewer_pc, lid)]
        assert actions == ["create", "submit", "return", "edit", "submit", "approve", "export"]
    finally:
        for win in windows:
            win.close_without_asking()
        writer_pc.dispose()
        reviewer_pc.dispose()


def test_a_new_letter_and_the_next_person_start_on_an_empty_form(qtbot, make_window, said, monkeypatch):
    w = make_window("writer")
    w.template_combo.setCurrentIndex(w.template_combo.findData("incident_report"))
    w.form.set_value("resident_name", "高橋 ヨシ子")
    w.form.set_value("recipient_name", "高橋 一郎")
    assert w.controller.session.fields["resident_name"] == "高橋 ヨシ子"

    assert w.form.values()["sender_name"] == "佐藤 作成"  # a new letter is signed by its writer
    w.form.set_value("sender_name", "")
    w.actions.new_action.trigger()  # nothing typed in the letter: nothing to ask
    assert w.form.values()["sender_name"] == "佐藤 作成"
    assert w.current_template_id() == "incident_report"  # the same kind of letter, a blank form
    assert w.form.values()["resident_name"] == "" and w.form.values()["recipient_name"] == ""
    assert w.controller.session.fields["resident_name"] == ""

    w.form.set_value("resident_name", "高橋 ヨシ子")
    monkeypatch.setattr(prompts, "ask_login", lambda *a, **k: ("山本 施設長", PASSWORD))
    assert w.controller.logout()
    assert w.controller.actor.name == "山本 施設長"
    assert w.form.values()["resident_name"] == "" and w.controller.session.fields["resident_name"] == ""
    # signed by who is logged in now (山本 施設長 writes too), never by the person before
    assert w.form.values()["sender_name"] == "山本 施設長" == w.controller.session.fields["sender_name"]


def test_quit_is_in_the_file_menu_and_asks_about_an_unsaved_letter(qtbot, make_window, monkeypatch):
    w = make_window("writer")
    w.show()
    file_menu = w.menuBar().actions()[0].menu()
    assert w.actions.quit_action in file_menu.actions() and w.actions.quit_action.shortcut().toString() == "Ctrl+Q"
    w.editor.setPlainText("まだ保存していない手紙です。\n")
    asked = []
    monkeypatch.setattr(prompts, "ask_save_discard_cancel", lambda parent, title, text: asked.append(title) or "cancel")
    w.actions.quit_action.trigger()
    assert asked == ["終了"] and w.isVisible()  # cancelled: the letter stays on screen
