"""No English where staff look: every dialog the app can open is opened for real (not replaced), and a timer
reads its title, its buttons (with their tooltips) and its labels before closing it; the main window's menus,
actions and the editor's right-click menu too. Qt's own words (standard buttons, the file dialog, the
calendar) count: they must come from Qt's Japanese translation (tests/gui/conftest.py loads it as run_gui
does) or be set by the app.

"English" is any run of two or more Latin letters, after the mnemonic markers (&) and the words of ALLOWED."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDateEdit,
    QFileDialog,
    QLabel,
    QMenu,
    QTreeView,
    QWidget,
)

from desktop_app.gui import prompts

# The prompts as they really are: the conftests replace them with failing stubs for every test, after this
# module is imported.
REAL = {name: getattr(prompts, name) for name in (
    "info", "error", "confirm", "ask_save_discard_cancel", "ask_text", "save_file", "open_file", "choose_folder",
    "choose_item", "ask_setup", "ask_login", "ask_conflict", "ask_long_text", "ask_change_password", "ask_new_staff",
    "ask_roles", "ask_new_password")}

# Latin words a Japanese office writes as they are; each is justified:
ALLOWED = {
    "OK",  # Qt's own Japanese translation keeps it, as Windows' Japanese dialogs do
    "Word", "PDF",  # the formats the letters are written to: staff know them by these names
    "Esc",  # the key as its cap says, in a tooltip that names a shortcut
    "PC", "FAX", "URL",  # written in Latin letters in Japanese forms and manuals (パソコン/ファクス are rarer)
    "SQLite", "PostgreSQL", "postgresql", "psycopg",  # database names, and the URL a manager types literally
}
ENGLISH = re.compile(r"[A-Za-z]{2,}")


def english(text: str) -> list[str]:
    """The English words in a text; a menu's shortcut after the tab (Ctrl+Z: the key caps) does not count."""
    text = re.sub(r"<[^>]*>", "", text)  # a rich-text label's markup is not shown
    text = text.split("\t", 1)[0].replace("&&", "").replace("&", "")
    return [w for w in ENGLISH.findall(text) if w not in ALLOWED]


def test_the_detector_sees_what_qt_leaves_english(qtbot):
    """Qt's Japanese catalog leaves a few file-dialog labels English: the reason prompts sets them itself."""
    bare = QFileDialog()
    qtbot.addWidget(bare)
    assert english(bare.labelText(QFileDialog.LookIn)) == ["Look", "in"]
    assert english("Files of &type:") == ["Files", "of", "type"] and english("はい(&Y)") == []
    assert english("Wordに書き出す…") == [] and english("Close") == ["Close"]
    assert english('<span style="color:#c00000">削除</span>') == [] and english("<b>Save</b>") == ["Save"]


def words_of(widget: QWidget, labels: bool = True) -> list[str]:
    """What a person reads in this window: title, buttons and their tooltips, labels, list headers."""
    found = [widget.windowTitle()]
    for b in widget.findChildren(QAbstractButton):
        if b.isVisible():
            found += [b.text(), b.toolTip()]
    if labels:
        found += [lab.text() for lab in widget.findChildren(QLabel) if lab.isVisible()]
    for view in widget.findChildren(QTreeView):
        model = view.model()
        if model is not None and view.isVisible() and not view.isHeaderHidden():
            found += [str(model.headerData(i, Qt.Horizontal) or "") for i in range(model.columnCount())]
    return [t for t in found if t]


def assert_japanese(where: str, texts: list[str]) -> None:
    bad = {t: english(t) for t in texts if english(t)}
    assert not bad, f"English in {where}: {bad}"


