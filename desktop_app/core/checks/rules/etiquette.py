"""Letter etiquette: 頭語 and 結語 that pair, a 時候の挨拶 that fits the letter's month, no 時候 after
前略, no 忌み言葉 in a condolence letter. Mistakes here embarrass the facility, not leak data."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from desktop_app.core.checks.rules.base import CheckDoc, Rule
from desktop_app.core.conventions import (
    closing_line_re,
    era_by_name,
    letter_date_re,
    line_start_re,
    opening_line_re,
    salutations,
    season_greeting_re,
    seasons,
)
from desktop_app.core.findings import Finding, Severity
from desktop_app.core.japanese import season_word
from desktop_app.core.resources import resources_dir


@lru_cache(maxsize=4)
def load_etiquette(path: Path | None = None) -> dict:
    with open(path or resources_dir() / "rules" / "etiquette.toml", "rb") as f:
        return tomllib.load(f)


def letter_date(text: str) -> dt.date | None:
    """The date of the letter: a full date standing on a line of its own (後付け), else the last one."""
    candidates = []
    for m in letter_date_re().finditer(text):
        try:
            if m.group(1):
                year = era_by_name()[m.group(1)].year(1 if m.group(2) == "元" else int(m.group(2)))
                d = dt.date(year, int(m.group(3)), int(m.group(4)))
            else:
                d = dt.date(int(m.group(5)), int(m.group(6)), int(m.group(7)))
        except ValueError:
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.end())
        line = text[line_start: line_end if line_end >= 0 else len(text)]
        candidates.append((line.strip() == m.group().strip(), m.start(), d))
    if not candidates:
        return None
    own_line = [c for c in candidates if c[0]]
    return (own_line or candidates)[-1][2]


def is_condolence(doc: CheckDoc) -> bool:
    if doc.context.letter_type == "condolence":
        return True
    return bool(re.search(r"お悔やみ|ご逝去|ご冥福|哀悼|訃報", doc.text[:400]))


class SalutationPairRule(Rule):
    """頭語 and 結語 must pair (拝啓–敬具, 前略–草々 …); 拝啓 … 草々 reads as careless."""

    rule_id = "style.salutation_pair"
    category = "style.salutation_pair"
    severity = Severity.MEDIUM

    def find(self, doc: CheckDoc) -> Iterable[Finding]:
        pairs = salutations().pairs
        text = doc.text
        head = opening_line_re().search(text)
        tail = None
        for m in closing_line_re().finditer(text):
            tail = m
        if head and tail:
            if tail.group(1) not in pairs[head.group(1)]:
                good = "・".join(pairs[head.group(1)])
                yield self.finding(doc, tail.start(1), tail.end(1),
                                   f"頭語「{head.group(1)}」に結語「{tail.group(1)}」は合いません。",
                                   f"頭語と結語の組み合わせ：{head.group(1)}には{good}。",
                                   suggestions=pairs[head.group(1)])
        elif head and not tail and not is_condolence(doc):
            yield self.finding(doc, head.start(1), head.end(1), f"頭語「{head.group(1)}」に対応する結語がありません。",
                               f"{head.group(1)}で始めた手紙は{'・'.join(pairs[head.group(1)])}で結びます。",
                               severity=Severity.LOW)
        elif tail and not head and not is_condolence(doc):
            yield self.finding(doc, tail.start(1), tail.end(1), f"結語「{tail.group(1)}」に対応する頭語がありません。",
                               "頭語を書かない場合は結語も省きます。", severity=Severity.LOW)


class SeasonGreetingRule(Rule):
    """時候の挨拶 must fit the letter's month (晩秋の候 in May is wrong), must be left out after 前略
    or 急啓, and has no place in a condolence letter."""

    rule_id = "style.season"
    category = "style.season"
    severity = Severity.MEDIUM

    def find(self, doc: CheckDoc) -> Iterable[Finding]:
        accepted = seasons().accepted
        text = doc.text
        date = doc.context.letter_date or letter_date(text)
        head = re.search(line_start_re(salutations().skip_season), text)
        for m in re.finditer(season_greeting_re(), text):
            word = m.group(1)
            if head:
                yield self.finding(doc, m.start(), m.end(), f"「{head.group(1)}」の後に時候の挨拶は書きません。",
                                   f"{head.group(1)}は前文を省く頭語です。", category="style.season_after_zenryaku",
                                   suggestions=[""])
                continue
            if is_condolence(doc):
                yield self.finding(doc, m.start(), m.end(), "お悔やみ状に時候の挨拶は書きません。",
                                   "お悔やみ状は頭語・時候の挨拶を省き、すぐに本題に入ります。",
                                   category="style.condolence_opening")
                continue
            if date and date.month not in accepted[word]:
                best = season_word(date)
                fits = [best] + [w for w, months in accepted.items() if months == (date.month,) and w != best][:1]
                yield self.finding(doc, m.start(), m.end(),
                                   f"「{m.group()}」は{date.month}月の手紙に合いません。",
                                   f"時候の挨拶「{word}」は{'・'.join(str(x) for x in accepted[word])}月のもの。手紙の日付は{date.year}年{date.month}月{date.day}日。",
                                   suggestions=[f"{w}の候" for w in fits] + [seasons().any_month])


class CondolenceRule(Rule):
    """忌み言葉 (重ね言葉, words of repetition, direct words for death) in a condolence letter, and a
    頭語 there. Warnings: the family reads these at the hardest moment."""

    rule_id = "style.imikotoba"
    category = "style.imikotoba"
    severity = Severity.LOW

    def find(self, doc: CheckDoc) -> Iterable[Finding]:
        if not is_condolence(doc):
            return
        data = load_etiquette()
        words = sorted(data["imikotoba"], key=len, reverse=True)
        fixes = data.get("imikotoba_fix", {})
        for m in re.finditer("|".join(map(re.escape, words)), doc.text):
            w = m.group()
            if w == "なお" and not re.match(r"[、，]", doc.text[m.end():m.end() + 1]):
                continue
            yield self.finding(doc, m.start(), m.end(), f"お悔やみ状では「{w}」は忌み言葉です。",
                               "重ね言葉・繰り返しを連想させる言葉・直接的な表現はお悔やみ状では避けます。",
                               suggestions=[fixes[w]] if w in fixes else [])
        head = re.search(line_start_re(salutations().in_condolence), doc.text)
        if head:
            yield self.finding(doc, head.start(1), head.end(1), "お悔やみ状には頭語を書きません。",
                               "お悔やみ状は頭語・時候の挨拶を省き、お悔やみの言葉から始めます。",
                               category="style.condolence_opening", severity=Severity.MEDIUM, suggestions=[""])
