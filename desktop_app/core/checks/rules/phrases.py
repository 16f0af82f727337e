"""Risky wording from the phrase lists in resources/rules/risk_phrases.toml."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from desktop_app.core.checks.rules.base import CheckDoc, Rule
from desktop_app.core.findings import Finding, Severity
from desktop_app.core.intervals import Occupancy
from desktop_app.core.resources import resources_dir
from desktop_app.core.textutil import SentenceIndex

_CONNECTIVE = re.compile(r"^(?:また|なお|さらに|しかし|ただし|その上で|そのうえで|このたびは?|今回は?|今後は?|これからは|以後|今後とも)[、，]?\s*")
_TIME_LEAD = re.compile(r"^(?:今後は?|これからは|以後は?|今回は?)[、，]?\s*")


@dataclass(frozen=True)
class Phrase:
    id: str
    category: str
    severity: Severity
    pattern: re.Pattern
    unless_inside: re.Pattern | None
    extend: str
    message: str
    explanation: str
    suggestions: tuple[str, ...]
    must_match: tuple[str, ...]
    must_not_match: tuple[str, ...]


@lru_cache(maxsize=4)
def load_phrases(path: Path | None = None) -> tuple[Phrase, ...]:
    path = path or resources_dir() / "rules" / "risk_phrases.toml"
    with open(path, "rb") as f:
        data = tomllib.load(f)
    out = []
    for p in data["phrase"]:
        out.append(Phrase(
            id=p["id"], category=p["category"], severity=Severity(p.get("severity", "medium")),
            pattern=re.compile(p["pattern"]),
            unless_inside=re.compile(p["unless_inside"]) if p.get("unless_inside") else None,
            extend=p.get("extend", ""), message=p["message"], explanation=p["explanation"],
            suggestions=tuple(p.get("suggestions", ())), must_match=tuple(p.get("must_match", ())),
            must_not_match=tuple(p.get("must_not_match", ())),
        ))
    return tuple(out)


def extend_start(text: str, start: int, mode: str, sentences: SentenceIndex | None = None) -> int:
    """Move the start of a risky phrase back to its clause topic or its sentence start."""
    if not mode:
        return start
    sentences = sentences or SentenceIndex(text)
    sent = sentences.bounds(start)[0]
    quote = text.rfind("「", sent, start)  # quoted speech starts a sentence of its own
    if quote != -1:
        sent = quote + 1
    if mode == "sentence":
        new = sent
        lead = _CONNECTIVE.match(text[new:start])
        if lead:
            new += lead.end()
        return new
    # clause: back to the last 、 only when a topic (〜は / 〜も) stands between it and the adverb
    clause = max(sent, max(text.rfind(c, sent, start) for c in "、，,") + 1)
    head = text[clause:start]
    if re.search(r"[はも]", head):
        lead = _TIME_LEAD.match(head)
        return clause + (lead.end() if lead else 0)
    return start


def phrase_matches(phrase: Phrase, text: str, sentences: SentenceIndex | None = None) -> list[tuple[int, int]]:
    """Spans where the phrase applies in text (already width-folded). `sentences`: the document's
    sentence index (one per check); built here when the caller has none."""
    out = []
    for m in phrase.pattern.finditer(text):
        s, e = m.start(), m.end()
        while e > s and text[e - 1] in "。、 \u3000":
            e -= 1
        if sentences is None:
            sentences = SentenceIndex(text)
        if phrase.unless_inside:
            sent_end = max(sentences.bounds(max(e - 1, s))[1], e)
            if phrase.unless_inside.search(text[s:sent_end]):
                continue
        out.append((extend_start(text, s, phrase.extend, sentences), e))
    return out


class RiskPhraseRule(Rule):
    """Easy promises, admissions of fault or offers of money, and vague answers: what a letter says
    will be quoted back by an upset family, so each is flagged with a safer wording."""

    rule_id = "risk.phrases"
    category = "risk"

    def __init__(self, phrases: tuple[Phrase, ...] | None = None):
        self.phrases = phrases if phrases is not None else load_phrases()

    def find(self, doc: CheckDoc) -> Iterable[Finding]:
        if doc.analysis.has_parse:
            return  # the dependency rule (rules/risk.py) reads the parse; these lists are the fallback
        taken: dict[str, Occupancy] = {}
        for p in self.phrases:
            spans = taken.setdefault(p.category, Occupancy(len(doc.folded)))
            for s, e in phrase_matches(p, doc.folded, doc.sentences):
                if spans.overlaps(s, e):
                    continue
                spans.add(s, e)
                yield Finding(start=s, end=e, text=doc.text[s:e], category=p.category, severity=p.severity,
                              message=p.message, explanation=p.explanation,
                              suggestions=p.suggestions, rule_id=p.id)