def read_modal(qtbot, open_it, labels: bool = True) -> tuple[list[str], object]:
    """Call open_it (which shows a modal dialog and waits for it); a timer reads the dialog and closes it."""
    seen: dict[str, object] = {}

    def read(tries: int = 0) -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            if tries < 250:
                QTimer.singleShot(20, lambda: read(tries + 1))
            return
        seen["dialog"] = dialog
        try:
            seen["texts"] = words_of(dialog, labels)
        finally:
            dialog.reject()  # never left waiting, whatever the reading met

    QTimer.singleShot(0, read)
    result = open_it()
    assert "dialog" in seen, "no modal dialog was shown"
    return seen["texts"], result


PROMPTS = {
    "info": lambda: REAL["info"](None, "お知らせ", "書き出しが終わりました。"),
    "error": lambda: REAL["error"](None, "書き出せません", "ファイルが別のアプリで開かれています。"),
    "confirm": lambda: REAL["confirm"](None, "手紙を作り直しますか", "手で直した部分は消えます。"),
    "confirm_verbs": lambda: REAL["confirm"](None, "確認を依頼", "このまま依頼しますか？", yes="依頼する", no="やめる"),
    "ask_save_discard_cancel": lambda: REAL["ask_save_discard_cancel"](None, "終了", "下書きを保存しますか？"),
    "ask_text": lambda: REAL["ask_text"](None, "差し戻し", "理由を入力してください：", "日付の誤り"),
    "ask_long_text": lambda: REAL["ask_long_text"](None, "コメント", "コメントを入力してください："),
    "choose_item": lambda: REAL["choose_item"](None, "手紙を開く", "開く手紙：", ["#3 近況報告", "#4 お知らせ"]),
    "ask_conflict": lambda: REAL["ask_conflict"](None, "別のPCでこの手紙が保存されました。"),
    "ask_setup": lambda: REAL["ask_setup"](None, {"name": "グループホーム みなと"}, True),
    "ask_login": lambda: REAL["ask_login"](None, ["佐藤 作成"], "佐藤 作成"),
    "ask_change_password": lambda: REAL["ask_change_password"](None, "佐藤 作成", True, "8文字以上にしてください。"),
    "ask_new_staff": lambda: REAL["ask_new_staff"](None),
    "ask_roles": lambda: REAL["ask_roles"](None, "佐藤 作成", {"writer"}),
    "ask_new_password": lambda: REAL["ask_new_password"](None, "佐藤 作成"),
}


@pytest.mark.parametrize("name", sorted(PROMPTS))
def test_every_prompt_speaks_japanese(qtbot, name):
    texts, result = read_modal(qtbot, PROMPTS[name])
    assert_japanese(f"prompts.{name}", texts)
    assert result in (None, False, "cancel")  # closed without a choice: the safe answer


def test_confirm_shows_the_verbs_it_is_given_and_no_means_no(qtbot):
    texts, result = read_modal(qtbot, PROMPTS["confirm_verbs"])
    assert "依頼する" in texts and "やめる" in texts
    assert not any(t in ("はい", "いいえ", "Yes", "No", "&Yes", "&No") for t in texts)
    assert result is False
    texts, _ = read_modal(qtbot, PROMPTS["confirm"])
    assert "はい" in texts and "いいえ" in texts
    texts, _ = read_modal(qtbot, PROMPTS["info"])
    assert "閉じる" in texts


