"""Word letters staff wrote themselves: read every visible part for the check, and mask findings in place."""

from desktop_app.core.word.mask import (
           Edit,
           MaskReport,
           TextChanges,
           edits_for_findings,
           edits_from_text,
           mask_docx,
)
from desktop_app.core.word.reader import DocxError, Segment, WordDocument, read_docx, read_docx_bytes

__all__ = ["DocxError", "Edit", "MaskReport", "Segment", "TextChanges", "WordDocument", "edits_for_findings",
           "edits_from_text", "mask_docx", "read_docx", "read_docx_bytes"]
