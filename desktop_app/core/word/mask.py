"""Mask a Word letter in place: a new .docx with the same formatting, tables and layout, where only the
runs that hold a finding change (to 〇〇 or to the applied suggestion).

Beside the findings it also: accepts tracked changes (deleted text leaves the file), drops comments,
clears author, last modifier, company and manager, and replaces any copy of a masked string left in
another part (old-reader copies of text boxes, content-control data, alt text). What it cannot check or
reproduce (pictures, embedded objects, field codes) is in `WordDocument.warnings`, to be shown before
saving, and again in the report.
"""

from __future__ import annotations

import difflib
import io
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from desktop_app.core.fileio import atomic_write
from desktop_app.core.textutil import xml_safe
from desktop_app.core.word.reader import (
    APP_NS,
    CP_NS,
    DC_NS,
    MC_NS,
    W_NS,
    WordDocument,
    _parser,
    read_docx_bytes,
    w,
)

MASK = "〇〇"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
COMMENT_PARTS = ("word/comments.xml", "word/commentsExtended.xml", "word/commentsIds.xml",
                 "word/commentsExtensible.xml", "word/people.xml")
COMMENT_REL_TYPES = ("/comments", "/commentsExtended", "/commentsIds", "/commentsExtensible", "/people",
                     "/thumbnail")  # the thumbnail is a picture of page 1: it would show what was masked
CHANGE_MARKS = ("rPrChange", "pPrChange", "sectPrChange", "tblPrChange", "trPrChange", "tcPrChange",
                "tblGridChange", "numberingChange", "cellIns", "cellDel", "cellMerge",
                "moveFromRangeStart", "moveFromRangeEnd", "moveToRangeStart", "moveToRangeEnd")


@dataclass(frozen=True)
class Edit:
    start: int  # offsets in WordDocument.text
    end: int
    replacement: str = MASK
    original: str = ""


@dataclass
class MaskReport:
    path: Path
    masked: int = 0  # edits applied to runs
    not_applied: list[Edit] = field(default_factory=list)  # edits over text that has no run (labels)
    leftovers_replaced: int = 0  # copies of masked strings replaced elsewhere in the package
    tracked_changes_accepted: int = 0
    comments_removed: int = 0
    properties_cleared: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> list[str]:
        out = [f"伏せ字・修正：{self.masked}か所"]
        if self.leftovers_replaced:
            out.append(f"他の部品に残っていた同じ文字列：{self.leftovers_replaced}か所を置き換え")
        if self.tracked_changes_accepted:
            out.append(f"変更履歴：{self.tracked_changes_accepted}件を反映（削除された文字はファイルから消しました）")
        if self.comments_removed:
            out.append(f"コメント：{self.comments_removed}件を削除")
        if self.properties_cleared:
            out.append("文書のプロパティ：" + "・".join(self.properties_cleared) + "を消去")
        out += [f"注意：{x}" for x in self.warnings]
        return out


def edits_for_findings(findings, *, apply_suggestions: bool = False, categories: tuple[str, ...] = ("pii.",)
                       ) -> list[Edit]:
    """Personal data becomes 〇〇; with apply_suggestions, wording findings take their first suggestion."""
    out = []
    for f in findings:
        if f.category.startswith(categories):
            out.append(Edit(f.start, f.end, MASK, f.text))
        elif apply_suggestions and f.suggestions and f.suggestions[0]:
            out.append(Edit(f.start, f.end, f.suggestions[0], f.text))
    return out


@dataclass
class TextChanges:
    edits: list[Edit]
    unsupported: list[str]  # changes the original's layout cannot take (paragraphs added or removed)


def edits_from_text(doc: WordDocument, new_text: str) -> TextChanges:
    """Edits that turn doc.text into new_text, for a Word letter the user corrected in the window.

    Changes inside paragraphs become edits of the runs (formatting kept). Paragraphs added or removed
    cannot be placed in the original layout: they are listed in `unsupported`, to be shown before saving.
    """
    old_lines = doc.text.split("\n")
    new_lines = new_text.replace("\r\n", "\n").split("\n")
    starts, pos = [], 0
    for line in old_lines:
        starts.append(pos)
        pos += len(line) + 1
    edits: list[Edit] = []
    unsupported: list[str] = []
    lines = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for op, i1, i2, j1, j2 in lines.get_opcodes():
        if op == "equal":
            continue
        pairs = min(i2 - i1, j2 - j1) if op == "replace" else 0
        for k in range(pairs):
            edits += _line_edits(starts[i1 + k], old_lines[i1 + k], new_lines[j1 + k])
        for line in old_lines[i1 + pairs:i2]:
            if line.strip():
                unsupported.append(f"削除された段落：「{line[:30]}」（元のWordの段落は残ります。伏せ字にする部分を選んでください）")
        for line in new_lines[j1 + pairs:j2]:
            if line.strip():
                unsupported.append(f"追加された段落：「{line[:30]}」（元のWordの書式に追加できません）")
    return TextChanges(edits, unsupported)


