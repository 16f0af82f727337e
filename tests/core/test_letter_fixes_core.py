"""Letters a family may receive: a third party written around by role (not 〇〇), the names this letter is
meant to carry told apart, export file names and folders, the 下書き copy, and digits set close to kanji."""

import datetime as dt
import os
import shutil
import subprocess

import pytest
from docx import Document
from docx.oxml.ns import qn

from desktop_app.core.context import CheckContext, facility_from_dict
from desktop_app.core.findings import expected_names, mask_edit, suggestion_edit
from desktop_app.core.writers import export_folder, safe_file_name, suggested_name, write_draft

CONTEXT = {"recipient": {"name": "岡部 智子"}, "subject": {"name": "岡部 ハツ"}, "sender": {"name": "森田 恵"},
           "facility": {"name": "グループホーム ひだまり", "staff": ["小池 誠"]}}

# (sentence, what the letter says once the third party's name is written around)
WRITE_AROUND = [
    ("昨夜、同室の宮下様もベッドから転倒されました。", "昨夜、同室の方もベッドから転倒されました。"),
    ("隣のお部屋の宮下さんが、夜中に声をかけてくださいました。", "隣室の方が、夜中に声をかけてくださいました。"),
    ("食堂では宮下様と一緒にお茶を楽しまれました。", "食堂ではほかのご利用者様と一緒にお茶を楽しまれました。"),
    ("他のご家族の宮下様からもお見舞いをいただきました。", "他のご家族の方からもお見舞いをいただきました。"),
]


def _applied(text, findings, count=1):
    """The text with the last third party's suggestion applied (the one the sentence is about)."""
    third = sorted((f for f in findings if f.category == "pii.person" and dict(f.meta).get("third_party")),
                   key=lambda f: f.start)
    assert len(third) == count, [(f.text, dict(f.meta)) for f in findings]
    start, end, new = suggestion_edit(third[-1])
    return text[:start] + new + text[end:], third[-1]


@pytest.mark.parametrize("text,expected", WRITE_AROUND)
def test_third_party_is_written_around_by_role_without_the_model(pattern_runner, text, expected):
    out, f = _applied(text, pattern_runner.check(text, CONTEXT))
    assert out == expected
    assert "〇〇" not in f.suggestions


@pytest.mark.nlp
@pytest.mark.parametrize("text,expected", WRITE_AROUND + [
    # the room is said by the clause the name sits in, not right before it
    ("宮下様とは、お部屋が同じこともあり、よくお話しされています。", "同室の方とは、お部屋が同じこともあり、よくお話しされています。"),
])
def test_third_party_is_written_around_by_role_with_the_parse(runner, text, expected):
    out, _ = _applied(text, runner.check(text, CONTEXT))
    assert out == expected


@pytest.mark.nlp
def test_another_residents_son_keeps_the_relation_and_loses_the_name(runner):
    text = "同室の宮下様のご長男の宮下浩二様が手伝ってくださいました。"
    out, f = _applied(text, runner.check(text, CONTEXT), count=2)
    assert out == "同室の宮下様のご長男の方が手伝ってくださいました。"
    assert "ほかのご家族" in f.suggestions


def test_masking_a_third_party_in_a_sent_letter_writes_around_and_a_word_copy_keeps_the_mask(pattern_runner):
    text = "同室の宮下様も驚かれていました。"
    f = next(f for f in pattern_runner.check(text, CONTEXT) if dict(f.meta).get("third_party"))
    start, end, new = mask_edit(f, word_letter=False)
    assert text[:start] + new + text[end:] == "同室の方も驚かれていました。"
    assert mask_edit(f, word_letter=True) == (f.start, f.end, "〇〇")


def test_names_expected_in_this_letter_are_told_apart_from_a_third_party(pattern_runner):
    text = ("岡部 智子 様\n\n岡部ハツ様は、介護職員の小池と散歩をされ、同室の宮下様ともお話しされました。\n"
            "グループホーム ひだまり\n管理者　森田 恵\n")
    findings = pattern_runner.check(text, CONTEXT)
    ctx = CheckContext.from_dict(CONTEXT)
    expected = {f.text for f in expected_names(findings, ctx)}
    assert {"岡部 智子", "岡部ハツ", "小池", "森田 恵"} <= expected
    assert "宮下" not in expected
    # a staff surname counts only for a name on the facility's staff list
    assert "小池" not in {f.text for f in expected_names(findings, CheckContext.from_dict({**CONTEXT, "facility": {}}))}


