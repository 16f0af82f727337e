"""The window on staff screens (1280x800, 1024x700): the form fits its pane with dates uncut, the legend
wraps between items; the findings panel folds repeated mentions into one row, each still visitable."""

import dataclasses
import json

import pytest

from desktop_app.core.findings import Finding, Severity
from desktop_app.core.workflow.state import FindingsReview
from desktop_app.gui import prompts
from tests.conftest import SAMPLES

SIZES = [(1280, 800), (1024, 700)]


def person(start, text, role, severity=Severity.LOW, third_party=False):
    return Finding(start=start, end=start + len(text), text=text, category="pii.person", severity=severity,
                   message="人名が含まれています。", explanation="テスト", suggestions=("〇〇",), rule_id="pii.person",
                   meta=(("role", role), ("third_party", third_party)))


LETTER = "長谷川 誠一 様\n\nキヨ様は毎朝新聞を読まれます。\nキヨ様の笑顔に職員も励まされています。\n長谷川 キヨ様と小野寺様が並んで\n"


def _findings():
    return [
        person(0, "長谷川 誠一", "recipient"),
        person(LETTER.index("キヨ"), "キヨ", "subject"),
        person(LETTER.index("キヨ", 20), "キヨ", "subject"),
        person(LETTER.index("長谷川 キヨ"), "長谷川 キヨ", "subject"),
        person(LETTER.index("小野寺"), "小野寺", "third_party", Severity.HIGH, True),
    ]


def test_names_of_this_letter_are_one_closed_row_and_the_third_party_stands_alone(qtbot):
    from desktop_app.gui.findings_panel import FindingsPanel

    panel = FindingsPanel()
    qtbot.addWidget(panel)
    panel.set_findings(FindingsReview(tuple(_findings())), True, text=LETTER)
    top = panel.tree.topLevelItem(0)
    assert top.text(0) == "人名（1）"
    assert top.childCount() == 1 and "小野寺" in top.child(0).text(0)
    expected = panel.tree.topLevelItem(1)
    assert expected.text(0) == "この手紙の宛先・ご本人・差出人（4件）"
    assert not expected.isExpanded()
    assert expected.childCount() == 4
    assert expected.child(1).text(0).startswith("ご本人：3行目")
    # every occurrence is still there to visit, and selecting it emits that very finding
    assert sorted(f.start for f in (i.data(0, 0x0100) for i in panel.all_items())) == sorted(
        f.start for f in _findings())
    seen = []
    panel.finding_selected.connect(seen.append)
    for f in _findings():
        panel.select_finding(f)
        assert panel.current() == f
        # the names this letter is meant to carry are never offered for masking
        assert panel.mask_btn.isEnabled() == (f.text == "小野寺")
    assert seen == _findings()


def test_group_row_without_text_numbers_the_occurrences(qtbot):
    from desktop_app.gui.findings_panel import FindingsPanel

    third = [person(LETTER.index("小野寺"), "小野寺", "third_party", Severity.HIGH, True),
             person(LETTER.index("小野寺") + 40, "小野寺", "third_party", Severity.HIGH, True)]
    panel = FindingsPanel()
    qtbot.addWidget(panel)
    panel.set_findings(FindingsReview(tuple(third)), True)
    row = panel.group_rows()[0]
    assert "×2" in row.text(0)
    assert [row.child(i).text(0) for i in range(2)][0].startswith("1か所目")


def test_same_phrase_twice_is_one_row(qtbot):
    from desktop_app.gui.findings_panel import FindingsPanel

    def risk(start):
        return Finding(start=start, end=start + 6, text="必ず防ぎます", category="risk.commitment",
                       severity=Severity.MEDIUM, message="m", explanation="e")

    panel = FindingsPanel()
    qtbot.addWidget(panel)
    panel.set_findings(FindingsReview(tuple([risk(0), risk(30)])), True)
    assert len(panel.group_rows()) == 1 and "×2" in panel.group_rows()[0].text(0)


