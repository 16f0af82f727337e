"""What every rule shares: the per-run document (text, analysis, context) and the Rule base class."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field

from desktop_app.core.checks.analysis import Analysis
from desktop_app.core.context import CheckContext
from desktop_app.core.findings import Finding, Severity
from desktop_app.core.textutil import SentenceIndex, fold_width

_DIGITS = re.compile(r"\d")


def digits_of(s: str) -> str:
    return "".join(_DIGITS.findall(fold_width(s)))


def squash(s: str) -> str:
    """Drop spaces, 〒 and the postcode, fold widths: for comparing addresses written two ways."""
    s = fold_width(s)
    s = re.sub(r"〒?\s*\d{3}-\d{4}", "", s)
    return re.sub(r"[\s,、]", "", s)


ROLE_WHO = {"recipient": "宛先のご家族", "subject": "利用者様ご本人", "sender": "差出人の職員",
            "staff": "施設の職員", "family": "利用者様のご家族", "professional": "医師・職員などの専門職",
            "third_party": "他の利用者様、またはこの手紙と関係のない方", "unknown": "どなたか分からない方"}


@dataclass
class PersonMention:
    start: int
    end: int
    text: str
    role: str  # recipient | subject | sender | staff | family | professional | third_party | unknown
    reason: str
    # How the software found it (dictionary, NER, honorific …): shown only in --format json, never to staff.
    signals: tuple[str, ...] = ()

    @property
    def third_party(self) -> bool:
        return self.role == "third_party"


@dataclass
class CheckDoc:
    """One run of the check over one text: shared by all rules, built once."""

    text: str
    analysis: Analysis
    context: CheckContext
    readings: dict[str, list[str]] = field(default_factory=dict)  # context name -> katakana readings
    folded: str = ""
    facility_spans: list[tuple[int, int]] = field(default_factory=list)
    # Filled by the person stage (rules/person.py: detect_persons) before any rule runs.
    persons: list[PersonMention] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.folded = fold_width(self.text)
        self.sentences = SentenceIndex(self.text)
        self._person_starts: list[int] | None = None
        self.token_starts = self.analysis.starts()
        self.token_ends = self.analysis.ends()
        self.facility_spans = self._find_facility_spans()
        merged: list[list[int]] = []
        for a, b in sorted(self.facility_spans):
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        self._fac_starts = [a for a, _ in merged]
        self._fac_ends = [b for _, b in merged]

    def _find_facility_spans(self) -> list[tuple[int, int]]:
        fac = self.context.facility
        spans: list[tuple[int, int]] = []
        for value in (fac.name, fac.address, fac.email):
            if value and len(value) >= 2:
                v = fold_width(value)
                for m in re.finditer(re.escape(v), self.folded):
                    spans.append((m.start(), m.end()))
                # the facility name is often written without its legal prefix, or with a space dropped
                if value is fac.name:
                    core = re.sub(r"^(社会福祉法人|医療法人|株式会社|有限会社)\S*\s*", "", v)
                    for part in {core, core.replace(" ", ""), core.replace(" ", "\u3000")} | set(core.split()):
                        if len(part) >= 3 and part != v:
                            for m in re.finditer(re.escape(part), self.folded):
                                spans.append((m.start(), m.end()))
        return spans

    def sentence(self, pos: int) -> tuple[int, int]:
        """[start, end) of the sentence around pos (one index per document, built once)."""
        return self.sentences.bounds(pos)

    def persons_in(self, start: int, end: int) -> list[PersonMention]:
        """Persons whose mention starts in [start, end), by bisection over the stage's result."""
        if self._person_starts is None or len(self._person_starts) != len(self.persons):
            self.persons.sort(key=lambda p: p.start)
            self._person_starts = [p.start for p in self.persons]
        i = bisect_left(self._person_starts, start)
        j = bisect_left(self._person_starts, end)
        return self.persons[i:j]

    def whose(self, start: int, end: int) -> str:
        """A sentence for an explanation: whose data this seems to be, and why (the nearest person
        named in the same sentence, else the letter's resident)."""
        sent_s, sent_e = self.sentence(start)
        people = self.persons_in(sent_s, sent_e)
        before = [p for p in people if p.end <= start]
        person = before[-1] if before else next((p for p in people if p.start >= end), None)
        if person is not None:
            return f"同じ文のお名前「{person.text}」から、{ROLE_WHO.get(person.role, 'どなたか')}の情報と思われます。"
        if self.context.subject:
            return "お名前が書かれていないため、この手紙の利用者様ご本人かご家族の情報と思われます。"
        return "どなたの情報か、手紙の中からは分かりません。"

    def in_facility(self, start: int, end: int) -> bool:
        i = bisect_right(self._fac_starts, start) - 1
        return i >= 0 and end <= self._fac_ends[i]

    def facility_phone_digits(self) -> list[str]:
        fac = self.context.facility
        return [d for d in (digits_of(fac.phone), digits_of(fac.fax)) if len(d) >= 9]


class Rule:
    """A rule detects one kind of problem; its data are class constants, its doc says why it matters."""

    rule_id: str = ""
    category: str = ""
    severity: Severity = Severity.MEDIUM

    def find(self, doc: CheckDoc) -> Iterable[Finding]:
        raise NotImplementedError

    def finding(self, doc: CheckDoc, start: int, end: int, message: str, explanation: str,
                suggestions: Iterable[str] = (), severity: Severity | None = None,
                category: str | None = None, **meta) -> Finding:
        return Finding(start=start, end=end, text=doc.text[start:end], category=category or self.category,
                       severity=severity or self.severity, message=message, explanation=explanation,
                       suggestions=tuple(suggestions), rule_id=self.rule_id, meta=tuple(sorted(meta.items())))
