"""Risky wording found on GiNZA's dependency parse: promises, admissions of fault, vague answers.

The rule looks at what a word governs, not at the characters around it: an absolute adverb
(必ず, 決して …) is a promise only when the predicate it depends on is an outcome said by the
writer, not an instruction to the reader (必ずご記入ください) or a procedure (必ずご連絡いたします).
A fault noun (過失, 責任 …) is an admission only as the predicate or its complement with the
facility or its staff as owner. The highlight covers the whole clause (from its subject or the
adverb to the end of the predicate), and a suggestion replaces that clause with a sentence that
reads well in its place, or none is offered where no safe rewrite exists.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from desktop_app.core.checks.analysis import Analysis, Token
from desktop_app.core.checks.rules.base import CheckDoc, Rule
from desktop_app.core.findings import Finding, Severity
from desktop_app.core.resources import resources_dir

# Verbs that follow て as helpers of the real predicate (考えてまいります, 対処していきます).
SUBSIDIARY = {"まいる", "参る", "いく", "行く", "おく", "置く", "いる", "おる", "みる", "しまう", "いただく", "いただける",
              "くださる", "差し上げる", "もらう", "ある"}
LEADING = re.compile(r"^(?:(?:また|なお|さらに|しかし|ただし|その上で|そのうえで|つきましては|加えて|あわせて)[、，]"
                     r"|(?:このたび|今回|今後|これから|以後|今後とも)(?:は[、，]?|[、，]))\s*")


@lru_cache(maxsize=4)
def load_risk_data(path: Path | None = None) -> dict:
    path = path or resources_dir() / "rules" / "risk_dependency.toml"
    with open(path, "rb") as f:
        return tomllib.load(f)


def _words(t: Token) -> set[str]:
    return {t.text, t.lemma}


class DependencyRiskRule(Rule):
    """Easy promises, admissions of fault or offers of money, and vague answers, read from the
    dependency parse. What a letter says will be quoted back by an upset family."""

    rule_id = "risk.dependency"
    category = "risk"

    def __init__(self, data: dict | None = None):
        d = data or load_risk_data()
        c, li, am = d["commitment"], d["liability"], d["ambiguous"]
        self.adverbs = sorted(c["adverbs"], key=len, reverse=True)
        self.negative_adverbs = set(c["negative_adverbs"])
        self.procedural = set(c["procedural"])
        self.not_promises = set(c["not_promises"])
        self.instruction_tail = tuple(c["instruction_tail"])
        self.effort_tail = tuple(c["effort_tail"])
        self.promise_verbs = set(c["promise_verbs"])
        self.zero_targets = tuple(c["zero_targets"])
        self.sure_outcomes = set(c["sure_outcomes"])
        self.promise_adverbs = tuple(c["promise_adverbs"])
        self.measure_nouns = set(c["measure_nouns"])
        self.belief_verbs = set(c["belief_verbs"])
        self.punctual = re.compile(c["punctual_re"])
        self.fault_nouns = sorted(li["fault_nouns"], key=len, reverse=True)
        self.owners = sorted(li["owners"], key=len, reverse=True)
        self.self_evident = set(li["self_evident"])
        self.fault_acts = re.compile(li["fault_acts_re"])
        self.lapse_words = set(li["lapse_words"])
        self.admission = re.compile(li["admission_re"])
        self.cost_suffixes = tuple(li["cost_suffixes"])
        self.not_fault_after = tuple(li["not_fault_after"])
        self.pay_verbs = set(li["pay_verbs"])
        self.always_offer = set(li["always_offer"])
        self.compensation = tuple(li["compensation"])
        self.not_offer = tuple(li["not_offer"])
        self.amb_predicates = set(am["predicates"])
        self.qualifiers = tuple(am["qualifiers"])
        self.wishes = tuple(am["wishes"])
        self.concrete = re.compile(am["concrete_re"])
        self.vague_alone = re.compile(am["vague_alone_re"])
        self.hedge = re.compile(am["hedge_re"])

    # ---- the parse --------------------------------------------------------------------------
    @staticmethod
    def _climb(a: Analysis, p: int) -> int:
        """From a predicate to the helper verb that ends it (考え|て|まいり, 入所|いただけ)."""
        toks = a.tokens
        for _ in range(4):
            t = toks[p]
            h = t.head
            if h == p or not (0 <= h < len(toks)) or h < p:
                break
            between = toks[p + 1:h]
            if toks[h].lemma in SUBSIDIARY or toks[h].text in SUBSIDIARY:
                if all(x.pos in ("AUX", "SCONJ", "PART") or x.text in ("て", "で") for x in between):
                    p = h
                    continue
            # 沿えるよう(に)いたします, 結果となるよう配慮いたします: the clause ends at the verb after よう
            words = "".join(x.text for x in between)
            if toks[h].pos == "VERB" and between and re.fullmatch(r"(?:ない)?ように?", words):
                p = h
                continue
            # 入浴していただけるようにいたします: auxiliaries of the verb, then よう(に) and いたす/する
            if toks[h].lemma in ("いたす", "致す", "する") and between and re.search(r"ように?$", words) and all(
                    x.pos in ("AUX", "SCONJ", "PART") or x.dep in ("fixed", "aux", "mark") for x in between):
                p = h
                continue
            # 起こさないよう万全を期します: the words after よう belong to the main verb
            m = re.match(r"(?:ない)?ように?", words)
            if toks[h].pos == "VERB" and m and m.end() > 0:
                rest = [x for x in between if x.head not in range(p, p + 1) and x.pos != "AUX"]
                if rest and all(p < x.head <= h for x in rest):
                    p = h
                    continue
            # 良くなります, 元気になります: the predicate is the adjective or noun with なる
            if toks[h].lemma in ("なる", "成る", "する") and re.fullmatch(r"[にと]?", words):
                p = h
                continue
            break
        return p

    @staticmethod
    def _chain_end(a: Analysis, p: int) -> int:
        """Index of the last token of the predicate p with its auxiliaries (いたし, ます, ん …)."""
        toks = a.tokens
        j = p
        while j + 1 < len(toks):
            t = toks[j + 1]
            if t.pos == "PUNCT" or t.text in ("ので", "から", "が", "けれど", "けれども", "し", "ば", "、", "。"):
                if not (t.text == "し" and t.pos == "AUX"):
                    break
            if t.pos in ("AUX", "PART") or t.dep in ("aux", "cop", "fixed") or (
                    t.lemma in SUBSIDIARY and t.head in (p, j)):
                j += 1
                continue
            if t.text in ("て", "で") and j + 2 < len(toks) and toks[j + 2].lemma in SUBSIDIARY:
                j += 2
                continue
            break
        return j

    def _sentence_tokens(self, doc: CheckDoc, i: int) -> tuple[int, int]:
        """Token index range [lo, hi) of the sentence holding token i."""
        a = doc.analysis
        s, e = doc.sentence(a.tokens[i].start)
        lo = hi = i
        while lo > 0 and a.tokens[lo - 1].start >= s:
            lo -= 1
        while hi < len(a.tokens) and a.tokens[hi].start < e:
            hi += 1
        return lo, hi

    def _tokens_at(self, doc: CheckDoc, s: int, e: int) -> list[int]:
        a = doc.analysis
        i = a.token_at(s)
        out = []
        while i is not None and i < len(a.tokens) and a.tokens[i].start < e:
            out.append(i)
            i += 1
        return out

    def _head_outside(self, a: Analysis, idxs: list[int]) -> int | None:
        """The token that a multi-token word (二|度|と) depends on, outside the word."""
        inside = set(idxs)
        for i in reversed(idxs):
            h = a.tokens[i].head
            if h not in inside and 0 <= h < len(a.tokens):
                return h
        return None

    def _find_words(self, doc: CheckDoc, words: list[str]) -> Iterable[tuple[int, int, str]]:
        """Occurrences of words that start on a token start and end on a token end."""
        text = doc.folded
        alt = re.compile("|".join(re.escape(w) for w in words))
        for m in alt.finditer(text):
            if m.start() in doc.token_starts and m.end() in doc.token_ends:
                yield m.start(), m.end(), m.group()

    def _tail(self, doc: CheckDoc, end: int, n: int = 14) -> str:
        """What follows a predicate, up to the end of its sentence."""
        tail = doc.folded[end:end + n]
        cut = min((i for i in (tail.find("。"), tail.find("\n")) if i >= 0), default=len(tail))
        return tail[:cut]

    def _clause_tail(self, doc: CheckDoc, end: int) -> str:
        """What follows a predicate inside its own clause: a reason or condition clause
        (…戻れますから、どうぞお任せください) ends at its comma, and the request after it is the
        main clause's, not this predicate's."""
        tail = self._tail(doc, end)
        m = re.match(r"^(?:予定|見込み|見通し|見立て|とのこと|こと)?(?:です|でございます|だ)?(?:ので|から|けれど|が|し)、", tail)
        return tail[:m.end()] if m else tail

    def _arrangement(self, doc: CheckDoc, adv: int, head_i: int, p: int, end_i: int) -> bool:
        """必ず職員が付き添うようにしております, 必ず見回る体制にしております: the adverb's verb sits
        inside よう/こと/と or a noun of arrangement under a verb that is done or goes on, so the
        sentence reports a practice already in place, not a promise."""
        a = doc.analysis
        text = doc.folded
        chain = text[a.tokens[p].start:a.tokens[end_i].end]
        if not re.search(r"(?:(?:て|で)(?:おり|い)ます|ました|た)$", chain):
            return False
        between = {a.tokens[k].text for k in range(head_i + 1, p)}
        nested = p != head_i and bool(between & {"よう", "こと", "と"})
        # the parser may hang the adverb on the outer verb itself: 必ず|…付き添うように|し
        nested = nested or any(a.tokens[k].text in ("よう", "こと", "と") and p in (
            a.tokens[k].head, a.tokens[a.tokens[k].head].head) for k in range(adv + 1, p))
        noun = any(_words(a.tokens[c]) & self.measure_nouns for c in a.children(p)
                   if a.tokens[c].dep in ("obl", "obj") and c < p)
        return nested or noun

    def _governed_by_completed_act(self, doc: CheckDoc, p: int, lo: int, hi: int) -> bool:
        """The clause of predicate p modifies a noun or is quoted, and what governs it is a finished
        act (職員が必ず残る体制といたしました, 二度と会えないと思っていた): a measure taken or a
        past thought, not a promise. A noun of arrangement (体制, 手順) also counts when the act
        goes on (…体制にしております)."""
        a = doc.analysis
        text = doc.folded
        t = a.tokens[p]
        end_i = self._chain_end(a, p)
        quoted = end_i + 1 < hi and a.tokens[end_i + 1].text == "と" and a.tokens[end_i + 1].pos in ("ADP", "SCONJ")
        if not (t.dep in ("acl", "ccomp") or quoted) or not (lo <= t.head < hi) or t.head <= p:
            return False
        noun = a.tokens[t.head]
        g = t.head
        # 必ず治ると思い／信じて: the writer's hope or someone's belief, not the writer's promise
        if _words(a.tokens[g]) & self.belief_verbs:
            return True
        for _ in range(6):
            if a.tokens[g].pos in ("VERB", "AUX") and a.tokens[g].dep in ("ROOT", "advcl", "acl", "conj"):
                # …と信じて、…続けておられました: a て-clause takes the tense of the verb it leads to
                j = g
                while j + 1 < hi and (a.tokens[j + 1].pos == "AUX" or a.tokens[j + 1].dep in ("fixed", "mark")
                                      or (a.tokens[j + 1].pos == "VERB" and a.tokens[j + 1].head == g)):
                    j += 1
                tense = text[a.tokens[g].start:a.tokens[j].end]
                h = a.tokens[g].head
                if re.search(r"[てで]$", tense) and a.tokens[g].dep == "advcl" and lo <= h < hi and h > g:
                    g = h
                    continue
                if re.search(r"(?:た|ました|でした)$", tense):
                    return True
                break
            h = a.tokens[g].head
            if not (lo <= h < hi) or h == g:
                break
            g = h
        end_i = self._chain_end(a, self._climb(a, g))
        chain = text[a.tokens[g].start:a.tokens[end_i].end]
        if re.search(r"(?:た|ました|でした)$", chain):
            return True
        return (_words(noun) & self.measure_nouns) != set() and bool(re.search(r"(?:て|で)(?:おり|い)", chain))

    def _subject_start(self, doc: CheckDoc, p: int, before: int, lo: int) -> int | None:
        """Start of the subject or topic of predicate p that comes before token `before`."""
        a = doc.analysis
        best = None
        for c in a.children(p):
            if c >= before or c < lo:
                continue
            if a.tokens[c].dep in ("nsubj", "obj", "dislocated", "csubj"):
                s, _ = a.subtree(c)
                s = max(s, lo)
                best = s if best is None else min(best, s)
        return best

    # ---- commitments ------------------------------------------------------------------------
    def _commitments(self, doc: CheckDoc) -> Iterable[Finding]:
        a = doc.analysis
        text = doc.folded
        for s, e, word in self._find_words(doc, self.adverbs):
            idxs = self._tokens_at(doc, s, e)
            if not idxs:
                continue
            if text[e:e + 1] == "し" and text[e:e + 2] == "しも":  # 必ずしも
                continue
            if word.startswith("絶対") and text[e:e + 2] in ("安静", "禁止"):
                continue
            p = self._head_outside(a, idxs)
            if p is None or p < idxs[-1]:
                continue
            lo, hi = self._sentence_tokens(doc, idxs[0])
            # an adverb the parser hung on a noun phrase (二度と|同じ 思いは させません): go up to its verb
            for _ in range(3):
                t = a.tokens[p]
                if t.pos in ("VERB", "AUX") or t.dep not in ("amod", "nmod", "det", "nsubj", "obj", "compound") and not (
                        t.pos == "ADJ" and t.dep == "acl" and word in self.negative_adverbs):
                    break
                if not (lo <= t.head < hi) or t.head == p:
                    break
                p = t.head
            if p >= hi:
                continue
            head = a.tokens[p]
            head_i = p
            p = self._climb(a, p)
            end_i = self._chain_end(a, p)
            # a nominalised predicate: 紛失することはありません
            nom = re.match(r"^(?:こと|の)(?:は|が|も)?(?:ありません|ございません|ない|ありえません)", self._tail(doc, a.tokens[end_i].end, 12))
            if nom:
                stop = a.tokens[end_i].end + nom.end()
                while end_i + 1 < hi and a.tokens[end_i + 1].end <= stop:
                    end_i += 1
            chain = text[a.tokens[p].start:a.tokens[end_i].end]
            after = self._clause_tail(doc, a.tokens[end_i].end)
            # a promise verb the predicate hangs on: 起こさないとお約束いたします
            m = re.match(r"^(?:と|ことを|ことと)(?:固く|ここに)?", after)
            if m:
                for k in range(end_i + 1, min(hi, end_i + 7)):
                    if _words(a.tokens[k]) & self.promise_verbs:
                        end_i = self._chain_end(a, self._climb(a, k))
                        chain = text[a.tokens[p].start:a.tokens[end_i].end]
                        after = self._clause_tail(doc, a.tokens[end_i].end)
                        break
            pred = a.tokens[p]
            whole = text[a.tokens[idxs[0]].start:a.tokens[end_i].end] + after
            if any(w in whole for w in self.instruction_tail):
                continue
            if any(w in after[:8] for w in self.effort_tail) or re.search(r"よう(?:に)?(?:努め|心が|気を)", whole):
                continue
            # a procedure (必ずご連絡いたします) is no promise, unless it is promised on time
            # (必ず時間どおりにお届けいたします): punctuality is an outcome the facility cannot guarantee
            punctual = any(self.punctual.search(text[a.tokens[a.subtree(c)[0]].start:a.tokens[c].end + 2])
                           for k in {head_i, p} for c in a.children(k) if c < k and a.tokens[c].dep in
                           ("obl", "advmod", "advcl", "nmod"))
            if (_words(pred) | _words(head)) & self.procedural and not re.search(r"(?:ない|ません|ず)", chain) \
                    and not punctual:
                continue
            if word in self.negative_adverbs:
                if not re.search(r"(?:ない|ません|ず|ぬ)", text[head.start:a.tokens[end_i].end]):
                    continue
                if _words(pred) & self.not_promises:
                    continue
            if not re.search(r"(?:ます|ません|です|ございます|る|ない|ぬ)$", chain):
                continue
            if self._governed_by_completed_act(doc, p, lo, hi) or self._arrangement(doc, idxs[-1], head_i, p, end_i):
                continue
            start = a.tokens[idxs[0]].start
            subj = self._subject_start(doc, p, idxs[0], lo)
            if subj is None and p != self._head_outside(a, idxs):
                subj = self._subject_start(doc, self._head_outside(a, idxs), idxs[0], lo)
            if subj is not None:
                start = self._skip_leading(doc, a.tokens[subj].start, start)
            end = a.tokens[end_i].end
            yield self._commitment_finding(doc, start, end, word, pred)

    def _promises_without_adverb(self, doc: CheckDoc) -> Iterable[Finding]:
        """…起きないことをお約束いたします, 事故をゼロにいたします, 完治いたします."""
        a = doc.analysis
        text = doc.folded
        for i, t in enumerate(a.tokens):
            words = _words(t)
            end_i = self._chain_end(a, self._climb(a, i))
            chain = text[t.start:a.tokens[end_i].end]
            if not re.search(r"(?:いたします|します|申し上げます|させます)$", chain):
                continue
            lo, hi = self._sentence_tokens(doc, i)
            start = None
            if words & self.promise_verbs:
                # the promised clause: a child of the verb that ends in a negation (起きないことを)
                for c in a.children(i):
                    if c < i and a.tokens[c].dep in ("obj", "advcl", "ccomp", "obl"):
                        cs, _ = a.subtree(c)
                        clause = text[a.tokens[max(cs, lo)].start:t.start]
                        if re.search(r"(?:ない|ません|ず)(?:こと|と|よう)", clause):
                            start = a.tokens[max(cs, lo)].start
                # …伺うと確かにお約束いたします: a certainty adverb on the promise verb makes the
                # clause it takes (ending in と/ことを) a promise, negated or not
                sure = any(text.startswith(self.promise_adverbs, a.tokens[c].start) for c in a.children(i)
                           if c < i and lo <= c)
                if start is None and sure:
                    for c in a.children(i):
                        if c < i and a.tokens[c].dep in ("advcl", "ccomp", "obj") and lo <= c:
                            cs, ce = a.subtree(c)
                            clause = text[a.tokens[max(cs, lo)].start:a.tokens[ce].end + 3]
                            if re.search(r"(?:[うくすつぬぶむるぐ]|ます|ない|ません)(?:こと)?(?:と|を)", clause):
                                start = a.tokens[max(cs, lo)].start
                                break
            elif t.text == "ゼロ" or (words & {"いたす", "する"} and text[max(0, t.start - 3):t.start] == "ゼロに"):
                objs = [c for c in a.children(i) if c < i and a.tokens[c].dep == "obj"]
                if objs and any(text[a.tokens[a.subtree(o)[0]].start:a.tokens[o].end].endswith(self.zero_targets)
                                for o in objs):
                    start = a.tokens[a.subtree(objs[0])[0]].start
            elif words & self.sure_outcomes:
                start = t.start
            if start is None:
                continue
            start = self._skip_leading(doc, start, t.start)
            yield self._commitment_finding(doc, start, a.tokens[end_i].end, "約束", t)

    def _skip_leading(self, doc: CheckDoc, start: int, limit: int) -> int:
        m = LEADING.match(doc.folded[start:limit])
        return start + m.end() if m else start

    def _commitment_finding(self, doc: CheckDoc, s: int, e: int, word: str, pred: Token) -> Finding:
        clause = doc.folded[s:e]
        if re.search(r"治|回復|良くな|よくな|元どおり|元通り|完治|全快|歩け", clause):
            sug = ("回復に向けて、できる限りの支援を続けてまいります",)
            kind = "回復"
        elif re.search(r"再発|事故|転倒|起こ|起き|繰り返|防|転落|誤嚥|ミス|こと", clause):
            sug = ("再発防止に努めてまいります",)
            kind = "再発しないこと"
        else:
            sug = ()
            kind = "結果"
        explanation = (f"「{word}」と言い切ると、{kind}を施設が保証したことになります。ご家族はこの言葉を後で引用されます。"
                       "保証できない結果は約束せず、施設が取り組むことを書いてください。")
        if not sug:
            explanation += "この文には安全な言い換えを用意できないため、見通しがわかり次第お知らせする、などの書き方に改めてください。"
        return Finding(start=s, end=e, text=doc.text[s:e], category="risk.commitment", severity=Severity.HIGH,
                       message=f"「{word}」で結果を約束しています。", explanation=explanation,
                       suggestions=sug, rule_id="risk.commitment.dependency")

    # ---- liability --------------------------------------------------------------------------
    def _owner_near(self, doc: CheckDoc, lo: int, hi: int, upto: int) -> str | None:
        text = doc.folded
        a = doc.analysis
        seg = text[a.tokens[lo].start:upto]
        for w in self.owners:
            for m in re.finditer(re.escape(w), seg):
                s = a.tokens[lo].start + m.start()
                if s in doc.token_starts:
                    # 市 alone only as 本市/市の/市が (not 市役所 …); 私 as 私ども/私の
                    nxt = seg[m.end():m.end() + 1]
                    if w in ("市", "施設", "私") and nxt not in ("の", "が", "は", "に", "側", "と", "で"):
                        continue
                    return w
        return None

    def _liability(self, doc: CheckDoc) -> Iterable[Finding]:
        a = doc.analysis
        text = doc.folded
        for s, e, word in self._find_words(doc, self.fault_nouns):
            tail = text[e:e + 10]
            if tail.startswith(self.not_fault_after):
                continue
            idxs = self._tokens_at(doc, s, e)
            if not idxs:
                continue
            lo, hi = self._sentence_tokens(doc, idxs[0])
            noun = idxs[-1]
            # the fault noun is the predicate (…の過失です), its complement (…に責任がございます), or a
            # cause (…不注意が原因でございます)
            p = a.tokens[noun].head
            if not re.match(r"^(?:で(?:ござい|あり|す|した)|です|であ|だ|に(?:よる|より)|によって|が原因|が(?:ござい|あり)|は(?:ござい|あり)|を認め|と認め)", tail):
                continue
            if re.match(r"^(?:が|は)(?:ございません|ありません)", tail):
                continue
            owner = self._owner_near(doc, lo, hi, s)
            if owner is None and word not in self.self_evident:
                continue
            owner = owner or "職員"
            p = self._climb(a, p if lo <= p < hi else noun)
            # the end of the sentence's main predicate, when the fault clause ends it
            root = p
            while lo <= a.tokens[root].head < hi and a.tokens[root].head != root and a.tokens[root].head > root:
                root = a.tokens[root].head
            end_i = self._chain_end(a, self._climb(a, root))
            if not re.search(r"(?:ます|ました|です|でした|ございます|ございました|ある|あった|だ)$",
                             text[a.tokens[noun].start:a.tokens[end_i].end]):
                # stop at the fault clause itself (…が原因であり、申し訳…)
                end_i = self._chain_end(a, noun)
            start = self._clause_start(doc, lo, noun)
            end = a.tokens[end_i].end
            yield Finding(
                start=start, end=end, text=doc.text[start:end], category="risk.liability", severity=Severity.HIGH,
                message="過失や責任を認める書き方になっています。",
                explanation=(f"「{owner}」の「{word}」と書くと、施設が法的な責任を認めたと受け取られます。"
                             "事故がそのまま過失とは限らず、責任の判断は施設として決める人が行います。"
                             "起きた事実へのお詫び（ご心配をおかけしたこと等）にとどめ、原因は調査のうえ改めてご報告ください。"),
                suggestions=("ご心配をおかけしましたことを、深くお詫び申し上げます",),
                rule_id="risk.liability.dependency")
        yield from self._fault_acts(doc)
        yield from self._named_causes(doc)
        yield from self._admissions(doc)
        yield from self._payments(doc)

    def _fault_acts(self, doc: CheckDoc) -> Iterable[Finding]:
        """職員が目を離したことが原因であり…: a staff act named as the cause."""
        a = doc.analysis
        text = doc.folded
        for m in self.fault_acts.finditer(text):
            i = a.token_at(m.start())
            if i is None:
                continue
            lo, hi = self._sentence_tokens(doc, i)
            j = a.token_at(m.end() - 1)
            if j is None:
                continue
            end_i = self._chain_end(a, j)
            tail = text[a.tokens[end_i].end:a.tokens[end_i].end + 12]
            extra = re.match(r"^(?:で(?:ございます|ございました|あります|あり|す|した)|です|でした|ございます|ございました|あります|ありました)", tail)
            end = a.tokens[end_i].end + (extra.end() if extra else 0)
            start = self._clause_start(doc, lo, i)
            # the resident's own act (ご本人が飲み忘れた) is no admission by the facility
            if re.search(r"(?:本人|様|さん)(?:が|は|も)", text[start:m.start()]):
                continue
            yield Finding(
                start=start, end=end, text=doc.text[start:end], category="risk.liability", severity=Severity.HIGH,
                message="職員の行いを原因と認める書き方になっています。",
                explanation=("原因を職員の不注意と言い切ると、施設が法的な責任を認めたと受け取られます。"
                             "起きた事実を順に書き、原因は調査のうえ改めてご報告ください。"),
                suggestions=("原因は現在確認しており、改めてご報告いたします",),
                rule_id="risk.liability.cause.dependency")

    def _named_causes(self, doc: CheckDoc) -> Iterable[Finding]:
        """記入が漏れていたことが原因でございます: a lapse, or an act not done, named as the cause.

        原因 is the predicate (with a copula) and its subject is a clause nominalised by こと/の.
        The clause admits fault when its predicate is a lapse word (漏れる, 不十分, 怠る …) or a
        negated act (確認していなかった); a cause that is an illness or an event is left alone.
        A cause stated as uncertain (…かもしれません, 可能性, 調査中) is not an admission."""
        a = doc.analysis
        text = doc.folded
        covered = set()
        for i, t in enumerate(a.tokens):
            if t.text != "原因":
                continue
            tail = text[t.end:t.end + 12]
            if not re.match(r"^(?:で(?:ござい|あり|す|した)|です|であ|だ|と(?:考え|思わ|判断|判明))", tail):
                continue
            if re.search(r"^[^。]*?(?:かもしれ|可能性|ではな|ではござ|ではあり|か[、。]|調査)", tail):
                continue
            lo, hi = self._sentence_tokens(doc, i)
            # the subject: こと/の right before が原因, with its clause
            if i < 2 or a.tokens[i - 1].text != "が" or a.tokens[i - 2].text not in ("こと", "の"):
                continue
            nom = i - 2
            preds = [c for c in range(lo, nom) if a.tokens[c].head == nom and a.tokens[c].dep in ("acl", "ccomp")]
            if not preds and a.tokens[nom].text == "の" and nom > lo:
                preds = [nom - 1]
                while a.tokens[preds[0]].pos == "AUX" and preds[0] > lo:
                    preds = [a.tokens[preds[0]].head] if a.tokens[preds[0]].head < nom else [preds[0] - 1]
            if not preds:
                continue
            pr = preds[0]
            cs, _ = a.subtree(pr)
            cs = max(cs, lo)
            clause_toks = [a.tokens[k] for k in range(cs, nom)]
            pred_text = text[a.tokens[pr].start:a.tokens[nom].start]
            lapse = any(_words(x) & self.lapse_words for x in clause_toks if x.pos in ("VERB", "ADJ", "NOUN", "AUX"))
            negated = bool(re.search(r"(?:なかった|ていなかった|ずに|なかったの)$", pred_text))
            if not (lapse or negated):
                continue
            # the resident's own act (ご本人が飲み忘れた, お父様が…なさらなかった) is no fault of the facility
            subj = [c for c in range(cs, pr) if a.tokens[c].head == pr and a.tokens[c].dep == "nsubj"]
            # an act not done is the facility's only when it has no other doer (バスが来なかった)
            if negated and not lapse and subj and not any(
                    self._owner_near(doc, a.subtree(c)[0], hi, a.tokens[c].end) for c in subj):
                continue
            if any(re.search(r"^(?:ご|お)|(?:様|さん|本人)$", a.tokens[c].text) or a.tokens[c].text == "本人"
                   for c in subj) or re.search(r"(?:され|られ|なさ)", pred_text):
                continue
            end_i = self._chain_end(a, self._climb(a, a.tokens[i].head if lo <= a.tokens[i].head < hi
                                                   and a.tokens[i].head >= i else i))
            start = self._clause_start(doc, lo, cs)
            end = a.tokens[end_i].end
            if (start, end) in covered:
                continue
            covered.add((start, end))
            yield Finding(
                start=start, end=end, text=doc.text[start:end], category="risk.liability", severity=Severity.HIGH,
                message="施設側の不備を原因と認める書き方になっています。",
                explanation=("原因を施設の手落ちと言い切ると、施設が法的な責任を認めたと受け取られます。"
                             "起きた事実を順に書き、原因は調査のうえ改めてご報告ください。"),
                suggestions=("原因は現在確認しており、改めてご報告いたします",),
                rule_id="risk.liability.cause.dependency")

    def _admissions(self, doc: CheckDoc) -> Iterable[Finding]:
        """申し開きのしようもございません: a set apology that says there is no excuse."""
        for m in self.admission.finditer(doc.folded):
            i = doc.analysis.token_at(m.start())
            if i is None:
                continue
            end_i = self._chain_end(doc.analysis, doc.analysis.token_at(m.end() - 1) or i)
            end = max(m.end(), doc.analysis.tokens[end_i].end)
            yield Finding(
                start=m.start(), end=end, text=doc.text[m.start():end], category="risk.liability",
                severity=Severity.HIGH, message="弁解できないと書くと、過失を認めたことになります。",
                explanation=("「弁解の余地がない」は、施設に非があると認める言葉です。起きた事実とご心配を"
                             "おかけしたことへのお詫びにとどめ、原因は調査のうえ改めてご報告ください。"),
                suggestions=("ご心配をおかけしましたことを、深くお詫び申し上げます",),
                rule_id="risk.liability.admission.dependency")

    def _clause_start(self, doc: CheckDoc, lo: int, upto: int) -> int:
        """Start of the clause: the sentence start, after leading connectives and time words."""
        a = doc.analysis
        start = a.tokens[lo].start
        while True:
            m = LEADING.match(doc.folded[start:a.tokens[upto].start])
            if not m or m.end() == 0:
                break
            start += m.end()
        return start

    def _payments(self, doc: CheckDoc) -> Iterable[Finding]:
        a = doc.analysis
        text = doc.folded
        for i, t in enumerate(a.tokens):
            if not (_words(t) & self.pay_verbs or t.text.endswith("負担")):
                continue
            if t.text.endswith("負担") and t.text not in self.pay_verbs and not t.text.startswith("全額"):
                continue
            if t.lemma == "持つ" and not any(
                    a.tokens[c].text.endswith(self.cost_suffixes) and a.tokens[c].dep in ("nsubj", "obj", "dislocated")
                    for c in a.children(i)):
                continue
            end_i = self._chain_end(a, self._climb(a, i))
            chain = text[t.start:a.tokens[end_i].end]
            if not re.search(r"(?:いたします|せていただきます|します|申し上げます|いたしたく)$", chain):
                continue
            lo, hi = self._sentence_tokens(doc, i)
            before = text[a.tokens[lo].start:t.start]
            if text[max(0, t.start - 1):t.start] == "ご" or any(w in chain for w in self.not_offer) or re.search(
                    r"(?<!せて)いただ", chain) or any(
                    w in before[-6:] for w in ("ご家族", "ご本人", "お客様")):
                continue
            owner = self._owner_near(doc, lo, hi, t.start)
            always = bool(_words(t) & self.always_offer)
            comp = any(w in before for w in self.compensation) or t.text.startswith("全額")
            if not (always or comp or (owner and re.search(r"支払|返金|お返し", t.text + t.lemma))):
                continue
            if not always and not comp and owner is None:
                continue
            start = self._clause_start(doc, lo, i)
            end = a.tokens[end_i].end
            yield Finding(
                start=start, end=end, text=doc.text[start:end], category="risk.liability", severity=Severity.HIGH,
                message="費用の負担や弁償を申し出ています。",
                explanation=("決まっていないお金の約束は、後で争いになります。負担するかどうかと、その範囲は施設として"
                             "判断したうえで、別にご説明するのが原則です。"),
                suggestions=("費用の取り扱いについては、確認のうえ改めてご説明いたします",),
                rule_id="risk.liability.payment.dependency")

    # ---- vague answers ----------------------------------------------------------------------
    def _ambiguous(self, doc: CheckDoc) -> Iterable[Finding]:
        a = doc.analysis
        text = doc.folded
        seen: set[int] = set()
        for i, t in enumerate(a.tokens):
            if not (_words(t) & self.amb_predicates):
                continue
            p = self._climb(a, i)
            if p in seen:
                continue
            end_i = self._chain_end(a, p)
            chain = text[t.start:a.tokens[end_i].end]
            # the writer's answer (いたします, まいります, させていただきます), not the resident's attitude
            # 考えております / 検討しております: the writer's present stance, for deciding verbs only
            ongoing = bool(re.search(r"(?:て|で)おります$", chain)) and bool(
                _words(t) & {"検討", "考える", "考え", "調整"})
            if not ongoing and not re.search(
                    r"(?:いたします|まいります|させていただきます|いたしたく|します|おきます|存じます)$", chain):
                continue
            if re.search(r"(?:され|られ|なさ)", chain):
                continue
            lo, hi = self._sentence_tokens(doc, i)
            # qualifiers attached to this predicate (前向きに, できる限り, 〜の方向で, ご希望に沿えるよう)
            q_start = None
            for k in range(lo, i):
                tk = a.tokens[k]
                w = text[tk.start:tk.start + 6]
                attached = self._attached(a, k, i)
                if not attached:
                    continue
                if w.startswith(self.qualifiers) or (tk.text in ("方向", "方向性", "線") and re.match(
                        r"^(?:方向性?|線)で", text[tk.start:tk.start + 4])):
                    s_k, _ = a.subtree(k)
                    q_start = a.tokens[max(s_k, lo)].start if q_start is None else min(q_start, a.tokens[max(s_k, lo)].start)
                if any(w.startswith(x) or tk.text == x for x in self.wishes) and re.match(
                        r"^(?:に|へ)(?:沿|添|お?応え)", text[tk.end:tk.end + 4]):
                    s_k = k - 1 if k > lo and a.tokens[k - 1].text in ("ご", "お") else k
                    q_start = a.tokens[s_k].start if q_start is None else min(q_start, a.tokens[s_k].start)
            vague_itself = bool(self.vague_alone.search(chain))
            if q_start is None and not vague_itself:
                continue
            start = q_start if q_start is not None else t.start
            end = a.tokens[end_i].end
            # a date or a clear answer in the answer's own clause (not in the request it answers)
            clause_s = max(text.rfind("、", a.tokens[lo].start, start) + 1, a.tokens[lo].start)
            if self.concrete.search(text[clause_s:a.tokens[hi - 1].end]):
                continue
            seen.add(p)
            yield Finding(
                start=start, end=end, text=doc.text[start:end], category="risk.ambiguous", severity=Severity.MEDIUM,
                message="はっきりしない返事です。ご家族には「引き受けてもらえた」と受け取られやすい表現です。",
                explanation=("何を、いつまでにするのかが書かれていません。できることは内容と時期を、"
                             "できないことは理由と代わりの案を書いてください。"),
                suggestions=("〇月〇日までに検討し、結果をご連絡いたします",),
                rule_id="risk.ambiguous.dependency")

    def _hedges(self, doc: CheckDoc) -> Iterable[Finding]:
        """追ってご連絡するかもしれません: a promised act hedged into nothing."""
        for m in self.hedge.finditer(doc.folded):
            s = m.start()
            lead = re.search(r"(?:追って|後日|近いうちに|改めて)$", doc.folded[max(0, s - 6):s])
            if lead:
                s -= len(lead.group())
            yield Finding(
                start=s, end=m.end(), text=doc.text[s:m.end()], category="risk.ambiguous", severity=Severity.MEDIUM,
                message="するのかしないのか、はっきりしない返事です。",
                explanation=("この書き方では、ご家族は何が行われるのかを待ち続けることになります。"
                             "いつまでに何をするか、できないならその理由を書いてください。"),
                suggestions=("〇月〇日までにご連絡いたします",), rule_id="risk.ambiguous.hedge.dependency")

    @staticmethod
    def _attached(a: Analysis, k: int, p: int) -> bool:
        """Token k lies under predicate p in the parse (at most three steps up)."""
        j = k
        for _ in range(4):
            if j == p:
                return True
            h = a.tokens[j].head
            if h == j or not (0 <= h < len(a.tokens)):
                return False
            j = h
        return j == p

    def find(self, doc: CheckDoc) -> Iterable[Finding]:
        if not doc.analysis.tokens or not doc.analysis.has_parse:
            return
        yield from self._commitments(doc)
        yield from self._promises_without_adverb(doc)
        yield from self._liability(doc)
        yield from self._ambiguous(doc)
        yield from self._hedges(doc)
