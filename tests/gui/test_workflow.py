"""The review workflow in the window: first start, login, submit, approve, return with comments, an
edit voiding the approval, export refused then allowed, conflicts, the reviewer's queue, start-up errors."""

from __future__ import annotations

import pytest

from desktop_app.core.workflow.state import CHANGED_ANCHOR, Status
from desktop_app.gui import prompts
from tests.gui.conftest import FACILITY, PASSWORD, answers, pick_in_queue, wait_check

pytestmark = [pytest.mark.gui, pytest.mark.nlp]

LETTER = "山田 太郎 様\n\n先日は同室の小野寺様とご一緒に、中庭で花を眺めて過ごされました。\n"


def write_and_submit(qtbot, window, monkeypatch, body=LETTER, reason="ご本人のご希望で名前を出しています"):
    if window.editor.toPlainText() != body:
        window.editor.setPlainText(body)
        wait_check(qtbot, window)
    for f in window.controller.session.unresolved_high():
        monkeypatch.setattr(prompts, "ask_text", lambda *a, **k: reason)
        window.controller.mark_reviewed(f)
    assert window.controller.submit_for_review()
    return window.controller.session.letter_id


# ---- start-up ----------------------------------------------------------------------------------
def test_first_start_asks_for_facility_and_administrator_then_login(qtbot, engine, said, monkeypatch):
    from desktop_app.core import accounts
    from desktop_app.gui.app import create_window
    from desktop_app.gui.check_dispatcher import CheckDispatcher

    setup_asked = answers(monkeypatch, "ask_setup", [
        {"facility": dict(FACILITY), "name": "山本 施設長", "password": PASSWORD, "password2": "typo-123",
         "roles": {"writer", "reviewer"}},
        {"facility": dict(FACILITY), "name": "山本 施設長", "password": PASSWORD, "password2": PASSWORD,
         "roles": {"writer", "reviewer"}},
    ])
    login_asked = answers(monkeypatch, "ask_login", [("山本 施設長", "wrong-password"), ("山本 施設長", PASSWORD)])
    w = create_window(CheckDispatcher(engine=engine, delay_ms=50))
    try:
        assert w is not None
        assert setup_asked[0][1] is True  # the administrator part is asked for
        assert "一致しません" in setup_asked[1][2]
        assert login_asked[0][1] == "山本 施設長"  # prefilled with the new administrator
        assert "パスワードが違います" in login_asked[1][2]
        assert w.controller.actor.name == "山本 施設長" and w.controller.actor.roles == {"admin", "writer", "reviewer"}
        assert "山本 施設長" in w.user_label.text() and "管理者" in w.user_label.toolTip()  # roles: in the tooltip on a narrow window
        assert w.controller.services.admin.facility().name == FACILITY["name"] and not w.controller.services.admin.setup_needed()
        assert [u.name for u in accounts.list_users(w.controller.services.db)] == ["山本 施設長"]
        assert w.actions.queue_action.isVisible() or w.controller.actor.has("reviewer")
    finally:
        if w is not None:
            w._closing_ok = True
            w.close()


def test_no_letter_can_be_written_when_first_start_is_cancelled(qtbot, engine, said, monkeypatch):
    from desktop_app.gui.app import create_window
    from desktop_app.gui.check_dispatcher import CheckDispatcher

    answers(monkeypatch, "ask_setup", [])  # closed at once
    assert create_window(CheckDispatcher(engine=engine, delay_ms=50)) is None


def test_accounts_made_on_the_command_line_still_need_the_facility_profile(qtbot, engine, gui_db, said, monkeypatch):
    from desktop_app.core import accounts
    from desktop_app.gui.app import create_window
    from desktop_app.gui.check_dispatcher import CheckDispatcher

    accounts.add_user(gui_db, "山本 施設長", ["admin", "writer"], PASSWORD, None)
    logins = answers(monkeypatch, "ask_login", [("山本 施設長", PASSWORD)])
    setups = answers(monkeypatch, "ask_setup", [{"facility": dict(FACILITY)}])
    w = create_window(CheckDispatcher(engine=engine, delay_ms=50), db=gui_db)
    try:
        assert w is not None and w.controller.actor.name == "山本 施設長"
        assert len(logins) == 1 and setups[0][1] is False  # only the profile is asked for
        assert w.controller.session.facility.name == FACILITY["name"]
    finally:
        w._closing_ok = True
        w.close()


