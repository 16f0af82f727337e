"""The reviewer's view as a reviewer reads it: the highlights stay exactly on the findings (a comment, a click,
scrolling and another letter change nothing in the letter's formatting), comments have their own mark, the
queue names the resident and the family and says how long each letter has waited, the letter gets the
height at 1024x700 with the queue hidden and shown again, and a Word letter's findings say where they are.

A fixed checker stands in for GiNZA here: the positions it reports are known, so each character's format can
be compared with what it must be."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import update

from desktop_app.core.db.models import Letter
from desktop_app.core.findings import Finding, Severity
from desktop_app.core.workflow import Services
from desktop_app.gui import prompts
from tests.gui.conftest import pick_in_queue

pytestmark = [pytest.mark.gui]

THIRD = "大河内"  # another resident's name: high, bold
PROMISE = "必ず治ります"  # a promise: medium
RESIDENT, FAMILY = "長谷部 さくら", "長谷部 一郎"
LINES = [f"{RESIDENT}様のご家族様", "", "朝晩の冷え込みが感じられる季節となりました。",
         f"先週の木曜日、同じ階の{THIRD}様と一緒に、玄関前の花壇で菊の手入れをなさいました。",
         f"看護師からは「{PROMISE}」とのお話があり、ご本人も安心されたご様子です。"]
LINES += [f"十一月{n}日は、午前の体操に参加され、午後は居室で編み物を楽しまれました。" for n in range(1, 41)]
LINES += [f"最後に、{THIRD}様からもよろしくとのことでした。", ""]
BODY = "\n".join(LINES)
OTHER_BODY = "ご家族の皆様へ\n\n年末の面会時間についてお知らせいたします。\n面会は午後二時から四時までです。\n"


def fixed_checker(text: str, context) -> list[Finding]:
    out = []
    for word, cat, sev in ((THIRD, "pii.person", Severity.HIGH), (PROMISE, "risk.commitment", Severity.MEDIUM)):
        for m in re.finditer(re.escape(word), text):
            out.append(Finding(m.start(), m.end(), word, cat, sev, f"「{word}」を確かめてください", "試験用の指摘"))
    return out


@pytest.fixture
def services(gui_db, people):
    return Services.open(gui_db, fixed_checker)


@pytest.fixture
def make_view(qtbot, services, people, library):
    from desktop_app.gui.review_view import ReviewView

    def make():
        view = ReviewView(services, people["reviewer"], library)
        qtbot.addWidget(view)
        return view

    return make


def submit(services, writer, template_id: str, body: str, fields: dict) -> int:
    letter = services.workflow.create(writer, template_id, body, fields)
    services.workflow.submit(writer, letter.id)
    return letter.id


def hospital_letter(services, people) -> int:
    return submit(services, people["writer"], "hospital_notice", BODY,
                  {"recipient_name": FAMILY, "resident_name": RESIDENT, "hospital": "川越第一病院"})


def notice_letter(services, people) -> int:
    return submit(services, people["writer"], "event_notice", OTHER_BODY, {"recipient_name": "ご家族の皆様"})


# ---- the letter's formats ------------------------------------------------------------------
def formats(view) -> list:
    """The character format of each character of the shown text (the text is all BMP: a code point is one
    UTF-16 unit), newlines left out (None)."""
    from PySide6.QtGui import QTextCursor

    text = view.text.toPlainText()
    cursor = QTextCursor(view.text.document())
    out = []
    for i, ch in enumerate(text):
        if ch == "\n":
            out.append(None)
            continue
        cursor.setPosition(i)
        cursor.setPosition(i + 1, QTextCursor.KeepAnchor)
        out.append(cursor.charFormat())
    return out


def assert_marks_exactly_on_findings(view) -> None:
    from PySide6.QtGui import QFont, QTextFormat

    text = view.text.toPlainText()
    high = {i for m in re.finditer(THIRD, text) for i in range(m.start(), m.end())}
    medium = {i for m in re.finditer(PROMISE, text) for i in range(m.start(), m.end())}
    assert len(high) == 2 * len(THIRD) and len(medium) == len(PROMISE)
    for i, fmt in enumerate(formats(view)):
        if fmt is None:
            continue
        where = f"{i}「{text[i]}」"
        assert not fmt.hasProperty(QTextFormat.ForegroundBrush), where
        assert not fmt.fontUnderline() and not fmt.fontStrikeOut(), where
        if i in high:
            assert fmt.fontWeight() == QFont.Bold and fmt.hasProperty(QTextFormat.BackgroundBrush), where
        elif i in medium:
            assert fmt.fontWeight() != QFont.Bold and fmt.hasProperty(QTextFormat.BackgroundBrush), where
        else:  # the plain default: no weight, no colour, no background
            assert not fmt.hasProperty(QTextFormat.FontWeight), where
            assert not fmt.hasProperty(QTextFormat.BackgroundBrush), where


def select_text(view, start: int, end: int) -> None:
    from PySide6.QtGui import QTextCursor

    cursor = view.text.textCursor()
    cursor.setPosition(start)
    cursor.setPosition(end, QTextCursor.KeepAnchor)
    view.text.setTextCursor(cursor)


def test_highlights_stay_on_the_findings_after_comments_scrolling_and_reselection(
        qtbot, services, people, make_view, said, monkeypatch):
    from PySide6.QtGui import QTextCharFormat, QTextFormat

    first = hospital_letter(services, people)
    other = notice_letter(services, people)
    view = make_view()
    view.resize(1024, 700)
    view.show()
    assert pick_in_queue(view, first)
    assert_marks_exactly_on_findings(view)

    # a click on the high finding in the list puts the text cursor inside it
    row = next(i for i in range(view.findings_list.count()) if THIRD in view.findings_list.item(i).text())
    view._on_finding_clicked(view.findings_list.item(row))
    assert view.text.textCursor().selectedText() == THIRD
    # the reviewer comments on a range that ends inside that finding (the cursor's format is bold there)
    text = view.text.toPlainText()
    start = text.index("同じ階の")
    select_text(view, start, start + len("同じ階の") + 2)
    monkeypatch.setattr(prompts, "ask_long_text", lambda *a, **k: "お名前は伏せてください")
    assert view.comment_on_selection()
    assert_marks_exactly_on_findings(view)
    marks = view.text.extraSelections()
    waves = [m for m in marks if m.format.underlineStyle() == QTextCharFormat.WaveUnderline]
    assert [m.cursor.selectedText() for m in waves] == ["同じ階の大河"]
    assert not waves[0].format.hasProperty(QTextFormat.BackgroundBrush)
    assert not waves[0].format.hasProperty(QTextFormat.FontWeight)
    tints = [m for m in marks if m not in waves]  # the pale tint only where the comment is no finding
    assert [m.cursor.selectedText() for m in tints] == ["同じ階の"]
    assert all(m.format.hasProperty(QTextFormat.BackgroundBrush) and not m.format.hasProperty(QTextFormat.FontWeight)
               for m in tints)
    assert "お名前は伏せてください" in view.comments_list.item(0).text()
    assert view.tabs.tabText(1) == "コメント（1）"

    # a second comment on the medium finding itself
    start = view.text.toPlainText().index(PROMISE)
    select_text(view, start, start + len(PROMISE))
    monkeypatch.setattr(prompts, "ask_long_text", lambda *a, **k: "言い切らない言い方に")
    assert view.comment_on_selection()
    assert_marks_exactly_on_findings(view)
    assert len(view.text.extraSelections()) == 3  # two wavy underlines, one tint (the second is all finding)

    # scrolled to the end and back
    bar = view.text.verticalScrollBar()
    assert bar.maximum() > 0
    bar.setValue(bar.maximum())
    qtbot.wait(10)
    assert_marks_exactly_on_findings(view)
    bar.setValue(0)

    # another letter, then the first again (with the cursor left in the last finding)
    end = view.text.toPlainText().rindex(THIRD)
    select_text(view, end, end + len(THIRD))
    assert pick_in_queue(view, other)
    assert view.text.toPlainText() == OTHER_BODY
    assert view.text.extraSelections() == []
    for fmt in formats(view):
        assert fmt is None or not (fmt.hasProperty(QTextFormat.FontWeight) or fmt.hasProperty(QTextFormat.BackgroundBrush))
    assert pick_in_queue(view, first)
    assert_marks_exactly_on_findings(view)
    assert len(view.text.extraSelections()) == 3  # two wavy underlines, one tint (the second is all finding)
    view.tabs.setCurrentIndex(1)
    assert view.grab().save(str(Path(os.environ.get("REVIEW_GRAB_DIR", "/tmp")) / "review_comments.png"))


def test_a_comment_keeps_the_reviewers_place_in_a_long_letter(qtbot, services, people, make_view, said,
                                                              monkeypatch):
    first = hospital_letter(services, people)
    view = make_view()
    view.resize(1024, 700)
    view.show()
    assert pick_in_queue(view, first)
    bar = view.text.verticalScrollBar()
    start = view.text.toPlainText().rindex(THIRD)
    select_text(view, start, start + len(THIRD))
    view.text.ensureCursorVisible()
    where = bar.value()
    assert where > 0
    monkeypatch.setattr(prompts, "ask_long_text", lambda *a, **k: "こちらも伏せてください")
    assert view.comment_on_selection()
    assert bar.value() == where


# ---- what changed since the reviewer last looked ------------------------------------------------
def test_a_sentence_deleted_before_a_withdrawn_request_is_struck_through(qtbot, services, people, make_view, said):
    """差し戻し → the writer deletes a sentence and asks again → withdraws the request, fixes a word and asks
    again: the reviewer compares with the version they returned, so the deleted sentence is still shown
    struck through, not only the last fix."""
    from PySide6.QtGui import QTextFormat

    wf, writer, reviewer = services.workflow, people["writer"], people["reviewer"]
    kept = "ご家族の皆様へ\n\n来月の避難訓練についてお知らせします。\n"
    dropped = "当日は消防車が三台来る予定です。\n"
    ending = "ご不明な点は事務所までお尋ねください。\n"
    lid = submit(services, writer, "event_notice", kept + dropped + ending, {"recipient_name": "ご家族の皆様"})
    wf.return_letter(reviewer, lid, "消防車の台数は未定です")
    wf.save(writer, lid, kept + ending, services.letters.get(lid).version)
    wf.submit(writer, lid)
    wf.withdraw_request(writer, lid)
    fixed = kept + ending.replace("事務所", "相談員")
    wf.save(writer, lid, fixed, services.letters.get(lid).version)
    wf.submit(writer, lid)

    view = make_view()
    view.resize(1024, 700)
    view.show()
    assert pick_in_queue(view, lid)
    assert "前回確認した版（第1版）との違い" in view.header.text()
    shown = view.text.toPlainText()
    at = shown.index(dropped.strip())
    marks = formats(view)
    assert all(marks[i].fontStrikeOut() for i in range(at, at + len(dropped.strip())))
    fix = shown.index("相談員")
    assert not any(marks[i].fontStrikeOut() for i in range(fix, fix + len("相談員")))
    assert marks[fix].hasProperty(QTextFormat.BackgroundBrush)  # the last fix is marked as added, too
    assert not marks[shown.index("避難訓練")].fontStrikeOut()


# ---- the queue ---------------------------------------------------------------------------------
def test_queue_names_the_resident_and_family_and_says_how_long_each_waited(
        qtbot, services, gui_db, people, make_view, library, monkeypatch):
    from desktop_app.gui import review_view
    from desktop_app.gui.review_view import COLUMNS

    first = hospital_letter(services, people)
    other = notice_letter(services, people)
    now = dt.datetime(2026, 12, 3, 15, 0)
    with gui_db.engine.begin() as c:
        c.execute(update(Letter).where(Letter.id == first).values(submitted_at=now - dt.timedelta(days=3, hours=2)))
        c.execute(update(Letter).where(Letter.id == other).values(submitted_at=now - dt.timedelta(hours=2, minutes=5)))
    monkeypatch.setattr(review_view, "utcnow", lambda: now)
    view = make_view()
    from desktop_app.gui.review_view import FIELDS, HEADERS

    assert FIELDS == ("番号", "利用者（ご本人）", "ご家族（宛先）", "種類", "作成者", "待ち時間", "重大", "注意")
    assert sorted(sum(COLUMNS, ())) == sorted(FIELDS)  # every fact has its place, once
    headers = [view.table.horizontalHeaderItem(c).text() for c in range(view.table.columnCount())]
    assert headers == list(HEADERS)
    rows = [[view.queue_value(r, f) for f in FIELDS] for r in range(view.table.rowCount())]
    assert rows == [  # oldest request first
        [str(first), RESIDENT, FAMILY, library.get("hospital_notice").title, "佐藤 作成", "3日", "2", "1"],
        [str(other), "—", "ご家族の皆様", library.get("event_notice").title, "佐藤 作成", "2時間", "0", "0"],
    ]
    # every fact is on screen in the queue as it opens at 1024 wide: no column beyond the queue's right edge
    view.resize(1024, 700)
    view.show()
    qtbot.waitExposed(view)
    header = view.table.horizontalHeader()
    last = view.table.columnCount() - 1
    assert header.sectionViewportPosition(last) + header.sectionSize(last) <= view.table.viewport().width()
    # time passes with nothing written: the next tick moves the waiting time on without reading the queue
    monkeypatch.setattr(review_view, "utcnow", lambda: now + dt.timedelta(days=1))
    view.timer.timeout.emit()
    assert [view.queue_value(r, "待ち時間") for r in range(2)] == ["4日", "1日"]


# ---- the layout --------------------------------------------------------------------------------
def visible_lines(view) -> tuple[int, int]:
    """Lines of the letter in the pane: by the font's line spacing, and by the laid-out Japanese text itself
    (a CJK fallback font can make lines taller than the widget font says)."""
    doc = view.text.document()
    block = doc.firstBlock()
    while block.isValid() and block.layout().lineCount() == 0:
        block = block.next()
    while block.isValid() and not block.text().strip():
        block = block.next()
    laid = block.layout().lineAt(0).height()
    height = view.text.viewport().height() - 2 * doc.documentMargin()
    return int(height // view.text.fontMetrics().lineSpacing()), int(height // laid)


@pytest.mark.parametrize("size", [(1024, 700), (1366, 768)])
def test_the_letter_gets_the_height_and_the_queue_can_be_hidden(qtbot, services, people, make_view, said, size):
    first = hospital_letter(services, people)
    view = make_view()
    assert view.minimumSizeHint().width() <= 1024 and view.minimumSizeHint().height() <= 700
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    assert view.size().width() == size[0] and view.size().height() == size[1]
    assert pick_in_queue(view, first)
    qtbot.wait(20)
    by_font, by_layout = visible_lines(view)
    assert by_font >= 25 and by_layout >= 25, (by_font, by_layout)
    assert view.table.width() < 0.35 * size[0]
    png = Path(os.environ.get("REVIEW_GRAB_DIR", "/tmp")) / f"review_{size[0]}.png"
    assert view.grab().save(str(png))

    wide = view.text.width()
    assert view.queue_shown() and view.toggle_queue_btn.text() == "◀ 一覧を隠す"
    view.toggle_queue_btn.click()
    qtbot.wait(20)
    assert not view.queue_shown() and not view.table.isVisible()
    assert view.toggle_queue_btn.text() == "一覧を表示 ▶"
    assert view.text.width() > wide + 100
    if size == (1024, 700):
        assert view.grab().save(str(png.with_name("review_1024_hidden.png")))
    view.toggle_queue_btn.click()
    qtbot.wait(20)
    assert view.queue_shown() and view.table.isVisible() and abs(view.text.width() - wide) < 20
    assert view.toggle_queue_btn.text() == "◀ 一覧を隠す"
    # dragged shut with the splitter: the button follows
    view.splitter.setSizes([0, *view.splitter.sizes()[1:]])
    view.splitter.splitterMoved.emit(0, 1)
    assert not view.queue_shown() and view.toggle_queue_btn.text() == "一覧を表示 ▶"
    view.toggle_queue_btn.click()
    assert view.queue_shown() and view.splitter.sizes()[0] > 100


# ---- a Word letter -----------------------------------------------------------------------------
def test_word_letter_findings_say_where_they_are_in_the_file(qtbot, services, people, library, make_view, said,
                                                              tmp_path):
    from desktop_app.core.letter_session import LetterSession
    from desktop_app.core.word.reader import read_docx
    from tests.core.docx_fixtures import TABLE_PHONE, THIRD_PARTY, build_letter_docx

    src = build_letter_docx(tmp_path / "十二月のご連絡.docx")
    global_checker = services.workflow.checker

    def word_checker(text, context):
        return [Finding(m.start(), m.end(), w, "pii.person", Severity.HIGH, "氏名です", "試験用")
                for w in (THIRD_PARTY, TABLE_PHONE) for m in re.finditer(re.escape(w), text)]

    services.workflow.checker = word_checker
    try:
        writer = LetterSession(services, people["writer"], library, services.admin.facility())
        writer.start_word(src, read_docx(src))
        writer.save()
        writer.submit()
        view = make_view()
        assert pick_in_queue(view, writer.letter_id)
        assert view.session.place_of(*next((f.start, f.end) for f in view.session.findings
                                          if f.text == THIRD_PARTY)) == "表1の3行2列"
        items = [view.findings_list.item(i).text() for i in range(view.findings_list.count())]
        assert any(THIRD_PARTY in t and "（表1の3行2列）" in t for t in items), items
        assert any(TABLE_PHONE in t and "（表1の2行3列）" in t for t in items), items
    finally:
        services.workflow.checker = global_checker


# ---- the letter's own people ----------------------------------------------------------------------
def test_the_letters_own_people_are_one_line_after_what_needs_a_look(qtbot, gui_db, people, library, said):
    from desktop_app.gui.findings_panel import EXPECTED_LABEL
    from desktop_app.gui.review_view import ReviewView

    def names_too(text, context):  # the resident and the family found as names with their role, as the check does
        out = fixed_checker(text, context)
        for name, role in ((RESIDENT, "subject"), (FAMILY, "recipient")):
            out += [Finding(m.start(), m.end(), name, "pii.person", Severity.LOW, "人名が含まれています", "試験用",
                            meta=(("role", role),)) for m in re.finditer(re.escape(name), text)]
        return out

    services = Services.open(gui_db, names_too)
    letter_id = submit(services, people["writer"], "hospital_notice", BODY + f"\n{FAMILY}様へ",
                       {"recipient_name": FAMILY, "resident_name": RESIDENT, "hospital": "川越第一病院"})
    view = ReviewView(services, people["reviewer"], library)
    qtbot.addWidget(view)
    assert pick_in_queue(view, letter_id)
    rows = [view.findings_list.item(i).text() for i in range(view.findings_list.count())]
    assert sum(THIRD in r for r in rows) == 2 and sum(PROMISE in r for r in rows) == 1  # each its own row
    assert rows[-1] == f"{EXPECTED_LABEL}（2件）：{RESIDENT}、{FAMILY}"
    assert not any(r.startswith("[") and (RESIDENT in r or FAMILY in r) for r in rows)


def test_the_review_window_says_how_to_leave_it(qtbot, make_view):
    from PySide6.QtCore import Qt

    view = make_view()
    view.show()
    qtbot.waitExposed(view)
    assert view.close_btn.text() == "閉じる" and view.close_btn.isVisible()
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow)
    qtbot.keyClick(view.text, Qt.Key_Escape)
    qtbot.waitUntil(lambda: not view.isVisible())
    view.show()
    view.close_btn.click()
    assert not view.isVisible()
