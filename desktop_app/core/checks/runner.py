"""Run the check: one NLP pass (when the model is ready), then every rule, then tidy the findings."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from desktop_app.core.checks.analysis import Analysis
from desktop_app.core.checks.nlp import NlpEngine
from desktop_app.core.checks.rules import CheckDoc, Rule, default_rules
from desktop_app.core.intervals import DisjointIntervals
from desktop_app.core.letters import CheckContext, Finding, Severity

log = logging.getLogger(__name__)

# When two personal-data findings overlap, the more specific one stays.
PII_PRIORITY = ["pii.email", "pii.phone", "pii.id_number", "pii.bank_account", "pii.address", "pii.birthdate",
                "pii.age", "pii.person", "pii.health"]


def _resolve_overlaps(findings: list[Finding]) -> list[Finding]:
    pii = sorted((f for f in findings if f.category.startswith("pii.")),
                 key=lambda f: (PII_PRIORITY.index(f.category) if f.category in PII_PRIORITY else 99,
                                -(f.end - f.start)))
    kept: list[Finding] = []
    taken = DisjointIntervals()
    for f in pii:
        if taken.overlaps(f.start, f.end):
            continue
        taken.add(f.start, f.end)
        kept.append(f)
    others: list[Finding] = []
    by_category: dict[str, DisjointIntervals] = {}
    for f in (f for f in findings if not f.category.startswith("pii.")):
        spans = by_category.setdefault(f.category, DisjointIntervals())
        if spans.overlaps(f.start, f.end):
            continue
        spans.add(f.start, f.end)
        others.append(f)
    return sorted(kept + others, key=lambda f: (f.start, f.end, f.category))


class CheckRunner:
    """Holds the rules and (optionally) the NLP engine. `check()` never raises on any string."""

    def __init__(self, engine: NlpEngine | None = None, rules: Sequence[Rule] | None = None):
        self.engine = engine
        self.rules = list(rules) if rules is not None else default_rules()
        self._readings: dict[str, list[str]] = {}

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
                self._readings[name] = variants
            out[name] = self._readings[name]
        return out

    def check(self, text: str, context: CheckContext | dict | None = None,
              analysis: Analysis | None = None) -> list[Finding]:
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        if isinstance(context, dict) or context is None:
            context = CheckContext.from_dict(context or {})
        if analysis is None:
            analysis = self.analyze(text)
        doc = CheckDoc(text=text, analysis=analysis, context=context, readings=self._context_readings(context))
        findings: list[Finding] = []
        for rule in self.rules:
            try:
                findings.extend(rule.find(doc))
            except Exception:  # one broken rule must not hide the others' findings
                log.exception("rule %s failed", rule.rule_id)
        n = len(text)
        findings = [f for f in findings if 0 <= f.start < f.end <= n]
        findings = _resolve_overlaps(findings)
        if analysis.nlp_limit is not None:
            findings.append(Finding(
                start=analysis.nlp_limit, end=min(n, analysis.nlp_limit + 1), text=text[analysis.nlp_limit:analysis.nlp_limit + 1],
                category="info.truncated", severity=Severity.INFO,
                message=f"文章が長いため、{analysis.nlp_limit:,}文字目以降は人名・健康情報の解析を省略しました。",
                explanation="長文では形態素解析を省き、パターンによる検出のみ行います。", rule_id="runner"))
        return findings


def check_text(text: str, context: CheckContext | dict | None = None, engine: NlpEngine | None = None) -> list[Finding]:
    return CheckRunner(engine).check(text, context)
