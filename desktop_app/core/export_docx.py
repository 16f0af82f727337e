"""Word export: a Japanese letter laid out as families receive it, written safely, leaking nothing."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from desktop_app.core.conventions import date_line_re, recipient_line_re, salutations
from desktop_app.core.fileio import WriteError, atomic_write, refuse_read_only
from desktop_app.core.letter_roles import text_lines
from desktop_app.core.textutil import xml_safe

FONTS = {"mincho": "MS 明朝", "gothic": "MS ゴシック"}
# Fallbacks in the font table (w:altName is a comma-separated list of other names for the face) and the
# generic family, so Word and LibreOffice pick a Mincho where MS 明朝 is missing: 游明朝 (Windows 10+,
# Office for Mac), Hiragino Mincho (macOS).
FONT_TABLE = {
    "MS 明朝": ("ＭＳ 明朝,游明朝,Yu Mincho,Hiragino Mincho ProN,ヒラギノ明朝 ProN", "roman", "fixed",
               "02020609040205080304"),
    "游明朝": ("Yu Mincho,Hiragino Mincho ProN,ヒラギノ明朝 ProN", "roman", "variable", "02020400000000000000"),
    "Hiragino Mincho ProN": ("ヒラギノ明朝 ProN", "roman", "variable", "02020300000000000000"),
    "MS ゴシック": ("ＭＳ ゴシック,游ゴシック,Yu Gothic,Hiragino Sans,ヒラギノ角ゴシック", "modern", "fixed",
                 "020B0609070205080204"),
}
# 字下げ and alignment come from the paragraph's role (templates tag it; see core/letter_roles.py)
ROLE_ALIGN = {"docnum": "right", "date": "right", "recipient": "left", "sender": "right", "title": "center",
              "opening": "left", "body": "left", "heading": "left", "closing": "right", "ki": "center",
              "items": "left", "ijo": "right", "contact": "right", "": "left"}
LIST_MARK = re.compile(r"^(?:[0-9０-９]{1,2}[．.)）、]|[（(][0-9０-９]{1,2}[)）]|[・※■□◆◇●○▼])")


@dataclass
class Block:
    text: str
    align: str = "left"  # left | right | center
    indent: bool = False
    role: str = ""


def infer_roles(text: str) -> list[str]:
    """Roles for a letter that did not come from a template (a .txt file): from the letter's structure.

    Templates give roles themselves; this is the fallback. A line that starts with a digit is body text,
    a numbered item only when a list mark (1．, (1), ・) follows.
    """
    lines = [ln.strip() for ln in text_lines(text)]
    roles = [""] * len(lines)
    openings, closings = salutations().openings, salutations().closings
    date_line, recipient_line = date_line_re(), recipient_line_re()
    first_body = next((i for i, s in enumerate(lines)
                       if s.startswith(openings) or s.startswith(("さて", "このたび", "先日")) or "。" in s), len(lines))
    # the 件名 is the last short line before the body; other unclassified lines up there are the sender block
    title_at = next((i for i in range(first_body - 1, -1, -1) if lines[i]), None)
    for i in range(first_body):
        s = lines[i]
        if not s:
            continue
        if recipient_line.search(s):
            roles[i] = "recipient"
        elif re.search(r"第\s*\S*\d+\s*号$", s):
            roles[i] = "docnum"
        elif date_line.fullmatch(s):
            roles[i] = "date"
        elif i == title_at and len(s) <= 40:
            roles[i] = "title"
        else:
            roles[i] = "sender"
    after_closing = after_ijo = in_ki = False
    for i in range(first_body, len(lines)):
        s = lines[i]
        if not s:
            continue
        if s in closings:
            roles[i] = "closing"
            after_closing = True
        elif s == "記":
            roles[i], in_ki = "ki", True
        elif s == "以上":
            roles[i], in_ki, after_closing, after_ijo = "ijo", False, True, True
        elif in_ki:
            roles[i] = "items"
        elif date_line.fullmatch(s):
            roles[i] = "date"  # the date opens the 後付け, also in letters without a 結語 (condolences)
            after_closing = True
        elif after_closing:
            roles[i] = "contact" if after_ijo and (s.startswith(("担当", "電話", "TEL", "〒", "連絡先"))
                                                   or roles[i - 1] == "contact") else "sender"
        elif i == first_body and s.startswith(openings):
            roles[i] = "opening"
        elif s.startswith("【") or LIST_MARK.match(s):
            roles[i] = "heading"
        else:
            roles[i] = "body"
    return roles


def layout(text: str, roles: list[str] | None = None, kind: str | None = None) -> list[Block]:
    """One Block per paragraph: alignment and 字下げ from each line's role (inferred when not given)."""
    lines = text_lines(text)
    if roles is None or len(roles) != len(lines) or not any(roles):
        roles = infer_roles(text)
    elif not all(r for r, ln in zip(roles, lines, strict=True) if ln.strip()):
        # a user template that marks only some lines: the structure decides the others
        roles = [r or g for r, g in zip(roles, infer_roles(text), strict=True)]
    blocks: list[Block] = []
    for line, role in zip(lines, roles, strict=True):
        s = line.strip()
        if not s:
            blocks.append(Block(""))
            continue
        role = role or "body"
        # the role decides the 字下げ: a typed leading space is not added to it
        blocks.append(Block(s, ROLE_ALIGN.get(role, "left"), indent=role == "body", role=role))
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


