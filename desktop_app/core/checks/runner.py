"""Run the check: one NLP pass (when the model is ready), then every rule, then tidy the findings."""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
from collections.abc import Sequence

from desktop_app.core.checks.analysis import Analysis
from desktop_app.core.checks.nlp import MAX_CHECK_CHARS, NlpEngine
from desktop_app.core.checks.rules import CheckDoc, Rule, default_rules
from desktop_app.core.checks.rules.person import detect_persons
from desktop_app.core.context import CheckContext
from desktop_app.core.findings import Finding, Severity
from desktop_app.core.intervals import Occupancy

log = logging.getLogger(__name__)

# Format characters a reader does not see: soft hyphen, zero-width space / non-joiner / joiner, left-to-right
# and right-to-left marks, word joiner, and a byte-order mark inside the text.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")
_SMALL_TO_LARGE_KANA = str.maketrans("ァィゥェォッャュョヮ", "アイウエオツヤユヨワ")

# When two personal-data findings overlap, the more specific one stays.
PII_PRIORITY = ["pii.email", "pii.phone", "pii.id_number", "pii.bank_account", "pii.address", "pii.birthdate",
                "pii.age", "pii.person", "pii.health"]


_PRIORITY = {c: i for i, c in enumerate(PII_PRIORITY)}


def _resolve_overlaps(findings: list[Finding], length: int) -> list[Finding]:
    pii = sorted((f for f in findings if f.category.startswith("pii.")),
                 key=lambda f: (_PRIORITY.get(f.category, 99),
                                -(f.end - f.start)))
    kept: list[Finding] = []
    taken = Occupancy(length)
    for f in pii:
        if taken.overlaps(f.start, f.end):
            continue
        taken.add(f.start, f.end)
        kept.append(f)
    others: list[Finding] = []
    by_category: dict[str, Occupancy] = {}
    for f in (f for f in findings if not f.category.startswith("pii.")):
        spans = by_category.setdefault(f.category, Occupancy(length))
        if spans.overlaps(f.start, f.end):
            continue
        spans.add(f.start, f.end)
        others.append(f)
    return sorted(kept + others, key=lambda f: (f.start, f.end, f.category))


