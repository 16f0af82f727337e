"""Health data about a person: diagnoses, symptoms, injuries, medications, care levels, instructions."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from desktop_app.core.checks.rules.base import CheckDoc, PersonMention, Rule
from desktop_app.core.checks.rules.person import ROLE_WHO
from desktop_app.core.checks.vocab import HealthVocab, load_health_vocab
from desktop_app.core.findings import Finding, Severity
from desktop_app.core.resources import resources_dir
from desktop_app.core.textutil import KANJI, KATAKANA, fold_width


def _alt(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@lru_cache(maxsize=4)
def load_health_data(path: Path | None = None) -> dict:
    path = path or resources_dir() / "rules" / "health.toml"
    with open(path, "rb") as f:
        return tomllib.load(f)


# Words whose one character is too common to stand alone unless a person is named in the sentence.
_NEEDS_PERSON = {"安静", "傷", "張り", "熱", "咳", "痰", "まひ", "炎症", "発作", "むせ"}
_DEGREE = re.compile(r"^(?:軽度|重度|中等度|軽い|重い|ひどい|強い|少し|やや|急な|急性の|激しい)の?")
# A hospital visit or treatment next to another resident's name: their health, not the subject's.
_THIRD_PARTY_CARE = re.compile(r"(?:同じ(?:症状|病気|ご病気|診断)[^。\n]{0,12}?)?(?:通院|入院|受診|服薬|治療|手術|投薬)")
# 様/さん that address a group, not a person (皆様も風邪などひかれませんよう…).
_GROUP_WORDS = re.compile(r"皆様|皆さま|皆さん|みなさま|みなさん|ご家族様|家族様|ご家族の皆様|お客様|利用者様|入居者様|各位|ご一同様")
_SOMEONE = re.compile(r"様|さん")
_SOURCE = {
    "vocab": "医学用語の辞書（万病辞書）に載っている病名・症状",
    "hand": "介護の現場でよく使われる病名・症状・薬などの言葉",
    "care_level": "要介護度・要支援度",
    "drug": "薬の名前（剤形や量が書かれています）",
    "drug_by_use": "飲んだり処方されたりしている薬の名前",
    "procedure": "手術・処置の名前",
    "function": "体の働きの低下を表す言葉",
    "suffix": "病名の形（〜症・〜炎・〜骨折など）",
    "vital": "脈・呼吸・血圧などの変化",
    "body_finding": "体の部位とその変化（腫れ・ただれ・痛みなど）",
    "drug_class": "薬の種類（〜剤）",
    "sequela": "病気やけがの後遺症",
}
# A time of taking written before a drug class (食後鉄剤, 就寝前睡眠導入剤) is not part of its name.
_DOSE_TIME = re.compile(r"^(?:毎?(?:朝|昼|夕|晩|夜)?食?(?:前|後|間)|就寝前|寝る前|朝|夕|毎日|毎朝|毎晩)")
# A care level changed to another (要支援1から要介護1に): one person's, not a range of levels.
_LEVEL_CHANGE = re.compile(r"^から要(?:介護|支援)\s?[1-5１-５](?:に|へ|と)")
# A care level in a fee table (要介護3　1,234円, 要介護1：…): a price list, not a person.
_LEVEL_TABLE = re.compile(r"^\s*(?:[:：|｜\t]|\s+\d|\s*[(（]?\d[\d,]*円)")


_PREFIX_CACHE: dict[tuple[int, frozenset[str]], tuple[HealthVocab, dict[str, list[int]]]] = {}


def _prefix_index(vocab: HealthVocab, hand: frozenset[str]) -> dict[str, list[int]]:
    """The dictionary and the hand list indexed by their first two characters (term lengths, longest
    first). Built once per vocabulary: every CheckRunner shares it."""
    key = (id(vocab), hand)
    if key not in _PREFIX_CACHE or _PREFIX_CACHE[key][0] is not vocab:
        index: dict[str, set[int]] = {}
        for term in list(vocab.terms) + list(hand):
            if len(term) >= 2:
                index.setdefault(term[:2], set()).add(len(term))
        _PREFIX_CACHE.clear()  # one vocabulary at a time (tests may load another)
        _PREFIX_CACHE[key] = (vocab, {k: sorted(v, reverse=True) for k, v in index.items()})
    return _PREFIX_CACHE[key][1]


class HealthRule(Rule):
    """Health information is 要配慮個人情報 under the 個人情報保護法: it needs consent to share, and a
    letter that reaches the wrong person leaks it. Finds the minimal phrase naming a condition from
    the MANBYO dictionary (resources/vocab/), a care-specific hand list, medication, procedure and
    care-level patterns; a body part joined with の is included, degree words are not. Statements
    about illness in general (a notice, 認知症の方) are left alone; a condition next to another
    resident's name is high."""

    rule_id = "pii.health"
    category = "pii.health"

    def __init__(self, data: dict | None = None, vocab: HealthVocab | None = None):
        d = data or load_health_data()
        self.vocab = vocab if vocab is not None else load_health_vocab()
        self.not_conditions = {fold_width(w) for w in d["not_conditions"]}
        self.hand = {fold_width(t) for t in d["terms"]}
        self.by_prefix = _prefix_index(self.vocab, frozenset(self.hand))
        self.single = {t for t in self.hand if len(t) == 1}
        body = _alt(d["body_parts"])
        self.body_before = re.compile(rf"(?:右|左|両|左右の?)?(?:{body})の?$")
        suffix = _alt(d["suffixes"])
        self.household_agents = set(d["household_agents"])
        self.sequela_negated = re.compile(d["sequela_negated"])
        self.body_predicates = set(d["body_predicates"])
        self.body_before_ga = re.compile(rf"(?:右|左|両|左右の?)?(?:{body})$")
        self.pattern = re.compile(
            rf"(?P<care_level>{d['care_level']})"
            rf"|(?P<sequela>(?:[{KANJI}{KATAKANA}]{{1,12}}|けが|ケガ)の?後遺症)"
            rf"|(?P<vital>(?:{_alt(d['vitals'])})の?(?:{_alt(d['vital_changes'])}))"
            rf"|(?P<body_finding>(?:右|左|両|左右の?)?(?:{body})の(?:{_alt(d['body_findings'])}))"
            rf"|(?P<drug_class>[{KANJI}]{{1,8}}剤)(?![{KANJI}])"
            rf"|(?P<function>(?:{_alt(d['functions'])})の?(?:(?:力|機能)の?)?(?:{_alt(d['impairments'])}))"
            rf"|(?P<drug>[{KATAKANA}]{{2,}}(?:(?:{_alt(d['drug_forms'])}){d['strength']}?"
            rf"|(?:{_alt(d['drug_forms_with_strength'])})?{d['strength']}))"
            rf"|(?P<drug_by_use>[{KATAKANA}]{{3,}}(?:[A-Z]{{1,3}})?(?=(?:{d['drug_context']})))"
            rf"|(?P<procedure>{d['procedure']})"
            # kana inside medical compounds (胆のう, 骨粗しょう症) but no particles (様は…)
            rf"|(?P<suffix>[{KANJI}{KATAKANA}](?:[{KANJI}{KATAKANA}]|のう|しょう|せき|ろう){{0,10}}?(?:型|性)?(?:{suffix}))(?![{KANJI}])"
        )
        self.generic = re.compile(_alt(d["generic_markers"]))
        self.generic_after = re.compile(rf"^(?:{_alt(d['generic_after'])})")

    # ---- candidates -------------------------------------------------------------------------
    def _dictionary_spans(self, doc: CheckDoc) -> list[tuple[int, int, str]]:
        """Leftmost-longest dictionary matches; with the model, on its word boundaries only."""
        text = doc.folded
        use_tokens = bool(doc.analysis.tokens)
        starts, ends = doc.token_starts, doc.token_ends
        out: list[tuple[int, int, str]] = []
        i, n = 0, len(text)
        terms, hand = self.vocab.terms, self.hand
        while i < n:
            if use_tokens and i not in starts:
                i += 1
                continue
            found = 0
            for length in self.by_prefix.get(text[i:i + 2], ()):
                e = i + length
                if e > n or (use_tokens and e not in ends):
                    continue
                w = text[i:e]
                if w in hand or w in terms:
                    found = length
                    out.append((i, e, "hand" if w in hand else "vocab"))
                    break
            if not found and text[i] in self.single and (not use_tokens or i + 1 in ends):
                out.append((i, i + 1, "hand"))
                found = 1
            i += found or 1
        return out

    def _pattern_spans(self, doc: CheckDoc) -> list[tuple[int, int, str]]:
        return [(m.start(), m.end(), m.lastgroup or "suffix") for m in self.pattern.finditer(doc.folded)]

    def _predicate_spans(self, doc: CheckDoc) -> list[tuple[int, int, str]]:
        """Findings written with an inflected verb or adjective, read on the model's lemmas: a dictionary
        entry in its plain form (痰がからむ, むせる) written as 痰がからんで, and a body part with が/も
        and a predicate of change (歯ぐきが腫れて, 腰が痛く) composed into one finding."""
        toks = doc.analysis.tokens
        text = doc.folded
        out: list[tuple[int, int, str]] = []
        for i, t in enumerate(toks):
            if t.pos not in ("VERB", "ADJ") or not t.lemma:
                continue
            if t.lemma != t.text:
                for k in range(i, max(-1, i - 4), -1):
                    phrase = text[toks[k].start:t.start] + t.lemma
                    if phrase in self.vocab.terms or phrase in self.hand:
                        out.append((toks[k].start, t.end, "vocab"))
                        break
            if t.lemma in self.body_predicates and i >= 2 and toks[i - 1].text in ("が", "も"):
                m = self.body_before_ga.search(text[max(0, toks[i - 1].start - 8):toks[i - 1].start])
                if m and toks[i - 1].start - len(m.group()) in doc.token_starts:
                    out.append((toks[i - 1].start - len(m.group()), t.end, "body_finding"))
        return out

    def _clean(self, doc: CheckDoc, s: int, e: int, source: str) -> tuple[int, int] | None:
        text = doc.folded
        dm = _DEGREE.match(text[s:e])
        if dm and e - s - dm.end() >= 2:
            s += dm.end()
        if source == "drug_class":
            dt = _DOSE_TIME.match(text[s:e])
            if dt and e - s - dt.end() >= 2:
                s += dt.end()
            if any(text[s:e].endswith(w) for w in self.household_agents):
                return None
        if doc.analysis.tokens and source in ("suffix", "function", "procedure", "vital", "body_finding",
                                              "drug_class", "sequela"):
            # the word must end where a token ends (傷 in 傷つかれた is not 傷), and start on a token
            if e not in doc.token_ends:
                return None
            while s < e and s not in doc.token_starts:
                s += 1
        span = text[s:e]
        if not span:
            return None
        if span in self.hand or span in self.vocab.terms or source == "sequela":
            return s, e
        if span in self.not_conditions or any(span.endswith(w) for w in self.not_conditions):
            return None
        return s, e

    def _extend_body_part(self, doc: CheckDoc, s: int) -> int:
        """Take in body parts joined with の or compounded (左足の甲の皮膚の赤み), not ones joined with に."""
        text = doc.folded
        for _ in range(4):
            m = self.body_before.search(text[max(0, s - 12):s])
            if not m:
                break
            new = s - len(m.group())
            if doc.analysis.tokens and new not in doc.token_starts:
                break
            s = new
        return s

    # ---- who it is about --------------------------------------------------------------------
    @staticmethod
    def _nearest_person(doc: CheckDoc, s: int, e: int) -> PersonMention | None:
        """The person this phrase is most likely about: the nearest named before it in the same
        sentence, else the first after it in the same sentence."""
        sent_s, sent_e = doc.sentence(s)
        people = doc.persons_in(sent_s, sent_e)
        before = [p for p in people if p.end <= s]
        if before:
            return before[-1]
        after = [p for p in people if p.start >= e]
        return after[0] if after else None

    @staticmethod
    def _is_notice(doc: CheckDoc) -> bool:
        """A notice to many families (ご家族様各位): no resident and no addressee in the context."""
        return doc.context.subject is None and doc.context.recipient is None and bool(doc.context.sender
                                                                                      or doc.context.facility.name)

    def find(self, doc: CheckDoc) -> Iterable[Finding]:
        text = doc.folded
        cands = sorted(self._dictionary_spans(doc) + self._pattern_spans(doc) + self._predicate_spans(doc), key=lambda c: (c[0], -(c[1] - c[0])))
        last_end = -1
        notice = self._is_notice(doc)
        for s0, e0, source in cands:
            if s0 < last_end:
                continue
            cleaned = self._clean(doc, s0, e0, source)
            if not cleaned:
                continue
            s, e = cleaned
            word = text[s:e]
            s = self._extend_body_part(doc, s)
            last_end = e0
            if doc.in_facility(s, e):
                continue
            after = text[e:e + 12]
            if source == "care_level" and _LEVEL_TABLE.match(after):
                continue
            if self.generic_after.match(after) and not (source == "care_level" and _LEVEL_CHANGE.match(after)):
                continue
            if source == "sequela" and self.sequela_negated.match(after):
                continue
            sent_s, sent_e = doc.sentence(s)
            person = self._nearest_person(doc, s, e)
            about = person if person and person.role not in ("staff", "professional", "sender") else None
            if word in _NEEDS_PERSON and not (about or _SOMEONE.search(_GROUP_WORDS.sub("", text[sent_s:sent_e]))):
                continue
            if word == "張り" and not re.search(r"の張り$", text[max(0, s - 3):e]):
                continue
            named = about is not None or bool(_SOMEONE.search(_GROUP_WORDS.sub("", text[sent_s:sent_e])))
            if notice and about is None:
                continue
            if not named and self.generic.search(text[sent_s:sent_e]):
                continue
            yield self._finding(doc, s, e, word, source, about)
        yield from self._third_party_care(doc)

    def _finding(self, doc: CheckDoc, s: int, e: int, word: str, source: str,
                 about: PersonMention | None) -> Finding:
        third = bool(about and about.third_party)
        if about is not None:
            who = ROLE_WHO.get(about.role, "利用者様ご本人")
            whom = f"同じ文のお名前「{about.text}」から、{who}の情報と思われます"
        else:
            who = "利用者様ご本人"
            whom = "お名前が書かれていないため、この手紙の利用者様ご本人の情報と思われます"
        if third:
            message = f"他の利用者様などの健康情報「{word}」が書かれています。"
            advice = "他の方の病気やけがをこのご家族に知らせると、個人情報の漏えいになります。この部分を削ってください。"
        else:
            message = f"健康に関する情報「{word}」が含まれています。"
            advice = ("病名・けが・服薬などは特に慎重に扱う個人情報です。宛先のご家族に伝える必要がある内容か確認し、"
                      "不要であれば削るか「体調を崩され」などの表現にしてください。")
        explanation = f"「{doc.text[s:e]}」は{_SOURCE.get(source, _SOURCE['hand'])}です。{whom}。{advice}"
        return self.finding(doc, s, e, message, explanation, severity=Severity.HIGH if third else Severity.MEDIUM,
                            third_party=third, about=(about.role if about else "subject"))

    def _third_party_care(self, doc: CheckDoc) -> Iterable[Finding]:
        """Another resident's hospital visit or treatment, in the sentence that names them."""
        text = doc.folded
        for p in doc.persons:
            if not p.third_party:
                continue
            sent_s, sent_e = doc.sentence(p.start)
            for m in _THIRD_PARTY_CARE.finditer(text, p.end, sent_e):
                nearest = self._nearest_person(doc, m.start(), m.end())
                if nearest is not p:
                    continue
                yield self.finding(
                    doc, m.start(), m.end(), f"他の利用者様などの受診・治療のこと「{m.group()}」が書かれています。",
                    f"同じ文のお名前「{p.text}」は{ROLE_WHO['third_party']}と思われます。"
                    "その方の通院や治療のことは健康情報で、このご家族に知らせると個人情報の漏えいになります。"
                    "この部分を削ってください。",
                    severity=Severity.HIGH, third_party=True, about="third_party")
                break
