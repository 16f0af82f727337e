"""The choice of writer for an approved letter and the preparation of its file: a template letter is laid
out by its template's line roles into a new .docx; a Word letter goes into a copy of its original .docx.
Preparing reads and verifies everything a writer needs, so that the file is written later in one short
step of the export gate, with no question left to ask."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.core.context import CheckContext, Facility, facility_to_dict
from desktop_app.core.templates import TemplateLibrary
from desktop_app.core.word import letter as word

DRAFT_HEADER = "下書き（未承認）"
# Characters Windows refuses in a file name (and control characters); macOS and Linux accept the rest.
_NOT_IN_FILE_NAMES = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def safe_file_name(name: str) -> str:
    """A file name every PC of the facility can save: no character Windows refuses, no trailing dot or space."""
    name = _NOT_IN_FILE_NAMES.sub("_", name).strip()
    return re.sub(r"[ .]+$", "", name)[:150] or "手紙"


def suggested_name(kind: str, context: CheckContext | None, today: dt.date | None = None,
                   suffix: str = ".docx") -> str:
    """`YYYY-MM-DD_種類_利用者名様.docx` (2026-12-04_事故報告_高橋ヨシ子様.docx), as staff file letters: the letter's
    date (else today), its kind (the template's title) and the resident it is about."""
    date = (context.letter_date if context else None) or today or dt.date.today()
    parts = [date.isoformat(), kind or "手紙"]
    if context and context.subject:
        parts.append("".join(context.subject.split()) + "様")
    return safe_file_name("_".join(parts)) + suffix


def export_folder(configured: str | None, documents: Path | None = None) -> Path:
    """Where the save dialog opens: the facility's export folder (設定, by the administrator) when it exists,
    else the person's Documents folder (the GUI passes the platform's), never the bare home folder when a
    Documents folder is there."""
    if configured and Path(configured).is_dir():
        return Path(configured)
    for candidate in (documents, Path.home() / "Documents"):
        if candidate is not None and Path(candidate).is_dir():
            return Path(candidate)
    return Path.home()


@dataclass
class PreparedExport:
    """A letter ready to be written: what the person should know first, a file name to propose, and the
    writing itself. `summary` is filled after writing (what the export changed besides the text)."""

    warnings: list[str]
    suggested_name: str
    folder: Path | None
    _write: Callable[[Path], list[str]]
    summary: list[str] = field(default_factory=list)
    source: Path | None = None  # a Word letter's original: never the export's target

    def write(self, path: Path) -> Path:
        self.summary = self._write(Path(path))
        return Path(path)


def line_roles(library: TemplateLibrary | None, template_id: str, fields: dict, facility: Facility,
               body: str) -> tuple[list[str] | None, str | None]:
    """(roles, layout) for body, or (None, layout/None) when the template cannot tell (then the export
    works the structure out from the text itself)."""
    from desktop_app.core.letter_roles import reanchor_roles

    if library is None or template_id not in library.templates:
        return None, None
    info = library.templates[template_id]
    try:
        generated = library.render_structured(template_id, fields, facility_to_dict(facility))
    except Exception:  # a letter created from a file, or fields the template no longer has
        return None, info.layout
    return reanchor_roles(generated.text, generated.roles, body), info.layout


def write_letter(body: str, out: Path, *, library: TemplateLibrary | None, template_id: str, fields: dict,
                 facility: Facility, font: str = "mincho", header_text: str | None = None) -> Path:
    """A template letter as .docx, laid out by the template's line roles carried over to the edited text."""
    from desktop_app.core.export_docx import export_docx  # python-docx: loaded when first needed

    roles, layout = line_roles(library, template_id, fields, facility, body)
    title = library.templates[template_id].title if library and template_id in library.templates else ""
    return export_docx(body, out, author=facility.name or "施設", title=title, font=font, roles=roles,
                       layout=layout, header_text=header_text)


def prepare(body: str, *, template_id: str, fields: dict, library: TemplateLibrary | None, facility: Facility,
            font: str = "mincho", context: CheckContext | None = None, folder: str | None = None,
            today: dt.date | None = None, source: bytes | None = None) -> PreparedExport:
    """The writer for this letter, prepared for `body`. For a Word letter this reads the original again and
    places every edit: raises WriteError (original gone or changed) or word.WordExportRefused (an edit with
    no place in the original), before anything is written."""
    if word.is_word_template(template_id):
        prepared = word.prepare_export(fields, body, source)

        def write_word(path: Path) -> list[str]:
            return word.write_export(prepared, path).summary()

        # next to the original where it lies on this PC; on another PC (the original stored with the letter)
        # the facility's export folder
        beside = prepared.source.parent if str(prepared.source) not in ("", ".") else None
        where = beside if beside is not None and beside.is_dir() else (
            Path(folder) if folder and Path(folder).is_dir() else None)
        return PreparedExport(list(prepared.warnings), f"{Path(word.file_name(fields) or 'Word').stem}_送付用.docx",
                              where, write_word, source=prepared.source)
    info = library.templates.get(template_id) if library else None

    def write_text(path: Path) -> list[str]:
        write_letter(body, path, library=library, template_id=template_id, fields=fields, facility=facility,
                     font=font)
        return []

    configured = Path(folder) if folder and Path(folder).is_dir() else None
    return PreparedExport([], suggested_name(info.title if info else "手紙", context, today), configured, write_text)


def write_draft(body: str, out: Path, *, template_id: str, fields: dict, library: TemplateLibrary | None,
                facility: Facility, font: str = "mincho", source: bytes | None = None) -> Path:
    """A copy for trying a letter out, before any approval: 下書き（未承認） at the top of every page (the
    same header as the command line's `export` copy). A Word letter goes into a copy of its original with
    the edits placed as in the approved export; a template letter is laid out by its line roles. Raises
    WriteError or word.WordExportRefused as the export does."""
    out = Path(out)
    if word.is_word_template(template_id):
        from desktop_app.core.fileio import WriteError, same_file
        from desktop_app.core.word import mask_docx

        prepared = word.prepare_export(fields, body, source)
        if same_file(prepared.source, out):
            raise WriteError("same_file", out, "元のWordファイルには上書きできません。別の名前で保存してください。")
        mask_docx(prepared.doc, prepared.edits, out, header_text=DRAFT_HEADER)
        return out
    return write_letter(body, out, library=library, template_id=template_id, fields=fields, facility=facility,
                        font=font, header_text=DRAFT_HEADER)
