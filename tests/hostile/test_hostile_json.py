"""Hostile JSON for every command that reads JSON: exit 2 with a one-line message, never a traceback."""

from __future__ import annotations

import json

import pytest

from tests.hostile.conftest import SAMPLES, assert_refused, assert_still_renders, run_app

LETTER = "山本 一郎 様\n\n拝啓　晩秋の候、ますますご清祥のこととお喜び申し上げます。\nさて、行事のご報告です。\n敬具\n"

HOSTILE_JSON = {
    "deep_array": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "deep_object": ('{"a":' * 100_000 + "1" + "}" * 100_000, "nested too deeply"),
    "moderately_deep": ('{"a":' * 500 + "1" + "}" * 500, "nested too deeply"),
    "digits_5000": ('{"recipient_name": ' + "7" * 5000 + "}", "too many digits"),
    "lone_surrogate": ('{"recipient_name": "山田\\ud800"}', "lone surrogate"),
    "lone_surrogate_key": ('{"\\udc80": "x"}', "lone surrogate"),
    "infinity": ('{"recipient_name": Infinity}', "out of range"),
    "not_an_object": ("[1, 2]", "JSON object"),
    "broken": ('{"a": ', "not valid JSON"),
}


@pytest.fixture
def letter(tmp_path):
    path = tmp_path / "letter.txt"
    path.write_text(LETTER, encoding="utf-8")
    return path


COMMANDS = ["render --data", "render --facility", "check --context", "export --context", "facility set"]
# every case through one command, and the worst cases through every command (each run is a fresh process)
PAIRS = [(case, "check --context") for case in sorted(HOSTILE_JSON)] + [
    (case, command) for case in ("deep_array", "digits_5000", "lone_surrogate") for command in COMMANDS
    if command != "check --context"]


@pytest.mark.parametrize("case,command", PAIRS)
def test_hostile_json_exits_2_naming_the_file(tmp_path, letter, case, command):
    text, fragment = HOSTILE_JSON[case]
    bad = tmp_path / f"{case}.json"
    bad.write_text(text, encoding="utf-8")
    verb, option = command.split()
    if verb == "render":
        args = ["render", "thanks", option, str(bad)]
        if option == "--facility":
            args += ["--data", str(SAMPLES / "thanks.json")]
    elif verb == "check":
        args = ["check", "--no-model", str(letter), option, str(bad)]
    elif verb == "export":
        args = ["export", str(letter), "--out", str(tmp_path / "out.docx"), "--no-model", option, str(bad)]
    else:  # the workflow's facility profile, read before any account exists
        args = ["facility", "set", str(bad)]
    res = run_app(args)
    assert_refused(res, 2, bad.name, fragment)
    assert len(res.err_lines) == 1
    assert not (tmp_path / "out.docx").exists()


JSONL = {
    "lone_surrogate_text": ('{"id": 1, "text": "山田\\ud800様"}', "lone surrogate"),
    "context_is_a_string": ('{"id": 1, "text": "山田様", "context": "x"}', "\"context\" must be a JSON object"),
    "context_is_a_list": ('{"id": 1, "text": "山田様", "context": [1]}', "\"context\" must be a JSON object"),
    "id_is_an_object": ('{"id": {"a": 1}, "text": "山田様"}', "\"id\" must be"),
    "text_missing": ('{"id": 1}', "needs an object with \"text\""),
    "deep_line": ('{"id": 1, "text": "x", "context": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    "digits_5000": ('{"id": ' + "1" * 5000 + ', "text": "x"}', "too many digits"),
}


@pytest.mark.parametrize("case", sorted(JSONL))
def test_hostile_jsonl_line_exits_2_naming_file_and_line(tmp_path, case):
    line, fragment = JSONL[case]
    good = json.dumps({"id": "ok", "text": LETTER}, ensure_ascii=False)
    path = tmp_path / "letters.jsonl"
    path.write_text(good + "\n" + line + "\n", encoding="utf-8")
    res = run_app(["check", "--no-model", "--jsonl", str(path)])
    assert_refused(res, 2, "letters.jsonl:2", fragment)
    assert res.out == ""  # input errors are found before any letter is checked


def test_after_hostile_input_the_same_data_folder_still_works(tmp_path):
    bad = tmp_path / "deep.json"
    bad.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert run_app(["render", "thanks", "--data", str(bad)]).code == 2
    assert_still_renders("thanks")