def test_login_is_locked_for_30_seconds_after_five_failures(qtbot, gui_db, people, monkeypatch):
    from desktop_app.gui.account_dialogs import run_login

    asked = answers(monkeypatch, "ask_login", [("佐藤 作成", "bad-guess")] * 5 + [("佐藤 作成", PASSWORD)])
    assert run_login(None, gui_db) is None  # the right password during the lock does not get in
    messages = [a[2] for a in asked]
    assert "パスワードが違います" in messages[1]
    assert "秒待って" in messages[6]


def test_login_dialog_and_setup_dialog_check_their_entries(qtbot):
    from desktop_app.gui.account_forms import LoginDialog, SetupDialog

    dlg = SetupDialog({"name": "さくらの里"}, need_admin=True)
    qtbot.addWidget(dlg)
    dlg.name.setText("山本")
    dlg.password.setText("yama-kawa-umi-4419")
    dlg.password2.setText("yama-kawa-umi-441X")
    dlg.accept()
    assert dlg.result() == 0 and "一致しません" in dlg.message.text()
    dlg.password2.setText("yama-kawa-umi-4419")
    assert dlg.problem() == ""
    assert dlg.values()["roles"] == {"admin", "writer", "reviewer"}
    login = LoginDialog(["佐藤 作成"], message="利用者名またはパスワードが違います。")
    qtbot.addWidget(login)
    assert login.name.text() == "佐藤 作成" and login.message.isVisibleTo(login)


def test_corrupt_database_is_moved_aside_and_the_newest_backup_restored(qtbot, gui_db, people, said):
    from desktop_app import config
    from desktop_app.core import accounts
    from desktop_app.core.db import open_database, resolve_url
    from desktop_app.gui.app import open_workflow_db

    url = resolve_url(None, config.data_dir(), "")
    gui_db.dispose()
    open_database(url).dispose()  # a backup that holds the accounts
    path = config.data_dir() / "careletter.sqlite3"
    path.write_bytes(b"this is not a database" * 200)
    db = open_workflow_db(config.Settings())
    assert db is not None
    try:
        assert [u.name for u in accounts.list_users(db)]  # the backup came back
        assert list(path.parent.glob("careletter.sqlite3.corrupt-*"))
    finally:
        db.dispose()


@pytest.mark.parametrize("url, words", [("nonsense-url", "URL"), ("sqlite:////proc/no-such/dir/x.sqlite3", "/proc/no-such/dir")])
def test_unusable_database_gets_a_japanese_message_not_a_traceback(qtbot, said, monkeypatch, url, words):
    from desktop_app import config
    from desktop_app.gui.app import open_workflow_db

    monkeypatch.setenv("CARELETTER_DB", url)  # set outside the app: nothing to correct in 設定
    assert open_workflow_db(config.Settings()) is None
    kind, title, text = said[-1]
    assert kind == "error" and title == "データベースを開けません" and words in text
    assert "Traceback" not in text


def test_a_wrong_database_url_can_be_corrected_at_start(qtbot, said, monkeypatch):
    from desktop_app import config
    from desktop_app.gui.app import open_workflow_db

    settings = config.Settings(database_url="postgresql+psycopg://letters@127.0.0.1:1/careletter")
    asked = answers(monkeypatch, "ask_text", [""])  # back to this PC's SQLite file
    db = open_workflow_db(settings)
    assert db is not None and db.backend == "sqlite"
    db.dispose()
    assert "接続できません" in asked[0][1] and asked[0][2].startswith("postgresql")
    assert config.Settings.load().database_url == ""


