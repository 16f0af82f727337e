"""The choice of writer for an approved letter and the preparation of its file: a template letter is laid
out by its template's line roles into a new .docx; a Word letter goes into a copy of its original .docx.
Preparing reads and verifies everything a writer needs, so that the file is written later in one short
step of the export gate, with no question left to ask."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.core.context import Facility, facility_to_dict
from desktop_app.core.templates import TemplateLibrary
from desktop_app.core.word import letter as word


@dataclass
class PreparedExport:
    """A letter ready to be written: what the person should know first, a file name to propose, and the
    writing itself. `summary` is filled after writing (what the export changed besides the text)."""

    warnings: list[str]
    suggested_name: str
    folder: Path | None
    _write: Callable[[Path], list[str]]
    summary: list[str] = field(default_factory=list)

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
            font: str = "mincho") -> PreparedExport:
    """The writer for this letter, prepared for `body`. For a Word letter this reads the original again and
    places every edit: raises WriteError (original gone or changed) or word.WordExportRefused (an edit with
    no place in the original), before anything is written."""
    if word.is_word_template(template_id):
        prepared = word.prepare_export(fields, body)

        def write_word(path: Path) -> list[str]:
            return word.write_export(prepared, path).summary()

        return PreparedExport(list(prepared.warnings), f"{prepared.source.stem}_送付用.docx", prepared.source.parent,
                              write_word)
    info = library.templates.get(template_id) if library else None

    def write_text(path: Path) -> list[str]:
        write_letter(body, path, library=library, template_id=template_id, fields=fields, facility=facility,
                     font=font)
        return []

    return PreparedExport([], f"{info.title if info else '手紙'}.docx", None, write_text)
