"""Health data about a person: diagnoses, symptoms, injuries, medications, care levels, instructions."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from desktop_app.config import resources_dir
from desktop_app.core.checks.rules.base import CheckDoc, Rule
from desktop_app.core.letters import Finding, Severity
from desktop_app.core.textutil import KANJI, KATAKANA, sentence_bounds


def _alt(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@lru_cache(maxsize=4)
def load_health_data(path: Path | None = None) -> dict:
    path = path or resources_dir() / "rules" / "health.toml"
    with open(path, "rb") as f:
        return tomllib.load(f)


class HealthRule(Rule):
    """Health information is 要配慮個人情報 under the 個人情報保護法: it needs consent to share, and a
    letter that reaches the wrong person leaks it. Reports the minimal phrase (a body part joined with
    の is included; degree words are not). Statements about illness in general are left alone."""

    rule_id = "pii.health"
    category = "pii.health"

    def __init__(self, data: dict | None = None):
        d = data or load_health_data()
        self.not_conditions = set(d["not_conditions"])
        body = _alt(d["body_parts"])
        side = r"(?:右|左|両|左右の?)?"
        terms = _alt(d["terms"])
        suffix = _alt(d["suffixes"])
        self.pattern = re.compile(
            rf"(?:{d['care_level']})"
            rf"|(?:{_alt(d['functions'])})の?(?:{_alt(d['impairments'])})"
            rf"|(?:{side}(?:{body})の?)?(?:{terms})"
            # kana inside medical compounds (胆のう, 骨粗しょう症) but no particles (様は…)
            rf"|[{KANJI}{KATAKANA}](?:[{KANJI}{KATAKANA}]|のう|しょう|せき|ろう){{0,10}}?(?:型|性)?(?:{suffix})(?![{KANJI}])"
        )
        self.terms = set(d["terms"])
        self.generic = re.compile(_alt(d["generic_markers"]))
        self.not_re = re.compile(_alt(self.not_conditions))

    def _clean(self, doc: CheckDoc, s: int, e: int) -> tuple[int, int] | None:
        text = doc.folded
        # degree words are not part of the span (軽度の認知症 -> 認知症)
        dm = re.match(r"^(?:軽度|重度|中等度|軽い|重い|ひどい|強い|少し|やや|急な)の?", text[s:e])
        if dm and e - s - dm.end() >= 2:
            s += dm.end()
        toks = doc.analysis.tokens
        if toks:
            # the word must end where a token ends (傷 in 傷つかれた is not 傷), and start on a token
            if e not in doc.token_ends:
                return None
            while s < e and s not in doc.token_starts:
                s += 1
        span = text[s:e]
        if not span:
            return None
        if span in self.terms:
            return s, e
        if span in self.not_conditions or any(span.endswith(w) for w in self.not_conditions):
            return None
        return s, e

    def find(self, doc: CheckDoc) -> Iterable[Finding]:
        text = doc.folded
        persons = doc.persons
        for m in self.pattern.finditer(text):
            cleaned = self._clean(doc, m.start(), m.end())
            if not cleaned:
                continue
            s, e = cleaned
            word = text[s:e]
            if word in ("安静", "傷", "張り", "熱", "咳", "痰", "まひ", "炎症") and not self._about_person(text, s, e, persons):
                continue
            if word == "張り" and not re.search(r"の張り$", text[max(0, s - 3):e]):
                continue
            sent_s, sent_e = sentence_bounds(text, s)
            sentence = text[sent_s:sent_e]
            named = any(sent_s <= p.start < sent_e for p in persons) or "様" in sentence or "さん" in sentence
            if self.generic.search(sentence) and not named:
                continue
            if doc.in_facility(s, e):
                continue
            third = self._third_party(text, s, persons)
            yield self.finding(
                doc, s, e,
                "第三者の健康情報が含まれています（要配慮個人情報）。" if third else "健康情報が含まれています（要配慮個人情報）。",
                f"健康情報の語彙「{word}」に一致" + ("。直前の人名は第三者と判定されています。" if third else "。"),
                severity=Severity.HIGH if third else Severity.MEDIUM, third_party=third,
            )

    @staticmethod
    def _about_person(text: str, s: int, e: int, persons) -> bool:
        sent_s, sent_e = sentence_bounds(text, s)
        return any(sent_s <= p.start < sent_e for p in persons)

    @staticmethod
    def _third_party(text: str, pos: int, persons) -> bool:
        """The nearest person named before this word in the same sentence (or the previous one)."""
        sent_s, _ = sentence_bounds(text, pos)
        prev_s, _ = sentence_bounds(text, max(0, sent_s - 2)) if sent_s > 0 else (sent_s, 0)
        before = [p for p in persons if p.end <= pos and p.start >= prev_s]
        if not before:
            return False
        in_sentence = [p for p in before if p.start >= sent_s]
        nearest = (in_sentence or before)[-1]
        return nearest.third_party
