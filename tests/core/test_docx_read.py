"""Reading Word letters: every visible part, with the location of each finding; bombs refused early."""

import io
import struct
import tracemalloc
import zipfile

import pytest

from desktop_app.core.word import DocxError, read_docx, read_docx_bytes
from desktop_app.core.word.reader import MAX_XML_TOTAL
from tests.core import docx_fixtures as fx


@pytest.fixture
def letter_docx(tmp_path):
    return fx.build_letter_docx(tmp_path / "手紙.docx")


@pytest.fixture
def doc(letter_docx):
    return read_docx(letter_docx)


def _found(runner, doc):
    return {f.text: doc.locate(f.start, f.end) for f in runner.check(doc.text, {})}


@pytest.mark.parametrize("text,location", [
    (fx.TABLE_PHONE, "表1の2行3列"),
    (fx.HEADER_PHONE, "ヘッダー"),
    (fx.FOOTER_EMAIL, "フッター"),
    (fx.TEXTBOX_ADDRESS, "テキストボックス"),
    (fx.COMMENT_PHONE, "コメント"),
    (fx.INSERTED_PHONE, "変更履歴（挿入）・本文"),
    (fx.DELETED_PHONE, "変更履歴（削除された文字）・本文"),
    ("".join(fx.SPLIT_PHONE), "本文"),
])
def test_personal_data_in_every_part_is_found_with_its_location(pattern_runner, doc, text, location):
    found = _found(pattern_runner, doc)
    assert found.get(text) == location, found


def test_table_cells_are_read_row_by_row(doc):
    cells = [(s.location, doc.text[s.start:s.end]) for s in doc.segments if s.kind == "table"]
    assert [loc for loc, _ in cells[:4]] == ["表1の1行1列", "表1の1行2列", "表1の1行3列", "表1の2行1列"]
    assert ("表1の2行3列", fx.TABLE_PHONE) in cells


def test_text_box_is_read_once_although_word_stores_it_twice(doc):
    assert doc.text.count("川越市") == 1
    assert doc.counts["textboxes"] == 1


def test_deleted_text_is_reported_apart_from_the_visible_text(doc):
    assert fx.DELETED_PHONE not in doc.body_text()
    assert fx.INSERTED_PHONE in doc.body_text()
    line = next(ln for ln in doc.text.splitlines() if fx.INSERTED_PHONE in ln)
    assert line == f"緊急時は {fx.INSERTED_PHONE} までご連絡ください。"


def test_properties_and_change_authors_are_read(doc):
    props = {s.location: doc.text[s.start:s.end] for s in doc.segments if s.kind == "property"}
    assert props["文書のプロパティ（作成者）"] == f"作成者：{fx.AUTHOR}"
    assert props["文書のプロパティ（会社名）"] == f"会社名：{fx.COMPANY}"
    assert "中島" in props["文書のプロパティ（変更履歴・コメントの作成者）"]


@pytest.mark.nlp
def test_third_party_name_and_diagnosis_in_a_table_and_the_author_are_found(runner, doc):
    found = {(f.category, f.text, doc.locate(f.start, f.end)) for f in runner.check(doc.text, {})}
    assert ("pii.person", fx.THIRD_PARTY, "表1の3行2列") in found
    assert ("pii.health", fx.DIAGNOSIS, "表1の3行2列") in found
    assert ("pii.person", fx.AUTHOR, "文書のプロパティ（作成者）") in found


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_zip_bomb_is_refused_before_it_is_decompressed():
    body = b"<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'><w:body><w:p><w:r><w:t>"
    bomb = _zip({"word/document.xml": body + b"A" * (MAX_XML_TOTAL + 1024) + b"</w:t></w:r></w:p></w:body></w:document>"})
    assert len(bomb) < 200_000  # small on disk
    tracemalloc.start()
    with pytest.raises(DocxError) as exc:
        read_docx_bytes(bomb, "bomb.docx")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert exc.value.reason == "too_large" and "圧縮爆弾" in str(exc.value)
    assert peak < 5 * 1024 * 1024


def _declare_size(data: bytes, name: bytes, size: int) -> bytes:
    """Rewrite the uncompressed size the central directory declares for one entry."""
    i = data.find(b"PK\x01\x02")
    while i != -1:
        name_len = struct.unpack("<H", data[i + 28:i + 30])[0]
        if data[i + 46:i + 46 + name_len] == name:
            return data[:i + 24] + struct.pack("<I", size) + data[i + 28:]
        i = data.find(b"PK\x01\x02", i + 4)
    raise AssertionError("entry not found")


