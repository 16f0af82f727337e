"""A Word letter in the review workflow, without Qt: the window, the reviewer's view and the CLI share it.

A letter staff wrote in Word is stored as a letter with template_id WORD_TEMPLATE_ID; its fields keep
where the original .docx is and the SHA-256 it had when it was read. Its findings are labelled with
their place in the file (本文 / 表1の2行3列 / ヘッダー …), and its approved text is exported into a copy
of the ORIGINAL file, so its layout, tables and headers are kept.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from desktop_app.core.fileio import WriteError, same_file
from desktop_app.core.findings import Finding
from desktop_app.core.word.mask import MaskReport, build_masked, edits_from_text, mask_docx
from desktop_app.core.word.reader import DocxError, WordDocument, read_docx, read_docx_bytes

WORD_TEMPLATE_ID = "word_import"
SOURCE, NAME, SHA = "word_source", "word_file_name", "word_sha256"
# Parts of the text the export drops anyway (tracked deletions, comments, who made them, author, company):
# deleting those lines in the window is not a change the original's layout has to take.
_DROPPED_KINDS = ("deleted", "comments")
_DROPPED_PROPERTIES = ("作成者", "最終更新者", "会社名", "管理者", "変更履歴・コメントの作成者")
ADDED_PARAGRAPH = "追加された段落"


def is_word_template(template_id: str) -> bool:
    return template_id == WORD_TEMPLATE_ID


def title(template_id: str, fields: dict | None = None) -> str:
    """How a letter with no template is named in lists: Wordの手紙「12月のご連絡.docx」."""
    if template_id != WORD_TEMPLATE_ID:
        return template_id
    name = file_name(fields or {})
    return f"Wordの手紙「{name}」" if name else "Wordの手紙"


def file_name(fields: dict) -> str:
    return str(fields.get(NAME) or Path(str(fields.get(SOURCE) or "")).name)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def letter_fields(path: Path, doc: WordDocument) -> dict:
    """The fields of a new Word letter: where its original is and what it was when read."""
    src = Path(path).resolve()
    return {SOURCE: str(src), NAME: src.name, SHA: sha256(doc.source)}


def original(fields: dict, data: bytes | None = None) -> WordDocument | None:
    """The original .docx of a Word letter as it was checked, or None when it is gone or has changed since
    (its places would no longer match the stored text). `data`: the original stored with the letter
    (letter_sources), read instead of the path, so that every PC has it; a letter from before the
    originals were stored has only its path."""
    src = str(fields.get(SOURCE) or "")
    if data is None and not src:
        return None
    try:
        doc = read_docx_bytes(data, file_name(fields) or "document.docx") if data is not None else read_docx(src)
    except Exception:  # gone, unreadable, no longer a .docx: the letter's text is still in the database
        return None
    return doc if sha256(doc.source) == str(fields.get(SHA) or "") else None


# ---- locations ----------------------------------------------------------------------------------
def _line_starts(lines: list[str]) -> list[int]:
    out, pos = [], 0
    for line in lines:
        out.append(pos)
        pos += len(line) + 1
    return out


def locate_in(doc: WordDocument, text: str, start: int, end: int) -> str | None:
    """Where text[start:end] of the (possibly edited) letter is in the original file, or None for a
    paragraph added after it was read."""
    if text == doc.text:
        return doc.locate(start, end)
    old, new = doc.text.split("\n"), text.split("\n")
    new_starts, old_starts = _line_starts(new), _line_starts(old)
    line = text.count("\n", 0, start)
    col = start - new_starts[line]
    sm = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if not j1 <= line < j2:
            continue
        k = line - j1
        if op == "equal":
            s = old_starts[i1 + k] + col
            return doc.locate(s, s + (end - start))
        if op == "replace" and k < i2 - i1:  # the same paragraph, edited
            seg = doc.segment_at(old_starts[i1 + k])
            return seg.location if seg else "本文"
        return None
    return None


def with_locations(doc: WordDocument | None, text: str, findings: list[Finding]) -> list[Finding]:
    """Each finding gains meta ("location", 表1の2行3列 …); unchanged when the original is not available."""
    if doc is None:
        return findings
    out = []
    for f in findings:
        where = locate_in(doc, text, f.start, f.end) if f.end <= len(text) else None
        out.append(replace(f, meta=tuple(m for m in f.meta if m[0] != "location")
                           + (("location", where or ADDED_PARAGRAPH),)))
    return out


def location_of(f: Finding) -> str:
    return str(dict(f.meta).get("location") or "")


# ---- export -------------------------------------------------------------------------------------
def _reconcile(doc: WordDocument, body: str) -> str:
    """The approved body with the lines put back that the user deleted but the export drops anyway
    (deleted text of tracked changes, comments, author and company): no layout change is needed for them."""
    old, new = doc.text.split("\n"), body.replace("\r\n", "\n").split("\n")
    starts = _line_starts(old)
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            out += new[j1:j2]
            continue
        pairs = min(i2 - i1, j2 - j1) if op == "replace" else 0
        out += new[j1:j1 + pairs]
        for i in range(i1 + pairs, i2):
            seg = doc.segment_at(starts[i])
            if seg is not None and (seg.kind in _DROPPED_KINDS or (
                    seg.kind == "property" and any(f"（{p}）" in seg.location for p in _DROPPED_PROPERTIES))):
                out.append(old[i])
        out += new[j1 + pairs:j2]
    return "\n".join(out)


@dataclass
class WordExport:
    """The approved body ready to go into a copy of the original: the original read again, and the edits."""

    source: Path
    doc: WordDocument
    edits: list
    warnings: list[str]


class WordExportRefused(Exception):
    """The approved text cannot be put into the original's layout; `problems` name each place (Japanese)."""

    def __init__(self, title: str, problems: list[str]):
        super().__init__(title + "\n" + "\n".join(problems))
        self.title = title
        self.problems = problems


