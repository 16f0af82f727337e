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


def _replace_part(path, part: str, old: bytes, new: bytes) -> None:
    with zipfile.ZipFile(path) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            z.writestr(name, data.replace(old, new) if name == part else data)


def test_mask_refuses_to_replace_its_own_input(tmp_path, letter, capsys):
    import hashlib
    import os

    before = hashlib.sha256(letter.read_bytes()).hexdigest()
    link = tmp_path / "link.docx"
    os.symlink(letter, link)
    for out in (letter, tmp_path / "." / letter.name, link):
        assert main(["mask", "--no-model", str(letter), "--out", str(out)]) == 2
        assert "上書きできません" in capsys.readouterr().err
    assert main(["mask", "--no-model", str(link), "--out", str(letter)]) == 2
    assert hashlib.sha256(letter.read_bytes()).hexdigest() == before


def test_text_behind_an_xml_comment_in_a_run_is_checked_and_masked(tmp_path, capsys):
    path = fx.build_nested_table_docx(tmp_path / "comment.docx")
    # Word does not write this, but an edited or generated file can: the reader sees the whole text
    _replace_part(path, "word/document.xml", "面会のご案内".encode(), "面会は 090-58<!-- x -->21-4407 まで<?pi y?>".encode())
    main(["check", "--no-model", "--format", "json", str(path)])
    assert "090-5821-4407" in [f["text"] for f in json.loads(capsys.readouterr().out)["findings"]]
    out = tmp_path / "masked.docx"
    assert main(["mask", "--no-model", str(path), "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as z:
        body = z.read("word/document.xml").decode()
    assert "4407" not in body and "〇〇" in body


def test_an_entity_reference_in_a_part_is_refused(tmp_path, capsys):
    path = fx.build_nested_table_docx(tmp_path / "entity.docx")
    _replace_part(path, "word/document.xml", "面会のご案内".encode(), b"&ent; 090-6613-2057")
    _replace_part(path, "word/document.xml", b"<w:document ", b'<!DOCTYPE w:document [<!ENTITY ent "x">]><w:document ')
    assert main(["check", "--no-model", str(path)]) == 2
    assert "実体参照" in capsys.readouterr().err


@pytest.mark.parametrize("target", ["/dev/zero", "a_folder.docx", "a_pipe.docx"])
def test_files_that_are_not_regular_files_are_refused_unread(tmp_path, capsys, monkeypatch, target):
    import os

    monkeypatch.chdir(tmp_path)
    if target == "a_folder.docx":
        os.mkdir(target)
    elif target == "a_pipe.docx":
        os.mkfifo(target)  # reading it would block for ever
    link = tmp_path / "link.docx"
    os.symlink(os.path.abspath(target), link)
    for path in (target, str(link)):
        assert main(["check", "--no-model", path]) == 2
        assert "通常のファイルではありません" in capsys.readouterr().err


def test_control_characters_in_a_letter_do_not_break_its_export(tmp_path, capsys):
    from docx import Document

    text = tmp_path / "letter.txt"
    text.write_text("山田 一郎 様\n\n拝啓　面会は午後\x01からです。\x0b\x00\n敬具\n", encoding="utf-8")
    out = tmp_path / "letter.docx"
    assert main(["export", "--no-model", str(text), "--out", str(out)]) == 0
    assert any(p.text == "拝啓　面会は午後からです。" for p in Document(str(out)).paragraphs)


def test_a_word_file_that_lost_its_extension_is_still_read_as_word(tmp_path, letter, capsys):
    bare = tmp_path / "12月のご連絡"
    bare.write_bytes(letter.read_bytes())
    main(["check", "--no-model", "--format", "json", str(bare)])
    rec = json.loads(capsys.readouterr().out)
    assert {f["text"]: f["location"] for f in rec["findings"]}[fx.HEADER_PHONE] == "ヘッダー"
