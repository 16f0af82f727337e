"""Read a .docx as one checkable text, with a map from text offsets back to locations and XML runs.

Everything a reader of the file can see is read: body paragraphs, table cells in reading order, text
boxes, headers, footers, footnotes, endnotes, comments, what tracked changes leave visible, the text
they deleted (it leaks when the file is sent as it is) and the document's properties (author, company).
The existing check then runs unchanged on `WordDocument.text`; `WordDocument.locate()` names where a
finding is (本文 / 表1の2行3列 / ヘッダー / テキストボックス / 変更履歴 / 文書のプロパティ).

A .docx is a zip of XML parts: sizes are checked before anything is decompressed or parsed, so a zip
bomb or a gigabyte text node is refused with a message instead of filling memory.
"""

from __future__ import annotations

import bisect
import io
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
CP_NS = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
DC_NS = "http://purl.org/dc/elements/1.1/"
APP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
PIC_NS = "http://schemas.openxmlformats.org/drawingml/2006/picture"
CHART_NS = "http://schemas.openxmlformats.org/drawingml/2006/chart"
DGM_NS = "http://schemas.openxmlformats.org/drawingml/2006/diagram"
V_NS = "urn:schemas-microsoft-com:vml"
WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
CUSTOM_PART = "docProps/custom.xml"


def w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


# Limits: a letter is a few hundred kilobytes of XML; a bigger package is refused with a message.
MAX_XML_TOTAL = 20 * 1024 * 1024  # uncompressed XML parts together
MAX_ZIP_TOTAL = 200 * 1024 * 1024  # every entry together, pictures included (masking copies them)
MAX_ENTRIES = 5000
MAX_TEXT_CHARS = 200_000  # a letter is a few thousand characters; the check is bounded per call

MAIN_PART = "word/document.xml"
PART_LABELS = {"header": "ヘッダー", "footer": "フッター", "footnotes": "脚注", "endnotes": "文末脚注",
               "comments": "コメント"}
PROPERTY_FIELDS = [  # (part, namespace, tag, label): what File > Info shows about the author
    ("docProps/core.xml", DC_NS, "creator", "作成者"),
    ("docProps/core.xml", CP_NS, "lastModifiedBy", "最終更新者"),
    ("docProps/core.xml", DC_NS, "title", "タイトル"),
    ("docProps/core.xml", DC_NS, "subject", "件名"),
    ("docProps/core.xml", CP_NS, "keywords", "キーワード"),
    ("docProps/core.xml", DC_NS, "description", "コメント"),
    ("docProps/app.xml", APP_NS, "Company", "会社名"),
    ("docProps/app.xml", APP_NS, "Manager", "管理者"),
]


