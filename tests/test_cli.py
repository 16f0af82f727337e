"""The CLI slice through the entry function (and once through a real subprocess)."""

import json
import subprocess
import sys

import pytest
from docx import Document

from desktop_app import __version__
from desktop_app.cli import main
from tests.conftest import SAMPLES

LETTER_OK = "大森 健一 様\n\n拝啓　晩秋の候、皆様にはご清祥のこととお喜び申し上げます。\nさて、先日の行事のご報告です。\n敬具\n\n令和8年11月22日\n施設長　山本 一郎\n"
LETTER_LEAK = LETTER_OK.replace("先日の行事のご報告です。", "同室の佐々木様が転倒されました。")


def test_version(capsys):
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_templates_lists_ids_titles_and_fields(capsys):
    assert main(["templates"]) == 0
    out = capsys.readouterr().out
    assert "incident_report\t事故報告" in out and "resident_name" in out


def test_render_prints_a_filled_letter(capsys):
    code = main(["render", "incident_report", "--data", str(SAMPLES / "incident_report.json"),
                 "--facility", str(SAMPLES / "facility.json")])
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith("長谷川 誠一 様") and "令和8年11月19日" in out and "敬具" in out


def test_render_with_missing_fields_exits_2_naming_them(tmp_path, capsys):
    data = tmp_path / "d.json"
    data.write_text('{"recipient_name": "山田 太郎"}', encoding="utf-8")
    assert main(["render", "incident_report", "--data", str(data)]) == 2
    assert "ご利用者のお名前" in capsys.readouterr().err


def test_render_unknown_template_and_bad_json_exit_2(tmp_path, capsys):
    assert main(["render", "nope"]) == 2
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["render", "thanks", "--data", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and "bad.json" in err


@pytest.mark.nlp
def test_check_exit_codes_and_formats(tmp_path, capsys):
    ok = tmp_path / "ok.txt"
    ok.write_text(LETTER_OK, encoding="utf-8")
    leak = tmp_path / "leak.txt"
    leak.write_bytes(LETTER_LEAK.encode("cp932"))  # Shift_JIS as Windows staff save it
    assert main(["check", str(ok)]) == 0
    capsys.readouterr()
    assert main(["check", str(leak), "--format", "json"]) == 1
    rec = json.loads(capsys.readouterr().out.splitlines()[0])
    high = [f for f in rec["findings"] if f["severity"] == "high"]
    assert [f["text"] for f in high] == ["佐々木"]


def test_check_bom_and_missing_file(tmp_path, capsys):
    bom = tmp_path / "bom.txt"
    bom.write_bytes("\ufeff必ず再発を防ぎます。".encode())
    assert main(["check", "--no-model", str(bom)]) == 1
    assert main(["check", str(tmp_path / "missing.txt")]) == 2
    assert "missing.txt" in capsys.readouterr().err


@pytest.mark.nlp
def test_check_jsonl_keeps_input_order(tmp_path, capsys):
    lines = [{"id": "b", "text": LETTER_LEAK, "context": {"recipient": {"name": "大森 健一"}}, "spans": []},
             {"id": "a", "text": LETTER_OK}]
    f = tmp_path / "letters.jsonl"
    f.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    assert main(["check", "--jsonl", str(f)]) == 1
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [o["id"] for o in out] == ["b", "a"]
    assert all("findings" in o for o in out)


def test_check_jsonl_bad_line_exits_2(tmp_path, capsys):
    f = tmp_path / "letters.jsonl"
    f.write_text('{"id": 1, "text": "x"}\nnot json\n', encoding="utf-8")
    assert main(["check", "--no-model", "--jsonl", str(f)]) == 2
    assert "letters.jsonl:2" in capsys.readouterr().err


def test_standalone_export_refuses_high_findings_and_accept_findings_no_longer_bypasses(tmp_path, capsys):
    src = tmp_path / "leak.txt"
    src.write_text(LETTER_LEAK.replace("佐々木様", "佐々木様（マイナンバー 123456789018）"), encoding="utf-8")
    out = tmp_path / "手紙 テスト.docx"
    assert main(["export", str(src), "--out", str(out), "--no-model"]) == 1
    assert not out.exists()
    assert "マイナンバー" in capsys.readouterr().err
    assert main(["export", str(src), "--out", str(out), "--no-model", "--accept-findings", "承認者確認済み"]) == 2
    assert not out.exists()
    assert "letters approve" in capsys.readouterr().err


def test_standalone_export_is_a_draft_copy_marked_on_every_page(tmp_path, capsys):
    src = tmp_path / "ok.txt"
    src.write_text(LETTER_OK, encoding="utf-8")
    out = tmp_path / "下書き.docx"
    assert main(["export", str(src), "--out", str(out), "--no-model"]) == 0
    doc = Document(str(out))
    assert all("下書き（未承認）" in "".join(p.text for p in s.header.paragraphs) for s in doc.sections)


def test_export_to_missing_folder_exits_2(tmp_path, capsys):
    src = tmp_path / "ok.txt"
    src.write_text(LETTER_OK, encoding="utf-8")
    assert main(["export", str(src), "--out", str(tmp_path / "no" / "x.docx"), "--no-model"]) == 2
    assert "フォルダー" in capsys.readouterr().err


@pytest.mark.slow
def test_self_check_subprocess_reports_model_load_time(tmp_path):
    env = {"DESKTOP_APP_DATA_DIR": str(tmp_path), "PATH": "", "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "desktop_app", "self-check"], capture_output=True, text=True,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "GiNZA load" in proc.stdout and "all steps passed" in proc.stdout
    assert proc.stdout.count("[ OK ]") == 5
    # the frozen app runs this same self-check (make dist-check): the model's BLAS pin must find the library
    assert "BLAS one thread" in proc.stdout and ": 1 thread" in proc.stdout
