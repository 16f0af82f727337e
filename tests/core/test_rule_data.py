"""Every phrase-list entry in resources/ carries examples that must and must not match (prh's specs)."""

import pytest

from desktop_app.core.checks.rules.health import HealthRule, load_health_data
from desktop_app.core.checks.rules.phrases import load_phrases, phrase_matches
from desktop_app.core.textutil import fold_width

PHRASES = load_phrases()


def test_phrase_data_loads_and_covers_the_three_risk_categories():
    assert {p.category for p in PHRASES} == {"risk.commitment", "risk.liability", "risk.ambiguous"}
    assert all(p.must_match for p in PHRASES)


@pytest.mark.parametrize("phrase", PHRASES, ids=lambda p: p.id)
def test_phrase_examples(phrase):
    for ex in phrase.must_match:
        assert phrase_matches(phrase, fold_width(ex)), f"{phrase.id} should match {ex!r}"
    for ex in phrase.must_not_match:
        assert not phrase_matches(phrase, fold_width(ex)), f"{phrase.id} should not match {ex!r}"


def test_health_vocabulary_examples(pattern_runner):
    data = load_health_data()
    assert HealthRule(data).pattern
    for ex in data["examples"]["match"]:
        found = [f for f in pattern_runner.check(ex) if f.category == "pii.health"]
        assert found, f"health should match {ex!r}"
    for ex in data["examples"]["no_match"]:
        found = [f for f in pattern_runner.check(ex) if f.category == "pii.health"]
        assert not found, f"health should not match {ex!r}: {[f.text for f in found]}"
