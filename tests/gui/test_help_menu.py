"""The ヘルプ menu: the staff guide and an About box that credits the medical vocabulary (CC BY 4.0)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel


@pytest.mark.gui
def test_help_menu_opens_the_guide_and_about_names_manbyo(qtbot, make_window, monkeypatch):
    from desktop_app.gui import help as help_module

    w = make_window("writer")
    menus = {a.text(): a.menu() for a in w.menuBar().actions()}
    assert "ヘルプ" in menus
    texts = [a.text() for a in menus["ヘルプ"].actions()]
    assert texts == ["使い方ガイド", "このアプリについて"]
    about = help_module.about_text()
    assert "万病辞書" in about and "CC BY 4.0" in about
    shown = []
    monkeypatch.setattr(help_module.AboutDialog, "exec",
                        lambda self: shown.append(self.findChild(QLabel, "aboutSummary").text()) or 0)
    w.actions.about_action.trigger()
    assert shown and "万病辞書" in shown[0]


@pytest.mark.gui
def test_about_shows_the_licences_read_only_and_fits_1366x768(qtbot, tmp_path):
    from PySide6.QtWidgets import QPlainTextEdit

    from desktop_app.gui import help as help_module

    notices = tmp_path / "THIRD_PARTY_NOTICES.txt"
    notices.write_text("■ PySide6_Essentials 6.11.3\nLicence: LGPL-3.0-only\n" + "本文\n" * 2000, encoding="utf-8")
    dialog = help_module.AboutDialog(notices=notices)
    qtbot.addWidget(dialog)
    tabs = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert tabs == ["概要", "このアプリのライセンス", "第三者ライセンス"]
    view = dialog.findChild(QPlainTextEdit, "thirdPartyNotices")
    assert view.isReadOnly() and view.toPlainText().startswith("■ PySide6_Essentials 6.11.3")
    own = dialog.findChild(QPlainTextEdit, "projectLicence")
    assert own.isReadOnly() and "MIT License" in own.toPlainText()
    dialog.tabs.setCurrentIndex(2)
    dialog.resize(*help_module.ABOUT_SIZE)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert view.verticalScrollBar().maximum() > 0  # long text scrolls inside the view, the dialog stays its size
    assert dialog.width() <= 1366 and dialog.height() <= 768 - 40 - 40  # taskbar and title bar
    dialog.close()
    missing = help_module.AboutDialog(notices=tmp_path / "nowhere.txt")
    qtbot.addWidget(missing)
    assert "見つかりません" in missing.findChild(QPlainTextEdit, "thirdPartyNotices").toPlainText()


@pytest.mark.gui
def test_every_toolbar_action_is_reachable_at_800x600(qtbot, make_window):
    from PySide6.QtWidgets import QToolButton

    w = make_window("writer")
    w.resize(800, 600)
    w.show()
    more = w.findChild(QToolButton, "moreButton")
    assert more is not None and more.isVisible() and more.menu() is not None
    in_more = {a.text() for a in more.menu().actions() if a.text()}
    assert {"手紙を開く…", "設定…", "ログアウト", "PDFに書き出す…"} <= in_more
    for a in (w.actions.generate_action, w.actions.save_action, w.actions.submit_action, w.actions.export_action):
        button = next(b for b in w.findChildren(QToolButton) if b.defaultAction() is a)
        assert button.isVisible(), a.text()
