"""Word export: a Japanese letter laid out as families receive it, written safely, leaking nothing."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from desktop_app.core.fileio import WriteError, atomic_write

FONTS = {"mincho": "MS 明朝", "gothic": "MS ゴシック"}
CLOSINGS = ("敬具", "敬白", "謹白", "謹言", "草々", "早々", "不一", "拝答")
OPENINGS = ("拝啓", "謹啓", "拝復", "前略", "急啓", "再啓", "冠省", "拝呈")


@dataclass
class Block:
    text: str
    align: str = "left"  # left | right | center
    indent: bool = False


def layout(text: str) -> list[Block]:
    """Decide alignment from the letter's structure (宛名, 件名, 本文, 結語, 記/以上, 後付け)."""
    lines = text.replace("\r\n", "\n").rstrip("\n").split("\n")
    blocks: list[Block] = []
    seen_body = False
    after_closing = False
    in_ki = False
    for i, raw in enumerate(lines):
        line = raw.rstrip()
        s = line.strip()
        if not s:
            blocks.append(Block(""))
            continue
        if s in CLOSINGS:
            blocks.append(Block(s, "right"))
            after_closing = True
            continue
        if s == "記":
            blocks.append(Block(s, "center"))
            in_ki = True
            continue
        if s == "以上":
            blocks.append(Block(s, "right"))
            in_ki = False
            after_closing = True
            continue
        if s.startswith(OPENINGS) or s.startswith(("さて", "このたび", "先日")) or "。" in s:
            seen_body = True  # a 頭語, an 起こし言葉, or simply the first sentence (condolences have no 頭語)
        if not seen_body:
            if re.search(r"(様|殿|各位)(（[^）]*）)?$", s):
                blocks.append(Block(s, "left"))
            elif re.search(r"第\s*\d+\s*号$|^(令和|平成)\S*年\S*月\S*日$", s):
                blocks.append(Block(s, "right"))
            elif len(s) <= 40 and "。" not in s and i + 1 < len(lines) and (
                    not lines[i + 1].strip() or lines[i + 1].strip().startswith(OPENINGS)):
                blocks.append(Block(s, "center"))
            else:
                blocks.append(Block(s, "right" if blocks and blocks[-1].align == "right" else "left"))
            continue
        if seen_body and not in_ki and re.fullmatch(r"(令和|平成)\S{1,3}年\d{1,2}月\d{1,2}日|\d{4}年\d{1,2}月\d{1,2}日", s):
            after_closing = True  # the date line opens the 後付け, also in letters without a 結語 (condolences)
        if after_closing and not in_ki:
            blocks.append(Block(s, "right"))
            continue
        heading = s.startswith(("【", "・", "※", "1", "2", "3", "4", "5", "6", "7", "8", "9", "１", "２", "３", "４", "５"))
        blocks.append(Block(s if not line.startswith("\u3000") else line, "left",
                            indent=not heading and not in_ki and not line.startswith("\u3000")))
    while blocks and not blocks[-1].text:
        blocks.pop()
    return blocks


def _set_east_asian_font(run_or_style, name: str) -> None:
    # font.name sets only ascii/hAnsi; Japanese text uses the eastAsia attribute of w:rFonts.
    rpr = run_or_style.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)


def build_document(text: str, *, author: str, title: str = "", font: str = "mincho", size_pt: float = 11,
                   header_text: str | None = None):
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(25)
    section.left_margin = section.right_margin = Mm(25)
    font_name = FONTS.get(font, font)
    normal = doc.styles["Normal"]
    normal.font.name = font_name
    normal.font.size = Pt(size_pt)
    _set_east_asian_font(normal, font_name)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.line_spacing = 1.15
    if header_text:
        hp = section.header.paragraphs[0]
        hp.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = hp.add_run(header_text)
        _set_east_asian_font(run, font_name)
    for block in layout(text):
        p = doc.add_paragraph()
        p.alignment = {"left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT,
                       "center": WD_ALIGN_PARAGRAPH.CENTER}[block.align]
        if block.indent:
            p.paragraph_format.first_line_indent = Pt(size_pt)  # 字下げ: one full-width character
        if block.text:
            run = p.add_run(block.text)
            _set_east_asian_font(run, font_name)
    props = doc.core_properties
    props.author = author
    props.last_modified_by = author
    props.title = title
    props.comments = ""
    props.keywords = ""
    props.subject = ""
    props.category = ""
    props.revision = 1
    now = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    props.created = now
    props.modified = now
    props.last_printed = dt.datetime(2000, 1, 1)
    return doc


def export_docx(text: str, out_path: Path | str, *, author: str, title: str = "", font: str = "mincho",
                size_pt: float = 11, header_text: str | None = None) -> Path:
    """Write the letter to out_path through a temporary file; raises WriteError with a Japanese message."""
    out = Path(out_path)
    if out.suffix.lower() != ".docx":
        raise WriteError("bad_name", out, f"Word形式で保存するには、ファイル名を「.docx」で終えてください：{out.name}")
    if not out.parent.exists():
        raise WriteError("no_folder", out, f"保存先のフォルダーが見つかりません：{out.parent}")
    doc = build_document(text, author=author or "施設", title=title, font=font, size_pt=size_pt,
                         header_text=header_text)
    atomic_write(out, lambda tmp: doc.save(str(tmp)))
    return out


class PdfUnavailable(Exception):
    pass


def find_soffice() -> str | None:
    for name in ("soffice", "libreoffice"):
        path = shutil.which(name)
        if path:
            return path
    for candidate in ("/Applications/LibreOffice.app/Contents/MacOS/soffice",
                      r"C:\Program Files\LibreOffice\program\soffice.exe",
                      r"C:\Program Files (x86)\LibreOffice\program\soffice.exe"):
        if Path(candidate).exists():
            return candidate
    return None


def convert_to_pdf(docx_path: Path, out_dir: Path | None = None, timeout: float = 180) -> Path:
    """Convert with LibreOffice (headless). Raises PdfUnavailable with a message when it cannot."""
    soffice = find_soffice()
    if not soffice:
        raise PdfUnavailable("PDFに変換するには LibreOffice が必要です。LibreOffice をインストールしてから、もう一度お試しください。")
    docx_path = Path(docx_path)
    out_dir = Path(out_dir or docx_path.parent)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        cmd = [soffice, f"-env:UserInstallation=file://{Path(profile).as_posix()}", "--headless",
               "--convert-to", "pdf", "--outdir", str(out_dir), str(docx_path)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PdfUnavailable(f"LibreOffice でPDFに変換できませんでした（{exc}）。") from exc
    pdf = out_dir / (docx_path.stem + ".pdf")
    if proc.returncode != 0 or not pdf.exists():
        raise PdfUnavailable(f"LibreOffice でPDFに変換できませんでした：{(proc.stderr or proc.stdout).strip()[:300]}")
    return pdf