# ---- the workflow --------------------------------------------------------------------------------
def test_submit_approve_an_edit_voids_the_approval_then_export_leaves_the_letter_read_only(
        qtbot, make_window, said, monkeypatch, tmp_path):
    writer = make_window("writer")
    target = tmp_path / "letter.docx"
    monkeypatch.setattr(prompts, "save_file", lambda *a, **k: str(target))
    writer.editor.setPlainText(LETTER)
    wait_check(qtbot, writer)
    assert writer.controller.save_draft()
    assert writer.controller.export_word() is None and not target.exists()
    assert "確認者の了承がありません" in said[-1][2] and "小野寺" in said[-1][2]

    letter_id = write_and_submit(qtbot, writer, monkeypatch, body=LETTER)
    assert writer.controller.session.status == Status.SUBMITTED and writer.editor.isReadOnly()
    assert "確認待ち" in writer.status_letter.text()

    reviewer = make_window("reviewer")
    reviewer.controller.open_review()
    view = reviewer.controller.review_view
    assert pick_in_queue(view, letter_id)
    assert "ご本人のご希望で名前を出しています" in "\n".join(
        view.findings_list.item(i).text() for i in range(view.findings_list.count()))
    reasons = answers(monkeypatch, "ask_text", ["ご家族も同席され、了承を得ています"])
    assert view.approve()
    assert "小野寺" in reasons[0][1]  # the reviewer is asked about the high finding itself
    assert view.table.rowCount() == 0

    writer.controller.poll_letter()
    assert writer.controller.session.status == Status.APPROVED and not writer.editor.isReadOnly()
    # one more sentence after the approval: the approval no longer holds
    writer.editor.appendPlainText("追伸：来月は音楽会を予定しております。")
    assert writer.controller.save_draft()
    assert any(t == "承認は取り消されました" for _, t, _ in said)
    assert writer.controller.session.status == Status.DRAFT
    assert writer.controller.export_word() is None and not target.exists()
    assert "承認は無効" in said[-1][2]

    # asked again and approved again (the finding stays accepted): now it is exported
    assert writer.controller.submit_for_review()
    view.refresh()
    assert pick_in_queue(view, letter_id)
    assert view.approve()
    writer.controller.poll_letter()
    assert writer.controller.session.status == Status.APPROVED
    assert writer.controller.export_word() == target and target.exists()
    from docx import Document
    from PySide6.QtWidgets import QApplication

    assert QApplication.overrideCursor() is None  # the wait cursor is gone again
    text = "\n".join(p.text for p in Document(str(target)).paragraphs)
    assert "中庭で花を眺めて" in text and "音楽会" in text
    # sent as it is: no longer changed (a new draft can be made from it instead)
    assert writer.controller.session.status == Status.EXPORTED and writer.editor.isReadOnly()
    assert not writer.controller.save_draft() and said[-1][1] == "送付済み"
    assert writer.actions.derive_action.isEnabled()


def test_export_of_an_approved_letter_edited_on_screen_asks_once_and_keeps_the_approval_when_declined(
        qtbot, make_window, said, monkeypatch, tmp_path):
    writer = make_window("writer")
    target = tmp_path / "letter.docx"
    monkeypatch.setattr(prompts, "save_file", lambda *a, **k: str(target))
    clean = "山田 太郎 様\n\n今月は中庭で花を眺めて過ごされました。\n"
    letter_id = write_and_submit(qtbot, writer, monkeypatch, body=clean)
    reviewer = make_window("reviewer")
    reviewer.controller.open_review()
    assert pick_in_queue(reviewer.controller.review_view, letter_id) and reviewer.controller.review_view.approve()
    writer.controller.poll_letter()
    assert writer.controller.session.status == Status.APPROVED

    writer.editor.appendPlainText("追伸：来月は餅つきです。")
    wait_check(qtbot, writer)
    assert "この文面は承認されていません" in writer.body_label.text()
    asked = answers(monkeypatch, "confirm", [False])  # やめる
    before = len(said)
    assert writer.controller.export_word() is None and not target.exists()
    assert len(asked) == 1 and "まだ承認されていません" in asked[0][1] and len(said) == before  # one dialog only
    assert writer.controller.session.status == Status.APPROVED  # nothing saved: the approval still holds

    asked = answers(monkeypatch, "confirm", [True])  # 保存して確認を依頼
    assert writer.controller.export_word() is None and not target.exists()
    assert writer.controller.session.status == Status.SUBMITTED
    assert "追伸" in writer.controller.session.saved_body


def test_clean_letter_needs_approval_unless_the_policy_says_only_with_findings(qtbot, make_window, people, said,
                                                                              monkeypatch, tmp_path):
    target = tmp_path / "clean.docx"
    monkeypatch.setattr(prompts, "save_file", lambda *a, **k: str(target))
    writer = make_window("writer")
    writer.editor.setPlainText("山田 太郎 様\n\n来月の行事予定をお送りいたします。\n")
    wait_check(qtbot, writer)
    assert writer.controller.export_word() is None and "承認されていません" in said[-1][2]
    writer.controller.services.admin.set_policy("when_findings", people["admin"])
    assert writer.controller.export_word() == target and target.exists()


def test_high_finding_without_the_reviewers_reason_is_not_approved(qtbot, make_window, said, monkeypatch):
    writer = make_window("writer")
    letter_id = write_and_submit(qtbot, writer, monkeypatch)
    reviewer = make_window("reviewer")
    reviewer.controller.open_review()
    assert pick_in_queue(reviewer.controller.review_view, letter_id)
    asked = answers(monkeypatch, "ask_text", ["   "])  # blank, then closed: asked again with why, not approved
    assert not reviewer.controller.review_view.approve()
    assert len(asked) == 2 and "確認者の理由が必要です" in asked[1][1] and "確認者の理由" not in asked[0][1].split("\n")[0]
    assert reviewer.controller.services.letters.get(letter_id).status == Status.SUBMITTED