def test_suggested_name_is_date_kind_and_resident():
    ctx = CheckContext.from_dict({"subject": {"name": "高橋 ヨシ子"}, "date": "2026-12-04"})
    assert suggested_name("事故報告", ctx) == "2026-12-04_事故報告_高橋ヨシ子様.docx"
    no_date = CheckContext.from_dict({"subject": {"name": "高橋 ヨシ子"}})
    assert suggested_name("近況報告", no_date, today=dt.date(2027, 1, 5)) == "2027-01-05_近況報告_高橋ヨシ子様.docx"
    assert suggested_name("お知らせ", None, today=dt.date(2027, 1, 5), suffix=".pdf") == "2027-01-05_お知らせ.pdf"


@pytest.mark.parametrize("raw,safe", [("事故報告/経過: 2回目?", "事故報告_経過_ 2回目_"), ('a<b>"c|d*', "a_b__c_d_"),
                                      ("お知らせ. ", "お知らせ"), ("", "手紙")])
def test_file_names_have_no_character_windows_refuses(raw, safe):
    assert safe_file_name(raw) == safe


def test_export_folder_is_the_facilitys_else_documents_never_bare_home(tmp_path, monkeypatch):
    shared = tmp_path / "共有" / "送付"
    shared.mkdir(parents=True)
    docs = tmp_path / "Docs"
    docs.mkdir()
    assert export_folder(str(shared), docs) == shared
    assert export_folder(str(tmp_path / "なし"), docs) == docs  # a folder that went away
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    monkeypatch.setattr("pathlib.Path.home", lambda: home)
    assert export_folder("", None) == home / "Documents"


def test_administrator_sets_the_export_folder_and_it_is_audited(db):
    from desktop_app.core import accounts
    from desktop_app.core.errors import WorkflowRefused
    from desktop_app.core.workflow import Services

    admin = accounts.add_user(db, "管理 花子", ["admin", "writer"], "password-123-kiku-4827", None)
    writer = accounts.add_user(db, "作成 太郎", ["writer"], "password-123-kiku-4827", admin)
    services = Services.open(db, lambda t, c: [])
    assert services.admin.export_folder() == ""
    services.admin.set_export_folder(r"\\server\共有\手紙 ", admin)
    assert services.admin.export_folder() == r"\\server\共有\手紙"
    with pytest.raises(WorkflowRefused):
        services.admin.set_export_folder("/tmp", writer)
    from desktop_app.core.audit import entries

    assert [e.action for e in entries(db) if e.action == "export_folder_change"] == ["export_folder_change"]


LETTER = ("岡部 智子 様\n\n拝啓　このたびは、ご心配をおかけしております。\n"
          "さて、令和8年12月2日の午後3時ごろ、食堂でつまずかれました。\n敬具\n\n令和8年12月4日\n"
          "グループホーム ひだまり\n管理者　森田 恵\n")


def _export(tmp_path):
    from desktop_app.core.export_docx import export_docx

    return export_docx(LETTER, tmp_path / "letter.docx", author="グループホーム ひだまり")


def test_docx_asks_for_no_space_between_kanji_and_digits(tmp_path):
    doc = Document(str(_export(tmp_path)))
    normal = doc.styles["Normal"].element.pPr
    for ppr in [normal] + [p._p.pPr for p in doc.paragraphs if p.text]:
        assert ppr.find(qn("w:autoSpaceDE")).get(qn("w:val")) == "0"
        assert ppr.find(qn("w:autoSpaceDN")).get(qn("w:val")) == "0"
        # schema order: autoSpace* before spacing / ind / jc, so Word opens the file without repair
        tags = [c.tag.split("}")[1] for c in ppr]
        later = [t for t in ("spacing", "ind", "jc") if t in tags]
        assert all(tags.index("autoSpaceDN") < tags.index(t) for t in later), tags


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        if os.environ.get("CI"):  # .ci/run installs LibreOffice and poppler: missing there is a failure
            pytest.fail(f"{tool} is required in CI")
        pytest.skip(f"{tool} not installed")


@pytest.mark.slow
def test_pdf_sets_digits_close_to_kanji(tmp_path):
    from desktop_app.core.export_docx import convert_to_pdf

    _need("soffice")
    _need("pdftotext")
    pdf = convert_to_pdf(_export(tmp_path))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "令和8年12月2日" in text and "午後3時ごろ" in text and "令和8年12月4日" in text, text
    assert "令和 8" not in text


def test_draft_copy_is_marked_on_every_page(tmp_path, library, facility):
    from tests.conftest import sample

    fields = sample("incident_report")
    body = library.render("incident_report", fields, facility)
    out = write_draft(body, tmp_path / "draft.docx", template_id="incident_report", fields=fields, library=library,
                      facility=facility_from_dict(facility))
    doc = Document(str(out))
    assert all(sec.header.paragraphs[0].text == "下書き（未承認）" for sec in doc.sections)
    assert "長谷川 誠一" in "\n".join(p.text for p in doc.paragraphs)
