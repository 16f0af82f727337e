"""Word letters staff wrote themselves: read every visible part for the check, and mask findings in place."""

from desktop_app.core.word.mask import Edit, MaskReport, edits_for_findings, mask_docx
from desktop_app.core.word.reader import DocxError, Segment, WordDocument, read_docx, read_docx_bytes

__all__ = ["DocxError", "Edit", "MaskReport", "Segment", "WordDocument", "edits_for_findings", "mask_docx",
           "read_docx", "read_docx_bytes"]