def prepare_export(fields: dict, body: str, data: bytes | None = None) -> WordExport:
    """Read the original again (`data`, the bytes stored with the letter; else from the stored path, for a
    letter from before the originals were stored), make sure it is the file that was checked, and turn
    the approved body into run edits.

    Raises WriteError when the original is gone or changed since it was read, WordExportRefused when a
    change cannot be placed in the original (a paragraph added or removed, text with no run of its own)."""
    src = Path(str(fields.get(SOURCE) or ""))
    name = str(fields.get(NAME) or src.name)
    try:
        doc = read_docx_bytes(data, name or "document.docx") if data is not None else read_docx(src)
    except DocxError as exc:
        raise WriteError("source_missing", src, f"元のWordファイル「{name}」を読めません。移動・削除されていませんか。\n"
                         f"（{exc}）\n元のファイルを元の場所に戻してから、もう一度書き出してください。") from exc
    if sha256(doc.source) != str(fields.get(SHA) or ""):
        raise WriteError("source_changed", src, f"元のWordファイル「{name}」は、取り込んだ後に変更されています。"
                         "確認を受けた内容と違う可能性があるため書き出しません。\n"
                         "「Wordの手紙を開く」で開き直し、もう一度確認を受けてください。")
    changes = edits_from_text(doc, _reconcile(doc, body))
    if changes.unsupported:
        raise WordExportRefused("次の変更は元のWordの書式に反映できないため、書き出しを中止しました（内容は失われていません）。"
                                "段落の追加・削除はWordで行い、開き直してください：", list(changes.unsupported))
    dry = MaskReport(path=src)  # a dry run on a fresh parse: every edit must find its run
    build_masked(read_docx_bytes(doc.source, name), changes.edits, dry)
    if dry.not_applied:
        raise WordExportRefused("次の変更は元のWordファイルの中に置く場所がないため、書き出しを中止しました：",
                                [f"「{e.original}」→「{e.replacement}」（{doc.locate(e.start, e.end)}）"
                                 for e in dry.not_applied])
    return WordExport(src, doc, changes.edits, list(doc.warnings))


def write_export(prepared: WordExport, out: Path) -> MaskReport:
    """The approved copy (no 下書き header), never over the original."""
    out = Path(out)
    if same_file(prepared.source, out):
        raise WriteError("same_file", out, "元のWordファイルには上書きできません。別の名前で保存してください。")
    return mask_docx(prepared.doc, prepared.edits, out)
