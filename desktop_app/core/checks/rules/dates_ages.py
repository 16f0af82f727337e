"""Dates of birth and ages of identifiable people."""

from __future__ import annotations

import re
from collections.abc import Iterable

from desktop_app.core.checks.rules.base import CheckDoc, Rule
from desktop_app.core.conventions import era_abbrs, era_names
from desktop_app.core.findings import Finding
from desktop_app.core.intervals import Occupancy

KN = "[一二三四五六七八九十〇]"  # kanji numerals, as formal letters write dates and ages
DATE = (rf"(?:(?:{era_names()})[ ]?(?:\d{{1,2}}|元|{KN}{{1,3}})年|(?:19|20)\d{{2}}年)?[ ]?(?:\d{{1,2}}|{KN}{{1,3}})月[ ]?(?:\d{{1,2}}|{KN}{{1,3}})日"
        r"|(?:19|20)\d{2}[/.-]\d{1,2}[/.-]\d{1,2}"
        rf"|(?:{era_names()}|[{era_abbrs()}])\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{1,2}}")


def kanji_number(s: str) -> int:
    """87 or 八十七 -> 87 (ages up to 百二十)."""
    if s.isdigit():
        return int(s)
    digits = dict(zip("〇一二三四五六七八九", range(10), strict=True))
    total, current = 0, 0
    for ch in s:
        if ch in digits:
            current = current * 10 + digits[ch] if current else digits[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
    return total + current


class BirthdateRule(Rule):
    """A date of birth (生年月日, 〜生まれ, a birthday given as month and day)."""

    rule_id = "pii.birthdate"
    category = "pii.birthdate"
    AFTER_LABEL = re.compile(rf"(?:生年月日|誕生日)[\s:：]*(?:は|\(|（)?[\s]*({DATE})")
    WITH_SUFFIX = re.compile(rf"({DATE})[ ]?(?:生まれ|生)(?![活徒産命涯])")
    BIRTHDAY = re.compile(r"(\d{1,2}月\d{1,2}日)(?:の|が|は)?(?:お)?誕生日")

    def find(self, doc: CheckDoc) -> Iterable[Finding]:
        seen = Occupancy(len(doc.folded))
        for pattern, why in ((self.WITH_SUFFIX, "日付の後に「生まれ」"),
                             (self.AFTER_LABEL, "「生年月日」の後に日付"),
                             (self.BIRTHDAY, "「誕生日」と書かれた月日")):
            for m in pattern.finditer(doc.folded):
                s, e = (m.start(), m.end()) if pattern is self.WITH_SUFFIX else m.span(1)
                if seen.overlaps(s, e):
                    continue
                seen.add(s, e)
                yield self.finding(doc, s, e, "生年月日が含まれています。",
                                   f"{why}があります。{doc.whose(s, e)}生年月日は本人を特定できる情報です。"
                                   "必要でなければ削ってください。",
                                   suggestions=["（生年月日は記載しない）"])


class AgeRule(Rule):
    """The age of an identifiable person (87歳, 満100歳, 米寿). Generic limits (90歳以上の方) are not."""

    rule_id = "pii.age"
    category = "pii.age"
    PATTERN = re.compile(r"(?<![\d.一二三四五六七八九十百])(\d{1,3}|[一二三四五六七八九十百]{1,4})[ ]?(?:歳|才)(?!以上|以下|未満|以降|から|まで|代|前後|以下|程度|くらい|ぐらい|頃|児)")
    LONGEVITY = re.compile(r"還暦|古希|古稀|喜寿|傘寿|米寿|卒寿|白寿|百寿|紀寿|茶寿|皇寿")
    GENERIC_AFTER = re.compile(r"^(?:の方|以上|を迎えられた方|を迎える方|を迎えられる方々|の皆様|のご利用者)")

    def find(self, doc: CheckDoc) -> Iterable[Finding]:
        text = doc.folded
        for m in self.PATTERN.finditer(text):
            n = kanji_number(m.group(1))
            if n == 0 or n > 125:
                continue
            if self.GENERIC_AFTER.search(text[m.end():m.end() + 8]):
                continue
            yield self.finding(doc, m.start(), m.end(), "年齢が含まれています。",
                               f"年齢が書かれています。{doc.whose(m.start(), m.end())}"
                               "お名前などと合わせると本人を特定できます。必要でなければ削ってください。",
                               suggestions=["（年齢は記載しない）"])
        for m in self.LONGEVITY.finditer(text):
            if self.GENERIC_AFTER.search(text[m.end():m.end() + 10]):
                continue
            yield self.finding(doc, m.start(), m.end(), "年齢（長寿の祝い名）が含まれています。",
                               f"「{m.group()}」は決まった年齢を表す言葉です。{doc.whose(m.start(), m.end())}")
