"""A Word letter in the window: open a .docx staff wrote themselves, check its full text with each
finding's place in the file (本文 / 表1の2行3列 / ヘッダー …), review it like any draft, and export the
approved text into a copy of the ORIGINAL file, so its layout, tables and headers are kept.

The letter is a DraftSession with template_id WORD_TEMPLATE_ID; its fields keep where the original is
and the SHA-256 it had when it was read. The review workflow does not know the difference.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, replace
from pathlib import Path

from desktop_app.core.draft_session import DraftSession
from desktop_app.core.fileio import WriteError
from desktop_app.core.letters import CheckContext, Finding
from desktop_app.core.word import DocxError, WordDocument, edits_from_text, mask_docx, read_docx
from desktop_app.core.word.mask import MaskReport, build_masked
from desktop_app.core.word.reader import read_docx_bytes

WORD_TEMPLATE_ID = "word_import"
SOURCE, NAME, SHA = "word_source", "word_file_name", "word_sha256"
# Parts of the text the export drops anyway (tracked deletions, comments, who made them, author, company):
# deleting those lines in the window is not a change the original's layout has to take.
_DROPPED_KINDS = ("deleted", "comments")
_DROPPED_PROPERTIES = ("作成者", "最終更新者", "会社名", "管理者", "変更履歴・コメントの作成者")


def is_word_letter(session: DraftSession) -> bool:
    return session.template_id == WORD_TEMPLATE_ID


def title(template_id: str) -> str:
    """How a letter with no template is named in lists."""
    return "Wordの手紙" if template_id == WORD_TEMPLATE_ID else template_id


def file_name(session: DraftSession) -> str:
    return str(session.fields.get(NAME) or Path(str(session.fields.get(SOURCE) or "")).name)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---- opening ------------------------------------------------------------------------------------
def open_word_letter(window, path: str | None = None) -> bool:
    """ファイル ▸ Wordの手紙を開く…: the file's full text becomes a new letter; nothing on screen is lost
    when the file cannot be read."""
    from desktop_app.gui import prompts

    if path is None:
        path = prompts.open_file(window, "Wordの手紙を開く", "Word 文書 (*.docx)")
        if not path:
            return False
    try:
        doc = read_docx(path)
    except DocxError as exc:
        prompts.error(window, "Wordの手紙を開けません", f"{exc}\n\n今の手紙はそのまま残っています。")
        return False
    except Exception as exc:  # an unexpected structure must not lose the letter on screen
        prompts.error(window, "Wordの手紙を開けません",
                      f"{Path(path).name} を読み込めませんでした（{exc}）。\n\n今の手紙はそのまま残っています。")
        return False
    if not doc.text.strip():
        prompts.error(window, "Wordの手紙を開けません", f"{Path(path).name} には文字がありません。")
        return False
    if not window._ask_keep_changes("Wordの手紙を開く"):
        return False
    src = Path(path).resolve()
    session = DraftSession(template_id=WORD_TEMPLATE_ID, body=doc.text,
                           fields={SOURCE: str(src), NAME: src.name, SHA: _sha(doc.source)})
    window._word_doc = ((str(src), _sha(doc.source), _stamp(str(src))), doc)
    window.replace_session(session)  # present() puts doc.text in the editor and checks it
    window.recovery.clear()
    if doc.warnings:
        prompts.info(window, "Wordの手紙の注意", "次のものは確認も伏せ字もできません。目で確かめてください。\n\n"
                     + "\n".join(f"・{w}" for w in doc.warnings))
    window.statusBar().showMessage(f"Wordの手紙「{src.name}」を開きました（{len(doc.segments)}段落）", 8000)
    return True


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        st = Path(path).stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def document(window) -> WordDocument | None:
    """The original of the open Word letter, or None when it is gone or changed since it was opened (its
    places would no longer match). Read once per file state, not at every check."""
    s = window.session
    if not is_word_letter(s):
        return None
    src, sha = str(s.fields.get(SOURCE) or ""), str(s.fields.get(SHA) or "")
    key = (src, sha, _stamp(src))
    cached = getattr(window, "_word_doc", None)
    if cached and cached[0] == key:
        return cached[1]
    doc = None
    if key[2] is not None:
        try:
            doc = read_docx(src)
        except Exception:
            doc = None
        if doc is not None and _sha(doc.source) != sha:
            doc = None
    window._word_doc = (key, doc)
    return doc


def check_context(window) -> CheckContext:
    """A Word letter has no form: the facility is all the check knows (names come from the text)."""
    return CheckContext.from_dict({"facility": window.facility_context()})


# ---- locations ----------------------------------------------------------------------------------
def _line_starts(lines: list[str]) -> list[int]:
    out, pos = [], 0
    for line in lines:
        out.append(pos)
        pos += len(line) + 1
    return out


def locate_in(doc: WordDocument, text: str, start: int, end: int) -> str | None:
    """Where text[start:end] of the (possibly edited) letter is in the original file, or None for a
    paragraph added in the window."""
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


def with_locations(window, findings: list[Finding]) -> list[Finding]:
    """Each finding of a Word letter gains meta ("location", 表1の2行3列 …) for the panel and tooltips."""
    doc = document(window)
    if doc is None:
        return findings
    text = window.session.body
    out = []
    for f in findings:
        where = locate_in(doc, text, f.start, f.end) if f.end <= len(text) else None
        label = where or "追加された段落"
        out.append(replace(f, meta=tuple(m for m in f.meta if m[0] != "location") + (("location", label),)))
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


def prepare_export(fields: dict, body: str) -> WordExport:
    """Without Qt (the CLI's `letters export` can use it too): read the original again from the stored path,
    make sure it is the file that was checked, and turn the approved body into run edits.

    Raises WriteError when the original is gone or changed since it was opened, WordExportRefused when a
    change cannot be placed in the original (a paragraph added or removed, text with no run of its own)."""
    src = Path(str(fields.get(SOURCE) or ""))
    name = str(fields.get(NAME) or src.name)
    try:
        doc = read_docx(src)
    except DocxError as exc:
        raise WriteError("source_missing", src, f"元のWordファイル「{name}」を読めません。移動・削除されていませんか。\n"
                         f"（{exc}）\n元のファイルを元の場所に戻してから、もう一度書き出してください。") from exc
    if _sha(doc.source) != str(fields.get(SHA) or ""):
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
    if out.exists() and out.resolve() == prepared.source.resolve():
        raise WriteError("same_file", out, "元のWordファイルには上書きできません。別の名前で保存してください。")
    return mask_docx(prepared.doc, prepared.edits, out)


def export_writer(window, cancelled: type[Exception]):
    """write(body) for ReviewService.export: the approved body into a copy of the original .docx.

    Called by the gate only after it allowed the export. Raises `cancelled` when the person stops or the
    text cannot be placed (nothing is recorded), WriteError when the original is gone or changed.
    """
    from desktop_app.gui import prompts

    s = window.session
    window._word_export_report = None

    def write(body: str) -> Path:
        try:
            prepared = prepare_export(s.fields, body)
        except WordExportRefused as exc:
            prompts.error(window, "Wordに書き出せません",
                          exc.title + "\n" + "\n".join(f"・{p}" for p in exc.problems[:15]))
            raise cancelled from exc
        if prepared.warnings and not prompts.confirm(
                window, "Wordに書き出す", "次のものは確認も伏せ字もできないまま、元のとおり残ります：\n"
                + "\n".join(f"・{w}" for w in prepared.warnings) + "\n\n書き出しますか？"):
            raise cancelled
        suggested = prepared.source.with_name(f"{prepared.source.stem}_送付用.docx")
        path = prompts.save_file(window, "Wordに書き出す", str(suggested), "Word 文書 (*.docx)")
        if not path:
            raise cancelled
        if not path.lower().endswith(".docx"):
            path += ".docx"
        window._word_export_report = write_export(prepared, Path(path))
        return Path(path)

    return write


def export_summary(window) -> str:
    """What the export changed besides the text (tracked changes, comments, properties), for the closing note."""
    report = getattr(window, "_word_export_report", None) if is_word_letter(window.session) else None
    return ("\n" + "\n".join(report.summary())) if report is not None else ""


def show_state(window) -> None:
    """A Word letter has no template form: the form and the template choice step aside, the label names the file."""
    word = is_word_letter(window.session)
    scroll = window.form.parentWidget()
    scroll = scroll.parentWidget() if scroll is not None and scroll.parentWidget() is not None else scroll
    if scroll is not None:
        scroll.setVisible(not word)
    _follow_cursor(window)
    if not word:
        return
    window.template_combo.setEnabled(False)
    window.generate_action.setEnabled(False)
    window.body_label.setText(f"Wordの手紙「{file_name(window.session)}」（段落の中だけ直せます）　"
                              + window.body_label.text())


def _follow_cursor(window) -> None:
    """In a Word letter the status bar names where the line under the cursor is in the file (表1の3行2列 …)."""
    from PySide6.QtWidgets import QLabel

    label = getattr(window, "word_place_label", None)
    if label is None:
        label = window.word_place_label = QLabel()
        label.setObjectName("wordPlace")
        window.statusBar().insertPermanentWidget(0, label)  # a passing message does not cover it
        window.editor.cursorPositionChanged.connect(lambda: _show_place(window))
    _show_place(window)


def _show_place(window) -> None:
    label = window.word_place_label
    doc = document(window) if is_word_letter(window.session) else None
    if doc is None:
        label.setVisible(False)
        return
    text = window.editor.toPlainText()
    pos = window.editor.codepoint_at(window.editor.textCursor().position())
    where = locate_in(doc, text, pos, pos + 1) if text.strip() else None
    label.setText(f"カーソルの位置：{where or '追加された段落'}")
    label.setVisible(True)
