"""settings.json with wrong types: a clear warning and the default, never a silent reinterpretation."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from desktop_app import config
from desktop_app.core.context import Facility
from tests.hostile.conftest import SAMPLES, run_app

WRONG = [
    ({"facility": {"staff": "山田 花子"}}, "facility.staff", lambda s: s.facility.staff == []),
    ({"facility": {"staff": ["山田 花子", 5, None]}}, "facility.staff", lambda s: s.facility.staff == ["山田 花子"]),
    ({"facility": ["さくら苑"]}, "facility", lambda s: s.facility == Facility()),
    ({"facility": {"name": 5}}, "facility.name", lambda s: s.facility.name == ""),
    ({"editor_font_size": "13"}, "editor_font_size", lambda s: s.editor_font_size == 13),
    ({"editor_font_size": True}, "editor_font_size", lambda s: s.editor_font_size == 13),
    ({"editor_font_size": 100000}, "editor_font_size", lambda s: s.editor_font_size == 13),
    ({"docx_font": "comic"}, "docx_font", lambda s: s.docx_font == "mincho"),
    ({"user_templates_dir": ["a", "b"]}, "user_templates_dir", lambda s: s.user_templates_dir == ""),
    ({"no_such_setting": 1}, "no_such_setting", lambda s: s == config.Settings()),
]


@pytest.mark.parametrize("raw,key,is_default", WRONG, ids=[w[1] + str(i) for i, w in enumerate(WRONG)])
def test_wrong_type_gets_the_default_and_a_message_naming_the_key(tmp_path, raw, key, is_default):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    s = config.Settings.load(path)
    assert is_default(s)
    assert any(f'"{key}"' in p and "settings.json" in p for p in s.problems), s.problems


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", "[" * 100_000 + "]" * 100_000, '{"a": ' + "9" * 5000 + "}",
                                  "\ufeff"])
def test_unreadable_settings_file_gives_defaults_and_says_so(tmp_path, text):
    path = tmp_path / "settings.json"
    path.write_text(text, encoding="utf-8")
    s = config.Settings.load(path)
    assert asdict(s) == asdict(config.Settings()) and s.problems


def test_good_settings_load_without_problems_and_round_trip(tmp_path):
    path = tmp_path / "settings.json"
    s = config.Settings(docx_font="gothic", editor_font_size=15)
    s.facility.staff = ["山田 花子", "佐藤 一郎"]
    s.facility.name = "さくら苑"
    s.save(path)
    assert "problems" not in json.loads(path.read_text(encoding="utf-8"))
    loaded = config.Settings.load(path)
    assert loaded == s and loaded.problems == []
    assert config.Settings.load(tmp_path / "missing.json").problems == []


LEAK = "大森 健一 様\n\n拝啓　晩秋の候、皆様にはご清祥のこととお喜び申し上げます。\nさて、同室の佐々木様が転倒されました。\n敬具\n"


def test_staff_written_as_text_is_not_split_into_characters(isolated_data_dir, tmp_path):
    """Split into 佐, 々, 木, a string staff list would make single characters count as staff names."""
    isolated_data_dir.mkdir(parents=True, exist_ok=True)
    (isolated_data_dir / "settings.json").write_text(json.dumps({"facility": {"staff": "佐々木"}}), encoding="utf-8")
    letter = tmp_path / "letter.txt"
    letter.write_text(LEAK, encoding="utf-8")
    res = run_app(["check", "--no-model", "--format", "json", str(letter)])
    assert "facility.staff" in res.err and "warning:" in res.err and "Traceback" not in res.err
    findings = json.loads(res.out.splitlines()[0])["findings"]
    assert res.code == 1 and any(f["text"] == "佐々木" and f["severity"] == "high" for f in findings)


def test_commands_still_work_with_a_wrong_typed_settings_file(isolated_data_dir):
    isolated_data_dir.mkdir(parents=True, exist_ok=True)
    (isolated_data_dir / "settings.json").write_text('{"facility": 5, "editor_font_size": "big"}', encoding="utf-8")
    res = run_app(["render", "thanks", "--data", str(SAMPLES / "thanks.json"), "--facility",
                   str(SAMPLES / "facility.json")])
    assert res.code == 0 and "敬具" in res.out
    assert res.err.count("warning:") == 2 and "editor_font_size" in res.err
