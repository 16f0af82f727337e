"""Wording a careful reader notices: a 曜日 that does not match its date, 二重敬語, 様各位, and a
時候 or 繁栄 greeting at the head of an apology or a reply. None leaks data; each makes the
facility look careless at the moment the family reads most closely."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from desktop_app.core.checks.rules.base import CheckDoc, Rule
from desktop_app.core.checks.rules.etiquette import letter_date
from desktop_app.core.conventions import (
    alternation,
    era_abbrs,
    era_by_name,
    era_names,
    line_start_re,
    salutations,
    seasons,
)
from desktop_app.core.findings import Finding, Severity
from desktop_app.core.resources import resources_dir

WEEKDAYS = "月火水木金土日"


@lru_cache(maxsize=4)
def load_style(path: Path | None = None) -> dict:
    with open(path or resources_dir() / "rules" / "style.toml", "rb") as f:
        return tomllib.load(f)


@lru_cache(maxsize=16)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


# ---- 曜日 --------------------------------------------------------------------------------------
# On width-folded text (（）→(), full-width digits → ASCII). A weekday in parentheses right after a
# date: 令和8年12月20日（日）, 2026年12月20日(日曜日), 12月20日（日・祝）, 2026/12/20(日), 12/20（日）.
_WD = r"\(\s*(?P<wd>[月火水木金土日])(?:曜日?)?\s*(?:[・･、,][^()\n]{1,3})?\)"
# Numbers are written in digits or, in formal letters, in kanji (十二月二十日, 令和八年).
_KANJI_DIGITS = "〇一二三四五六七八九"
_N = rf"(?:(?<!\d)\d{{1,2}}|(?<![{_KANJI_DIGITS}十])[{_KANJI_DIGITS}十]{{1,3}})"
_KANJI_DATE = re.compile(
    rf"(?:(?P<era>{era_names('in_letters')})\s?(?P<ey>{_N}|元)\s?年\s?|(?<!\d)(?P<y>(?:19|20)\d{{2}})\s?年\s?)?"
    rf"(?P<m>{_N})\s?月\s?(?P<d>{_N})\s?日\s?" + _WD)
# a second day of the same month after a date: 12月20日（日）～21日（月）, 12月6日（日）・13日（日）
_MORE_DAYS = re.compile(rf"\s?(?:〜|~|-|・|、|,|から|及び|および|と)\s?(?P<d>{_N})\s?日\s?" + _WD)
# 2026/12/20(日), 12/20（日）, R8.12.20（日）, 2026.12.20(日), 12.20（日） (a care record's short forms)
_SLASH_DATE = re.compile(rf"(?<![\d/.])(?:(?P<y>(?:19|20)\d{{2}})(?P<sep0>[/.])|(?P<abbr>[{era_abbrs('in_letters')}])\s?(?P<ey>\d{{1,2}})(?P<sep1>[/.]))?"
                         r"(?P<m>\d{1,2})(?P<sep>[/.])(?P<d>\d{1,2})(?![\d/.])\s?" + _WD)
ERA_LETTERS = {e.abbr: e.name for e in era_by_name().values() if e.in_letters}


def _num(text: str) -> int:
    """12 or 十二 → 12 (numbers of a date: up to 99)."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return int("".join(str(_KANJI_DIGITS.index(c)) for c in text))
    tens, _, ones = text.partition("十")
    return (_KANJI_DIGITS.index(tens) if tens else 1) * 10 + (_KANJI_DIGITS.index(ones) if ones else 0)


def _year_of(m: re.Match, letter: dt.date) -> tuple[int | None, bool]:
    """(year, written): the year the date names, else the letter's year (the next one for a date more
    than two months before the letter: a December letter's 「1月10日」 is next January)."""
    gd = m.groupdict()
    era = gd.get("era") or ERA_LETTERS.get(gd.get("abbr") or "")
    if era:
        return era_by_name()[era].year(1 if gd["ey"] == "元" else _num(gd["ey"])), True
    if gd.get("y"):
        return int(gd["y"]), True
    try:
        same = dt.date(letter.year, _num(gd["m"]), _num(gd["d"]))
    except ValueError:
        return letter.year, False
    if (letter - same).days > 60:
        return letter.year + 1, False
    return letter.year, False