def test_a_declared_gigabyte_text_node_is_refused_without_reading_it():
    data = _zip({"word/document.xml": b"<w:document/>"})
    huge = _declare_size(data, b"word/document.xml", 1_500_000_000)
    tracemalloc.start()
    with pytest.raises(DocxError) as exc:
        read_docx_bytes(huge, "huge.docx")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert exc.value.reason == "too_large" and "1,431 MB" in str(exc.value)
    assert peak < 1024 * 1024


def test_a_part_larger_than_declared_is_refused():
    body = b"<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'>" + b" " * 100_000 + b"</w:document>"
    lying = _declare_size(_zip({"word/document.xml": body}), b"word/document.xml", 100)
    with pytest.raises(DocxError) as exc:
        read_docx_bytes(lying, "lying.docx")
    assert exc.value.reason in ("too_large", "broken")


@pytest.mark.parametrize("data,reason", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "not_docx"),  # password-protected or .doc
    (b"plain text, not a zip", "not_docx"),
    (None, "not_docx"),  # a zip without word/document.xml
    (b"BROKEN_XML", "broken"),
])
def test_files_that_are_not_readable_word_documents_are_explained(data, reason):
    if data is None:
        data = _zip({"hello.txt": b"hi"})
    elif data == b"BROKEN_XML":
        data = _zip({"word/document.xml": b"<w:document><unclosed>"})
    with pytest.raises(DocxError) as exc:
        read_docx_bytes(data, "x.docx")
    assert exc.value.reason == reason
    assert str(exc.value).startswith("x.docx: ")


def test_entity_expansion_is_not_performed():
    billion = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "AAAAAAAAAA"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
               b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
               b'<w:t>&b;</w:t></w:r></w:p></w:body></w:document>')
    with pytest.raises(DocxError) as exc:  # not expanded, and refused: text behind it could not be checked
        read_docx_bytes(_zip({"word/document.xml": billion}), "e.docx")
    assert exc.value.reason == "entity" and "AAAAAAAAAA" not in str(exc.value)


def test_a_document_with_too_much_text_is_refused_with_a_message():
    para = "<w:p><w:r><w:t>" + "あ" * 1000 + "</w:t></w:r></w:p>"
    xml = ('<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
           + para * 250 + "</w:body></w:document>").encode()
    with pytest.raises(DocxError) as exc:
        read_docx_bytes(_zip({"word/document.xml": xml}), "long.docx")
    assert exc.value.reason == "too_long" and "250," in str(exc.value)


def test_footnotes_and_endnotes_are_read_without_their_separators(letter_docx):
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    notes = {
        "word/footnotes.xml": f'<w:footnotes {w}><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/>'
                              '</w:r></w:p></w:footnote><w:footnote w:id="1"><w:p><w:r><w:t>主治医の直通 03-3311-2468'
                              '</w:t></w:r></w:p></w:footnote></w:footnotes>',
        "word/endnotes.xml": f'<w:endnotes {w}><w:endnote w:id="1"><w:p><w:r><w:t>控え：k.ueda@example.net</w:t>'
                             '</w:r></w:p></w:endnote></w:endnotes>',
    }
    with zipfile.ZipFile(letter_docx) as z:
        entries = {n: z.read(n) for n in z.namelist()}
    entries.update({k: v.encode() for k, v in notes.items()})
    doc = read_docx_bytes(_zip(entries), "notes.docx")
    located = {doc.text[s.start:s.end]: s.location for s in doc.segments if s.kind in ("footnotes", "endnotes")}
    assert located == {"主治医の直通 03-3311-2468": "脚注", "控え：k.ueda@example.net": "文末脚注"}


def test_custom_document_properties_are_read_with_their_name(tmp_path, pattern_runner):
    path = fx.add_custom_properties(fx.build_letter_docx(tmp_path / "手紙.docx"),
                                    {"担当者連絡先": fx.CUSTOM_PHONE, "部署": "生活相談室"})
    doc = read_docx(path)
    assert "部署：生活相談室" in doc.text
    assert _found(pattern_runner, doc)[fx.CUSTOM_PHONE] == "文書のプロパティ（ユーザー設定：担当者連絡先）"


def test_a_table_inside_a_table_cell_is_read_with_both_places(tmp_path, pattern_runner):
    doc = read_docx(fx.build_nested_table_docx(tmp_path / "入れ子.docx"))
    lines = doc.text.split("\n")
    assert lines.index("12月14日 午後") < lines.index("相談室") < lines.index(fx.NESTED_PHONE)
    assert _found(pattern_runner, doc)[fx.NESTED_PHONE] == "表1の2行2列の中の表2の1行2列"