class CheckRunner:
    """Holds the rules and (optionally) the NLP engine. `check()` never raises on any string."""

    def __init__(self, engine: NlpEngine | None = None, rules: Sequence[Rule] | None = None):
        self.engine = engine
        self._rules = list(rules) if rules is not None else None
        self._rules_lock = threading.Lock()
        self._readings: dict[str, list[str]] = {}

    @property
    def rules(self) -> list[Rule]:
        """The rules, built on first use (about 0.2 s, mostly the health vocabulary's index), so that the
        window can be shown first and the model loader's thread builds them."""
        if self._rules is None:
            with self._rules_lock:
                if self._rules is None:
                    self._rules = default_rules()
        return self._rules

    def analyze(self, text: str) -> Analysis:
        if self.engine is None or not self.engine.loaded:
            return Analysis()
        try:
            return self.engine.analyze(text)
        except Exception:  # the check must still give its pattern findings
            log.exception("NLP analysis failed; continuing with patterns only")
            return Analysis()

    def _context_readings(self, context: CheckContext) -> dict[str, list[str]]:
        """Katakana spellings of the form's names (口座名義: ウラタ スミエ), via Sudachi's readings."""
        out: dict[str, list[str]] = {}
        if self.engine is None or not self.engine.loaded:
            return out
        for _, name in context.people():
            if name not in self._readings:
                parts = name.replace("\u3000", " ").split()
                try:
                    readings = ["".join(self.engine.readings(p)) for p in parts]
                except Exception:
                    readings = []
                variants = []
                if readings and all(readings):
                    variants = [" ".join(readings), "".join(readings)]
                    # old-style 口座名義 write small kana large (ショウイチ → シヨウイチ, キョウコ → キヨウコ)
                    large = [r.translate(_SMALL_TO_LARGE_KANA) for r in readings]
                    if large != readings:
                        variants += [" ".join(large), "".join(large)]
                self._readings[name] = variants
            out[name] = self._readings[name]
        return out

    def check(self, text: str, context: CheckContext | dict | None = None,
              analysis: Analysis | None = None) -> list[Finding]:
        """Every finding in text. A text longer than MAX_CHECK_CHARS is checked in parts of at most
        that size, cut at line ends; the model reads only the first MAX_NLP_CHARS of the whole text."""
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        if isinstance(context, dict) or context is None:
            context = CheckContext.from_dict(context or {})
        if _INVISIBLE.search(text):
            return self._check_visible(text, context)
        readings = self._context_readings(context)
        if len(text) <= MAX_CHECK_CHARS:
            if analysis is None:
                analysis = self.analyze(text)
            return self._check_part(text, context, analysis, readings)
        findings: list[Finding] = []
        nlp_limit: int | None = None
        for off, part in split_parts(text):
            part_analysis = self.analyze(part) if off == 0 else Analysis()
            if off == 0:
                nlp_limit = part_analysis.nlp_limit if part_analysis.nlp_used else None
                if part_analysis.nlp_used and nlp_limit is None:
                    nlp_limit = len(part)
            for f in self._check_part(part, context, part_analysis, readings, note_limit=False):
                findings.append(dataclasses.replace(f, start=f.start + off, end=f.end + off))
        if nlp_limit is not None:
            findings.append(_truncation_note(text, nlp_limit))
        return findings

    def _check_visible(self, text: str, context: CheckContext) -> list[Finding]:
        """Check the text as a reader sees it, without invisible characters (a zero-width space or a
        soft hyphen pasted into 090-1234-5678 hides nothing from the reader, so it must not hide the
        number from the check), then give each finding its place in the text as written."""
        keep = [i for i, ch in enumerate(text) if not _INVISIBLE.match(ch)]
        pos = keep + [len(text)]
        out = []
        for f in self.check("".join(text[i] for i in keep), context):
            start = pos[f.start]
            end = pos[f.end - 1] + 1 if f.end > f.start else start
            out.append(dataclasses.replace(f, start=start, end=end, text=text[start:end]))
        return out

    def _check_part(self, text: str, context: CheckContext, analysis: Analysis,
                    readings: dict[str, list[str]], note_limit: bool = True) -> list[Finding]:
        doc = CheckDoc(text=text, analysis=analysis, context=context, readings=readings)
        try:
            doc.persons = detect_persons(doc)
        except Exception:  # the other rules still run, without knowing who is named
            log.exception("person detection failed")
        findings: list[Finding] = []
        for rule in self.rules:
            try:
                findings.extend(rule.find(doc))
            except Exception:  # one broken rule must not hide the others' findings
                log.exception("rule %s failed", rule.rule_id)
        n = len(text)
        findings = [f for f in findings if 0 <= f.start < f.end <= n]
        findings = _resolve_overlaps(findings, n)
        if note_limit and analysis.nlp_limit is not None:
            findings.append(_truncation_note(text, analysis.nlp_limit))
        return findings


def split_parts(text: str, size: int = MAX_CHECK_CHARS) -> list[tuple[int, str]]:
    """Cut text into (offset, part) of at most size characters, at the last line end (or 。) inside."""
    out: list[tuple[int, str]] = []
    start = 0
    while len(text) - start > size:
        cut = text.rfind("\n", start, start + size) + 1
        if cut <= start + size // 2:
            cut = text.rfind("。", start, start + size) + 1
        if cut <= start + size // 2:
            cut = start + size
        out.append((start, text[start:cut]))
        start = cut
    out.append((start, text[start:]))
    return out


def _truncation_note(text: str, limit: int) -> Finding:
    end = min(len(text), limit + 1)
    return Finding(
        start=min(limit, max(0, len(text) - 1)), end=max(end, 1), text=text[limit:end] or text[-1:],
        category="info.truncated", severity=Severity.INFO,
        message=f"文章が長いため、{limit:,}文字目以降は人名・健康情報の解析を省略しました。",
        explanation=("長い文章では、人名や病名を文脈から読み取る解析を先頭の部分だけに行い、"
                     "それ以降は電話番号・住所などの形で見つかるものだけを確認しています。"
                     "手紙を分けて確認すると、すべての部分を詳しく確認できます。"),
        rule_id="runner")


def check_text(text: str, context: CheckContext | dict | None = None, engine: NlpEngine | None = None) -> list[Finding]:
    return CheckRunner(engine).check(text, context)