def _line_edits(offset: int, old: str, new: str) -> list[Edit]:
    out = []
    sm = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            continue
        if i1 == i2:  # a pure insertion joins the character before it (or after it at the line start)
            if i1 > 0:
                i1, j1 = i1 - 1, j1 - 1
            elif i2 < len(old):
                i2, j2 = i2 + 1, j2 + 1
            else:
                continue  # an empty paragraph filled: no run to put the text in
        out.append(Edit(offset + i1, offset + i2, new[j1:j2], old[i1:i2]))
    return out


def _apply_edits(doc: WordDocument, edits: list[Edit], report: MaskReport) -> None:
    """Change the w:t elements under each edit: the first run gets the replacement, the rest lose their part."""
    per_elem: dict[etree._Element, list[tuple[int, int, str]]] = defaultdict(list)
    taken: list[tuple[int, int]] = []
    for e in sorted(edits, key=lambda e: (e.start, -e.end)):
        if e.end <= e.start or any(s < e.end and e.start < t for s, t in taken):
            continue  # overlapping edits: the first (longest at a position) wins
        seg = doc.segment_at(e.start)
        if seg is None:
            report.not_applied.append(e)
            continue
        placed = False
        for p in seg.pieces:
            lo, hi = max(e.start, p.start), min(e.end, p.start + p.length)
            if lo >= hi:
                continue
            if p.elem is None:
                continue
            per_elem[p.elem].append((lo - p.start, hi - p.start, "" if placed else xml_safe(e.replacement)))
            placed = True
        if placed:
            taken.append((e.start, e.end))
            report.masked += 1
        else:
            report.not_applied.append(e)
    for elem, spans in per_elem.items():
        text = elem.text or ""
        for lo, hi, rep in sorted(spans, reverse=True):
            text = text[:lo] + rep + text[hi:]
        elem.text = text
        if elem.tag == w("t"):
            elem.set(XML_SPACE, "preserve")


def _unwrap(el: etree._Element) -> None:
    parent = el.getparent()
    if parent is None:
        return
    i = parent.index(el)
    for child in list(el):
        parent.insert(i, child)
        i += 1
    parent.remove(el)


def _accept_changes(root: etree._Element) -> int:
    n = 0
    for tr in list(root.iter(w("tr"))):  # a row deleted with tracking on
        trpr = tr.find(w("trPr"))
        if trpr is not None and trpr.find(w("del")) is not None and tr.getparent() is not None:
            tr.getparent().remove(tr)
            n += 1
    for el in list(root.iter(w("del"), w("moveFrom"))):
        if el.getparent() is not None:
            el.getparent().remove(el)
            n += 1
    for el in list(root.iter(w("ins"), w("moveTo"))):
        _unwrap(el)
        n += 1
    for el in list(root.iter(*(w(t) for t in CHANGE_MARKS))):
        if el.getparent() is not None:
            el.getparent().remove(el)
    return n


def _drop_comment_marks(root: etree._Element) -> None:
    for el in list(root.iter(w("commentRangeStart"), w("commentRangeEnd"))):
        el.getparent().remove(el)
    for ref in list(root.iter(w("commentReference"))):
        run = ref.getparent()
        if run is not None and run.tag == w("r") and run.getparent() is not None:
            run.getparent().remove(run)
        elif run is not None:
            run.remove(ref)


