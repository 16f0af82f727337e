"""Word export: layout, the eastAsia font, properties that leak nothing, and safe writing."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from desktop_app import config
from desktop_app.core.export_docx import export_docx, layout
from desktop_app.core.fileio import WriteError
from desktop_app.core.templates import TemplateLibrary
from tests.conftest import sample


@pytest.fixture
def letter(facility):
    lib = TemplateLibrary(config.templates_dir())
    return lib.render("event_notice", sample("event_notice"), facility)


def test_layout_aligns_letter_parts(letter):
    blocks = {b.text: b for b in layout(letter) if b.text}
    assert blocks["ご家族各位"].align == "left"
    assert blocks["クリスマス会のご案内"].align == "center"
    assert blocks["敬具"].align == "right" and blocks["以上"].align == "right"
    assert blocks["記"].align == "center"
    assert blocks["令和8年11月22日"].align == "right"
    body = next(b for b in layout(letter) if b.text.startswith("さて"))
    assert body.indent


def test_docx_has_a4_eastasia_font_and_safe_properties(tmp_path, letter):
    out = export_docx(letter, tmp_path / "案内 12月.docx", author="特別養護老人ホーム さくらの里", title="行事のご案内")
    doc = Document(str(out))
    sec = doc.sections[0]
    assert abs(sec.page_width.mm - 210) < 1 and abs(sec.page_height.mm - 297) < 1
    rfonts = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert rfonts.get(qn("w:eastAsia")) == "MS 明朝"
    run = next(p.runs[0] for p in doc.paragraphs if p.runs)
    assert run.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "MS 明朝"
    assert 10.5 <= doc.styles["Normal"].font.size.pt <= 12
    props = doc.core_properties
    assert props.author == props.last_modified_by == "特別養護老人ホーム さくらの里"
    assert os.environ.get("USER", "root") not in (props.author, props.last_modified_by)
    assert props.comments == "" and props.revision == 1
    texts = [p.text for p in doc.paragraphs]
    assert "記" in texts and texts[-1] != ""
    right = [p for p in doc.paragraphs if p.text == "敬具"][0]
    assert right.alignment == WD_ALIGN_PARAGRAPH.RIGHT


def test_gothic_font_choice(tmp_path, letter):
    out = export_docx(letter, tmp_path / "g.docx", author="施設", font="gothic")
    rfonts = Document(str(out)).styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert rfonts.get(qn("w:eastAsia")) == "MS ゴシック"


def test_failed_write_keeps_the_previous_file(tmp_path, letter, monkeypatch):
    target = tmp_path / "letter.docx"
    target.write_bytes(b"previous version")

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("docx.document.Document.save", boom)
    with pytest.raises(WriteError) as exc:
        export_docx(letter, target, author="施設")
    assert exc.value.reason == "disk_full" and "空き容量" in str(exc.value)
    assert target.read_bytes() == b"previous version"
    assert [p.name for p in tmp_path.iterdir()] == ["letter.docx"]  # no temporary file left behind


@pytest.mark.parametrize("errno_,reason", [(13, "permission"), (30, "read_only"), (28, "disk_full")])
def test_folder_that_cannot_be_written_is_explained(tmp_path, letter, monkeypatch, errno_, reason):
    # root ignores chmod, so the OS refusal is simulated where the temporary file is created
    def refuse(*a, **k):
        raise OSError(errno_, os.strerror(errno_))

    monkeypatch.setattr("desktop_app.core.fileio.tempfile.mkstemp", refuse)
    with pytest.raises(WriteError) as exc:
        export_docx(letter, tmp_path / "x.docx", author="施設")
    assert exc.value.reason == reason
    assert not (tmp_path / "x.docx").exists()


def test_pdf_without_libreoffice_says_so(tmp_path, letter, monkeypatch):
    from desktop_app.core.export_docx import PdfUnavailable, convert_to_pdf

    out = export_docx(letter, tmp_path / "letter.docx", author="施設")
    monkeypatch.setattr("desktop_app.core.export_docx.find_soffice", lambda: None)
    with pytest.raises(PdfUnavailable) as exc:
        convert_to_pdf(out)
    assert "LibreOffice" in str(exc.value)


def test_locked_target_is_explained(tmp_path, letter, monkeypatch):
    target = tmp_path / "letter.docx"
    target.write_bytes(b"open in Word")

    def locked(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("desktop_app.core.fileio.os.replace", locked)
    with pytest.raises(WriteError) as exc:
        export_docx(letter, target, author="施設")
    assert "Word" in str(exc.value) and target.read_bytes() == b"open in Word"


def test_wrong_extension_is_refused(tmp_path, letter):
    with pytest.raises(WriteError):
        export_docx(letter, tmp_path / "letter.txt", author="施設")


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("soffice") or not shutil.which("pdftotext"), reason="LibreOffice/poppler not installed")
def test_libreoffice_converts_to_one_page_pdf(tmp_path, letter):
    from desktop_app.core.export_docx import convert_to_pdf

    out = export_docx(letter, tmp_path / "letter.docx", author="施設")
    pdf = convert_to_pdf(out)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "クリスマス会のご案内" in text and "以上" in text


def test_condolence_without_closing_still_right_aligns_date_and_sender(facility):
    text = TemplateLibrary(config.templates_dir()).render("condolence", sample("condolence"), facility)
    blocks = [b for b in layout(text) if b.text]
    assert blocks[0].align == "left"
    tail = blocks[-5:]
    assert tail[0].text == "令和8年11月22日" and all(b.align == "right" for b in tail)
    assert not any(b.text.startswith(("拝啓", "敬具")) for b in blocks)
    assert blocks[1].text.startswith("キヨ様のご逝去") and blocks[1].indent


# ---- layout by line role, for every bundled template -------------------------------------------------
import json  # noqa: E402
import stat  # noqa: E402

from desktop_app.core.export_docx import (  # noqa: E402
    font_replacements,
    infer_roles,
    subprocess_env,
    write_lo_profile,
)
from desktop_app.core.letter_roles import reanchor_roles  # noqa: E402
from tests.conftest import SAMPLES  # noqa: E402

BUNDLED = sorted(p.stem for p in config.templates_dir().glob("*.toml"))


def _facility_for(tid):
    return json.loads((SAMPLES / ("facility_city.json" if tid == "city_office_reply" else "facility.json"))
                      .read_text(encoding="utf-8"))


def _export_template(tmp_path, tid, data=None, **kw):
    lib = TemplateLibrary(config.templates_dir())
    st = lib.render_structured(tid, data or sample(tid), _facility_for(tid))
    out = export_docx(st.text, tmp_path / f"{tid}.docx", author="施設", roles=st.roles,
                      layout=lib.get(tid).layout, **kw)
    paras = [p for p in Document(str(out)).paragraphs]
    lines = st.text.rstrip("\n").split("\n")
    assert [p.text for p in paras] == [ln.strip() for ln in lines]  # one paragraph per line, nothing lost
    return lib.get(tid), paras, st.roles


@pytest.mark.parametrize("tid", BUNDLED)
def test_every_template_is_laid_out_by_role(tmp_path, tid):
    info, paras, roles = _export_template(tmp_path, tid)
    by_role: dict[str, list] = {}
    for p, r in zip(paras, roles, strict=True):
        by_role.setdefault(r, []).append(p)
    right, centre = WD_ALIGN_PARAGRAPH.RIGHT, WD_ALIGN_PARAGRAPH.CENTER
    assert by_role["sender"] and all(p.alignment == right for p in by_role["sender"])
    assert [p.alignment for p in by_role["date"]] == [right]
    assert all(p.alignment == WD_ALIGN_PARAGRAPH.LEFT for p in by_role["recipient"])
    for p in by_role["body"]:  # 字下げ by role, whatever the first character
        assert p.paragraph_format.first_line_indent is not None and p.paragraph_format.first_line_indent.pt == 11
    for r in ("opening", "heading", "items", "recipient", "sender", "date"):
        assert all(p.paragraph_format.first_line_indent is None for p in by_role.get(r, []))
    date_at = roles.index("date")
    if info.layout == "business":  # number and date top right, sender block under the 宛名, 件名 centred
        assert date_at < roles.index("recipient") < roles.index("sender") < roles.index("title")
        assert all(p.alignment == centre for p in by_role["title"] + by_role["ki"])
        assert all(p.alignment == right for p in by_role["ijo"])
    else:  # 手紙: 後付け (date, sender) at the end, right-aligned
        assert date_at > max(i for i, r in enumerate(roles) if r in ("body", "closing"))
        assert date_at < roles.index("sender")


def test_city_office_sender_block_is_right_aligned_together(tmp_path):
    _, paras, _ = _export_template(tmp_path, "city_office_reply")
    align = {p.text: p.alignment for p in paras if p.text}
    right = WD_ALIGN_PARAGRAPH.RIGHT
    assert align["八王子市 福祉部 介護保険課"] == right  # the department: the sender block, under the 宛名
    assert align["八高福第2214号"] == right and align["令和8年11月22日"] == right
    assert align["住宅改修費の支給申請について（回答）"] == WD_ALIGN_PARAGRAPH.CENTER
    assert align["担当　給付担当　藤本 直樹"] == right and align["電話　042-626-3111"] == right


def test_body_lines_starting_with_a_digit_keep_their_indent(tmp_path):
    data = dict(sample("monthly_report"), daily_life="12月1日から、朝の体操に参加されています。\n2回目の散歩も楽しまれました。")
    _, paras, roles = _export_template(tmp_path, "monthly_report", data)
    for text in ("12月1日から、朝の体操に参加されています。", "2回目の散歩も楽しまれました。"):
        p = next(p for p in paras if p.text == text)
        assert p.paragraph_format.first_line_indent.pt == 11


def test_inferred_roles_for_a_plain_text_letter():
    text = ("市福第12号\n令和8年11月22日\n\n森田 光男 様\n\n北区役所 福祉部\n高齢福祉課\n\nお問い合わせについて（回答）\n\n"
            "拝啓　晩秋の候、ますますご清祥のこととお喜び申し上げます。\n11月の第2週に、申請書をお送りします。\n"
            "1．申請書の書き方\n敬具\n\n記\n\n1．回答\n以上\n")
    roles = dict(zip(text.split("\n"), infer_roles(text), strict=False))
    assert roles["北区役所 福祉部"] == roles["高齢福祉課"] == "sender"
    assert roles["お問い合わせについて（回答）"] == "title"
    assert roles["市福第12号"] == "docnum" and roles["令和8年11月22日"] == "date"
    assert roles["11月の第2週に、申請書をお送りします。"] == "body"
    assert roles["1．申請書の書き方"] == "heading" and roles["1．回答"] == "items"


def test_roles_follow_the_users_edits():
    old = "山田 花子 様\n\n近況のお知らせ\n\n拝啓　時候のご挨拶。\n本文その一。\n敬具\n\n令和8年11月22日\nさくらの里\n相談員　木下 彩\n"
    roles = ["recipient", "", "title", "", "opening", "body", "closing", "", "date", "sender", "sender"]
    new = ("山田 花子 様\n\n近況のお知らせ\n\n拝啓　時候のご挨拶。\n本文その一を書き直しました。\n追加した一文です。\n敬具\n\n"
           "令和8年11月22日\nさくらの里\n介護主任　木下 彩\n電話 042-000-0000\n")
    got = dict(zip(new.rstrip("\n").split("\n"), reanchor_roles(old, roles, new), strict=True))
    assert got["本文その一を書き直しました。"] == "body" and got["追加した一文です。"] == "body"
    assert got["介護主任　木下 彩"] == "sender" and got["電話 042-000-0000"] == "sender"
    assert got["敬具"] == "closing" and got["令和8年11月22日"] == "date" and got["山田 花子 様"] == "recipient"


def test_render_keeps_plain_text_and_structured_roles_match_it(library, facility):
    for tid in BUNDLED:
        st = library.render_structured(tid, sample(tid), _facility_for(tid))
        assert st.text == library.render(tid, sample(tid), _facility_for(tid))
        assert "\ue000" not in st.text and len(st.roles) == len(st.lines())


def test_draft_header_on_every_page(tmp_path):
    _export_template(tmp_path, "monthly_report", header_text="下書き（未承認）")
    doc = Document(str(tmp_path / "monthly_report.docx"))
    for sec in doc.sections:
        assert sec.header.paragraphs[0].text == "下書き（未承認）"
        assert not sec.different_first_page_header_footer  # the same header on page 1 and after


def test_font_table_names_mincho_fallbacks(tmp_path, letter):
    out = export_docx(letter, tmp_path / "f.docx", author="施設")
    import zipfile

    fonts = zipfile.ZipFile(out).read("word/fontTable.xml").decode()
    entry = re.search(r'<w:font w:name="MS 明朝">.*?</w:font>', fonts, re.S).group(0)
    alt = re.search(r'w:altName w:val="([^"]+)"', entry).group(1).split(",")
    assert alt.index("游明朝") < alt.index("Hiragino Mincho ProN")
    assert 'w:family w:val="roman"' in entry


def test_pdf_font_replacement_maps_word_faces_to_an_installed_mincho(tmp_path):
    repl = font_replacements({"Noto Serif CJK JP", "Noto Sans CJK JP", "DejaVu Sans"})
    assert repl["MS 明朝"] == repl["游明朝"] == "Noto Serif CJK JP"
    assert repl["MS ゴシック"] == "Noto Sans CJK JP"
    assert font_replacements({"IPAex明朝"})["MS 明朝"] == "IPAex明朝"
    write_lo_profile(tmp_path, repl)
    xcu = (tmp_path / "user" / "registrymodifications.xcu").read_text(encoding="utf-8")
    assert "<value>MS 明朝</value>" in xcu and "<value>Noto Serif CJK JP</value>" in xcu


def test_frozen_app_gives_libreoffice_the_users_library_path():
    env = {"LD_LIBRARY_PATH": "/opt/app/_internal:/usr/lib/x", "LD_LIBRARY_PATH_ORIG": "/usr/lib/x",
           "QT_PLUGIN_PATH": "/opt/app/_internal/PySide6/plugins", "HOME": "/home/u"}
    out = subprocess_env(env, frozen=True, bundle="/opt/app/_internal")
    assert out["LD_LIBRARY_PATH"] == "/usr/lib/x" and "LD_LIBRARY_PATH_ORIG" not in out
    assert "QT_PLUGIN_PATH" not in out and out["HOME"] == "/home/u"
    out = subprocess_env({"LD_LIBRARY_PATH": "/opt/app/_internal"}, frozen=True, bundle="/opt/app/_internal")
    assert "LD_LIBRARY_PATH" not in out
    assert subprocess_env(env, frozen=False) == env


def test_libreoffice_profile_is_a_file_uri(tmp_path, letter, monkeypatch):
    from desktop_app.core import export_docx as ex

    out = export_docx(letter, tmp_path / "u.docx", author="施設")
    seen = {}

    def fake_run(cmd, **kw):
        seen["cmd"], seen["env"] = cmd, kw.get("env")
        outdir = cmd[cmd.index("--outdir") + 1]  # LibreOffice writes into a work folder first
        (Path(outdir) / "u.pdf").write_bytes(b"%PDF")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(ex, "find_soffice", lambda: "soffice")
    monkeypatch.setattr(ex.subprocess, "run", fake_run)
    monkeypatch.setattr(ex, "installed_families", lambda: {"Noto Serif CJK JP"})
    assert ex.convert_to_pdf(out).read_bytes() == b"%PDF"  # then put in place beside the .docx
    arg = next(a for a in seen["cmd"] if a.startswith("-env:UserInstallation="))
    assert arg.startswith("-env:UserInstallation=file:///") and seen["env"] is not None


@pytest.mark.parametrize("umask,mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_exported_file_follows_the_umask(tmp_path, letter, umask, mode):
    old = os.umask(umask)
    try:
        out = export_docx(letter, tmp_path / "m.docx", author="施設")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == mode


def test_export_is_fsynced_before_the_rename(tmp_path, letter, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr("desktop_app.core.fileio.os.fsync", lambda fd: (calls.append("fsync"), real_fsync(fd)))
    monkeypatch.setattr("desktop_app.core.fileio.os.replace", lambda a, b: (calls.append("replace"), real_replace(a, b)))
    export_docx(letter, tmp_path / "s.docx", author="施設")
    assert calls.index("fsync") < calls.index("replace")


def test_read_only_target_is_not_overwritten(tmp_path, letter):
    target = tmp_path / "承認済み.docx"
    target.write_bytes(b"approved copy")
    os.chmod(target, 0o444)
    with pytest.raises(WriteError) as exc:
        export_docx(letter, target, author="施設")
    assert exc.value.reason == "read_only_file" and "読み取り専用" in str(exc.value)
    assert target.read_bytes() == b"approved copy"


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("soffice") or not shutil.which("pdffonts"), reason="LibreOffice/poppler not installed")
def test_pdf_uses_a_mincho_face(tmp_path):
    from desktop_app.core.export_docx import convert_to_pdf

    _export_template(tmp_path, "city_office_reply")
    pdf = convert_to_pdf(tmp_path / "city_office_reply.docx")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    names = [ln.split()[0] for ln in fonts.splitlines()[2:] if ln.strip()]
    assert names and all(re.search(r"Serif|Mincho|明朝", n, re.I) for n in names), fonts
    assert not any("Sans" in n or "Gothic" in n for n in names), fonts


def test_pdf_target_that_is_a_folder_or_read_only_is_refused_before_conversion(tmp_path, monkeypatch):
    from desktop_app.core import export_docx as ed

    letter = tmp_path / "お知らせ.docx"
    ed.export_docx("ご家族様\n\n面会時間が変わります。\n", letter, author="施設")
    monkeypatch.setattr(ed, "find_soffice", lambda: "/nonexistent/soffice")  # must not be reached
    (tmp_path / "お知らせ.pdf").mkdir()
    with pytest.raises(ed.PdfUnavailable, match="フォルダー"):
        ed.convert_to_pdf(letter)
    (tmp_path / "お知らせ.pdf").rmdir()
    (tmp_path / "お知らせ.pdf").write_bytes(b"sent last week")
    os.chmod(tmp_path / "お知らせ.pdf", 0o444)
    with pytest.raises(ed.PdfUnavailable, match="読み取り専用"):
        ed.convert_to_pdf(letter)
    assert (tmp_path / "お知らせ.pdf").read_bytes() == b"sent last week"
