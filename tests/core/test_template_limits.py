"""Template limits: hostile templates are refused with file and line, quickly, and ordinary Jinja still works."""

import json
import threading
import time
import tracemalloc

import jinja2
import pytest
from jinja2.sandbox import SandboxedEnvironment

from desktop_app import config
from desktop_app.core.template_sandbox import RenderBudget, RenderLimitError, RenderLimits
from desktop_app.core.templates import TemplateError, TemplateLibrary, make_environment
from tests.conftest import SAMPLES, sample

SIMPLE = 'title = "テスト"\n[[fields]]\nname = "who"\nlabel = "宛先"\n'


def _write(folder, name, j2, toml=SIMPLE):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.toml").write_text(toml, encoding="utf-8")
    (folder / f"{name}.j2").write_text(j2, encoding="utf-8")


def _library(folder):
    return TemplateLibrary(config.templates_dir(), user=folder)


HOSTILE = {
    "huge_power": ("{{ (10**5000)|string }}", "累乗"),
    "huge_repeat": ('{{ "あ" * 10**8 }}', "繰り返した文字列"),
    "literal_repeat": ('{{ "あ" * 100000000 }}', "繰り返した文字列"),
    "list_repeat": ("{{ ([1, 2] * 10**7)|length }}", "繰り返した文字列"),
    "nested_range": ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "繰り返し"),
    "nested_stored_range": ("{% set r = range(100000) %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}",
                            "繰り返し"),
    "divide_by_zero": ("{{ 1/0 }}", "0で割って"),
    "float_power": ("{{ 10.0**400 }}", "累乗"),
    "wide_center": ('{{ "あ"|center(100000000) }}', "引数の数値"),
    "wide_method": ('{{ "あ".ljust(100000000) }}', "引数の数値"),
    "wide_format": ('{{ "{:>100000000}".format(1) }}', "書式の幅"),
    "nested_format": ('{{ "{:>{w}}".format(1, w=100000000) }}', "入れ子の書式"),
    "wide_printf": ('{{ "%0100000000d" % 1 }}', "書式の幅"),
    "wide_format_filter": ('{{ "%0100000000d"|format(1) }}', "書式の幅"),
    "replace_bomb": ('{{ ("a" * 100000)|replace("a", "b" * 100000) }}', "置き換えた文字列"),
    "join_bomb": ('{{ ("x" * 100000).join(range(100000)|map("string")) }}', "連結した文字列"),
    "namespace_doubling": ('{% set ns = namespace(s="ab") %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}'
                           "{% endfor %}{{ ns.s|length }}", "連結した文字列"),
    "set_doubling": ('{% set a = "x" * 500000 %}{% set a = a ~ a %}{% set a = a ~ a %}{{ a|length }}', "連結した文字列"),
    "int_squaring": ("{% set ns = namespace(x=3) %}{% for i in range(100) %}{% set ns.x = ns.x * ns.x %}{% endfor %}"
                     "{{ ns.x }}", "整数"),
    "literal_flood": ("{% for i in range(100000) %}" + "あいうえお" * 200 + "{% endfor %}", "大きすぎ"),
    "buffered_flood": ('{% filter upper %}{% for i in range(100000) %}{{ "y" * 100000 }}{% endfor %}{% endfilter %}',
                       "大きすぎ"),
    "endless_macro": ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "マクロ"),
    "exponential_macro": ("{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(40) }}",
                          "秒を超えた"),
    "indent_bomb": ('{{ ("a\\n" * 100000)|indent("x" * 10000) }}', "字下げ"),
    "lipsum": ("{{ lipsum(100000) }}", "lipsum"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_template_is_refused_with_file_line_and_reason(tmp_path, name):
    body, reason = HOSTILE[name]
    _write(tmp_path, name, "拝啓\n" + body + "\n敬具\n")
    lib = _library(tmp_path)
    assert not lib.errors, "nothing in these templates may run (or fail) while templates load"
    t0 = time.perf_counter()
    with pytest.raises(TemplateError) as exc:
        lib.render(name, {"who": "山田"})
    elapsed = time.perf_counter() - t0
    assert elapsed < 4.0, f"{name} took {elapsed:.1f} s"
    assert exc.value.path.name == f"{name}.j2" and reason in str(exc.value)
    if name != "literal_flood":  # the whole letter's size is measured after the template's own lines
        assert exc.value.line == 2
    assert lib.render("thanks", sample("thanks"), {"name": "テスト苑"})  # the others still render


def test_loading_a_memory_bomb_evaluates_nothing(tmp_path):
    # Jinja's optimizer used to fold constants while compiling: {{ "あ" * 10**8 }} took GBs at load time
    _write(tmp_path, "bomb", '{{ "あ" * 100000000 }}{{ "あ"|center(100000000) }}{{ 10**10**8 }}\n')
    tracemalloc.start()
    try:
        t0 = time.perf_counter()
        lib = _library(tmp_path)
        elapsed = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "bomb" in lib.templates and not lib.errors
    assert peak < 50_000_000 and elapsed < 5


@pytest.mark.parametrize("toml,where,line", [
    ('title = "t"\nfields = 5\n', "fields は [[fields]]", 2),
    ('title = 5\n', "title", 1),
    ('title = "t"\nkind = ["formal"]\n', "kind", 2),
    ('title = "t"\n[[fields]]\nname = "a"\nlabel = "A"\nchoices = "abc"\ntype = "choice"\n', "choices", 2),
    ('title = "t"\n[[fields]]\nname = "a"\nlabel = "A"\n[[fields]]\nname = "b"\nlabel = "B"\nrequired = "no"\n',
     "required", 5),
    ('title = "t"\nx = ' + "[" * 5000 + "]" * 5000 + "\n", "", None),
])
def test_broken_schema_is_skipped_naming_file_and_line(tmp_path, toml, where, line):
    _write(tmp_path, "bad", "x\n", toml=toml)
    lib = _library(tmp_path)
    assert "bad" not in lib.templates and "thanks" in lib.templates
    err = [e for e in lib.errors if e.path.name == "bad.toml"][0]
    assert where in str(err) and err.line == line


def test_deeply_nested_expression_is_skipped_not_crashing_the_load(tmp_path):
    _write(tmp_path, "deep", "{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}\n")
    lib = _library(tmp_path)
    assert "deep" not in lib.templates and "thanks" in lib.templates
    assert [e for e in lib.errors if e.path.name == "deep.j2"]


def test_oversized_template_file_is_refused_before_reading(tmp_path):
    _write(tmp_path, "big", "あ" * 300_000)
    lib = _library(tmp_path)
    err = [e for e in lib.errors if e.path.name == "big.j2"][0]
    assert "大きすぎ" in str(err)


NUMBER_TOML = 'title = "金額"\n[[fields]]\nname = "amount"\nlabel = "金額"\ntype = "number"\n'


@pytest.mark.parametrize("value", ["1e999", "-inf", "nan", ["1"], {"a": 1}, True, "9" * 5000, 10**20, "１２,０００x"])
def test_number_field_refuses_what_is_not_a_finite_number(tmp_path, value):
    _write(tmp_path, "fee", "{{ amount|yen }}\n", toml=NUMBER_TOML)
    with pytest.raises(TemplateError) as exc:
        _library(tmp_path).render("fee", {"amount": value})
    assert "金額" in str(exc.value) and exc.value.path.name == "fee.toml"


@pytest.mark.parametrize("value,expected", [("12,000", "12,000円"), ("１２０００", "12,000円"), (15400, "15,400円"),
                                            ("5000000", "5,000,000円")])
def test_number_field_accepts_ordinary_amounts(tmp_path, value, expected):
    _write(tmp_path, "fee", "{{ amount|yen }}\n", toml=NUMBER_TOML)
    assert _library(tmp_path).render("fee", {"amount": value}) == expected + "\n"


def test_text_field_given_a_list_is_refused_not_printed_as_python(tmp_path):
    _write(tmp_path, "t", "{{ who }} 様\n")
    with pytest.raises(TemplateError) as exc:
        _library(tmp_path).render("t", {"who": ["山田", "佐藤"]})
    assert "宛先" in str(exc.value)


ORDINARY = """{% set ns = namespace(total=0) %}{% for n in items %}{% set ns.total = ns.total + n %}{% endfor %}
{% for n in items %}{{ loop.index }}/{{ loop.length }}{{ "," if not loop.last }}{% else %}なし{% endfor %}
{% for x in [] %}x{% else %}空{% endfor %}
{% macro row(label) %}[{{ label ~ "：" ~ caller() }}]{% endmacro %}{% call row("合計") %}{{ ns.total|yen }}{% endcall %}
{% filter upper %}abc{% endfilter %}{{ "%05d"|format(42) }}{{ "{:>4}".format(7) }}{{ "-" * 3 }}{{ 2**10 }}
{% for k, v in {"b": 2, "a": 1}|dictsort %}{{ k }}={{ v }};{% endfor %}{{ "a,b"|replace(",", "・") }}{{ ["x", "y"]|join("/") }}
{%- for item in tree recursive %}<{{ item.n }}{% if item.c %}{{ loop(item.c) }}{% endif %}>{% endfor %}
"""


def test_ordinary_jinja_still_works_under_the_limits(tmp_path):
    env = make_environment()
    stock = SandboxedEnvironment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True,
                                 lstrip_blocks=True)
    stock.filters["yen"] = env.filters["yen"]
    tree = [{"n": 1, "c": [{"n": 2, "c": []}]}]
    out = env.from_string(ORDINARY).render(items=[1, 2, 3], tree=tree)
    assert out == stock.from_string(ORDINARY).render(items=[1, 2, 3], tree=tree)
    assert "1/3,2/3,3/3空[合計：6円]ABC00042   7---1024" in out and "a=1;b=2;a・bx/y<1<2>>" in out


