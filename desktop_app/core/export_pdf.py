"""A letter exported as PDF, carrying the audit chain's head in its metadata like the .docx does.

LibreOffice (7.4 checked with `pdfinfo`) copies a .docx's title, author, subject and keywords into the PDF's
Info dictionary, but not its custom properties (docProps/custom.xml). So the letter's .docx is written into a
private folder, the head is set both as custom properties and as `NAME=VALUE` keywords, LibreOffice converts
it, and the PDF is read back: a PDF whose Info dictionary does not carry the head is refused (PdfUnavailable),
never sent without it. No PDF library is needed, and no byte of LibreOffice's PDF is edited afterwards."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from desktop_app.core.docx_props import set_keywords, write_custom_properties
from desktop_app.core.export_docx import PdfUnavailable, convert_to_pdf

# /Keywords followed by a hex string <FEFF…> (what LibreOffice writes) or a literal string ( … )
_KEYWORDS = re.compile(rb"/Keywords\s*(<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\))", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")", b"\\": b"\\"}


def write_pdf(write_docx: Callable[[Path], object], out: Path, props: dict[str, str], timeout: float = 180) -> Path:
    """Write the letter's .docx with `write_docx(path)` into a private folder, stamp `props`, convert it,
    check that the PDF's Info dictionary carries them, and copy the PDF to `out`. Raises PdfUnavailable."""
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="careletter-pdf-") as work:
        docx = Path(work) / "letter.docx"
        write_docx(docx)
        write_custom_properties(docx, props)
        set_keywords(docx, props)
        made = convert_to_pdf(docx, Path(work), timeout=timeout)
        carried = read_pdf_properties(made)
        if any(carried.get(name) != value for name, value in props.items()):
            raise PdfUnavailable("この LibreOffice はPDFに監査ログの記録（キーワード）を書き込みませんでした。"
                                 "PDFは保存していません。Wordファイルで送るか、LibreOffice を更新してください。")
        shutil.copyfile(made, out)
    return out


def _decode(raw: bytes) -> str:
    if raw.startswith(b"<"):
        digits = re.sub(rb"\s", b"", raw[1:-1]).decode("ascii")
        data = bytes.fromhex(digits + "0" * (len(digits) % 2))  # an odd last digit is followed by 0
    else:
        data, body, i = b"", raw[1:-1], 0
        while i < len(body):
            c = body[i:i + 1]
            if c == b"\\" and i + 1 < len(body):
                octal = re.match(rb"[0-7]{1,3}", body[i + 1:i + 4])
                if octal:
                    data += bytes([int(octal.group(), 8) & 0xFF])
                    i += 1 + len(octal.group())
                    continue
                data += _ESCAPES.get(body[i + 1:i + 2], body[i + 1:i + 2])
                i += 2
                continue
            data += c
            i += 1
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be", "replace")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    return data.decode("latin-1")


def read_pdf_properties(path: Path) -> dict[str, str]:
    """The `NAME=VALUE` items of a PDF's keywords (the newest /Keywords entry: a later incremental update
    comes after an earlier one). Reads the Info dictionary as LibreOffice writes it, uncompressed; {} when
    there is none."""
    found = _KEYWORDS.findall(Path(path).read_bytes())
    if not found:
        return {}
    items = (w.strip().partition("=") for w in _decode(found[-1]).split(","))
    return {name: value for name, eq, value in items if eq and name}