class WeekdayRule(Rule):
    """A 曜日 in parentheses that does not match its date: the family comes on the wrong day, or
    rings to ask which one is meant. Without a year the date is taken in the letter's year."""

    rule_id = "style.weekday"
    category = "style.weekday"
    severity = Severity.MEDIUM

    def find(self, doc: CheckDoc) -> Iterable[Finding]:
        letter = doc.context.letter_date or letter_date(doc.text) or dt.date.today()
        seen: set[int] = set()
        for regex in (_KANJI_DATE, _SLASH_DATE):
            for m in regex.finditer(doc.folded):
                if m.start("wd") in seen:
                    continue
                seen.add(m.start("wd"))
                gd = m.groupdict()
                if regex is _SLASH_DATE and any(gd.get(k) not in (None, gd["sep"]) for k in ("sep0", "sep1")):
                    continue  # 2026/12.20: not one date
                year, written = _year_of(m, letter)
                month = _num(m.group("m"))
                yield from self._check(doc, m, year, month, written)
                more = _MORE_DAYS.match(doc.folded, m.end()) if regex is _KANJI_DATE else None
                while more:
                    seen.add(more.start("wd"))
                    yield from self._check(doc, more, year, month, written)
                    more = _MORE_DAYS.match(doc.folded, more.end())

    def _check(self, doc: CheckDoc, m: re.Match, year: int, month: int, written: bool) -> Iterable[Finding]:
        try:
            d = dt.date(year, month, _num(m.group("d")))
        except (TypeError, ValueError):
            return  # 2月30日 is another problem, not a weekday one
        right = WEEKDAYS[d.weekday()]
        if m.group("wd") == right:
            return
        assumed = "" if written else f"（年の記載がないため、手紙の日付から{d.year}年として確認しました）"
        yield self.finding(
            doc, m.start("wd"), m.end("wd"),
            f"{d.month}月{d.day}日は{right}曜日です（「{m.group('wd')}」と書かれています）。",
            f"日付と曜日が合っていません。ご家族が来られる日や期限を取り違えるおそれがあります。"
            f"カレンダーで確かめ、曜日を「{right}」に直してください。{assumed}",
            suggestions=[right])


# ---- 二重敬語 ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KeigoPattern:
    id: str
    regex: re.Pattern
    replace: tuple[tuple[str, str], ...]
    message: str
    explanation: str
    must_match: tuple[str, ...]
    must_not_match: tuple[str, ...]

    def fix(self, text: str) -> str:
        """The corrected wording: each [from, to] applied once, in order."""
        for old, new in self.replace:
            text = text.replace(old, new, 1)
        return text


@lru_cache(maxsize=4)
def keigo_patterns(path: Path | None = None) -> tuple[KeigoPattern, ...]:
    data = load_style(path)
    return tuple(KeigoPattern(id=e["id"], regex=re.compile(e["pattern"]),
                              replace=tuple(tuple(r) for r in e.get("replace", [])), message=e["message"],
                              explanation=e["explanation"], must_match=tuple(e.get("match", [])),
                              must_not_match=tuple(e.get("no_match", [])))
                 for e in data["double_keigo"])


class DoubleKeigoRule(Rule):
    """二重敬語 (ご入院される, お帰りになられる, おっしゃられる, 拝見させていただく): two honorifics
    on one verb read as clumsy, and families notice."""

    rule_id = "style.double_keigo"
    category = "style.double_keigo"
    severity = Severity.MEDIUM

    def find(self, doc: CheckDoc) -> Iterable[Finding]:
        for p in keigo_patterns():
            for m in p.regex.finditer(doc.folded):
                original = doc.text[m.start():m.end()]
                yield self.finding(doc, m.start(), m.end(), p.message, p.explanation,
                                   suggestions=[p.fix(original)], pattern=p.id)