class DocxError(Exception):
    """The file is not a .docx that can be read safely; the message is Japanese (with English)."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass
class Piece:
    """A stretch of the checkable text and the XML element whose .text holds it (None: not maskable)."""

    start: int  # offset in WordDocument.text
    length: int
    elem: etree._Element | None
    inserted: bool = False  # inside a tracked insertion (w:ins)


@dataclass
class Segment:
    """One paragraph (or one property) of the checkable text."""

    start: int
    end: int
    location: str  # 本文 / 表1の2行3列 / ヘッダー / テキストボックス / 変更履歴（削除された文字） / 文書のプロパティ（作成者）
    part: str  # zip part name
    kind: str  # body | table | textbox | header | footer | footnotes | endnotes | comments | deleted | property
    pieces: list[Piece] = field(default_factory=list)


@dataclass
class WordDocument:
    text: str
    segments: list[Segment]
    warnings: list[str]  # what the app cannot check or reproduce (pictures, embedded objects, field codes)
    parts: dict[str, etree._Element]  # parsed XML parts (the masker edits these in place)
    entries: list[zipfile.ZipInfo]
    raw: dict[str, bytes]  # every entry's bytes, in zip order
    counts: dict[str, int] = field(default_factory=dict)  # tables, comments, insertions, deletions …
    source: bytes = b""  # the file as read (masking parses it again, leaving this object untouched)
    _starts: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._starts = [s.start for s in self.segments]

    def segment_at(self, offset: int) -> Segment | None:
        i = bisect.bisect_right(self._starts, offset) - 1
        if i >= 0 and self.segments[i].start <= offset < max(self.segments[i].end, self.segments[i].start + 1):
            return self.segments[i]
        return None

    def locate(self, start: int, end: int | None = None) -> str:
        """Where a finding at text[start:end] is, in words a staff member understands."""
        seg = self.segment_at(start)
        if seg is None:
            return "本文"
        end = start + 1 if end is None or end <= start else end
        if any(p.inserted and p.start < end and start < p.start + p.length for p in seg.pieces):
            return f"変更履歴（挿入）・{seg.location}"
        return seg.location

    def body_text(self) -> str:
        """The text a reader sees on the page (no properties, no deleted text)."""
        return "".join(self.text[s.start:s.end] + "\n" for s in self.segments
                       if s.kind not in ("deleted", "property", "comments"))


class _Builder:
    def __init__(self) -> None:
        self.buf: list[str] = []
        self.pos = 0
        self.segments: list[Segment] = []

    def add_segment(self, pieces: list[tuple[str, etree._Element | None, bool]], location: str, part: str,
                    kind: str) -> None:
        start = self.pos
        out: list[Piece] = []
        for text, elem, inserted in pieces:
            if not text:
                continue
            out.append(Piece(self.pos, len(text), elem, inserted))
            self.buf.append(text)
            self.pos += len(text)
        self.segments.append(Segment(start, self.pos, location, part, kind, out))
        self.buf.append("\n")
        self.pos += 1

    def blank(self) -> None:
        if self.buf and self.buf[-1] == "\n" and not (len(self.buf) > 1 and self.buf[-2] == "\n"):
            self.buf.append("\n")
            self.pos += 1


class _Reader:
    def __init__(self, parts: dict[str, etree._Element]):
        self.parts = parts
        self.b = _Builder()
        self.deleted: list[tuple[list[tuple[str, etree._Element | None, bool]], str, str]] = []
        self.alt_texts: list[tuple[str, str]] = []  # (alt text of a picture or shape, part)
        self.part = MAIN_PART
        self.counts = {"tables": 0, "textboxes": 0, "insertions": 0, "deletions": 0, "comments": 0,
                       "pictures": 0, "objects": 0, "fields": 0, "charts": 0, "alt_chunks": 0}

    # -- paragraphs ---------------------------------------------------------------------------
    def paragraph(self, p: etree._Element, location: str, part: str, kind: str) -> None:
        self.part = part
        pieces: list[tuple[str, etree._Element | None, bool]] = []
        deleted: list[tuple[str, etree._Element | None, bool]] = []
        boxes: list[etree._Element] = []
        self._collect(p, pieces, deleted, boxes, inserted=False, removed=False)
        self.b.add_segment(pieces, location, part, kind)
        if deleted:
            self.deleted.append((deleted, f"変更履歴（削除された文字）・{location}", part))
        for box in boxes:
            self.counts["textboxes"] += 1
            self.blocks(box, "テキストボックス", part, "textbox")

    def _collect(self, el, pieces, deleted, boxes, *, inserted: bool, removed: bool) -> None:
        for child in el:
            tag = child.tag
            if not isinstance(tag, str):
                continue  # comments, processing instructions
            if tag == w("t"):
                (deleted if removed else pieces).append((child.text or "", child, inserted))
            elif tag == w("delText"):
                deleted.append((child.text or "", child, False))
            elif tag == w("tab"):
                pieces.append(("\t", None, inserted))
            elif tag in (w("br"), w("cr")):
                pieces.append(("\u3000", None, inserted))  # a line break inside one paragraph
            elif tag == w("noBreakHyphen"):
                pieces.append(("-", None, inserted))
            elif tag in (w("pPr"), w("rPr"), w("instrText")):
                if tag == w("instrText"):
                    self.counts["fields"] += 1
                continue
            elif tag == w("txbxContent"):
                boxes.append(child)
            elif tag == f"{{{MC_NS}}}Fallback":
                continue  # the same content again for old readers (the masker still cleans it)
            elif tag in (w("ins"), w("moveTo")):
                self.counts["insertions"] += 1
                self._collect(child, pieces, deleted, boxes, inserted=True, removed=removed)
            elif tag in (w("del"), w("moveFrom")):
                self.counts["deletions"] += 1
                self._collect(child, pieces, deleted, boxes, inserted=inserted, removed=True)
            else:
                if tag == f"{{{WP_NS}}}docPr":  # alt text: read aloud by screen readers, kept in the file
                    for key in ("title", "descr"):
                        if (child.get(key) or "").strip():
                            self.alt_texts.append((child.get(key), self.part))
                if tag == w("fldSimple"):
                    self.counts["fields"] += 1
                elif tag == f"{{{PIC_NS}}}pic" or tag == f"{{{V_NS}}}imagedata":
                    self.counts["pictures"] += 1
                elif tag == w("object"):
                    self.counts["objects"] += 1
                elif tag in (f"{{{CHART_NS}}}chart", f"{{{DGM_NS}}}relIds"):
                    self.counts["charts"] += 1
                self._collect(child, pieces, deleted, boxes, inserted=inserted, removed=removed)

    # -- block containers (body, cell, header, text box) -------------------------------------------
    def blocks(self, container: etree._Element, location: str, part: str, kind: str) -> None:
        for child in container:
            tag = child.tag
            if tag == w("p"):
                self.paragraph(child, location, part, kind)
            elif tag == w("tbl"):
                self.table(child, location, part)
            elif tag in (w("sdt"), w("customXml"), w("sdtContent")):
                inner = child.find(w("sdtContent")) if tag == w("sdt") else child
                if inner is not None:
                    self.blocks(inner, location, part, kind)
            elif tag == w("altChunk"):
                self.counts["alt_chunks"] += 1

    def table(self, tbl: etree._Element, outer: str, part: str) -> None:
        self.counts["tables"] += 1
        n = self.counts["tables"]
        prefix = "" if outer in ("本文", "") else f"{outer}の中の"
        for r, tr in enumerate(_children(tbl, "tr"), 1):
            for c, tc in enumerate(_children(tr, "tc"), 1):
                self.blocks(tc, f"{prefix}表{n}の{r}行{c}列", part, "table")

    # -- the whole document ---------------------------------------------------------------------
    def read(self, rels: dict[str, list[str]]) -> None:
        doc = self.parts.get(MAIN_PART)
        body = doc.find(w("body")) if doc is not None else None
        if body is not None:
            self.blocks(body, "本文", MAIN_PART, "body")
        for kind in ("header", "footer"):
            for name in rels.get(kind, []):
                root = self.parts.get(name)
                if root is not None:
                    self.b.blank()
                    self.blocks(root, PART_LABELS[kind], name, kind)
        for kind, item in (("footnotes", "footnote"), ("endnotes", "endnote"), ("comments", "comment")):
            root = self.parts.get(f"word/{kind}.xml")
            if root is None:
                continue
            self.b.blank()
            for note in root.findall(w(item)):
                if note.get(w("type")) in ("separator", "continuationSeparator", "continuationNotice"):
                    continue
                if kind == "comments":
                    self.counts["comments"] += 1
                self.blocks(note, PART_LABELS[kind], f"word/{kind}.xml", kind)
        if self.alt_texts:
            self.b.blank()
            for alt, part in self.alt_texts:
                self.b.add_segment([(alt, None, False)], "画像の代替テキスト", part, "alt_text")
        if self.deleted:
            self.b.blank()
            for pieces, location, part in self.deleted:
                self.b.add_segment(pieces, location, part, "deleted")
        self._properties()

    def _properties(self) -> None:
        first = True
        authors = set()
        for name, root in self.parts.items():  # who made tracked changes and comments: a name, in the file
            if name.startswith("word/") and root is not None:
                for el in root.iter(w("ins"), w("del"), w("comment"), w("moveTo"), w("moveFrom")):
                    a = el.get(w("author"))
                    if a:
                        authors.add(a)
        for part, ns, tag, label in PROPERTY_FIELDS:
            root = self.parts.get(part)
            el = root.find(f"{{{ns}}}{tag}") if root is not None else None
            if el is None or not (el.text or "").strip():
                continue
            if first:
                self.b.blank()
                first = False
            self.b.add_segment([(f"{label}：", None, False), (el.text, el, False)],
                               f"文書のプロパティ（{label}）", part, "property")
        custom = self.parts.get(CUSTOM_PART)  # ファイル ▸ プロパティ ▸ ユーザー設定 (担当者, 利用者名 …)
        for prop in custom.findall(f"{{{CUSTOM_NS}}}property") if custom is not None else []:
            name = (prop.get("name") or "").strip()[:40]
            for el in prop:
                if el.tag in (f"{{{VT_NS}}}lpwstr", f"{{{VT_NS}}}lpstr", f"{{{VT_NS}}}bstr") and (el.text or "").strip():
                    if first:
                        self.b.blank()
                        first = False
                    self.b.add_segment([(f"{name}：", None, False), (el.text, el, False)],
                                       f"文書のプロパティ（ユーザー設定：{name}）", CUSTOM_PART, "property")
        for a in sorted(authors):
            if first:
                self.b.blank()
                first = False
            self.b.add_segment([("変更履歴・コメントの作成者：", None, False), (a, None, False)],
                               "文書のプロパティ（変更履歴・コメントの作成者）", MAIN_PART, "property")


def _children(el: etree._Element, tag: str):
    """Rows of a table (cells of a row), also when a content control (w:sdt) wraps them."""
    for child in el:
        if child.tag == w(tag):
            yield child
        elif child.tag in (w("sdt"), w("customXml"), w("sdtContent")):
            yield from _children(child, tag)


def _parser() -> etree.XMLParser:
    # Comments and processing instructions are dropped while parsing, so text on both sides of one
    # inside a <w:t> (090-12<!-- -->34-5678) is one string that the check reads whole, as Word shows it.
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                           remove_comments=True, remove_pis=True)


def _refuse_entities(root: etree._Element, part: str, name: str) -> None:
    """Word never writes entity references; text behind one could not be checked, so the file is refused."""
    for _ in root.iter(etree.Entity):
        raise DocxError("entity", f"{name}: {part} に実体参照（&…;）があるため読み込みません。"
                        "Wordで開いて保存し直してください (entity references are not supported)")


def _relationships(raw: dict[str, bytes], parts: dict[str, etree._Element]) -> dict[str, list[str]]:
    """Headers and footers in the order the document's relationships list them."""
    out: dict[str, list[str]] = {"header": [], "footer": []}
    rels = raw.get("word/_rels/document.xml.rels")
    if rels:
        root = etree.fromstring(rels, _parser())
        for rel in root:
            kind = (rel.get("Type") or "").rsplit("/", 1)[-1]
            target = rel.get("Target") or ""
            name = target.lstrip("/") if target.startswith("/") else f"word/{target}"
            if kind in out and name in parts:
                out[kind].append(name)
    else:  # no relationships part: fall back to the part names
        for name in sorted(parts, key=lambda n: [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", n)]):
            m = re.fullmatch(r"word/(header|footer)\d*\.xml", name)
            if m:
                out[m.group(1)].append(name)
    return out


def _is_text_part(name: str) -> bool:
    return name.endswith((".xml", ".rels"))


def read_docx_bytes(data: bytes, name: str = "document.docx") -> WordDocument:
    """Parse a .docx given as bytes. Raises DocxError (bomb, not a .docx, password, broken XML)."""
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise DocxError("not_docx", f"{name}: パスワード付きのWord文書、または古い .doc 形式は読めません。"
                        "パスワードを外し、.docx 形式で保存し直してください (encrypted or legacy .doc file)")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise DocxError("not_docx", f"{name}: Wordファイル（.docx）として読めません (not a .docx file)") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES:
            raise DocxError("too_large", f"{name}: ファイルの部品が多すぎるため読み込みません（{len(infos)}個） "
                            "(too many zip entries)")
        xml_total = sum(i.file_size for i in infos if _is_text_part(i.filename))
        all_total = sum(i.file_size for i in infos)
        if xml_total > MAX_XML_TOTAL or all_total > MAX_ZIP_TOTAL:
            mb = max(xml_total, all_total) / 1024 / 1024
            raise DocxError("too_large", f"{name}: 展開すると {mb:,.0f} MB になるため読み込みません"
                            f"（上限：本文 {MAX_XML_TOTAL // 1024 // 1024} MB、全体 {MAX_ZIP_TOTAL // 1024 // 1024} MB）。"
                            "圧縮爆弾の可能性があります (uncompressed size over the limit)")
        if MAIN_PART not in zf.namelist():
            raise DocxError("not_docx", f"{name}: Word文書の本文（word/document.xml）がありません (not a Word document)")
        raw: dict[str, bytes] = {}
        try:
            for info in infos:
                if info.is_dir():
                    raw[info.filename] = b""
                    continue
                with zf.open(info) as f:  # never more than the declared size (checked above)
                    chunk = f.read(info.file_size + 1)
                if len(chunk) > info.file_size:
                    raise DocxError("too_large", f"{name}: 部品 {info.filename} の大きさが宣言と違います (size mismatch)")
                raw[info.filename] = chunk
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
            raise DocxError("broken", f"{name}: ファイルが壊れているため読めません（{exc}） (corrupt zip)") from exc
    parts: dict[str, etree._Element] = {}
    wanted = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes|comments)\.xml|docProps/(core|app|custom)\.xml")
    for pname, blob in raw.items():
        if wanted.fullmatch(pname):
            try:
                parts[pname] = etree.fromstring(blob, _parser())
                _refuse_entities(parts[pname], pname, name)
            except etree.XMLSyntaxError as exc:
                raise DocxError("broken", f"{name}: {pname} が壊れているため読めません（{exc}） (malformed XML)") from exc
    reader = _Reader(parts)
    reader.read(_relationships(raw, parts))
    text = "".join(reader.b.buf)
    if len(text) > MAX_TEXT_CHARS:
        raise DocxError("too_long", f"{name}: 文字数が多すぎるため確認できません（{len(text):,}字、上限 {MAX_TEXT_CHARS:,}字）。"
                        "手紙ごとに分けてください (text over the limit)")
    warnings = _warnings(reader.counts, parts)
    return WordDocument(text=text, segments=reader.b.segments, warnings=warnings, parts=parts, entries=infos,
                        raw=raw, counts=reader.counts, source=data)


def _warnings(counts: dict[str, int], parts: dict[str, etree._Element]) -> list[str]:
    out = []
    if counts["pictures"]:
        out.append(f"画像が{counts['pictures']}枚あります。画像の中の文字は確認も伏せ字もできません。"
                   "画像に名前や番号が写っていないか、目で確かめてください。")
    if counts["objects"]:
        out.append(f"埋め込みオブジェクト（Excel表など）が{counts['objects']}個あります。中身は確認も伏せ字もできません。")
    if counts["charts"]:
        out.append(f"グラフ・SmartArt が{counts['charts']}個あります。中の文字は確認も伏せ字もできません。")
    if counts["fields"]:
        out.append(f"フィールドコード（日付・作成者名などを自動で差し込む仕組み）が{counts['fields']}個あります。"
                   "Wordで開くと内容が更新され、表示が変わることがあります。")
    if counts["alt_chunks"]:
        out.append(f"別形式の文書の埋め込み（altChunk）が{counts['alt_chunks']}個あります。中身は確認も伏せ字もできません。")
    return out


def read_docx(path: Path | str) -> WordDocument:
    """Read a .docx from disk. Raises DocxError with a message a person can act on."""
    p = Path(path)
    try:
        st = p.stat()
        if not stat.S_ISREG(st.st_mode):  # a folder, /dev/zero, a pipe: never read without end
            raise DocxError("not_a_file", f"{p}: 通常のファイルではありません (not a regular file)")
        size = st.st_size
        if size > MAX_ZIP_TOTAL:
            raise DocxError("too_large", f"{p.name}: ファイルが大きすぎます（{size / 1024 / 1024:,.0f} MB） (file too large)")
        data = p.read_bytes()
    except FileNotFoundError as exc:
        raise DocxError("not_found", f"{p}: ファイルが見つかりません (file not found)") from exc
    except OSError as exc:
        raise DocxError("os_error", f"{p}: 読み込めません（{exc.strerror or exc}） (cannot read)") from exc
    return read_docx_bytes(data, p.name)