def _font_table(doc) -> None:
    """Declare the Japanese faces with their fallbacks and generic family in word/fontTable.xml."""
    from lxml import etree

    part = next((r.target_part for r in doc.part.rels.values() if r.reltype.endswith("/fontTable")), None)
    if part is None:
        return
    root = etree.fromstring(part.blob)
    for name, (alt, family, pitch, panose) in FONT_TABLE.items():
        for old in root.findall(qn("w:font")):
            if old.get(qn("w:name")) == name:
                root.remove(old)
        font = etree.SubElement(root, qn("w:font"), {qn("w:name"): name})
        etree.SubElement(font, qn("w:altName"), {qn("w:val"): alt})
        etree.SubElement(font, qn("w:panose1"), {qn("w:val"): panose})
        etree.SubElement(font, qn("w:charset"), {qn("w:val"): "80"})  # Shift_JIS: a Japanese face
        etree.SubElement(font, qn("w:family"), {qn("w:val"): family})
        etree.SubElement(font, qn("w:pitch"), {qn("w:val"): pitch})
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# Children of w:pPr that come after w:autoSpaceDE/w:autoSpaceDN in the schema's order (CT_PPrBase).
_PPR_AFTER_AUTOSPACE = ("bidi", "adjustRightInd", "snapToGrid", "spacing", "ind", "contextualSpacing",
                        "mirrorIndents", "suppressOverlap", "jc", "textDirection", "textAlignment",
                        "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange")


def no_autospace(ppr) -> None:
    """No extra space between Japanese and Latin letters or digits (w:autoSpaceDE / w:autoSpaceDN off):
    horizontal letters write 令和8年12月2日, and Word and LibreOffice would print 令和 8 年 12 月 2 日."""
    for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):
        for old in ppr.findall(qn(tag)):
            ppr.remove(old)
    after = next((c for c in ppr if c.tag in {qn(f"w:{t}") for t in _PPR_AFTER_AUTOSPACE}), None)
    for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):
        el = ppr.makeelement(qn(tag), {qn("w:val"): "0"})
        if after is not None:
            after.addprevious(el)
        else:
            ppr.append(el)


def _page_header(section, text: str, font_name: str, size_pt: float) -> None:
    """A header on every page (e.g. 下書き（未承認） on copies that were not approved)."""
    section.header.is_linked_to_previous = False
    for hdr in (section.header, section.first_page_header):
        p = hdr.paragraphs[0]
        p.text = ""
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = p.add_run(text)
        run.bold = True
        run.font.size = Pt(size_pt)
        _set_east_asian_font(run, font_name)