@pytest.mark.parametrize("name", ["save_file", "open_file", "choose_folder"])
def test_file_dialogs_are_qt_s_own_in_japanese(qtbot, tmp_path, name):
    (tmp_path / "近況報告.docx").write_bytes(b"")
    calls = {"save_file": lambda: REAL["save_file"](None, "Wordに書き出す", str(tmp_path / "近況報告_鈴木様.docx"),
                                                      "Word文書 (*.docx)"),
             "open_file": lambda: REAL["open_file"](None, "Wordの手紙を開く", "Word文書 (*.docx)"),
             "choose_folder": lambda: REAL["choose_folder"](None, "テンプレートフォルダーを選択")}
    seen = {}

    def read(tries: int = 0) -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            if tries < 250:
                QTimer.singleShot(20, lambda: read(tries + 1))
            return
        try:
            seen["native"] = not dialog.testOption(QFileDialog.DontUseNativeDialog)
            seen["texts"] = words_of(dialog)
            seen["labels"] = [dialog.labelText(x) for x in (QFileDialog.LookIn, QFileDialog.FileName,
                                                            QFileDialog.FileType, QFileDialog.Accept,
                                                            QFileDialog.Reject)]
        finally:
            dialog.reject()

    QTimer.singleShot(0, read)
    assert calls[name]() is None
    assert seen.get("native") is False  # Qt's own dialog: the system's may be English
    assert_japanese(name, seen["texts"] + seen["labels"])
    assert "キャンセル" in seen["labels"]


def test_settings_dialog_from_the_menu(qtbot, make_window):
    w = make_window("admin")
    texts, _ = read_modal(qtbot, w.controller.open_settings)
    assert_japanese("設定", texts)
    assert "保存" in texts and "キャンセル" in texts


def test_help_dialogs(qtbot, make_window):
    from desktop_app.gui.help import show_about, show_guide

    w = make_window("writer")
    guide = show_guide(w)
    qtbot.waitExposed(guide)
    assert_japanese("使い方ガイド", words_of(guide, labels=False))
    assert "閉じる" in words_of(guide)
    guide.close()
    # the About box names the libraries and licences it credits (GiNZA, CC BY …): title and buttons only
    texts, _ = read_modal(qtbot, lambda: show_about(w), labels=False)
    assert_japanese("このアプリについて", texts)


def test_main_window_menus_actions_and_context_menus(qtbot, make_window):
    w = make_window("admin")
    w.show()
    qtbot.waitExposed(w)
    texts = [w.windowTitle()]
    for menu in w.findChildren(QMenu):
        texts.append(menu.title())
        texts += [a.text() for a in menu.actions()]
    texts += [a.text() for a in w.menuBar().actions()]
    texts += [a.toolTip() for a in vars(w.actions).values() if isinstance(a, QAction)]
    texts += [b.text() for b in w.findChildren(QAbstractButton) if b.isVisible()]
    texts += [b.toolTip() for b in w.findChildren(QAbstractButton) if b.isVisible()]
    assert_japanese("the main window", [t for t in texts if t])
    # right-click in the letter: Qt's standard menu (元に戻す, 切り取り, …)
    menu = w.editor.createStandardContextMenu()
    words = [a.text() for a in menu.actions() if a.text()]
    assert words and not [t for t in words if english(t)], words
    # a date field's calendar names months and days in Japanese
    dates = w.findChildren(QDateEdit)
    assert dates  # the monthly report, the template the window opens on, has a date
    calendar = dates[0].calendarWidget()
    assert calendar.locale().monthName(1) == "1月"
    assert_japanese("the calendar", [b.text() for b in calendar.findChildren(QAbstractButton)])


def test_staff_my_letters_notices_and_the_review_view(qtbot, make_window, people):
    """The windows of a facility's day: 職員の管理 (modal), 自分の手紙 and 確認待ち (beside the main window)."""
    w = make_window("admin")
    w.show()
    texts, _ = read_modal(qtbot, w.controller.open_staff)
    assert_japanese("職員の管理", texts)
    assert "職員を追加…" in texts and "閉じる" in texts
    w.controller.open_my_letters()
    mine = w.controller.my_letters
    qtbot.waitExposed(mine)
    assert_japanese("自分の手紙", words_of(mine))
    w.controller.open_review()
    review = w.controller.review_view
    qtbot.waitExposed(review)
    headers = [review.table.horizontalHeaderItem(c).text() for c in range(review.table.columnCount())]
    assert_japanese("確認待ち", words_of(review) + headers)
    w.notice_bar.show()
    assert_japanese("お知らせ", words_of(w.notice_bar))
