"""The check never raises and every offset stays inside the text (hypothesis fuzzing)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.core.checks.runner import CheckRunner

JP = st.text(alphabet=st.sampled_from(list("山田花子様さん必ず二度と090-1234-5678〒〇歳１２３４５６７８９０　 \n。、の過失です善処認知症拝啓敬具草々晩秋の候😀𠮷\x00\x07\ud800\u200b\u00ad\ufeff")), max_size=300)


def _assert_ok(findings, text):
    for f in findings:
        assert 0 <= f.start < f.end <= len(text)
        assert f.text == text[f.start:f.end]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=400), JP))
def test_patterns_never_raise(text):
    _assert_ok(CheckRunner(None).check(text, {}), text)


@pytest.mark.nlp
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(JP)
def test_model_check_never_raises(runner, text):
    _assert_ok(runner.check(text, {"recipient": {"name": "山田 花子"}}), text)


@settings(max_examples=30, deadline=None)
@given(st.dictionaries(st.text(max_size=10), st.one_of(st.none(), st.text(max_size=10), st.integers(), st.lists(st.text(max_size=5)))))
def test_any_context_shape_is_accepted(context):
    CheckRunner(None).check("山田様の件です。", context)


@pytest.mark.nlp
def test_one_megabyte_text(runner):
    text = ("同室の佐藤様が転倒されました。必ず再発を防ぎます。\n" * 40000)[:1_000_000]
    findings = runner.check(text, {})
    _assert_ok(findings, text)
    assert any(f.category == "info.truncated" for f in findings)
    assert any(f.category == "risk.commitment" and f.start > 900_000 for f in findings)


@pytest.mark.nlp
def test_text_without_japanese(runner):
    text = "Dear Mr. Smith, call me at 090-1234-5678 or mail john@example.com."
    cats = {f.category for f in runner.check(text, {})}
    assert {"pii.phone", "pii.email"} <= cats


@pytest.mark.parametrize("text,written", [
    ("緊急の連絡先は 0\ufeff80-3392-1175 です。", "0\ufeff80-3392-1175"),        # a byte-order mark
    ("夜間は 080\u00ad-3392-1175 へお電話ください。", "080\u00ad-3392-1175"),     # a soft hyphen
    ("携帯：０\u200b８\u200b０-3392-1175", "０\u200b８\u200b０-3392-1175"),      # zero-width spaces
    ("メール：kazu\u200bhiro.ono@example.jp", "kazu\u200bhiro.ono@example.jp"),
    ("〒350-\u20601123 埼玉県川越市脇田本町8番地", None),                           # a word joiner
])
def test_invisible_characters_do_not_hide_personal_data(text, written):
    """What a reader sees is what is checked; the finding keeps its place in the text as written, so the
    highlight, the mask and the suggestion cover the invisible characters too."""
    found = [f for f in CheckRunner(None).check(text, {}) if f.category.startswith("pii.")]
    _assert_ok(found, text)
    assert found, text
    if written is not None:
        assert written in [f.text for f in found]


def test_text_without_invisible_characters_is_checked_as_before():
    text = "連絡先は 080-3392-1175 です。\n敬具"
    assert [(f.start, f.end) for f in CheckRunner(None).check(text, {}) if f.category == "pii.phone"] == [(5, 18)]
