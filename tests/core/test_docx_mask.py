"""Masking a Word letter in place: only the finding runs change; nothing personal is left in any part."""

import os
import re
import shutil
import subprocess
import zipfile

import pytest
from lxml import etree

from desktop_app.core.fileio import WriteError
from desktop_app.core.word import Edit, edits_for_findings, mask_docx, read_docx
from desktop_app.core.word.reader import W_NS
from tests.core import docx_fixtures as fx

PERSONAL = [fx.TABLE_PHONE, fx.HEADER_PHONE, fx.FOOTER_EMAIL, fx.TEXTBOX_ADDRESS, fx.COMMENT_PHONE,
            fx.INSERTED_PHONE, fx.DELETED_PHONE, "".join(fx.SPLIT_PHONE), fx.AUTHOR, fx.COMPANY]


@pytest.fixture
def source(tmp_path):
    return fx.build_letter_docx(tmp_path / "元の手紙.docx")


@pytest.fixture
def masked(tmp_path, source, pattern_runner):
    doc = read_docx(source)
    findings = pattern_runner.check(doc.text, {})
    report = mask_docx(doc, edits_for_findings(findings), tmp_path / "伏せ字.docx")
    return report


def _parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _structure(xml: bytes, drop=("t", "r", "rPr", "b", "bCs", "ins", "del", "delText", "commentRangeStart",
                                  "commentRangeEnd", "commentReference", "rStyle", "AlternateContent")) -> list[str]:
    """Tag paths of the paragraph-and-above skeleton (tables, rows, cells, paragraphs, properties)."""
    root = etree.fromstring(xml)
    out = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        local = etree.QName(el).localname
        if local in drop or any(etree.QName(a).localname in ("r", "ins", "del") for a in el.iterancestors()):
            continue
        out.append(local)
    return out


def test_no_masked_string_is_left_in_any_part(masked):
    for name, data in _parts(masked.path).items():
        text = data.decode("utf-8", "replace")
        for s in PERSONAL:
            assert s not in text, f"{s} left in {name}"
        assert fx.SPLIT_PHONE[1] not in text  # the second run of the split number is gone too


def test_table_header_footer_and_styles_are_kept(source, masked):
    before, after = _parts(source), _parts(masked.path)
    assert after["word/styles.xml"] == before["word/styles.xml"]
    assert _structure(after["word/document.xml"]) == _structure(before["word/document.xml"])
    for part in ("word/header1.xml", "word/footer1.xml"):
        assert _structure(after[part]) == _structure(before[part])
    doc = read_docx(masked.path)
    cells = {s.location: doc.text[s.start:s.end] for s in doc.segments if s.kind == "table"}
    assert cells["表1の2行3列"] == "〇〇" and cells["表1の2行2列"] == "面会のご予約"
    headers = [doc.text[s.start:s.end] for s in doc.segments if s.kind == "header"]
    assert headers == ["担当直通 〇〇"]


def test_number_split_across_runs_is_masked_and_formatting_kept(masked):
    root = etree.fromstring(_parts(masked.path)["word/document.xml"])
    p = next(p for p in root.iter(f"{{{W_NS}}}p") if "日中の連絡先は" in "".join(p.itertext()))
    runs = p.findall(f"{{{W_NS}}}r")
    assert "".join(p.itertext()) == "日中の連絡先は 〇〇 です。"
    bold = [r for r in runs if r.find(f"{{{W_NS}}}rPr/{{{W_NS}}}b") is not None]
    assert len(bold) == 1 and "".join(bold[0].itertext()) == "〇〇"


