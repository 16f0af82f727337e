"""The README's command-line flow on every bundled sample: render (with --context-out), check with
that context, export. Also the inputs a shared office PC produces: UTF-16 files, an empty letter,
no facility profile yet."""

import json

import pytest
from docx import Document

from desktop_app import cli, config
from desktop_app.cli import main
from tests.conftest import SAMPLES

BUNDLED = sorted(p.stem for p in config.templates_dir().glob("*.toml"))


def _facility_file(tid: str) -> str:
    return str(SAMPLES / ("facility_city.json" if tid == "city_office_reply" else "facility.json"))


@pytest.mark.nlp
@pytest.mark.parametrize("tid", BUNDLED)
def test_readme_flow_on_every_bundled_sample_exits_0(tmp_path, capsys, monkeypatch, runner, tid):
    monkeypatch.setattr(cli, "_runner", lambda load_model=True: runner)  # the session's GiNZA, loaded once
    letter, ctx, docx = tmp_path / "letter.txt", tmp_path / "context.json", tmp_path / "letter.docx"
    assert main(["render", tid, "--data", str(SAMPLES / f"{tid}.json"), "--facility", _facility_file(tid),
                 "--out", str(letter), "--context-out", str(ctx)]) == 0
    context = json.loads(ctx.read_text(encoding="utf-8"))
    assert context["kind"] == tid and context["facility"]["name"]
    capsys.readouterr()
    assert main(["check", str(letter), "--context", str(ctx), "--format", "json"]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    bad = [(f["category"], f["severity"], f["text"]) for f in findings
           if f["category"].startswith(("style.", "risk.")) or f["severity"] == "high"]
    assert bad == []
    # the facility's own address and phone are not personal data, the resident is not a third party
    assert not [f for f in findings if f["category"] in ("pii.address", "pii.phone", "pii.email")]
    assert not [f for f in findings if f.get("third_party")]
    assert main(["export", str(letter), "--context", str(ctx), "--out", str(docx)]) == 0
    assert Document(str(docx)).paragraphs


def test_render_context_out_names_the_people_and_the_kind(tmp_path):
    ctx = tmp_path / "ctx.json"
    assert main(["render", "complaint_reply", "--data", str(SAMPLES / "complaint_reply.json"),
                 "--facility", str(SAMPLES / "facility.json"), "--out", str(tmp_path / "l.txt"),
                 "--context-out", str(ctx)]) == 0
    data = json.loads(ctx.read_text(encoding="utf-8"))
    assert data["kind"] == "complaint_reply"
    assert data["recipient"]["name"] == "長谷川 誠一" and data["subject"]["name"] == "長谷川 キヨ"
    assert data["sender"]["name"] == "原田 健二"
    assert data["facility"]["phone"] == "042-677-3150"


def test_render_without_a_facility_name_is_refused(tmp_path, capsys):
    fac = tmp_path / "fac.json"
    fac.write_text('{"name": "  ", "phone": "03-1111-2222"}', encoding="utf-8")
    out = tmp_path / "letter.txt"
    assert main(["render", "thanks", "--data", str(SAMPLES / "thanks.json"), "--facility", str(fac),
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "施設名が設定されていません" in err and "--facility" in err
    assert not out.exists()


APOLOGY_WITH_GREETING = ("山田 一郎 様\n\n送迎中の事故についてのご報告\n\n拝啓　初冬の候、ますますご清祥のこととお喜び申し上げます。\n"
                         "さて、12月2日（水）の送迎中に車両が縁石に接触いたしました。\n敬具\n\n令和8年12月4日\n施設長　川口 良子\n")


def test_check_context_kind_and_jsonl_type_select_the_apology_rules(tmp_path, capsys):
    letter = APOLOGY_WITH_GREETING.replace("送迎中の事故についてのご報告", "送迎について")  # no hint in the title
    src = tmp_path / "l.txt"
    src.write_text(letter, encoding="utf-8")
    ctx = tmp_path / "ctx.json"
    ctx.write_text('{"kind": "incident_report"}', encoding="utf-8")
    assert main(["check", str(src), "--context", str(ctx), "--format", "json", "--no-model"]) == 0
    cats = [f["category"] for f in json.loads(capsys.readouterr().out)["findings"]]
    assert "style.apology_greeting" in cats
    assert main(["check", str(src), "--kind", "event_notice", "--format", "json", "--no-model"]) == 0
    cats = [f["category"] for f in json.loads(capsys.readouterr().out)["findings"]]
    assert "style.apology_greeting" not in cats
    jl = tmp_path / "letters.jsonl"
    jl.write_text("\n".join(json.dumps({"id": i, "type": t, "text": letter}, ensure_ascii=False)
                            for i, t in (("a", "complaint_reply"), ("b", "thanks"))) + "\n", encoding="utf-8")
    assert main(["check", "--no-model", "--jsonl", str(jl)]) == 0
    rows = [json.loads(ln) for ln in capsys.readouterr().out.splitlines()]
    by_id = {r["id"]: {f["category"] for f in r["findings"]} for r in rows}
    assert "style.apology_greeting" in by_id["a"] and "style.apology_greeting" not in by_id["b"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_letters_from_notepad_are_read(tmp_path, capsys, encoding):
    src = tmp_path / "notepad.txt"
    src.write_bytes(APOLOGY_WITH_GREETING.replace("\n", "\r\n").encode(encoding))
    assert main(["check", str(src), "--format", "json", "--no-model"]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert any(f["category"] == "style.apology_greeting" and f["text"].startswith("初冬の候") for f in findings)


@pytest.mark.parametrize("body", ["", "\n\n　 \r\n"])
def test_export_refuses_an_empty_letter(tmp_path, capsys, body):
    src = tmp_path / "empty.txt"
    src.write_text(body, encoding="utf-8")
    out = tmp_path / "empty.docx"
    assert main(["export", str(src), "--out", str(out), "--no-model"]) == 2
    assert "empty" in capsys.readouterr().err
    assert not out.exists()