# ---- 各位 ---------------------------------------------------------------------------------------
class KakuiRule(Rule):
    """様各位 / 各位様: 各位 already means 皆様, so another honorific on it is doubled."""

    rule_id = "style.kakui"
    category = "style.kakui"
    severity = Severity.MEDIUM

    def find(self, doc: CheckDoc) -> Iterable[Finding]:
        regex = _compiled(load_style()["kakui"]["pattern"])
        for m in regex.finditer(doc.folded):
            text = doc.text[m.start():m.end()]
            if m.group("before") == "皆様":
                fixes = ["皆様", "各位"]
            else:
                fixes = [re.sub(r"^(様|殿)[ 　]*各位$|^各位[ 　]*(様|殿|方)$", "各位", text)]
            yield self.finding(doc, m.start(), m.end(), f"「{text}」は敬称が重なっています。",
                               "「各位」は「皆様」という意味の敬称です。「様」「殿」を重ねず、"
                               "「ご家族各位」「関係者各位」のように書きます。", suggestions=fixes)


# ---- greetings in an apology or a reply ---------------------------------------------------------
def is_apology_or_reply(doc: CheckDoc) -> bool:
    """An apology (事故報告) or a reply to a complaint or inquiry: from the letter's kind, else from a
    subject line above the 頭語."""
    conf = load_style()["apology"]
    if doc.context.letter_type:
        return doc.context.letter_type in conf["kinds"]
    head = re.search(line_start_re(salutations().after_subject), doc.text)
    before = doc.text[: head.start()] if head else doc.text[:300]
    return bool(re.search(conf["title_pattern"], before))


class ApologyGreetingRule(Rule):
    """A 時候の挨拶 or a greeting that rejoices at the reader's prosperity (ご清祥のこととお喜び申し上げます)
    at the head of an apology or a reply to a complaint or inquiry: tone-deaf when the family is worried
    or upset. Such letters go from the 頭語 straight to the matter: 「拝啓　このたびは…」."""

    rule_id = "style.apology_greeting"
    category = "style.apology_greeting"
    severity = Severity.MEDIUM

    def find(self, doc: CheckDoc) -> Iterable[Finding]:
        if not is_apology_or_reply(doc):
            return
        s = seasons()
        season_re = _compiled(rf"(?:{alternation(s.words)})(?:{alternation(s.endings)})、?|{s.any_month}[ 　、]?")
        lead_re = _compiled(rf"({alternation(salutations().before_greeting)})[ \u3000]*")
        greeting_re = _compiled(load_style()["apology"]["greeting_pattern"])
        text = doc.text
        # the 前文: from the 頭語 (or the start) to the first paragraph of the matter
        for sent in re.finditer(r"[^。\n]+。?", text):
            s = sent.group()
            body = s.lstrip(" \u3000")
            lead = lead_re.match(body)
            start = sent.start() + (len(s) - len(body)) + (lead.end() if lead else 0)
            part = text[start:sent.end()]
            season = season_re.search(part)
            greeting = greeting_re.search(part)
            if not season and not greeting:
                continue
            what = "時候の挨拶" if season and not greeting else "ご繁栄・ご健康を喜ぶ挨拶" if not season else \
                "時候の挨拶とご繁栄を喜ぶ挨拶"
            # a greeting takes its whole sentence; a 時候 alone only itself (「盛夏の候、平素は…」 keeps the thanks)
            end = sent.end() if greeting else start + season.end()
            if not greeting:
                start += season.start()
            yield self.finding(
                doc, start, end, f"お詫びやご回答の手紙に{what}は書きません。",
                "ご心配やご不満を抱えている方に、季節の話題や「ご清祥のこととお喜び申し上げます」は"
                "場違いに響きます。頭語のすぐ後に本題に入ります（例：「拝啓　このたびは…」）。",
                suggestions=[""])


def style_rules() -> list[Rule]:
    """The rules of this module, in the order they run (registered in rules/__init__.py)."""
    return [WeekdayRule(), DoubleKeigoRule(), KakuiRule(), ApologyGreetingRule()]