def test_a_blank_return_comment_asks_again_and_the_dialogs_name_their_act(qtbot, make_window, said, monkeypatch):
    writer = make_window("writer")
    letter_id = write_and_submit(qtbot, writer, monkeypatch)
    reviewer = make_window("reviewer")
    reviewer.controller.open_review()
    view = reviewer.controller.review_view
    assert pick_in_queue(view, letter_id)
    oks = []

    def long_text(parent, title, label, ok="OK"):
        oks.append((title, ok, label))
        return "" if len(oks) == 1 else "日付の曜日を確かめてください"

    monkeypatch.setattr(prompts, "ask_long_text", long_text)
    assert view.return_letter()
    assert [(t, ok) for t, ok, _ in oks] == [("差し戻し", "差し戻す"), ("差し戻し", "差し戻す")]
    assert "コメントが必要です" in oks[1][2]  # the reviewer's blank is explained in the same dialog
    assert reviewer.controller.services.letters.get(letter_id).status == Status.RETURNED


def test_return_with_comments_that_the_writer_sees_on_the_text(qtbot, make_window, said, monkeypatch):
    from PySide6.QtGui import QTextCursor

    writer = make_window("writer")
    letter_id = write_and_submit(qtbot, writer, monkeypatch)
    reviewer = make_window("reviewer")
    reviewer.controller.open_review()
    view = reviewer.controller.review_view
    assert pick_in_queue(view, letter_id)
    shown = view.text.toPlainText()
    start = shown.index("中庭")
    cursor = view.text.textCursor()
    cursor.setPosition(start)
    cursor.setPosition(start + 2, QTextCursor.KeepAnchor)
    view.text.setTextCursor(cursor)
    answers(monkeypatch, "ask_long_text", ["どちらの中庭か書き添えてください"])
    assert view.comment_on_selection()
    answers(monkeypatch, "ask_long_text", ["小野寺様のお名前は伏せてください"])
    assert view.return_letter()

    writer.controller.poll_letter()
    assert writer.controller.session.status == Status.RETURNED and not writer.editor.isReadOnly()
    assert writer.comments_panel.isVisibleTo(writer)
    labels = writer.comments_panel.labels()
    assert any("小野寺様のお名前は伏せてください" in t for t in labels)
    assert any("「中庭」" in t and "どちらの中庭か" in t for t in labels)
    highlighted = [s.cursor.selectedText() for s in writer.editor.extraSelections()]
    assert "中庭" in highlighted
    # a click on the comment selects its words in the letter and puts the keyboard there: typing corrects them
    writer.show()
    writer.activateWindow()
    panel = writer.comments_panel.list
    item = next(panel.item(i) for i in range(panel.count()) if "「中庭」" in panel.item(i).text())
    panel.setFocus()
    panel.itemClicked.emit(item)
    qtbot.waitUntil(lambda: writer.editor.hasFocus())
    assert writer.editor.textCursor().selectedText() == "中庭"
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    # typed as an input method delivers it, to whatever has the keyboard
    QApplication.sendEvent(QApplication.focusWidget(), QKeyEvent(QEvent.KeyPress, 0, Qt.NoModifier, "裏庭"))
    assert "裏庭で花を眺めて" in writer.editor.toPlainText()
    # the writer rewrites that part: the comment says its place has changed
    text = writer.editor.toPlainText()
    writer.editor.setPlainText(text.replace("裏庭", "屋上の庭園"))
    assert any(CHANGED_ANCHOR in t for t in writer.comments_panel.labels())
    assert "中庭" not in [s.cursor.selectedText() for s in writer.editor.extraSelections()]

    # resubmitted: the reviewer sees what changed, inline
    writer.editor.setPlainText(writer.editor.toPlainText().replace("同室の小野寺様", "ほかのご利用者"))
    assert writer.controller.submit_for_review()
    view.refresh()
    assert pick_in_queue(view, letter_id)
    shown = view.text.toPlainText()
    assert "中庭屋上の庭園" in shown  # the deleted and the inserted text, both in place
    doc = view.text.document()
    cursor = QTextCursor(doc)
    cursor.setPosition(shown.index("中庭") + 1)
    assert cursor.charFormat().fontStrikeOut()
    cursor.setPosition(shown.index("屋上") + 1)
    assert cursor.charFormat().fontUnderline()


