"""Hostile user templates: skipped or refused naming file and line; `templates`, other renders, self-check and
the window's start keep working."""

from __future__ import annotations

import json

import pytest

from tests.hostile.conftest import assert_refused, assert_still_renders, run_app

SIMPLE = 'title = "テスト"\n[[fields]]\nname = "who"\nlabel = "宛先"\n'
NUMBER = 'title = "金額"\n[[fields]]\nname = "amount"\nlabel = "金額"\ntype = "number"\n'

# refused when rendered: (template body, words of the message)
RENDER_HOSTILE = {
    "power_string": ("{{ (10**5000)|string }}", "累乗"),
    "repeat_bomb": ('{{ "あ" * 10**8 }}', "大きすぎ"),
    "nested_ranges": ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "繰り返し"),
    "divide_by_zero": ("{{ 1/0 }}", "0で割って"),
    "float_overflow": ("{{ 10.0**400 }}", "累乗"),
    "endless_recursion": ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "マクロ"),
    "sandbox_escape": ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "許可されていない"),
}


def _write(folder, name, body, toml=SIMPLE):
    (folder / f"{name}.toml").write_text(toml, encoding="utf-8")
    (folder / f"{name}.j2").write_text("拝啓\n" + body + "\n敬具\n", encoding="utf-8")


@pytest.mark.parametrize("name", sorted(RENDER_HOSTILE))
def test_hostile_template_render_exits_2_naming_file_and_line(user_templates, name):
    body, words = RENDER_HOSTILE[name]
    _write(user_templates, name, body)
    res = run_app(["render", name])
    assert_refused(res, 2, f"{name}.j2 2行目", words, max_seconds=12)
    assert len(res.err_lines) == 1
    assert_still_renders("incident_report")


def test_broken_schema_is_listed_and_the_others_still_work(user_templates):
    (user_templates / "five.toml").write_text('title = "x"\nfields = 5\n', encoding="utf-8")
    (user_templates / "five.j2").write_text("x\n", encoding="utf-8")
    (user_templates / "unclosed.toml").write_text(SIMPLE, encoding="utf-8")
    (user_templates / "unclosed.j2").write_text("一\n二\n{% if who %}\n", encoding="utf-8")
    _write(user_templates, "bomb", '{{ "あ" * 10**8 }}')
    res = run_app(["templates"])
    assert res.code == 0 and "Traceback" not in res.err
    assert "five.toml 2行目" in res.err and "unclosed.j2" in res.err
    assert "incident_report\t" in res.out and "bomb\t" in res.out  # loads: nothing runs at load time
    assert res.seconds < 10
    res = run_app(["render", "five"])
    assert_refused(res, 2, "five")
    assert_still_renders("thanks")


@pytest.mark.parametrize("value,words", [("1e999", "数値で入力"), (["1", "2"], "一つの値"), ("9" * 5000, "数値で入力"),
                                         ({"a": 1}, "一つの値")])
def test_number_field_given_nonsense_exits_2(tmp_path, user_templates, value, words):
    (user_templates / "fee.toml").write_text(NUMBER, encoding="utf-8")
    (user_templates / "fee.j2").write_text("{{ amount|yen }}\n", encoding="utf-8")
    data = tmp_path / "d.json"
    data.write_text(json.dumps({"amount": value}), encoding="utf-8")
    assert_refused(run_app(["render", "fee", "--data", str(data)]), 2, "fee.toml", "金額", words)


START_WINDOW = """
from PySide6.QtWidgets import QApplication
app = QApplication([])
from desktop_app.core.context import Facility
from desktop_app import config
from desktop_app.core import accounts
from desktop_app.core.db import open_database, resolve_url
from desktop_app.core.workflow import Services
from desktop_app.gui.app import create_window
db = open_database(resolve_url(None, config.data_dir(), ""))  # a facility past its first start
admin = accounts.add_user(db, "管理者", ["admin", "writer"], "password-123-kiku-4827", None)
Services.open(db, lambda text, ctx: []).admin.set_facility(Facility(name="テスト苑"), admin)
w = create_window(db=db, actor=admin)
ids = [w.template_combo.itemData(i) for i in range(w.template_combo.count())]
print("templates:", ",".join(ids))
print("status:", w.statusBar().currentMessage())
w.controller.dispatcher.shutdown()
"""


def test_window_starts_with_hostile_templates_present(user_templates):
    for name, (body, _) in RENDER_HOSTILE.items():
        _write(user_templates, name, body)
    (user_templates / "five.toml").write_text('title = "x"\nfields = 5\n', encoding="utf-8")
    (user_templates / "five.j2").write_text("x\n", encoding="utf-8")
    res = run_app([], code=START_WINDOW, timeout=60)
    assert res.code == 0, res.err[-800:]
    assert "monthly_report" in res.out and "incident_report" in res.out
    assert "five.toml" in res.out  # the status bar names the broken file


@pytest.mark.nlp
@pytest.mark.slow
def test_self_check_renders_with_hostile_user_templates_present(user_templates):
    for name, (body, _) in RENDER_HOSTILE.items():
        _write(user_templates, name, body)
    res = run_app(["self-check"], timeout=180)
    assert "Traceback" not in res.out + res.err
    render_line = next(ln for ln in res.out.splitlines() if "render template" in ln)
    assert render_line.startswith("[ OK ]"), res.out