def _replace_everywhere(root: etree._Element, strings: list[str], *, read_part: bool = False) -> int:
    """Copies of a masked string still in a part become 〇〇.

    In a part the reader mapped (body, headers …) the runs were edited already: only what the reader
    skipped is searched there (old-reader copies in mc:Fallback, and attributes such as a picture's alt
    text), so that a short name does not also change unrelated words. Other parts are searched whole.
    """
    n = 0
    fallback = f"{{{MC_NS}}}Fallback"
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for key, value in el.attrib.items():
            new = value
            for s in strings:
                new = new.replace(s, MASK)
            if new != value:
                el.set(key, new)
                n += 1
        if read_part and not any(a.tag == fallback for a in el.iterancestors()):
            continue
        for attr in ("text", "tail"):
            value = getattr(el, attr)
            if value:
                new = value
                for s in strings:
                    new = new.replace(s, MASK)
                if new != value:
                    setattr(el, attr, new)
                    n += 1
    return n


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def build_masked(doc: WordDocument, edits: list[Edit], report: MaskReport) -> dict[str, bytes]:
    """The masked package as {part name: bytes}, in the original order. `doc` is changed in place."""
    _apply_edits(doc, edits, report)
    masked_strings = sorted({e.original for e in edits if len(e.original) >= 2 and e.replacement == MASK},
                            key=len, reverse=True)
    out: dict[str, bytes] = {}
    comments_root = doc.parts.get("word/comments.xml")
    if comments_root is not None:
        report.comments_removed = len(comments_root.findall(w("comment")))
    for name, blob in doc.raw.items():
        if name in COMMENT_PARTS or name.startswith("docProps/thumbnail"):
            continue
        root = doc.parts.get(name)
        is_xml = name.endswith((".xml", ".rels"))
        if root is None and is_xml and blob:
            try:
                root = etree.fromstring(blob, _parser())
            except etree.XMLSyntaxError:
                root = None
        if root is None:
            out[name] = blob
            continue
        if name.startswith("word/") and root.tag != "{http://schemas.openxmlformats.org/package/2006/relationships}Relationships":
            report.tracked_changes_accepted += _accept_changes(root)
            _drop_comment_marks(root)
            if name == "word/settings.xml":  # the template path often names the user's account folder
                for el in list(root.iter(w("attachedTemplate"), w("trackRevisions"))):
                    el.getparent().remove(el)
        if name.endswith(".rels"):
            for rel in list(root):
                if (rel.get("Type") or "").endswith(COMMENT_REL_TYPES):
                    root.remove(rel)
        if name == "[Content_Types].xml":
            for ov in list(root):
                part_name = (ov.get("PartName") or "").lstrip("/")
                if part_name in COMMENT_PARTS or part_name.startswith("docProps/thumbnail"):
                    root.remove(ov)
        if name == "docProps/core.xml":
            for ns, tag, label in ((DC_NS, "creator", "作成者"), (CP_NS, "lastModifiedBy", "最終更新者")):
                el = root.find(f"{{{ns}}}{tag}")
                if el is not None and (el.text or "").strip():
                    el.text = ""
                    report.properties_cleared.append(label)
        if name == "docProps/app.xml":
            for tag, label in (("Company", "会社名"), ("Manager", "管理者")):
                el = root.find(f"{{{APP_NS}}}{tag}")
                if el is not None and (el.text or "").strip():
                    el.text = ""
                    report.properties_cleared.append(label)
        if masked_strings:
            report.leftovers_replaced += _replace_everywhere(root, masked_strings, read_part=name in doc.parts)
        out[name] = _serialize(root)
    if report.not_applied:  # an edit over text with no run of its own (alt text) may be done by the sweep
        blob = b"".join(v for k, v in out.items() if k.endswith((".xml", ".rels")))
        report.not_applied = [e for e in report.not_applied
                              if not e.original or e.original.encode("utf-8") in blob]
    return out


def _zip_bytes(entries: list[zipfile.ZipInfo], blobs: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zout:
        for info in entries:
            if info.filename not in blobs:
                continue
            zi = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            zi.compress_type = (info.compress_type if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
                                else zipfile.ZIP_DEFLATED)
            zi.external_attr = info.external_attr
            zout.writestr(zi, blobs[info.filename])
    return buf.getvalue()


def add_page_header(data: bytes, header_text: str) -> bytes:
    """Put header_text at the top of every page's header (the document's own header stays below it)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    doc = Document(io.BytesIO(data))
    headers = []
    for sec in doc.sections:
        sec.header.is_linked_to_previous = False
        headers.append(sec.header)
        if sec.different_first_page_header_footer:
            sec.first_page_header.is_linked_to_previous = False
            headers.append(sec.first_page_header)
        if doc.settings.odd_and_even_pages_header_footer:
            sec.even_page_header.is_linked_to_previous = False
            headers.append(sec.even_page_header)
    for hdr in headers:
        first = hdr.paragraphs[0] if hdr.paragraphs else hdr.add_paragraph()
        p = first if not first.text.strip() and not first.runs else first.insert_paragraph_before()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.add_run(header_text).bold = True
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def mask_docx(source: WordDocument | bytes, edits: list[Edit], out_path: Path | str, *,
              header_text: str | None = None) -> MaskReport:
    """Write the masked copy to out_path (atomically). `source` is the document the edits' offsets refer to.

    The source is parsed again from its bytes, so the WordDocument the check ran on is left untouched.
    header_text (e.g. 下書き（未承認）) is added at the top of every page.
    """
    from desktop_app.core.fileio import WriteError

    out = Path(out_path)
    if out.suffix.lower() != ".docx":
        raise WriteError("bad_name", out, f"Word形式で保存するには、ファイル名を「.docx」で終えてください：{out.name}")
    if not out.parent.exists():
        raise WriteError("no_folder", out, f"保存先のフォルダーが見つかりません：{out.parent}")
    data = source.source if isinstance(source, WordDocument) else source
    fresh = read_docx_bytes(data, out.name)
    report = MaskReport(path=out, warnings=list(fresh.warnings))
    package = _zip_bytes(fresh.entries, build_masked(fresh, edits, report))
    if header_text:
        package = add_page_header(package, header_text)
    atomic_write(out, lambda tmp: tmp.write_bytes(package))
    return report


__all__ = ["MASK", "Edit", "MaskReport", "build_masked", "edits_for_findings", "mask_docx", "W_NS"]
