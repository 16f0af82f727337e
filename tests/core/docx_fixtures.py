"""Word letters built in code for the reading and masking tests: every place personal data hides."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.oxml import parse_xml
from docx.shared import Pt

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
NS = (f'{W} xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
      'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
      'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
      'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
      'xmlns:v="urn:schemas-microsoft-com:vml"')

# Fresh test data (not from the dev corpus). Each is found by the pattern rules alone.
TABLE_PHONE = "042-318-7765"  # table row 2, column 3
HEADER_PHONE = "090-3817-5524"
FOOTER_EMAIL = "kenta.moriyama@example.jp"
TEXTBOX_ADDRESS = "〒350-1123 埼玉県川越市脇田本町15番地"
COMMENT_PHONE = "080-2291-6634"
INSERTED_PHONE = "070-5532-1198"
DELETED_PHONE = "090-6612-3470"
SPLIT_PHONE = ("090-44", "71-2209")  # one number in two runs with different formatting
THIRD_PARTY = "佐々木 美代子"  # another resident, table row 3, column 2, with a diagnosis
DIAGNOSIS = "アルツハイマー型認知症"
AUTHOR = "三浦 恵子"
COMPANY = "有限会社みうら介護"


def _textbox(text: str) -> str:
    body = f'<w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:txbxContent>'
    return (
        f'<w:r {NS}><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>'
        '<wp:anchor distT="0" distB="0" distL="114300" distR="114300" simplePos="0" relativeHeight="2" '
        'behindDoc="0" locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/>'
        '<wp:positionH relativeFrom="column"><wp:posOffset>3000000</wp:posOffset></wp:positionH>'
        '<wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset></wp:positionV>'
        '<wp:extent cx="2400000" cy="500000"/><wp:effectExtent l="0" t="0" r="0" b="0"/><wp:wrapNone/>'
        '<wp:docPr id="10" name="Text Box 10"/><wp:cNvGraphicFramePr/>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        '<wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="2400000" cy="500000"/>'
        '</a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></wps:spPr>'
        f'<wps:txbx>{body}</wps:txbx><wps:bodyPr/></wps:wsp></a:graphicData></a:graphic></wp:anchor>'
        '</w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape style="width:189pt;height:39pt">'
        f'<v:textbox>{body}</v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>'
    )


def build_letter_docx(path: Path) -> Path:
    """A short family letter with personal data in every part a reader can see."""
    doc = Document()
    doc.styles["Normal"].font.size = Pt(10.5)
    sec = doc.sections[0]
    sec.header.paragraphs[0].text = f"担当直通 {HEADER_PHONE}"
    sec.footer.paragraphs[0].text = f"連絡先 {FOOTER_EMAIL}"
    doc.add_paragraph("ご家族様")
    doc.add_paragraph("拝啓　初冬の候、皆様にはお変わりなくお過ごしのこととお喜び申し上げます。")
    p = doc.add_paragraph("日中の連絡先は ")
    p.add_run(SPLIT_PHONE[0]).bold = True
    p.add_run(SPLIT_PHONE[1])
    p.add_run(" です。")
    table = doc.add_table(rows=3, cols=3)
    table.style = "Table Grid"
    for c, head in enumerate(("日付", "内容", "連絡先")):
        table.cell(0, c).text = head
    table.cell(1, 0).text = "12月3日"
    table.cell(1, 1).text = "面会のご予約"
    table.cell(1, 2).text = TABLE_PHONE
    table.cell(2, 0).text = "12月10日"
    table.cell(2, 1).text = f"同室の{THIRD_PARTY}様（{DIAGNOSIS}）と衣類の入れ替え"
    table.cell(2, 2).text = "窓口"
    anchor = doc.add_paragraph("送付先は右の枠のとおりです。")
    anchor._p.append(parse_xml(_textbox(TEXTBOX_ADDRESS)))
    commented = doc.add_paragraph("お問い合わせは担当までお願いいたします。")
    doc.add_comment(commented.runs, text=f"折り返しは {COMMENT_PHONE} へ", author="中島", initials="NK")
    tracked = doc.add_paragraph("緊急時は")
    tracked._p.append(parse_xml(
        f'<w:ins {W} w:id="101" w:author="中島" w:date="2026-11-20T10:00:00Z"><w:r><w:t xml:space="preserve">'
        f' {INSERTED_PHONE} </w:t></w:r></w:ins>'))
    tracked._p.append(parse_xml(
        f'<w:del {W} w:id="102" w:author="中島" w:date="2026-11-20T10:00:00Z"><w:r><w:delText xml:space="preserve">'
        f'（旧 {DELETED_PHONE}）</w:delText></w:r></w:del>'))
    tracked.add_run("までご連絡ください。")
    doc.add_paragraph("敬具")
    props = doc.core_properties
    props.author = AUTHOR
    props.last_modified_by = AUTHOR
    props.title = "12月のご連絡"
    doc.save(str(path))
    _set_company(path, COMPANY)
    return path


def _set_company(path: Path, company: str) -> None:
    """python-docx writes no app.xml company; add one as Word does."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    app = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties '
           'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
           f'<Application>Microsoft Office Word</Application><Company>{company}</Company></Properties>').encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            z.writestr(info.filename, app if info.filename == "docProps/app.xml" else data)