def test_reviewer_cannot_approve_their_own_letter(qtbot, make_window, said, monkeypatch):
    admin = make_window("admin")  # writes and reviews
    letter_id = write_and_submit(qtbot, admin, monkeypatch)
    admin.controller.open_review()
    view = admin.controller.review_view
    assert pick_in_queue(view, letter_id)
    assert not view.approve_btn.isEnabled() and "自分で" in view.header.text()
    answers(monkeypatch, "ask_text", ["自分で確認しました"])
    assert not view.approve()
    assert "自分で作成・編集した手紙は承認できません" in said[-1][2]


def test_queue_refreshes_by_itself_within_5_seconds(qtbot, make_window, people, said):
    reviewer = make_window("reviewer")
    reviewer.controller.open_review()
    view = reviewer.controller.review_view
    assert view.table.rowCount() == 0
    svc = reviewer.controller.services
    letter = svc.workflow.create(people["writer"], "monthly_report", "山田 太郎 様\n\n近況をお知らせします。\n")
    svc.workflow.submit(people["writer"], letter.id)
    qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=5000)
    qtbot.waitUntil(lambda: reviewer.actions.queue_action.text() == "確認待ち（1）…", timeout=5000)

    assert view.queue_value(0, "作成者") == "佐藤 作成"
    assert view.queue_value(0, "種類") == reviewer.library.get("monthly_report").title


def test_conflicting_save_offers_a_new_draft_and_keeps_the_text(qtbot, make_window, said, monkeypatch):
    a = make_window("writer")
    a.editor.setPlainText("一通目の本文\n")
    assert a.controller.save_draft()
    b = make_window("writer")
    answers(monkeypatch, "choose_item", [0])
    assert b.controller.open_draft()
    b.editor.setPlainText("別のPCで直した本文\n")
    assert b.controller.save_draft()
    a.editor.setPlainText("このPCで直した本文\n")
    asked = answers(monkeypatch, "ask_conflict", [True])
    assert a.controller.save_draft()
    assert "別のPC" in asked[0][0]
    assert a.controller.session.letter_id != b.controller.session.letter_id
    assert a.controller.services.letters.get(a.controller.session.letter_id).body == "このPCで直した本文\n"
    assert a.controller.services.letters.get(b.controller.session.letter_id).body == "別のPCで直した本文\n"


def test_letters_past_the_retention_period_are_purged_at_start(qtbot, make_window, people, said):
    import datetime as dt

    from desktop_app.core.db.models import Letter

    w = make_window("writer")
    old = w.controller.services.workflow.create(people["writer"], "monthly_report", "古い下書き\n")
    with w.controller.services.db.session() as s:
        s.get(Letter, old.id).updated_at = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=400)
    make_window("writer")
    assert [x.id for x in w.controller.services.letters.list()] == []


def test_logout_is_one_action_back_to_the_login(qtbot, make_window, said, monkeypatch):
    w = make_window("writer")
    w.editor.setPlainText("ログアウト前の下書き\n")
    monkeypatch.setattr(prompts, "ask_save_discard_cancel", lambda *a, **k: "save")
    answers(monkeypatch, "ask_login", [("田中 確認", PASSWORD)])
    assert w.controller.logout()
    assert w.controller.actor.name == "田中 確認" and "田中 確認" in w.user_label.text() and "確認者" in w.user_label.toolTip()
    assert w.editor.toPlainText() == "" and w.controller.session.letter_id is None
    # a reviewer without the writer's role reads and reviews, and goes straight to the queue
    assert w.editor.isReadOnly() and not w.actions.save_action.isEnabled() and not w.actions.submit_action.isEnabled()
    assert w.controller.review_view is not None and w.controller.review_view.isVisible()
    assert w.controller.services.letters.list()[0].first_line == "ログアウト前の下書き"


def test_screens_render_japanese(qtbot, make_window, said, monkeypatch, tmp_path):
    from desktop_app.gui.account_forms import LoginDialog

    writer = make_window("writer")
    write_and_submit(qtbot, writer, monkeypatch)
    reviewer = make_window("reviewer")
    reviewer.show()
    reviewer.controller.open_review()
    login = LoginDialog(["佐藤 作成"])
    qtbot.addWidget(login)
    for name, widget in (("main", writer), ("review", reviewer.controller.review_view), ("login", login)):
        assert widget.grab().save(str(tmp_path / f"{name}.png"))