def build_document(text: str, *, author: str, title: str = "", font: str = "mincho", size_pt: float = 11,
                   roles: list[str] | None = None, layout_kind: str | None = None,
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
    no_autospace(normal.element.get_or_add_pPr())  # every paragraph (and the header) is based on Normal
    _font_table(doc)
    if header_text:
        _page_header(section, header_text, font_name, size_pt)
    body = doc.element.body
    for old in list(body.iterchildren(qn("w:p"))):  # the template's empty first paragraph
        body.remove(old)
    for block in layout(text, roles, layout_kind):
        p = doc.add_paragraph()
        p.alignment = {"left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT,
                       "center": WD_ALIGN_PARAGRAPH.CENTER}[block.align]
        if block.indent:
            p.paragraph_format.first_line_indent = Pt(size_pt)  # 字下げ: one full-width character
        no_autospace(p._p.get_or_add_pPr())  # on the paragraph too: LibreOffice reads it only there
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
                size_pt: float = 11, roles: list[str] | None = None, layout: str | None = None,
                header_text: str | None = None) -> Path:
    """Write the letter to out_path through a temporary file; raises WriteError with a Japanese message.

    roles: one per line of `text` (TemplateLibrary.render_structured, carried through edits with
    letter_roles.reanchor_roles); without them the roles are inferred from the letter's structure.
    layout: the template's layout (business | letter). header_text: printed at the top of every page.
    """
    out = Path(out_path)
    if out.suffix.lower() != ".docx":
        raise WriteError("bad_name", out, f"Word形式で保存するには、ファイル名を「.docx」で終えてください：{out.name}")
    if not out.parent.exists():
        raise WriteError("no_folder", out, f"保存先のフォルダーが見つかりません：{out.parent}")
    # a control character pasted into the letter cannot be stored in a .docx (and is not seen on paper)
    doc = build_document(xml_safe(text), author=xml_safe(author) or "施設", title=xml_safe(title), font=font,
                         size_pt=size_pt, roles=roles, layout_kind=layout,
                         header_text=xml_safe(header_text) if header_text else header_text)
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


# Faces a Japanese letter asks for, and the installed faces LibreOffice should use instead (first found).
MINCHO_NAMES = ("MS 明朝", "ＭＳ 明朝", "MS Mincho", "MS P明朝", "ＭＳ Ｐ明朝", "游明朝", "Yu Mincho",
                "Hiragino Mincho ProN", "ヒラギノ明朝 ProN")
GOTHIC_NAMES = ("MS ゴシック", "ＭＳ ゴシック", "MS Gothic", "MS Pゴシック", "ＭＳ Ｐゴシック", "游ゴシック", "Yu Gothic")
MINCHO_INSTALLED = ("Noto Serif CJK JP", "IPAex明朝", "IPAexMincho", "IPA明朝", "IPAMincho", "Source Han Serif JP",
                    "源ノ明朝", "Hiragino Mincho ProN", "ヒラギノ明朝 ProN", "Yu Mincho", "游明朝", "MS Mincho")
GOTHIC_INSTALLED = ("Noto Sans CJK JP", "IPAexゴシック", "IPAexGothic", "IPAゴシック", "IPAGothic",
                    "Source Han Sans JP", "Hiragino Sans", "Yu Gothic", "MS Gothic")


def installed_families() -> set[str] | None:
    """Font families fontconfig knows (Linux, and macOS with fontconfig); None where it cannot be asked."""
    fc_list = shutil.which("fc-list")
    if not fc_list:
        return None
    try:
        out = subprocess.run([fc_list, ":", "family"], capture_output=True, text=True, timeout=20,
                             env=subprocess_env()).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    return {name.strip() for line in out.splitlines() for name in line.split(",") if name.strip()}


