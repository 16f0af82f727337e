"""Writing a workflow letter to Word with its template's layout: the template is rendered again from the
letter's stored form data to learn each line's role, and the roles are carried over to the text as the
writer edited it. Used by the window and by `letters export`, always inside ReviewService.export's gate."""

from __future__ import annotations

from pathlib import Path

from desktop_app.core.export_docx import export_docx
from desktop_app.core.letter_roles import reanchor_roles
from desktop_app.core.templates import TemplateLibrary


def line_roles(library: TemplateLibrary | None, template_id: str, fields: dict, facility: dict,
               body: str) -> tuple[list[str] | None, str | None]:
    """(roles, layout) for body, or (None, layout/None) when the template cannot tell (then the export
    works the structure out from the text itself)."""
    if library is None or template_id not in library.templates:
        return None, None
    info = library.templates[template_id]
    try:
        generated = library.render_structured(template_id, fields, facility)
    except Exception:  # a letter created from a file, or fields the template no longer has
        return None, info.layout
    return reanchor_roles(generated.text, generated.roles, body), info.layout


def write_letter(body: str, out: Path, *, library: TemplateLibrary | None, template_id: str, fields: dict,
                 facility: dict, font: str = "mincho", header_text: str | None = None) -> Path:
    roles, layout = line_roles(library, template_id, fields, facility, body)
    title = library.templates[template_id].title if library and template_id in library.templates else ""
    return export_docx(body, out, author=facility.get("name") or "施設", title=title, font=font, roles=roles,
                       layout=layout, header_text=header_text)
