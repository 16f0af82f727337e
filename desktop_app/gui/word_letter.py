"""A Word letter in the window: open a .docx staff wrote themselves, check its full text with each
finding's place in the file (本文 / 表1の2行3列 / ヘッダー …), review it like any draft, and export the
approved text into a copy of the ORIGINAL file, so its layout, tables and headers are kept.

The letter is a DraftSession with template_id WORD_TEMPLATE_ID; its fields keep where the original is
and the SHA-256 it had when it was read. The review workflow does not know the difference.
"""

from __future__ import annotations

from pathlib import Path

from desktop_app.core.context import CheckContext
from desktop_app.core.draft_session import DraftSession
from desktop_app.core.findings import Finding
from desktop_app.core.word import DocxError, WordDocument, read_docx
from desktop_app.core.word import letter as wl
from desktop_app.core.word.letter import NAME, SHA, SOURCE, WORD_TEMPLATE_ID, locate_in, sha256

__all__ = ["NAME", "WORD_TEMPLATE_ID"]  # used by callers and tests


def is_word_letter(session: DraftSession) -> bool:
    return wl.is_word_template(session.template_id)


def title(template_id: str, fields: dict | None = None) -> str:
    """How a letter with no template is named in lists."""
    return wl.title(template_id, fields)


def file_name(session: DraftSession) -> str:
    return wl.file_name(session.fields)


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
    if not doc.body_text().strip():  # properties alone (作成者 …) are not a letter
        prompts.error(window, "Wordの手紙を開けません", f"{Path(path).name} には文字がありません。")
        return False
    if not window._ask_keep_changes("Wordの手紙を開く"):
        return False
    src = Path(path).resolve()
    session = DraftSession(template_id=WORD_TEMPLATE_ID, body=doc.text, fields=wl.letter_fields(src, doc))
    window._word_doc = ((str(src), sha256(doc.source), _stamp(str(src))), doc)
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
    doc = wl.original(s.fields) if key[2] is not None else None
    window._word_doc = (key, doc)
    return doc


def check_context(window) -> CheckContext:
    """A Word letter has no form: the facility is all the check knows (names come from the text)."""
    return CheckContext.from_dict({"facility": window.facility_context()})


# ---- locations ----------------------------------------------------------------------------------
def with_locations(window, findings: list[Finding]) -> list[Finding]:
    """Each finding of a Word letter gains meta ("location", 表1の2行3列 …) for the panel and tooltips."""
    return wl.with_locations(document(window), window.session.body, findings)


# ---- export -------------------------------------------------------------------------------------
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
            prepared = wl.prepare_export(s.fields, body)
        except wl.WordExportRefused as exc:
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
        window._word_export_report = wl.write_export(prepared, Path(path))
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
