"""Word export: layout, the eastAsia font, properties that leak nothing, and safe writing."""

import os
import re
import shutil
import subprocess

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from desktop_app import config
from desktop_app.core.export_docx import export_docx, layout
from desktop_app.core.fileio import WriteError
from desktop_app.core.templates import TemplateLibrary
from tests.conftest import sample


@pytest.fixture
def letter(facility):
    lib = TemplateLibrary(config.templates_dir())
    return lib.render("event_notice", sample("event_notice"), facility)


def test_layout_aligns_letter_parts(letter):
    blocks = {b.text: b for b in layout(letter) if b.text}
    assert blocks["ご家族各位"].align == "left"
    assert blocks["クリスマス会のご案内"].align == "center"
    assert blocks["敬具"].align == "right" and blocks["以上"].align == "right"
    assert blocks["記"].align == "center"
    assert blocks["令和8年11月22日"].align == "right"
    body = next(b for b in layout(letter) if b.text.startswith("さて"))
    assert body.indent


def test_docx_has_a4_eastasia_font_and_safe_properties(tmp_path, letter):
    out = export_docx(letter, tmp_path / "案内 12月.docx", author="特別養護老人ホーム さくらの里", title="行事のご案内")
    doc = Document(str(out))
    sec = doc.sections[0]
    assert abs(sec.page_width.mm - 210) < 1 and abs(sec.page_height.mm - 297) < 1
    rfonts = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert rfonts.get(qn("w:eastAsia")) == "MS 明朝"
    run = next(p.runs[0] for p in doc.paragraphs if p.runs)
    assert run.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "MS 明朝"
    assert 10.5 <= doc.styles["Normal"].font.size.pt <= 12
    props = doc.core_properties
    assert props.author == props.last_modified_by == "特別養護老人ホーム さくらの里"
    assert os.environ.get("USER", "root") not in (props.author, props.last_modified_by)
    assert props.comments == "" and props.revision == 1
    texts = [p.text for p in doc.paragraphs]
    assert "記" in texts and texts[-1] != ""
    right = [p for p in doc.paragraphs if p.text == "敬具"][0]
    assert right.alignment == WD_ALIGN_PARAGRAPH.RIGHT


def test_gothic_font_choice(tmp_path, letter):
    out = export_docx(letter, tmp_path / "g.docx", author="施設", font="gothic")
    rfonts = Document(str(out)).styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert rfonts.get(qn("w:eastAsia")) == "MS ゴシック"


def test_failed_write_keeps_the_previous_file(tmp_path, letter, monkeypatch):
    target = tmp_path / "letter.docx"
    target.write_bytes(b"previous version")

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("docx.document.Document.save", boom)
    with pytest.raises(WriteError) as exc:
        export_docx(letter, target, author="施設")
    assert exc.value.reason == "disk_full" and "空き容量" in str(exc.value)
    assert target.read_bytes() == b"previous version"
    assert [p.name for p in tmp_path.iterdir()] == ["letter.docx"]  # no temporary file left behind


@pytest.mark.parametrize("errno_,reason", [(13, "permission"), (30, "read_only"), (28, "disk_full")])
def test_folder_that_cannot_be_written_is_explained(tmp_path, letter, monkeypatch, errno_, reason):
    # root ignores chmod, so the OS refusal is simulated where the temporary file is created
    def refuse(*a, **k):
        raise OSError(errno_, os.strerror(errno_))

    monkeypatch.setattr("desktop_app.core.fileio.tempfile.mkstemp", refuse)
    with pytest.raises(WriteError) as exc:
        export_docx(letter, tmp_path / "x.docx", author="施設")
    assert exc.value.reason == reason
    assert not (tmp_path / "x.docx").exists()


def test_pdf_without_libreoffice_says_so(tmp_path, letter, monkeypatch):
    from desktop_app.core.export_docx import PdfUnavailable, convert_to_pdf

    out = export_docx(letter, tmp_path / "letter.docx", author="施設")
    monkeypatch.setattr("desktop_app.core.export_docx.find_soffice", lambda: None)
    with pytest.raises(PdfUnavailable) as exc:
        convert_to_pdf(out)
    assert "LibreOffice" in str(exc.value)


def test_locked_target_is_explained(tmp_path, letter, monkeypatch):
    target = tmp_path / "letter.docx"
    target.write_bytes(b"open in Word")

    def locked(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("desktop_app.core.fileio.os.replace", locked)
    with pytest.raises(WriteError) as exc:
        export_docx(letter, target, author="施設")
    assert "Word" in str(exc.value) and target.read_bytes() == b"open in Word"


def test_wrong_extension_is_refused(tmp_path, letter):
    with pytest.raises(WriteError):
        export_docx(letter, tmp_path / "letter.txt", author="施設")


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("soffice") or not shutil.which("pdftotext"), reason="LibreOffice/poppler not installed")
def test_libreoffice_converts_to_one_page_pdf(tmp_path, letter):
    from desktop_app.core.export_docx import convert_to_pdf

    out = export_docx(letter, tmp_path / "letter.docx", author="施設")
    pdf = convert_to_pdf(out)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "クリスマス会のご案内" in text and "以上" in text


def test_condolence_without_closing_still_right_aligns_date_and_sender(facility):
    text = TemplateLibrary(config.templates_dir()).render("condolence", sample("condolence"), facility)
    blocks = [b for b in layout(text) if b.text]
    assert blocks[0].align == "left"
    tail = blocks[-5:]
    assert tail[0].text == "令和8年11月22日" and all(b.align == "right" for b in tail)
    assert not any(b.text.startswith(("拝啓", "敬具")) for b in blocks)
    assert blocks[1].text.startswith("キヨ様のご逝去") and blocks[1].indent
