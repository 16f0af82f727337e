"""The template form and the settings dialog as the tester met them: Tab in a multi-line field goes on to the
next field, the templates' examples show in the empty fields, the writer's name fills an empty sender field of
a new letter, and the settings dialog's rows never lie on each other, whatever size the window is given."""

from __future__ import annotations

import itertools

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from desktop_app.gui.form import TemplateForm

pytestmark = pytest.mark.gui


@pytest.fixture
def form(qtbot):
    f = TemplateForm()
    qtbot.addWidget(f)
    f.resize(360, 1600)
    return f


def test_tab_in_a_multiline_field_moves_to_the_next_field(qtbot, form, library):
    form.set_template(library.get("incident_report"), {})
    form.show()
    qtbot.waitExposed(form)
    form.activateWindow()
    circumstances, response = form.widgets["circumstances"], form.widgets["response"]
    circumstances.setFocus()
    qtbot.waitUntil(circumstances.hasFocus)
    circumstances.insertPlainText("午後3時頃、食堂で")  # keyClicks takes ASCII only
    QTest.keyClicks(circumstances, " 15:05")
    QTest.keyClick(circumstances, Qt.Key_Tab)
    qtbot.waitUntil(response.hasFocus)
    assert circumstances.toPlainText() == "午後3時頃、食堂で 15:05"  # no tab character went in
    assert "\t" not in form.values()["circumstances"]
    QTest.keyClick(response, Qt.Key_Backtab)
    qtbot.waitUntil(circumstances.hasFocus)
    # a tab that comes with pasted text is the writer's own and stays
    circumstances.insertPlainText("\t見守り中")
    assert form.values()["circumstances"].endswith("\t見守り中")


def test_every_multiline_field_of_every_template_passes_tab_on(form, library):
    seen = 0
    for info in library.templates.values():
        form.set_template(info, {})
        for f in info.fields:
            if f.type == "multiline":
                assert form.widgets[f.name].tabChangesFocus(), f"{info.id}.{f.name}"
                seen += 1
    assert seen >= 10


def _placeholder(w: QWidget) -> str:
    if isinstance(w, QComboBox):
        return w.lineEdit().placeholderText()
    return w.placeholderText() if isinstance(w, (QLineEdit, QPlainTextEdit)) else ""


def test_examples_show_as_placeholders_in_every_template(form, library):
    form.set_template(library.get("incident_report"), {})
    summary = form.widgets["incident_summary"]
    assert summary.placeholderText() == "例：居室で転倒される事故"
    assert summary.text() == ""
    label = form.layout_.labelForField(summary)
    assert label.text() == "事故の内容（例：居室で転倒される事故） *"
    counted = 0
    for info in library.templates.values():
        form.set_template(info, {})
        for f in info.fields:
            if f.placeholder:
                assert _placeholder(form.widgets[f.name]) == f.placeholder, f"{info.id}.{f.name}"
                counted += 1
    assert counted >= 12  # the examples that used to hide in tooltips


def test_set_defaults_fills_the_empty_sender_of_a_new_letter_only(qtbot, form, library):
    info = library.get("incident_report")
    form.set_template(info, {})
    assert form.values()["sender_name"] == ""
    with qtbot.waitSignal(form.changed, timeout=1000):
        form.set_defaults({"sender": "佐藤 作成"})  # the form shown now takes it, as an edit
    assert form.values()["sender_name"] == "佐藤 作成"

    changes = []
    form.changed.connect(lambda: changes.append(1))
    form.set_template(library.get("thanks"), {})  # kept for the templates shown later
    assert form.values()["sender_name"] == "佐藤 作成"
    assert changes == []  # opening a form is not an edit
    # a saved letter's own sender (someone else's, or blank on purpose) is never replaced
    form.set_template(info, {"sender_name": "石原 和子"})
    assert form.values()["sender_name"] == "石原 和子"
    form.set_template(info, {"sender_name": ""})
    assert form.values()["sender_name"] == ""
    # by field name too, and only fields that are empty
    form.set_defaults({"sender_title": "介護主任", "recipient_name": "森 和夫"})
    form.set_template(info, {})
    assert form.values()["sender_title"] == "生活相談員"  # the template's default is a value
    assert form.values()["recipient_name"] == "森 和夫"


# ---- the settings dialog ------------------------------------------------------------------------------
def _laid_out(dlg: QWidget) -> list[tuple[str, QRect]]:
    """The group boxes, the button box and every label and input of each form, in the dialog's coordinates."""
    out = []
    for box in dlg.findChildren(QGroupBox) + dlg.findChildren(QDialogButtonBox):
        out.append((box.objectName() or getattr(box, "title", lambda: "buttons")(), box))
    for form in dlg.findChildren(QFormLayout):
        for i in range(form.count()):
            w = form.itemAt(i).widget()
            if w is not None:
                out.append((w.objectName() or (w.text() if isinstance(w, QLabel) else type(w).__name__), w))
    return [(name, QRect(w.mapTo(dlg, w.rect().topLeft()), w.size())) for name, w in out if w.isVisible()]


def _overlaps(dlg: QWidget) -> list[tuple[str, str]]:
    rects = _laid_out(dlg)
    bad = []
    for (a, ra), (b, rb) in itertools.combinations(rects, 2):
        inside = ra.contains(rb) or rb.contains(ra)  # a box and its own rows
        if not inside and ra.intersects(rb):
            bad.append((a, b))
    return bad


@pytest.mark.parametrize("screen", [(1024, 768), (1280, 800), (1366, 768)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_settings_dialog_rows_never_overlap(qtbot, tmp_path, screen):
    """Also with the database fields side by side (server, port, name, user, password, TLS, CA file): the
    dialog fits each laptop screen, in height above a taskbar and in width."""
    from desktop_app import config
    from desktop_app.core.context import Facility
    from desktop_app.gui.settings_dialog import SettingsDialog

    parent = QWidget()
    qtbot.addWidget(parent)
    parent.resize(*screen)
    parent.show()
    dlg = SettingsDialog(config.Settings(), parent, facility=Facility(name="ケアハウス つばき苑"), admin=True)
    dlg.show()
    qtbot.waitExposed(dlg)
    assert len(_laid_out(dlg)) > 20
    assert _overlaps(dlg) == []
    assert dlg.frameGeometry().height() <= screen[1] - 40  # fits above a taskbar
    assert dlg.frameGeometry().width() <= screen[0] and dlg.minimumHeight() <= screen[1] - 40
    # as small as the window can be made (a window manager on a 768-high screen gave it its minimum)
    dlg.resize(1, 1)
    qtbot.wait(50)
    assert _overlaps(dlg) == []
    assert dlg.policy.geometry().bottom() < dlg.retention.geometry().top()
    assert dlg.staff.height() == 70
    assert dlg.grab().save(str(tmp_path / f"settings_{screen[0]}.png"))
    dlg.reject()


def test_settings_dialog_says_what_the_staff_list_is_for(qtbot):
    from desktop_app import config
    from desktop_app.gui.settings_dialog import SettingsDialog

    dlg = SettingsDialog(config.Settings(), None, admin=False)
    qtbot.addWidget(dlg)
    note = dlg.findChild(QLabel, "staffNote")
    assert dlg.staff.toPlainText() == ""
    assert "第三者" in note.text() and "職員の管理" in note.text()
    assert not dlg.staff.isEnabled() and note.isEnabled()  # a writer reads it too
