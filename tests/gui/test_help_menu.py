"""The ヘルプ menu: the staff guide and an About box that credits the medical vocabulary (CC BY 4.0)."""

from __future__ import annotations

import pytest


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
    monkeypatch.setattr("PySide6.QtWidgets.QMessageBox.about", lambda parent, title, text: shown.append(text))
    w.actions.about_action.trigger()
    assert shown and "万病辞書" in shown[0]


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