def font_replacements(families: set[str] | None = None) -> dict[str, str]:
    """{face the document asks for: installed face}, for faces that are missing here."""
    families = installed_families() if families is None else families
    if families is None:
        if sys.platform == "darwin":
            families = {"Hiragino Mincho ProN", "Hiragino Sans"}
        else:
            return {}  # Windows has MS 明朝 itself
    out = {}
    for names, installed in ((MINCHO_NAMES, MINCHO_INSTALLED), (GOTHIC_NAMES, GOTHIC_INSTALLED)):
        target = next((f for f in installed if f in families), None)
        if target:
            out.update({n: target for n in names if n not in families and n != target})
    return out


def write_lo_profile(profile: Path, replacements: dict[str, str]) -> None:
    """A LibreOffice user profile whose font replacement table maps the letter's faces to installed ones."""
    from xml.sax.saxutils import escape

    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    items = ['<item oor:path="/org.openoffice.Office.Common/Font/Substitution">'
             '<prop oor:name="Replacement" oor:op="fuse"><value>true</value></prop></item>']
    for i, (face, target) in enumerate(replacements.items()):
        items.append(
            '<item oor:path="/org.openoffice.Office.Common/Font/Substitution/FontPairs">'
            f'<node oor:name="_{i}" oor:op="replace">'
            '<prop oor:name="Always" oor:op="fuse"><value>true</value></prop>'
            '<prop oor:name="OnScreenOnly" oor:op="fuse"><value>false</value></prop>'
            f'<prop oor:name="ReplaceFont" oor:op="fuse"><value>{escape(face)}</value></prop>'
            f'<prop oor:name="SubstituteFont" oor:op="fuse"><value>{escape(target)}</value></prop>'
            '</node></item>')
    xcu = ('<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
           'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
           + "\n".join(items) + "\n</oor:items>\n")
    (user / "registrymodifications.xcu").write_text(xcu, encoding="utf-8")


# Variables PyInstaller's bootloader points into the bundle; a system program must not inherit them.
_FROZEN_LIBRARY_VARS = ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "DYLD_FRAMEWORK_PATH", "LIBPATH")
_FROZEN_BUNDLE_VARS = ("QT_PLUGIN_PATH", "QML2_IMPORT_PATH", "QT_QPA_PLATFORM_PLUGIN_PATH", "PYTHONHOME",
                       "PYTHONPATH", "SSL_CERT_FILE", "SSL_CERT_DIR", "GDK_PIXBUF_MODULE_FILE", "GIO_MODULE_DIR",
                       "FONTCONFIG_FILE", "FONTCONFIG_PATH", "TCL_LIBRARY", "TK_LIBRARY")


def subprocess_env(environ: dict[str, str] | None = None, *, frozen: bool | None = None,
                   bundle: str | None = None) -> dict[str, str]:
    """The environment for LibreOffice and other system programs.

    In a PyInstaller build the bootloader prepends the bundle to LD_LIBRARY_PATH (and friends), keeping
    the user's value in VAR_ORIG; the bundle's libraries would otherwise shadow the system's ones inside
    soffice. Variables that point into the bundle are removed.
    """
    env = dict(os.environ if environ is None else environ)
    frozen = getattr(sys, "frozen", False) if frozen is None else frozen
    if not frozen:
        return env
    bundle = bundle if bundle is not None else getattr(sys, "_MEIPASS", "")
    for var in _FROZEN_LIBRARY_VARS:
        orig = env.pop(f"{var}_ORIG", None)
        if orig is not None:
            env[var] = orig
        else:
            env.pop(var, None)
    for var in _FROZEN_BUNDLE_VARS:
        if bundle and env.get(var, "").startswith(bundle):
            env.pop(var, None)
    return env


