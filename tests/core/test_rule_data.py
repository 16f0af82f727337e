"""Every phrase-list entry and convention pattern in resources/ carries examples that must and must not match
(prh's specs)."""

import re

import pytest

from desktop_app.core import conventions
from desktop_app.core.checks.rules.dates_ages import DATE
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


# Each example set in resources/conventions/ and the pattern, made from that file, that its examples test.
CONVENTION_PATTERNS = {
    ("salutations", "opening_line"): lambda: conventions.opening_line_re().search,
    ("salutations", "closing_line"): lambda: conventions.closing_line_re().search,
    ("eras", "letter_date"): lambda: conventions.letter_date_re().search,
    ("eras", "date_line"): lambda: conventions.date_line_re().fullmatch,
    ("eras", "any_date"): lambda: re.compile(DATE).search,
    ("seasons", "greeting"): lambda: re.compile(conventions.season_greeting_re()).search,
    ("honorifics", "recipient_line"): lambda: conventions.recipient_line_re().search,
}


def _convention_examples() -> dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...]]]:
    return {**{("salutations", k): v for k, v in conventions.salutations().examples.items()},
            **{("eras", k): v for k, v in conventions.era_examples().items()},
            **{("seasons", k): v for k, v in conventions.seasons().examples.items()},
            **{("honorifics", k): v for k, v in conventions.honorifics().examples.items()}}


def test_every_convention_example_set_has_its_pattern():
    assert set(_convention_examples()) == set(CONVENTION_PATTERNS)


@pytest.mark.parametrize("key", CONVENTION_PATTERNS, ids=lambda k: f"{k[0]}.{k[1]}")
def test_convention_examples(key):
    matches = CONVENTION_PATTERNS[key]()
    must, must_not = _convention_examples()[key]
    assert must and must_not
    for ex in must:
        assert matches(ex), f"{key[0]}.{key[1]} should match {ex!r}"
    for ex in must_not:
        assert not matches(ex), f"{key[0]}.{key[1]} should not match {ex!r}"


def test_convention_tables_agree_with_each_other():
    sal = conventions.salutations()
    assert set(sal.skip_season + sal.in_condolence + sal.after_subject + sal.before_greeting) <= set(sal.pairs)
    assert all(opening in ("", *sal.pairs) and (not opening or closing in sal.pairs[opening])
               for opening, closing in sal.by_kind.values())
    seasons = conventions.seasons()
    assert all(word in seasons.accepted for days in seasons.written.values() for _, word in days)
    assert sorted(seasons.written) == list(range(1, 13)) and all(days[0][0] == 1 for days in seasons.written.values())
    eras = conventions.eras()
    assert [e.first_day for e in eras] == sorted((e.first_day for e in eras), reverse=True)
    assert len({e.abbr for e in eras}) == len(eras)