def test_filter_added_later_is_guarded_too():
    env = make_environment()
    env.filters["pad"] = lambda s, n: s.center(n)
    assert env.from_string('{{ "a"|pad(3) }}').render() == " a "
    with pytest.raises(RenderLimitError, match="大きすぎ"):  # our own filters: the result is checked
        env.from_string('{{ "a"|pad(2000000) }}').render()


def test_render_can_be_cancelled_from_another_thread(tmp_path):
    _write(tmp_path, "slow", "{% for i in range(100000) %}{% for j in range(9) %}{{ i }}{% endfor %}{% endfor %}\n")
    lib = _library(tmp_path)
    budget = RenderBudget(RenderLimits(max_seconds=30, max_loop_steps=10**9, max_output=10**9, max_work=10**9))
    threading.Timer(0.2, budget.cancel).start()
    t0 = time.perf_counter()
    with pytest.raises(TemplateError, match="中止"):
        lib.render("slow", {}, budget=budget)
    assert time.perf_counter() - t0 < 5


def test_time_limit_is_configurable(tmp_path):
    _write(tmp_path, "slow", "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(30) }}\n")
    t0 = time.perf_counter()
    with pytest.raises(TemplateError, match="0.3秒"):
        _library(tmp_path).render("slow", {}, limits=RenderLimits(max_seconds=0.3))
    assert time.perf_counter() - t0 < 2


def test_bundled_templates_render_well_within_the_limits(library):
    for tid in library.templates:
        facility = (SAMPLES / ("facility_city.json" if tid == "city_office_reply" else "facility.json"))
        t0 = time.perf_counter()
        library.render(tid, sample(tid), json.loads(facility.read_text(encoding="utf-8")))
        assert time.perf_counter() - t0 < 0.5
