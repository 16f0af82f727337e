"""A Word letter in the window: opened with its full text and each finding's place in the file, reviewed
like any draft, and exported into a copy of the original that keeps its table and header."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from desktop_app.core.word import letter as word_letter
from desktop_app.core.workflow.state import Status
from desktop_app.gui import prompts
from tests.core.docx_fixtures import (
    DIAGNOSIS,
    HEADER_PHONE,
    TABLE_PHONE,
    THIRD_PARTY,
    build_docx_with_picture_and_field,
    build_letter_docx,
)
from tests.gui.conftest import pick_in_queue, wait_check

pytestmark = [pytest.mark.gui, pytest.mark.nlp]


@pytest.fixture
def said(monkeypatch):
    out: list[tuple[str, str, str]] = []
    monkeypatch.setattr(prompts, "info", lambda parent, title, text: out.append(("info", title, text)))
    monkeypatch.setattr(prompts, "error", lambda parent, title, text: out.append(("error", title, text)))
    monkeypatch.setattr(prompts, "confirm", lambda parent, title, text, **verbs: out.append(("confirm", title, text)) or True)
    return out


def open_word(qtbot, window, monkeypatch, path) -> None:
    monkeypatch.setattr(prompts, "open_file", lambda *a, **k: str(path))
    with qtbot.waitSignal(window.controller.dispatcher.check_finished, timeout=15000):
        assert window.actions.word_open_action.isEnabled()
        window.actions.word_open_action.trigger()
    qtbot.waitUntil(lambda: any(f.text == THIRD_PARTY for f in window.controller.session.findings), timeout=15000)


def panel_labels(window) -> list[str]:
    return [item.text(0) for item in window.panel.all_items()]


def test_word_letter_opens_with_its_full_text_and_finding_locations(qtbot, make_window, said, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QToolButton

    src = build_letter_docx(tmp_path / "12月のご連絡.docx")
    w = make_window("writer")
    menus = {a.text(): a.menu() for a in w.menuBar().actions()}
    assert w.actions.word_open_action in menus["ファイル"].actions()
    assert w.actions.word_open_action in w.findChild(QToolButton, "moreButton").menu().actions()
    assert w.actions.word_open_action.text() == "Wordの手紙を開く…"
    open_word(qtbot, w, monkeypatch, src)
    text = w.editor.toPlainText()
    assert THIRD_PARTY in text and HEADER_PHONE in text and TABLE_PHONE in text  # table cells and the header
    assert w.controller.session.is_word and w.controller.session.template_id == word_letter.WORD_TEMPLATE_ID
    assert w.controller.session.fields[word_letter.NAME] == "12月のご連絡.docx"
    assert "12月のご連絡.docx" in w.body_label.text()
    assert not w.form.isVisibleTo(w) and not w.template_combo.isEnabled()
    name = next(f for f in w.controller.session.findings if f.text == THIRD_PARTY)
    assert dict(name.meta)["location"] == "表1の3行2列"
    header = next(f for f in w.controller.session.findings if f.text == HEADER_PHONE)
    assert dict(header.meta)["location"] == "ヘッダー"
    labels = panel_labels(w)
    assert any(THIRD_PARTY[:3] in t and "（表1の3行2列）" in t for t in labels), labels
    assert any("（ヘッダー）" in t for t in labels)
    assert any("（変更履歴（削除された文字）・本文）" in t for t in labels)
    # after an edit elsewhere, the places still follow the text
    w.editor.replace_range(0, 4, "ご家族の皆様")
    wait_check(qtbot, w)
    name = next(f for f in w.controller.session.findings if f.text == THIRD_PARTY)
    assert dict(name.meta)["location"] == "表1の3行2列"
    assert not [m for m in said if m[0] == "error"]
    # a new letter from the template form: the form and the template choice come back
    monkeypatch.setattr(prompts, "ask_save_discard_cancel", lambda *a, **k: "discard")
    assert w.controller.new_letter()
    assert not w.controller.session.is_word
    qtbot.waitUntil(lambda: w.form.isVisibleTo(w), timeout=5000)  # with the first check of the new letter
    assert w.form.isVisibleTo(w) and w.template_combo.isEnabled() and "Word" not in w.body_label.text()


def test_bad_or_huge_word_file_gives_a_japanese_error_and_keeps_the_letter(qtbot, make_window, said, monkeypatch,
                                                                         tmp_path):
    from desktop_app.core.word import reader

    w = make_window("writer")
    w.editor.setPlainText("山田 太郎 様\n\n今月のご様子をお知らせします。\n")
    broken = tmp_path / "壊れた.docx"
    broken.write_bytes(b"PK\x03\x04 this is not really a zip")
    assert not w.controller.open_word(str(broken))
    assert said[-1][0] == "error" and "読めません" in said[-1][2] and "そのまま残っています" in said[-1][2]
    bomb = tmp_path / "大きすぎる.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<a/>" + b" " * (reader.MAX_XML_TOTAL + 10))
    assert not w.controller.open_word(str(bomb))
    assert said[-1][0] == "error" and "上限" in said[-1][2]
    assert w.editor.toPlainText().startswith("山田 太郎 様") and not w.controller.session.is_word


def test_pictures_and_fields_are_named_when_opened(qtbot, make_window, said, monkeypatch, tmp_path):
    src = build_docx_with_picture_and_field(tmp_path / "写真つき.docx")
    w = make_window("writer")
    monkeypatch.setattr(prompts, "open_file", lambda *a, **k: str(src))
    assert w.actions.word_open_action.isEnabled()
    w.actions.word_open_action.trigger()
    notes = [m for m in said if m[1] == "Wordの手紙の注意"]
    assert notes and "画像" in notes[0][2] and "フィールドコード" in notes[0][2]


def submit_with_reasons(window, monkeypatch) -> None:
    """The writer marks every high finding 確認済み with a reason, then asks for review."""
    monkeypatch.setattr(prompts, "ask_text", lambda *a, **k: "ご家族に必要な情報です")
    for f in window.controller.session.unresolved_high():
        window.controller.mark_reviewed(f)
    assert window.controller.submit_for_review()


def approve(qtbot, make_window, monkeypatch, letter_id: int):
    reviewer = make_window("reviewer")
    reviewer.controller.open_review()
    assert pick_in_queue(reviewer.controller.review_view, letter_id)
    monkeypatch.setattr(prompts, "ask_text", lambda *a, **k: "ご家族への連絡先として記載しています")
    assert reviewer.controller.review_view.approve()


def test_the_reviewer_sees_where_each_finding_is_in_the_word_file(qtbot, make_window, said, monkeypatch, tmp_path):
    src = build_letter_docx(tmp_path / "連絡.docx")
    w = make_window("writer")
    open_word(qtbot, w, monkeypatch, src)
    submit_with_reasons(w, monkeypatch)
    letter_id = w.controller.session.letter_id
    reviewer = make_window("reviewer")
    reviewer.controller.open_review()
    view = reviewer.controller.review_view
    row = next(r for r in range(view.table.rowCount()) if view.table.item(r, 0).text() == str(letter_id))

    assert view.queue_value(row, "種類") == "Wordの手紙"
    assert pick_in_queue(view, letter_id)
    assert "Wordの手紙「連絡.docx」" in view.header.text()
    items = [view.findings_list.item(i).text() for i in range(view.findings_list.count())]
    assert any(THIRD_PARTY in t and "（表1の3行2列）" in t for t in items), items
    assert any(HEADER_PHONE in t and "（ヘッダー）" in t for t in items), items
    view.resize(1280, 800)
    qtbot.wait(50)
    png = Path(os.environ.get("WORD_REVIEW_GRAB", tmp_path / "word_review.png"))
    assert view.grab().save(str(png)) and png.stat().st_size > 10_000
    src.unlink()  # on another PC, or moved: the original stored with the letter still gives every place
    view.show_letter(letter_id)
    assert "見つからない" not in view.header.text()
    items = [view.findings_list.item(i).text() for i in range(view.findings_list.count())]
    assert any(THIRD_PARTY in t and "（表1の3行2列）" in t for t in items), items


def test_word_letter_is_reviewed_and_exported_into_the_original_layout(qtbot, make_window, said, monkeypatch,
                                                                     tmp_path):
    from docx import Document

    src = build_letter_docx(tmp_path / "連絡.docx")
    w = make_window("writer")
    open_word(qtbot, w, monkeypatch, src)
    name = next(f for f in w.controller.session.findings if f.text == THIRD_PARTY)
    w.controller.mask_finding(name)  # the other resident's name becomes 〇〇 in the table cell
    wait_check(qtbot, w)
    assert "同室の〇〇様" in w.editor.toPlainText()
    submit_with_reasons(w, monkeypatch)
    letter_id = w.controller.session.letter_id
    assert w.controller.services.letters.get(letter_id).template_id == word_letter.WORD_TEMPLATE_ID
    assert w.controller.services.letters.get(letter_id).fields[word_letter.SOURCE] == str(src.resolve())

    approve(qtbot, make_window, monkeypatch, letter_id)
    w.controller.poll_letter()
    assert w.controller.session.status == Status.APPROVED
    target = tmp_path / "送付用.docx"
    monkeypatch.setattr(prompts, "save_file", lambda *a, **k: str(target))
    assert w.controller.export_word() == target
    assert w.controller.session.status == Status.EXPORTED
    out = Document(str(target))
    assert len(out.tables) == 1
    assert out.tables[0].cell(2, 1).text == f"同室の〇〇様（{DIAGNOSIS}）と衣類の入れ替え"
    assert out.tables[0].cell(1, 2).text == TABLE_PHONE  # accepted by the reviewer: unchanged
    assert out.sections[0].header.paragraphs[0].text == f"担当直通 {HEADER_PHONE}"
    assert all("下書き" not in p.text for p in out.sections[0].header.paragraphs)  # approved: no draft header
    with zipfile.ZipFile(target) as z:
        assert all(THIRD_PARTY.encode() not in z.read(n) for n in z.namelist())
        assert "word/comments.xml" not in z.namelist()
    done = [m for m in said if m[1] == "書き出しました"][-1][2]
    assert "コメント" in done and "文書のプロパティ" in done  # what the export changed besides the text


def test_export_refuses_an_added_paragraph_whether_the_file_on_disk_changed_or_is_gone(
        qtbot, make_window, people, said, monkeypatch, tmp_path):
    src = build_letter_docx(tmp_path / "連絡.docx")
    target = tmp_path / "送付用.docx"
    monkeypatch.setattr(prompts, "save_file", lambda *a, **k: str(target))
    w = make_window("writer")
    w.controller.services.admin.set_policy("when_findings", people["admin"])
    open_word(qtbot, w, monkeypatch, src)
    text = w.editor.toPlainText()
    w.editor.setPlainText(text.replace("敬具\n", "敬具\n追って日程をご連絡いたします。\n", 1))
    wait_check(qtbot, w)
    assert w.controller.save_draft()
    letter_id = w.controller.session.letter_id
    submit_with_reasons(w, monkeypatch)
    approve(qtbot, make_window, monkeypatch, letter_id)
    w.controller.poll_letter()
    assert w.controller.export_word() is None and not target.exists()
    assert "追加された段落" in said[-1][2] and "追って日程" in said[-1][2]
    assert w.controller.services.letters.get(letter_id).status == Status.APPROVED  # nothing recorded as sent

    from docx import Document

    saved = src.read_bytes()
    changed = Document(str(src))
    changed.add_paragraph("Wordで後から書き足した一文です。")
    changed.save(str(src))
    # the file on disk changed, then gone: the export works from the original stored with the letter, and
    # still refuses the added paragraph (the old "changed"/"gone" refusals are for letters without stored
    # bytes: tests/core/test_word_bytes.py)
    assert w.controller.export_word() is None and not target.exists()
    assert "追加された段落" in said[-1][2] and "取り込んだ後に変更されています" not in said[-1][2]
    src.write_bytes(saved)
    src.unlink()
    assert w.controller.export_word() is None and not target.exists()
    assert "追加された段落" in said[-1][2]
    assert w.controller.services.letters.get(letter_id).status == Status.APPROVED


def test_window_grab_with_a_word_letter(qtbot, make_window, said, monkeypatch, tmp_path):
    src = build_letter_docx(tmp_path / "連絡.docx")
    w = make_window("writer")
    w.show()
    open_word(qtbot, w, monkeypatch, src)
    w.panel.select_finding(next(f for f in w.controller.session.findings if f.text == THIRD_PARTY))
    assert w.word_place_label.text() == "カーソルの位置：表1の3行2列"  # the editor's selection follows
    qtbot.wait(50)
    png = Path(os.environ.get("WORD_LETTER_GRAB", tmp_path / "word_letter.png"))
    assert w.grab().save(str(png))
    assert png.stat().st_size > 10_000


def test_lines_the_export_drops_anyway_may_be_deleted_and_a_reopened_letter_keeps_its_places(
        qtbot, make_window, people, said, monkeypatch, tmp_path):
    from desktop_app.core.word import read_docx
    from tests.core.docx_fixtures import COMMENT_PHONE, DELETED_PHONE

    src = build_letter_docx(tmp_path / "連絡.docx")
    w = make_window("writer")
    w.controller.services.admin.set_policy("when_findings", people["admin"])
    open_word(qtbot, w, monkeypatch, src)
    lines = w.editor.toPlainText().split("\n")
    kept = [ln for ln in lines if COMMENT_PHONE not in ln and DELETED_PHONE not in ln]  # comment, tracked deletion
    w.editor.setPlainText("\n".join(kept).replace(HEADER_PHONE, "〇〇"))
    wait_check(qtbot, w)
    assert w.controller.save_draft()
    letter_id = w.controller.session.letter_id

    # opened again from the list (another day): the places come from the stored path
    again = make_window("writer")
    listed = []
    monkeypatch.setattr(prompts, "choose_item", lambda parent, title, label, items: listed.extend(items) or next(
        i for i, t in enumerate(items) if t.startswith(f"#{letter_id}")))
    with qtbot.waitSignal(again.controller.dispatcher.check_finished, timeout=15000):
        assert again.controller.open_draft()
    qtbot.waitUntil(lambda: any(f.text == THIRD_PARTY for f in again.controller.session.findings), timeout=15000)
    assert dict(next(f for f in again.controller.session.findings if f.text == THIRD_PARTY).meta)["location"] == "表1の3行2列"
    assert "連絡.docx" in again.body_label.text()
    assert "Wordの手紙" in next(t for t in listed if t.startswith(f"#{letter_id}"))

    submit_with_reasons(again, monkeypatch)
    approve(qtbot, make_window, monkeypatch, letter_id)
    again.controller.poll_letter()
    target = tmp_path / "送付用.docx"
    monkeypatch.setattr(prompts, "save_file", lambda *a, **k: str(target))
    assert again.controller.export_word() == target
    out = read_docx(target)
    assert COMMENT_PHONE not in out.text and DELETED_PHONE not in out.text and HEADER_PHONE not in out.text
    assert "担当直通 〇〇" in out.text and THIRD_PARTY in out.text