def test_tracked_changes_accepted_comments_dropped_author_cleared(masked):
    parts = _parts(masked.path)
    doc_xml = parts["word/document.xml"].decode()
    assert "<w:ins " not in doc_xml and "<w:del " not in doc_xml and "w:delText" not in doc_xml
    assert "commentReference" not in doc_xml and "word/comments.xml" not in parts
    assert "comments" not in parts["word/_rels/document.xml.rels"].decode()
    assert "comments" not in parts["[Content_Types].xml"].decode()
    assert "docProps/thumbnail.jpeg" not in parts
    assert masked.tracked_changes_accepted >= 2 and masked.comments_removed == 1
    assert set(masked.properties_cleared) >= {"作成者", "最終更新者", "会社名"}
    doc = read_docx(masked.path)
    line = next(ln for ln in doc.text.splitlines() if ln.startswith("緊急時は"))
    assert line == "緊急時は 〇〇 までご連絡ください。"  # the insertion stays, the deletion is gone


def test_applied_suggestion_replaces_only_its_words(tmp_path, source):
    doc = read_docx(source)
    start = doc.text.index("担当まで")
    report = mask_docx(doc, [Edit(start, start + 2, "生活相談員", "担当")], tmp_path / "s.docx")
    assert report.masked == 1
    text = read_docx(tmp_path / "s.docx").text
    assert "お問い合わせは生活相談員までお願いいたします。" in text


def test_source_document_is_left_untouched(tmp_path, source, pattern_runner):
    doc = read_docx(source)
    text_before = doc.text
    mask_docx(doc, edits_for_findings(pattern_runner.check(doc.text, {})), tmp_path / "m.docx")
    assert doc.text == text_before and fx.TABLE_PHONE in "".join(doc.parts["word/document.xml"].itertext())


def test_what_cannot_be_reproduced_is_named(tmp_path):
    src = fx.build_docx_with_picture_and_field(tmp_path / "写真.docx")
    doc = read_docx(src)
    assert any("画像が1枚" in w for w in doc.warnings)
    assert any("フィールドコード" in w for w in doc.warnings)
    report = mask_docx(doc, [], tmp_path / "out.docx")
    assert report.warnings == doc.warnings and any("注意：画像" in s for s in report.summary())


def test_read_only_target_is_refused(tmp_path, source):
    target = tmp_path / "既存.docx"
    target.write_bytes(b"old")
    os.chmod(target, 0o444)
    with pytest.raises(WriteError) as exc:
        mask_docx(read_docx(source), [], target)
    assert exc.value.reason == "read_only_file" and "読み取り専用" in str(exc.value)
    assert target.read_bytes() == b"old"


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice not installed")
def test_masked_copy_opens_in_libreoffice(tmp_path, masked):
    profile = (tmp_path / "lo").resolve().as_uri()
    proc = subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "txt:Text",
                           "--outdir", str(tmp_path), str(masked.path)], capture_output=True, text=True, timeout=180)
    out = tmp_path / "伏せ字.txt"
    assert proc.returncode == 0 and out.exists(), proc.stderr
    text = out.read_text(encoding="utf-8-sig")
    assert "日中の連絡先は 〇〇 です。" in text and "面会のご予約" in text
    assert not re.search(r"\d{3}-\d{4}-\d{4}", text)


def test_corrections_made_in_the_window_are_written_into_the_runs(tmp_path, source):
    from desktop_app.core.word import edits_from_text

    doc = read_docx(source)
    new = (doc.text.replace("".join(fx.SPLIT_PHONE), "（別途お知らせします）")
           .replace("お問い合わせは担当まで", "お問い合わせは生活相談員まで")
           .replace("敬具\n", "敬具\n追伸の一文です。\n", 1))
    changes = edits_from_text(doc, new)
    assert [u[:8] for u in changes.unsupported] == ["追加された段落："]
    mask_docx(doc, changes.edits, tmp_path / "corrected.docx")
    text = read_docx(tmp_path / "corrected.docx").text
    assert "日中の連絡先は （別途お知らせします） です。" in text
    assert "お問い合わせは生活相談員までお願いいたします。" in text
    assert fx.SPLIT_PHONE[1] not in text