@pytest.mark.parametrize("width", [220, 300, 420])
def test_legend_wraps_between_items_never_inside(qtbot, width):
    from desktop_app.gui.editor import LEGEND, LEGEND_STYLES, LegendWidget

    legend = LegendWidget()
    qtbot.addWidget(legend)
    legend.resize(width, legend.heightForWidth(width))
    legend.show()
    qtbot.wait(50)
    assert len(legend.items) == len(LEGEND) + len(LEGEND_STYLES)
    rows = set()
    for item in legend.items:
        assert item.geometry().right() <= width, item.text()
        assert item.width() >= item.sizeHint().width()  # the whole item, on one line
        assert item.height() < 2 * item.fontMetrics().height() + 4
        rows.add(item.y())
    assert len(rows) >= 2  # it did wrap
    assert legend.heightForWidth(width) >= max(i.geometry().bottom() for i in legend.items)


@pytest.fixture
def window(qtbot, make_window, monkeypatch):
    """A writer's window (tests/gui/conftest.py: logged in, the facility profile in the database)."""
    monkeypatch.setattr(prompts, "confirm", lambda *a, **k: True)
    w = make_window("writer")
    w.show()
    return w


@pytest.mark.gui
@pytest.mark.nlp
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("tid", ["complaint_reply", "incident_report", "event_notice"])
def test_form_fits_its_pane_without_horizontal_scrollbar_and_dates_uncut(qtbot, window, size, tid):
    from PySide6.QtWidgets import QDateEdit, QScrollArea

    window.template_combo.setCurrentIndex(window.template_combo.findData(tid))
    for k, v in json.loads((SAMPLES / f"{tid}.json").read_text(encoding="utf-8")).items():
        if k in window.form.widgets:
            window.form.set_value(k, str(v))
    window.form.set_value("date", "2026-12-28")  # the widest date
    window.resize(*size)
    qtbot.wait(200)
    scroll = window.form.parentWidget()
    while scroll is not None and not isinstance(scroll, QScrollArea):
        scroll = scroll.parentWidget()
    assert scroll is not None
    assert not scroll.horizontalScrollBar().isVisible()
    assert window.form.width() <= scroll.viewport().width()
    dates = [w for w in window.form.widgets.values() if isinstance(w, QDateEdit)]
    assert dates
    for d in dates:
        edit = d.lineEdit()
        assert edit.fontMetrics().horizontalAdvance(edit.text()) <= edit.width(), edit.text()
        assert d.geometry().right() <= scroll.viewport().width()
    for w in window.form.widgets.values():
        assert w.geometry().right() <= scroll.viewport().width(), w.objectName()


def test_guide_opens_with_its_pictures_and_is_linked_from_the_readme(qtbot):
    import re

    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QTextDocument

    from desktop_app import config
    from desktop_app.gui.help import guide_path, show_guide

    text = guide_path().read_text(encoding="utf-8")
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(pictures) >= 3
    dialog = show_guide()
    qtbot.addWidget(dialog)
    shown = dialog.browser.toPlainText()
    assert "重大" in shown and "手紙を作成" in shown
    for pic in pictures:
        assert (guide_path().parent / pic).is_file(), pic
        image = dialog.browser.document().resource(QTextDocument.ImageResource, QUrl(pic))
        assert image is not None and not image.isNull(), pic
    readme = (config.bundle_root() / "README.md").read_text(encoding="utf-8")
    assert "(docs/guide_ja.md)" in readme


@pytest.mark.gui
@pytest.mark.nlp
def test_no_letter_is_generated_without_a_facility_name(qtbot, window, monkeypatch):
    errors = []
    monkeypatch.setattr(prompts, "error", lambda parent, title, text: errors.append(text))
    window.controller.session.set_facility(dataclasses.replace(window.controller.session.facility, name=""))  # e.g. a database whose profile lost its name
    window.template_combo.setCurrentIndex(window.template_combo.findData("thanks"))
    for k, v in json.loads((SAMPLES / "thanks.json").read_text(encoding="utf-8")).items():
        if k in window.form.widgets:
            window.form.set_value(k, str(v))
    assert not window.controller.generate()
    assert window.editor.toPlainText() == ""
    assert errors and "施設名" in errors[0]