def _reset_windows_dll_directory() -> None:
    # PyInstaller calls SetDllDirectory(bundle) on Windows; a child process would inherit it
    if sys.platform == "win32" and getattr(sys, "frozen", False):
        try:
            import ctypes

            ctypes.windll.kernel32.SetDllDirectoryW(None)  # type: ignore[attr-defined]
        except (OSError, AttributeError):
            pass


def asks_no_autospace(docx_path: Path) -> bool:
    """Whether the letter turns off the space between Japanese and digits (see no_autospace)."""
    import zipfile

    try:
        with zipfile.ZipFile(docx_path) as z:
            return any(b'w:autoSpaceDN w:val="0"' in z.read(name)
                       for name in ("word/styles.xml", "word/document.xml") if name in z.namelist())
    except (OSError, zipfile.BadZipFile, KeyError):
        return False


def _without_autospace(base: list[str], docx_path: Path, profile_dir: Path, timeout: float) -> Path:
    """The letter as a flat ODF file with LibreOffice's 「和欧文間の間隔」 off. LibreOffice (7.x) does not read
    w:autoSpaceDE/w:autoSpaceDN from a .docx, and would print 令和 8 年 12 月 2 日; Word reads them. When this
    step fails the .docx itself is converted."""
    flat_dir = profile_dir / "flat"
    flat_dir.mkdir()
    subprocess.run(base + ["fodt", "--outdir", str(flat_dir), str(docx_path)], capture_output=True, text=True,
                   timeout=timeout, env=subprocess_env())
    flat = flat_dir / (docx_path.stem + ".fodt")
    if not flat.is_file():
        return docx_path
    text = flat.read_text(encoding="utf-8")
    flat.write_text(re.sub(r'style:text-autospace="[^"]*"', 'style:text-autospace="none"', text), encoding="utf-8")
    return flat


def convert_to_pdf(docx_path: Path, out_dir: Path | None = None, timeout: float = 180) -> Path:
    """Convert with LibreOffice (headless). Raises PdfUnavailable with a message when it cannot."""
    soffice = find_soffice()
    if not soffice:
        raise PdfUnavailable("PDFに変換するには LibreOffice が必要です。LibreOffice をインストールしてから、もう一度お試しください。")
    docx_path = Path(docx_path)
    out_dir = Path(out_dir or docx_path.parent)
    pdf = out_dir / (docx_path.stem + ".pdf")
    if pdf.is_dir():
        raise PdfUnavailable(f"「{pdf}」という名前のフォルダーがあるため、PDFを保存できません。")
    try:
        refuse_read_only(pdf)
    except WriteError as exc:
        raise PdfUnavailable(str(exc)) from exc
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        profile_dir = Path(profile)
        write_lo_profile(profile_dir, font_replacements())
        made_dir = profile_dir / "out"  # LibreOffice writes here; the PDF replaces the target atomically
        made_dir.mkdir()
        # as_uri(): file:///C:/… on Windows (a hand-built file://C:/… is not a valid URL there)
        base = [soffice, f"-env:UserInstallation={profile_dir.resolve().as_uri()}", "--headless", "--convert-to"]
        _reset_windows_dll_directory()
        try:
            source = _without_autospace(base, docx_path, profile_dir, timeout) if asks_no_autospace(docx_path) \
                else docx_path
            proc = subprocess.run(base + ["pdf", "--outdir", str(made_dir), str(source)], capture_output=True,
                                  text=True, timeout=timeout, env=subprocess_env())
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PdfUnavailable(f"LibreOffice でPDFに変換できませんでした（{exc}）。") from exc
        made = made_dir / (docx_path.stem + ".pdf")
        if proc.returncode != 0 or not made.is_file():
            raise PdfUnavailable(f"LibreOffice でPDFに変換できませんでした：{(proc.stderr or proc.stdout).strip()[:300]}")
        try:
            atomic_write(pdf, lambda tmp: shutil.copyfile(made, tmp))
        except WriteError as exc:
            raise PdfUnavailable(str(exc)) from exc
    return pdf