def test_a_short_masked_name_does_not_change_other_words(tmp_path):
    from docx import Document

    src = tmp_path / "short.docx"
    d = Document()
    d.add_paragraph("担当の田中がご連絡します。")
    d.add_paragraph("会場は田中央公民館です。")
    d.save(str(src))
    doc = read_docx(src)
    start = doc.text.index("田中")
    mask_docx(doc, [Edit(start, start + 2, "〇〇", "田中")], tmp_path / "o.docx")
    assert read_docx(tmp_path / "o.docx").text.startswith("担当の〇〇がご連絡します。\n会場は田中央公民館です。")


def test_alt_text_of_a_picture_is_read_and_masked(tmp_path):
    src = fx.build_docx_with_picture_and_field(tmp_path / "alt.docx")
    doc = read_docx(src)
    seg = next(s for s in doc.segments if s.kind == "alt_text")
    assert seg.location == "画像の代替テキスト" and fx.THIRD_PARTY in doc.text[seg.start:seg.end]
    start = doc.text.index(fx.THIRD_PARTY, seg.start)
    report = mask_docx(doc, [Edit(start, start + len(fx.THIRD_PARTY), "〇〇", fx.THIRD_PARTY)], tmp_path / "o.docx")
    assert report.not_applied == []
    assert all(fx.THIRD_PARTY not in data.decode("utf-8", "replace") for data in _parts(tmp_path / "o.docx").values())


def test_draft_header_is_added_above_the_documents_own_header(tmp_path, source):
    from docx import Document

    mask_docx(read_docx(source), [], tmp_path / "draft.docx", header_text="下書き（未承認）")
    hdr = Document(str(tmp_path / "draft.docx")).sections[0].header
    assert [p.text for p in hdr.paragraphs] == ["下書き（未承認）", f"担当直通 {fx.HEADER_PHONE}"]
    plain = Document(str(fx.build_docx_with_picture_and_field(tmp_path / "p.docx")))
    assert not plain.sections[0].header.paragraphs or not plain.sections[0].header.paragraphs[0].text
    mask_docx(read_docx(tmp_path / "p.docx"), [], tmp_path / "p2.docx", header_text="下書き（未承認）")
    assert Document(str(tmp_path / "p2.docx")).sections[0].header.paragraphs[0].text == "下書き（未承認）"


def test_custom_properties_and_nested_tables_are_masked_in_place(tmp_path, pattern_runner):
    from docx import Document

    path = fx.add_custom_properties(fx.build_nested_table_docx(tmp_path / "入れ子.docx"),
                                    {"担当者連絡先": fx.CUSTOM_PHONE})
    doc = read_docx(path)
    report = mask_docx(doc, edits_for_findings(pattern_runner.check(doc.text, {})), tmp_path / "伏せ字.docx")
    assert report.masked == 2
    for name, data in _parts(report.path).items():
        for needle in (fx.CUSTOM_PHONE, fx.NESTED_PHONE):
            assert needle.encode() not in data, (needle, name)
    out = Document(str(report.path))
    assert out.tables[0].cell(1, 1).tables[0].cell(0, 1).text == "〇〇"  # the inner table is still a table
    assert out.tables[0].cell(1, 0).text == "12月14日 午後"
    assert "担当者連絡先" in _parts(report.path)["docProps/custom.xml"].decode()


def test_a_number_with_invisible_characters_is_masked_whole(tmp_path, pattern_runner):
    from docx import Document

    path = tmp_path / "見えない文字.docx"
    d = Document()
    d.add_paragraph("夜間の連絡先")
    d.add_table(rows=1, cols=2).cell(0, 1).text = "0\u200b80-6674-\u00ad2093"
    d.save(str(path))
    doc = read_docx(path)
    report = mask_docx(doc, edits_for_findings(pattern_runner.check(doc.text, {})), tmp_path / "伏せ字.docx")
    assert report.masked == 1
    assert Document(str(report.path)).tables[0].cell(0, 1).text == "〇〇"
