"""The CLI on Word letters: check prints where each finding is; mask writes a copy that keeps the layout."""

import json
import re
import zipfile

import pytest

from desktop_app.cli import main
from tests.core import docx_fixtures as fx


@pytest.fixture
def letter(tmp_path):
    return fx.build_letter_docx(tmp_path / "letter.docx")


def test_check_docx_text_output_names_locations(letter, capsys):
    main(["check", "--no-model", str(letter)])
    out = capsys.readouterr().out
    assert f"［表1の2行3列］ [medium] pii.phone (電話番号) 「{fx.TABLE_PHONE}」" in out
    assert "［ヘッダー］" in out and "［変更履歴（削除された文字）・本文］" in out


def test_check_docx_json_has_location_and_warnings(letter, capsys):
    main(["check", "--no-model", "--format", "json", str(letter)])
    rec = json.loads(capsys.readouterr().out)
    where = {f["text"]: f["location"] for f in rec["findings"]}
    assert where[fx.FOOTER_EMAIL] == "フッター" and where[fx.TEXTBOX_ADDRESS] == "テキストボックス"
    assert rec["warnings"] == []


def test_mask_writes_a_copy_without_the_personal_data(tmp_path, letter, capsys):
    out = tmp_path / "masked.docx"
    assert main(["mask", "--no-model", str(letter), "--out", str(out)]) == 0
    io = capsys.readouterr()
    assert int(re.search(r"伏せ字・修正：(\d+)か所", io.out).group(1)) >= 8 and f"表1の2行3列: 「{fx.TABLE_PHONE}」 → 「〇〇」" in io.err
    with zipfile.ZipFile(out) as z:
        blob = b"".join(z.read(n) for n in z.namelist()).decode("utf-8", "replace")
    assert fx.HEADER_PHONE not in blob and fx.TABLE_PHONE not in blob


def test_mask_names_what_it_cannot_reproduce_before_saving(tmp_path, capsys):
    src = fx.build_docx_with_picture_and_field(tmp_path / "photo.docx")
    assert main(["mask", "--no-model", str(src), "--out", str(tmp_path / "o.docx")]) == 0
    io = capsys.readouterr()
    assert "warning: 画像が1枚あります" in io.err and "注意：画像" in io.out


@pytest.mark.parametrize("args", [
    ["mask", "--no-model", "{tmp}/letter.txt", "--out", "{tmp}/o.docx"],
    ["mask", "--no-model", "{tmp}/missing.docx", "--out", "{tmp}/o.docx"],
    ["check", "--no-model", "{tmp}/bomb.docx"],
])
def test_bad_word_input_exits_2_with_a_message(tmp_path, capsys, args):
    (tmp_path / "letter.txt").write_text("本文", encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "bomb.docx", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<a>" + b"A" * (21 * 1024 * 1024) + b"</a>")
    assert main([a.format(tmp=tmp_path) for a in args]) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_export_of_a_docx_keeps_its_table(tmp_path, capsys):
    src = tmp_path / "plain.docx"
    from docx import Document

    d = Document()
    d.add_paragraph("ご家族様")
    t = d.add_table(rows=2, cols=2)
    t.cell(1, 1).text = "面会の時間"
    d.save(str(src))
    out = tmp_path / "exported.docx"
    assert main(["export", "--no-model", str(src), "--out", str(out)]) == 0
    assert Document(str(out)).tables[0].cell(1, 1).text == "面会の時間"


def test_mask_with_suggestions_rewrites_a_promise_split_across_runs(tmp_path, capsys):
    from docx import Document

    from desktop_app.core.word import read_docx

    src = tmp_path / "promise.docx"
    d = Document()
    p = d.add_paragraph("今後は")
    p.add_run("必ず").bold = True
    p.add_run("再発を防ぎます。")
    d.save(str(src))
    out = tmp_path / "fixed.docx"
    assert main(["mask", "--no-model", "--apply-suggestions", str(src), "--out", str(out)]) == 0
    assert read_docx(out).text.startswith("今後は再発防止に努めてまいります。")
    assert main(["mask", "--no-model", str(src), "--out", str(tmp_path / "plain.docx")]) == 0
    assert "必ず" in read_docx(tmp_path / "plain.docx").text  # without the flag only personal data changes