def _png_1px() -> bytes:
    """A 1×1 PNG (a picture the app cannot read text from)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
            + chunk(b"IEND", b""))


def build_docx_with_picture_and_field(path: Path) -> Path:
    """A letter with a photo and an AUTHOR field: things the masker must name before saving."""
    import io

    doc = Document()
    doc.add_paragraph("ご家族様")
    doc.add_paragraph("行事の写真をお送りします。")
    doc.add_picture(io.BytesIO(_png_1px()))
    doc.inline_shapes[0]._inline.docPr.set("descr", f"誕生会の写真（{THIRD_PARTY}様と）")
    p = doc.add_paragraph("作成：")
    p._p.append(parse_xml(f'<w:fldSimple {W} w:instr=" AUTHOR "><w:r><w:t>{AUTHOR}</w:t></w:r></w:fldSimple>'))
    doc.save(str(path))
    return path


CUSTOM_PHONE = "080-5521-7743"  # a custom document property (ファイル ▸ プロパティ ▸ ユーザー設定)


def add_custom_properties(path: Path, props: dict[str, str]) -> Path:
    """Word's custom properties part (docProps/custom.xml), its relationship and content type."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    body = "".join(
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{n}" name="{name}">'
        f"<vt:lpwstr>{value}</vt:lpwstr></property>" for n, (name, value) in enumerate(props.items(), 2))
    custom = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties '
              'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
              'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
              f"{body}</Properties>").encode()
    out = []
    for name, data in items:
        if name == "[Content_Types].xml":
            data = data.replace(b"</Types>", b'<Override PartName="/docProps/custom.xml" ContentType='
                                b'"application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>')
        elif name == "_rels/.rels":
            data = data.replace(b"</Relationships>", b'<Relationship Id="rIdCustom1" Type="http://schemas.'
                                b'openxmlformats.org/officeDocument/2006/relationships/custom-properties" '
                                b'Target="docProps/custom.xml"/></Relationships>')
        out.append((name, data))
    out.append(("docProps/custom.xml", custom))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in out:
            z.writestr(name, data)
    return path


NESTED_PHONE = "03-6417-2285"  # in a table inside a table cell


def build_nested_table_docx(path: Path) -> Path:
    """A schedule table whose second cell holds a small table of contacts (as Word allows)."""
    doc = Document()
    doc.add_paragraph("面会のご案内")
    outer = doc.add_table(rows=2, cols=2)
    outer.style = "Table Grid"
    outer.cell(0, 0).text = "日時"
    outer.cell(0, 1).text = "連絡先"
    outer.cell(1, 0).text = "12月14日 午後"
    inner = outer.cell(1, 1).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "相談室"
    inner.cell(0, 1).text = NESTED_PHONE
    doc.add_paragraph("以上、よろしくお願いいたします。")
    doc.save(str(path))
    return path
