"""What staff hit after a fix and at export: focus and selection stay in the letter, the findings list stays
still under the mouse, the names of this letter offer no 伏せ字, and each export has its own dialog."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from docx import Document
from PySide6.QtWidgets import QApplication

from desktop_app.gui import prompts
from tests.gui.conftest import wait_check

pytestmark = [pytest.mark.gui, pytest.mark.nlp]

TEXT = ("岡部 智子 様\n\n先日は、同室の宮下様とご一緒に、中庭で花を眺められました。\n"
        "必ず再発を防ぎます。\n")
FORM = {"recipient_name": "岡部 智子", "resident_name": "岡部 ハツ", "sender_name": "森田 恵"}


@pytest.fixture
def window(qtbot, make_window, monkeypatch):
    monkeypatch.setattr(prompts, "confirm", lambda *a, **k: True)
    monkeypatch.setattr(prompts, "info", lambda *a, **k: None)
    w = make_window("writer")
    w.show()
    w.activateWindow()
    qtbot.waitExposed(w)
    return w


def _third_party(window):
    return next(f for f in window.controller.session.findings if dict(f.meta).get("third_party"))


def test_applying_a_suggestion_keeps_focus_and_selects_the_new_words(qtbot, window):
    window.editor.setPlainText(TEXT)
    wait_check(qtbot, window)
    f = _third_party(window)
    window.panel.select_finding(f)
    window.panel.apply_btn.setFocus()
    assert window.panel.apply_btn.isEnabled()
    window.panel.apply_btn.click()
    assert "同室の方とご一緒に" in window.editor.toPlainText()
    cursor = window.editor.textCursor()
    assert cursor.selectedText() == "同室の方"  # the new words, not the old length
    assert cursor.position() == window.editor.toPlainText().index("同室の方") + len("同室の方")
    assert QApplication.focusWidget() is window.editor
    wait_check(qtbot, window)  # the re-check after the fix leaves the caret where it was
    assert window.editor.textCursor().selectedText() == "同室の方"
    assert QApplication.focusWidget() is window.editor


def test_masking_in_a_letter_to_send_never_leaves_a_placeholder(qtbot, window):
    window.editor.setPlainText(TEXT)
    wait_check(qtbot, window)
    window.panel.select_finding(_third_party(window))
    window.panel.mask_btn.click()
    assert "〇〇" not in window.editor.toPlainText()
    assert window.editor.textCursor().selectedText() == "同室の方"
    assert QApplication.focusWidget() is window.editor


def test_selection_and_order_stay_across_a_recheck(qtbot, window):
    window.editor.setPlainText(TEXT)
    wait_check(qtbot, window)
    risk = next(f for f in window.controller.session.findings if f.category == "risk.commitment")
    window.panel.select_finding(risk)
    order = [window.panel.tree.topLevelItem(i).text(0) for i in range(window.panel.tree.topLevelItemCount())]
    moved = []
    window.panel.finding_selected.connect(moved.append)
    window.editor.moveCursor(window.editor.textCursor().MoveOperation.End)
    window.editor.insertPlainText("皆様によろしくお伝えください。\n")  # an edit elsewhere
    wait_check(qtbot, window)
    assert window.panel.current().key == risk.key
    assert [window.panel.tree.topLevelItem(i).text(0)
            for i in range(window.panel.tree.topLevelItemCount())][:len(order)] == order
    assert moved == []  # restoring the selection did not move the editor's caret


def test_names_of_this_letter_are_one_closed_row_without_masking(qtbot, window):
    window.template_combo.setCurrentIndex(window.template_combo.findData("incident_report"))
    for k, v in FORM.items():
        window.form.set_value(k, v)
    window.editor.setPlainText("岡部 智子 様\n\nハツ様は、同室の宮下様と中庭を散歩されました。\n森田 恵\n")
    wait_check(qtbot, window)
    row = window.panel.expected_row
    assert row is not None and row.text(0).startswith("この手紙の宛先・ご本人・差出人（")
    assert not row.isExpanded()
    names = [row.child(i).data(0, 0x0100) for i in range(row.childCount())]
    assert {"岡部 智子", "ハツ", "森田 恵"} <= {f.text for f in names}
    for f in names:
        window.panel.select_finding(f)
        assert not window.panel.mask_btn.isEnabled()
        window.controller.mask_finding(f)  # and the controller refuses too
    assert "〇〇" not in window.editor.toPlainText()


def _fake_plan(folder, name):
    prepared = SimpleNamespace(folder=folder, suggested_name=name, warnings=[])
    return SimpleNamespace(prepared=prepared, warnings=[])


def test_pdf_export_has_its_own_dialog_and_name(qtbot, window, monkeypatch, tmp_path):
    window.editor.setPlainText(TEXT)
    assert window.controller.save_draft()
    s = window.controller.session
    monkeypatch.setattr(s, "prepare_export", lambda: _fake_plan(tmp_path, "2026-12-04_事故報告_岡部ハツ様.docx"))
    asked = []
    monkeypatch.setattr(prompts, "save_file", lambda parent, title, suggested, filters: asked.append(
        (title, suggested, filters)))
    window.actions.pdf_action.trigger()
    window.actions.export_action.trigger()
    assert asked[0] == ("PDFに書き出す", str(tmp_path / "2026-12-04_事故報告_岡部ハツ様.pdf"), "PDF (*.pdf)")
    assert asked[1] == ("Wordに書き出す", str(tmp_path / "2026-12-04_事故報告_岡部ハツ様.docx"), "Word 文書 (*.docx)")


def test_draft_copy_before_approval_is_marked(qtbot, window, monkeypatch, tmp_path):
    window.template_combo.setCurrentIndex(window.template_combo.findData("incident_report"))
    for k, v in FORM.items():
        window.form.set_value(k, v)
    window.editor.setPlainText("岡部 智子 様\n\nハツ様は、中庭を散歩されました。\n")
    wait_check(qtbot, window)
    asked = []

    def save_file(parent, title, suggested, filters):
        asked.append((title, Path(suggested).name))
        return str(tmp_path / "試し")

    monkeypatch.setattr(prompts, "save_file", save_file)
    out = window.controller.export_draft()
    assert asked[0][0] == "下書きとして書き出す"
    assert asked[0][1].endswith("_岡部ハツ様_下書き.docx")
    assert out == tmp_path / "試し.docx"
    doc = Document(str(out))
    assert doc.sections[0].header.paragraphs[0].text == "下書き（未承認）"
    assert window.controller.session.status.value == "draft"  # nothing was recorded as sent
    # with no folder set by the administrator, the next save opens where this PC saved last
    asked.clear()
    monkeypatch.setattr(prompts, "save_file", lambda parent, title, suggested, filters: asked.append(suggested))
    window.controller.export_draft()
    assert Path(asked[0]).parent == tmp_path


def test_draft_copy_is_refused_while_a_third_party_is_named(qtbot, window, monkeypatch, tmp_path):
    window.editor.setPlainText(TEXT)
    wait_check(qtbot, window)
    errors = []
    monkeypatch.setattr(prompts, "error", lambda parent, title, text: errors.append(title))
    monkeypatch.setattr(prompts, "save_file", lambda *a: str(tmp_path / "x.docx"))
    assert window.controller.export_draft() is None
    assert errors == ["下書きを書き出せません"] and not (tmp_path / "x.docx").exists()


def test_administrator_sets_the_export_folder_in_settings(qtbot, make_window, monkeypatch, tmp_path):
    from desktop_app.gui.settings_dialog import SettingsDialog

    w = make_window("admin")
    c = w.controller
    dlg = SettingsDialog(c.settings, w, facility=c.services.admin.facility(), admin=True, export_folder="")
    qtbot.addWidget(dlg)
    assert dlg.export_folder.isEnabled()
    dlg.export_folder.setText(str(tmp_path))
    monkeypatch.setattr(prompts, "info", lambda *a, **k: None)
    c.apply_settings(dlg)
    assert c.services.admin.export_folder() == str(tmp_path)
    writer_dlg = SettingsDialog(c.settings, w, admin=False, export_folder=str(tmp_path))
    qtbot.addWidget(writer_dlg)
    assert not writer_dlg.export_folder.isEnabled()
