"""Japanese letter conventions (頭語/結語, 元号, 時候の挨拶, 敬称) read once from resources/conventions/."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from desktop_app.core.resources import resources_dir


@cache
def _load(name: str) -> dict[str, Any]:
    """One file, read once (callers only read the dict)."""
    with open(resources_dir() / "conventions" / f"{name}.toml", "rb") as f:
        return tomllib.load(f)


def _examples(data: dict) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    return {name: (tuple(ex.get("match", ())), tuple(ex.get("no_match", ())))
            for name, ex in data.get("examples", {}).items()}


def alternation(words: Iterable[str]) -> str:
    """a|b|c for a regex, in the given order (every word here is plain kanji: nothing to escape)."""
    return "|".join(words)


# ---- 頭語 and 結語 ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Salutations:
    pairs: dict[str, tuple[str, ...]]  # 頭語 -> the 結語 that may close it
    by_kind: dict[str, tuple[str, str]]  # kind of letter -> (頭語, 結語) a template writes
    skip_season: tuple[str, ...]
    in_condolence: tuple[str, ...]
    after_subject: tuple[str, ...]
    before_greeting: tuple[str, ...]
    examples: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]

    @property
    def openings(self) -> tuple[str, ...]:
        return tuple(self.pairs)

    @property
    def closings(self) -> tuple[str, ...]:
        """Every 結語, longest first."""
        seen = dict.fromkeys(c for cs in self.pairs.values() for c in cs)
        return tuple(sorted(seen, key=len, reverse=True))

    def for_kind(self, kind: str) -> tuple[str, str]:
        return self.by_kind.get(kind, self.by_kind["formal"])


@cache
def salutations() -> Salutations:
    d = _load("salutations")
    pairs = {k: tuple(v) for k, v in d["pairs"].items()}
    reads = {k: tuple(v) for k, v in d["reads"].items()}
    unknown = {w for ws in reads.values() for w in ws} - set(pairs)
    if unknown:
        raise ValueError(f"salutations.toml: [reads] names 頭語 without a pair: {sorted(unknown)}")
    return Salutations(pairs=pairs, by_kind={k: (v[0], v[1]) for k, v in d["by_kind"].items()},
                       examples=_examples(d), **reads)


def line_start_re(words: Iterable[str]) -> str:
    """One of `words` at the start of a line (after spaces), captured as group 1."""
    return rf"(?m)^[ \u3000]*({alternation(words)})"


@cache
def opening_line_re() -> re.Pattern:
    """A line that opens with a 頭語 standing as a word: 拝啓　…, 拝啓、…, 拝啓 alone."""
    return re.compile(line_start_re(salutations().openings) + r"(?=[ \u3000、\n]|$)")


@cache
def closing_line_re() -> re.Pattern:
    """A 結語 that ends its line."""
    return re.compile(rf"(?m)({alternation(salutations().closings)})[ \u3000]*$")


# ---- 元号 ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Era:
    name: str
    first_year: int  # the Gregorian year of 元年
    first_day: dt.date  # the first date written in this era
    abbr: str
    in_letters: bool
    on_date_line: bool

    def year(self, era_year: int) -> int:
        """The Gregorian year of the era's `era_year` (1 for 元年)."""
        return self.first_year - 1 + era_year


@cache
def eras() -> tuple[Era, ...]:
    """Newest first."""
    return tuple(Era(**e) for e in _load("eras")["era"])


@cache
def era_examples() -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    return _examples(_load("eras"))


@cache
def era_by_name() -> dict[str, Era]:
    return {e.name: e for e in eras()}


def era_names(only: str = "") -> str:
    """The eras' names as a regex alternation; `only`: the eras with that flag (in_letters, on_date_line)."""
    return alternation(e.name for e in eras() if not only or getattr(e, only))


def era_abbrs(only: str = "") -> str:
    """The eras' one-letter forms, for a character class."""
    return "".join(e.abbr for e in eras() if not only or getattr(e, only))


@cache
def letter_date_re() -> re.Pattern:
    """A full date as a letter gives its own: 令和8年11月22日, 2026年11月22日 (spaces allowed)."""
    return re.compile(rf"({era_names('in_letters')})\s?(\d{{1,2}}|元)\s?年\s?(\d{{1,2}})\s?月\s?(\d{{1,2}})\s?日"
                      r"|((?:19|20)\d{2})\s?年\s?(\d{1,2})\s?月\s?(\d{1,2})\s?日")


@cache
def date_line_re() -> re.Pattern:
    """A line holding only a date (fullmatch): the letter's date line."""
    return re.compile(rf"({era_names('on_date_line')})\S{{1,3}}年\d{{1,2}}月\d{{1,2}}日|\d{{4}}年\d{{1,2}}月\d{{1,2}}日")


# ---- 時候の挨拶 ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Seasons:
    endings: tuple[str, ...]  # の候, のみぎり …
    any_month: str  # 時下
    written: dict[int, tuple[tuple[int, str], ...]]  # month -> ((first day, word), …) a template writes
    accepted: dict[str, tuple[int, ...]]  # word -> the months it fits
    examples: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]

    @property
    def words(self) -> tuple[str, ...]:
        """The accepted words, longest first (so that 春爛漫 is not read as a shorter word)."""
        return tuple(sorted(self.accepted, key=len, reverse=True))


@cache
def seasons() -> Seasons:
    d = _load("seasons")
    return Seasons(endings=tuple(d["endings"]), any_month=d["any_month"],
                   written={int(m): tuple((day, word) for day, word in v) for m, v in d["written"].items()},
                   accepted={w: tuple(months) for w, months in d["accepted"].items()}, examples=_examples(d))


@cache
def season_greeting_re() -> str:
    """An accepted word with its ending (the word is group 1)."""
    s = seasons()
    return rf"({alternation(s.words)})(?:{alternation(s.endings)})"


# ---- 敬称 ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Honorifics:
    after_name: tuple[str, ...]
    mark_a_name: tuple[str, ...]
    addressee: tuple[str, ...]
    examples: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]


@cache
def honorifics() -> Honorifics:
    d = _load("honorifics")
    return Honorifics(after_name=tuple(d["after_name"]), mark_a_name=tuple(d["mark_a_name"]),
                      addressee=tuple(d["addressee"]), examples=_examples(d))


@cache
def recipient_line_re() -> re.Pattern:
    """A line that ends with an addressee's 敬称, maybe followed by （…）: 仲村 ツギ 様（ご家族様）."""
    return re.compile(rf"({alternation(honorifics().addressee)})(（[^）]*）)?$")
