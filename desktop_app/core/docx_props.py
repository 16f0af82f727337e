"""A .docx file's custom document properties (docProps/custom.xml), which python-docx cannot write: the
export stamps the audit chain's head there, so a sent letter says where the log stood when it was made.
Only the zip's three small parts are touched; every other part is copied as it was. The keywords
(docProps/core.xml) carry the same head into a PDF: LibreOffice puts them in the PDF's Info dictionary and
drops custom properties."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree as ET

from desktop_app.core.fileio import atomic_write

CUSTOM_PART = "docProps/custom.xml"
CORE_PART = "docProps/core.xml"
_CP = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
_CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # the format id every custom property carries

ET.register_namespace("", _NS)
ET.register_namespace("vt", _VT)


def _xml(root: ET.Element) -> bytes:
    return ET.tostring(root, xml_declaration=True, encoding="UTF-8")


def _custom(existing: bytes | None, props: dict[str, str]) -> bytes:
    root = ET.fromstring(existing) if existing else ET.Element(f"{{{_NS}}}Properties")
    for p in list(root):
        if p.get("name") in props:
            root.remove(p)
    pid = max([int(p.get("pid", "1")) for p in root] + [1])
    for name, value in props.items():
        pid += 1
        p = ET.SubElement(root, f"{{{_NS}}}property", fmtid=_FMTID, pid=str(pid), name=name)
        ET.SubElement(p, f"{{{_VT}}}lpwstr").text = value
    return _xml(root)


def _content_types(data: bytes) -> bytes:
    ET.register_namespace("", _CT)
    root = ET.fromstring(data)
    if not any(o.get("PartName") == "/" + CUSTOM_PART for o in root):
        ET.SubElement(root, f"{{{_CT}}}Override", PartName="/" + CUSTOM_PART, ContentType=_CUSTOM_TYPE)
    return _xml(root)


def _rels(data: bytes) -> bytes:
    ET.register_namespace("", _REL)
    root = ET.fromstring(data)
    if not any(r.get("Type") == _REL_TYPE for r in root):
        ids = {r.get("Id") for r in root}
        n = 1
        while f"rIdCustom{n}" in ids:
            n += 1
        ET.SubElement(root, f"{{{_REL}}}Relationship", Id=f"rIdCustom{n}", Type=_REL_TYPE, Target=CUSTOM_PART)
    return _xml(root)


def _rewrite(path: Path, change: Callable[[str, bytes], bytes], missing: dict[str, bytes] | None = None) -> None:
    """Copy the .docx's parts into a new zip beside it, `change(name, data)` deciding each part's bytes and
    `missing` adding parts it lacks, then put the new file in its place (fileio.atomic_write)."""

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            names = set(src.namelist())
            for info in src.infolist():
                dst.writestr(info, change(info.filename, src.read(info)))
            for name, data in (missing or {}).items():
                if name not in names:
                    dst.writestr(name, data)

    atomic_write(Path(path), write)


def write_custom_properties(path: Path, props: dict[str, str]) -> None:
    """Set these custom properties (text) in the .docx at `path`, keeping any others it has."""
    edits = {"[Content_Types].xml": _content_types, "_rels/.rels": _rels,
             CUSTOM_PART: lambda data: _custom(data, props)}
    _rewrite(path, lambda name, data: edits[name](data) if name in edits else data,
             missing={CUSTOM_PART: _custom(None, props)})


def set_keywords(path: Path, props: dict[str, str]) -> None:
    """Add `NAME=VALUE` for each of `props` to the .docx's keywords (cp:keywords, Word's タグ), keeping the
    other keywords it has and replacing an older value of the same names. lxml keeps every namespace prefix
    of core.xml as it was (xsi:type="dcterms:W3CDTF" names one in an attribute value)."""
    from lxml import etree  # python-docx's own XML library

    with zipfile.ZipFile(path) as src:
        if CORE_PART not in src.namelist():
            raise ValueError(f"{Path(path).name}: no {CORE_PART}")

    def keywords(name: str, data: bytes) -> bytes:
        if name != CORE_PART:
            return data
        root = etree.fromstring(data)
        node = root.find(f"{{{_CP}}}keywords")
        if node is None:
            node = etree.SubElement(root, f"{{{_CP}}}keywords")
        kept = [w.strip() for w in (node.text or "").split(",")
                if w.strip() and w.strip().partition("=")[0] not in props]
        node.text = ", ".join(kept + [f"{k}={v}" for k, v in props.items()])
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    _rewrite(path, keywords)


def read_custom_properties(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        if CUSTOM_PART not in z.namelist():
            return {}
        root = ET.fromstring(z.read(CUSTOM_PART))
    return {p.get("name", ""): "".join(p.itertext()) for p in root}
