"""People's names, and who they are to this letter (recipient, subject, staff … or a third party)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from desktop_app.core.checks.analysis import Token
from desktop_app.core.checks.rules.base import ROLE_WHO, CheckDoc, PersonMention, Rule
from desktop_app.core.conventions import alternation, honorifics
from desktop_app.core.findings import Finding, Severity
from desktop_app.core.resources import resources_dir
from desktop_app.core.textutil import KANJI, KATAKANA


def _alt(words: Iterable[str]) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


@lru_cache(maxsize=4)
def load_person_data(path: Path | None = None) -> dict:
    path = path or resources_dir() / "rules" / "person.toml"
    with open(path, "rb") as f:
        return tomllib.load(f)


_D = load_person_data()
HONORIFICS = honorifics().after_name
HONORIFIC_RE = re.compile(rf"^[ \u3000]?({_alt(HONORIFICS)})")
ROLE_WORDS = tuple(_D["role_words"])
HONOURED_RE = re.compile(r"^[ \u3000]?(?:様|さま|殿)")  # how a facility writes residents and families, never its staff
ROLE_AFTER_RE = re.compile(rf"^[ \u3000]?(?:{_alt(ROLE_WORDS)})")
ORG_SUFFIX_RE = re.compile(rf"^[ \u3000]?(?:{_alt(_D['org_suffixes'])})")
BUSINESS_END_RE = re.compile(rf"(?:{_alt(_D['business_endings'])})$")
THIRD_PARTY_BEFORE = re.compile(_D["third_party_before_re"])
FAMILY_BEFORE = re.compile(_D["family_before_re"])
THIRD_PARTY_AFTER = re.compile(_D["third_party_after_re"])
FAMILY_AFTER = re.compile(_D["family_after_re"])
STAFF_BEFORE = re.compile(
    rf"(?:{_alt(set(ROLE_WORDS) | set(_D['staff_before_extra']))})(?:の|である|:|：)?[ \u3000]*$")
PROF_AFTER = re.compile(rf"^[ \u3000]?(?:{_alt(_D['professional_after'])})")
NOT_NAMES = frozenset(_D["not_names"])
_TRIM_WORDS = tuple(sorted(HONORIFICS + ROLE_WORDS, key=len, reverse=True))
FALLBACK_NAME = re.compile(
    rf"([{KANJI}]{{1,4}}[ \u3000]?[{KANJI}]{{1,3}}|[{KANJI}]{{1,4}}[ \u3000]?[{KATAKANA}]{{2,6}}|"
    rf"[{KATAKANA}]{{2,10}}(?:[・＝=][{KATAKANA}]{{2,10}})?)(?=[ \u3000]?(?:{alternation(honorifics().mark_a_name)}))"
)

STAFF_ROLE_NOUNS = tuple(_D["staff_role_nouns"])
# 介護職員の鶴田, 看護師の朝日: a facility's job title, の, and the name (the title says it is a person)
STAFF_ROLE_BEFORE = re.compile(rf"(?<![{KANJI}{KATAKANA}])(?:{_alt(STAFF_ROLE_NOUNS)})の[ \u3000]?$")
STAFF_ROLE_OF = re.compile(
    rf"(?<![{KANJI}{KATAKANA}])(?P<role>{_alt(STAFF_ROLE_NOUNS)})の[ \u3000]?"
    rf"(?P<name>[{KANJI}]{{1,4}}(?![{KANJI}])|[{KATAKANA}]{{2,10}}(?:・[{KATAKANA}]{{2,10}}){{0,3}}(?![{KATAKANA}・]))"
    rf"(?=[ \u3000]?(?:が|は|より|から|に|と|も|で|を|の|や|へ|、|。|\n|です|でし|$|{alternation(honorifics().mark_a_name)}))")
COMPOUND_SUFFIX_RE = re.compile(rf"^(?:{_alt(_D['name_compound_suffixes'])})")
COMPOUND_PREFIX_RE = re.compile(rf"(?:{_alt(_D['name_compound_prefixes'])})[ \u3000]?$")
NON_PERSON_ENTITIES = frozenset(_D["non_person_entity_labels"])
TRUSTED_STAFF = "職員の職名と「の」の後に書かれた名前"
COREF_SIGNAL = "手紙の前のほうに書かれた人の名前の一部"


@lru_cache(maxsize=1)
def _lexicon():
    """Sudachi's dictionary (the one GiNZA tokenizes with), for every sense a word has, not only the one the
    tagger chose in this sentence: 朝日 is a surname, a place and the morning sun. None where it cannot load."""
    try:
        from sudachipy import Dictionary

        return Dictionary(dict="core")
    except Exception:  # noqa: BLE001 - without the dictionary the check only loses this refinement
        return None


@lru_cache(maxsize=4096)
def word_senses(word: str) -> frozenset[str]:
    """person / place / common / org: the senses the dictionary gives this exact word."""
    lex = _lexicon()
    if lex is None or not word:
        return frozenset()
    out: set[str] = set()
    try:
        entries = lex.lookup(word)
    except Exception:  # noqa: BLE001
        return frozenset()
    for m in entries:
        pos = m.part_of_speech()
        if "人名" in pos:
            out.add("person")
        elif "地名" in pos:
            out.add("place")
        elif "組織名" in pos:
            out.add("org")
        elif pos[0] == "名詞" or pos[0] in ("動詞", "形容詞", "副詞"):
            out.add("common")
    return frozenset(out)


# What a sentence says about a place, not a person, right after the word: 横山の紅葉, 熊谷は今年も暑い.
PLACE_CONTEXT = re.compile(
    r"^(?:の(?:紅葉|桜|景色|風景|夜景|街並み|町並み|街|町|海|山|川|湖|空|名物|名所|名産|特産|駅|祭り|祭|花火|観光|"
    r"温泉|お土産|土産|銘菓|方言|気候|天気|夏|冬|春|秋)|(?:は|も|では|の)[^。、\n]{0,8}?(?:暑|寒|涼し|蒸し暑|雪|雨|晴れ|気温))")
# A person's title that ends a GiNZA entity running past the name (〇〇ソ連書記長, 〇〇監督).
PERSON_TITLE_END = re.compile(
    r"(?:書記長|大統領|首相|総理|総理大臣|大臣|長官|議長|委員長|知事|市長|町長|村長|監督|社長|会長|総裁|国王|女王|皇帝|"
    r"将軍|大使|教授|博士|選手|議員|主席|書記|総督|司令官|元帥|提督|枢機卿|法王|教皇|氏)$")
ELDER_AFTER = re.compile(r"^の(?:おばあ|おじい|お婆|お爺|奥さん|旦那さん|ご主人|おばちゃん|おじちゃん)")
# How a place name goes on (別府旅行, 別府に行った, 堀川通): not how a person's name does.
PLACE_USE = re.compile(rf"^(?:[{KANJI}]|(?:に|へ|まで|から)(?:行|出かけ|旅行|帰|向か)|(?:で|の)(?:旅行|観光|温泉|名物|お土産))")
KANA_KO_NAME = re.compile(rf"(?<![{KATAKANA}])([アイウエオカ-ヂツ-モヤユヨラ-ロワヲ]{{1,3}}子)(?=[はがもをにとの、。」 \u3000]|様|さん|ちゃん)")
OLD_GIVEN_NAME = re.compile(r"[アイウエオカ-ヂツ-モヤユヨラ-ロワヲン]{2,3}")
TRUSTED_ROLE = "職名の後に書かれた名前"
TRUSTED_HOLDER = "口座の名義として書かれた名前"
FOREIGN_SUBJECT = "辞書にないカタカナの語で、文の主語や人の肩書きの前に置かれた語"
LABELLED_KATAKANA = re.compile(
    rf"(?:(?P<role>{_alt(w for w in ROLE_WORDS if re.search(f'[{KANJI}]', w))})の?|(?:口座)?名義(?:人)?[:：]?)[ \u3000]?"
    rf"(?P<name>[{KATAKANA}]{{2,}}(?:(?:・|[ \u3000])[{KATAKANA}]{{2,}}){{0,3}})(?![{KATAKANA}])"
)
HOLDER_BEFORE = re.compile(r"(?:口座)?名義(?:人)?[:：]?[ \u3000]?$")
_HIRA_TO_KATA = str.maketrans({chr(c): chr(c + 0x60) for c in range(0x3041, 0x3097)})
_KATA_TO_HIRA = str.maketrans({chr(c + 0x60): chr(c) for c in range(0x3041, 0x3097)})


def name_variants(full: str) -> list[str]:
    """Ways the same person is written: full name with or without a space, surname, given name, kana."""
    parts = [p for p in re.split(r"[ \u3000]+", full.strip()) if p]
    out = {full.strip()}
    if len(parts) >= 2:
        surname, given = parts[0], "".join(parts[1:])
        for sep in ("", " ", "\u3000"):
            out.add(surname + sep + given)
        out.update({surname, given})
        if re.fullmatch(r"[ぁ-ゖ]+", given):
            out.add(given.translate(_HIRA_TO_KATA))
        if re.fullmatch(r"[ァ-ヶ]+", given):
            out.add(given.translate(_KATA_TO_HIRA))
    elif parts:
        out.add(parts[0])
    return sorted((v for v in out if v), key=len, reverse=True)


def full_parts(doc: CheckDoc, variant: str) -> set[str]:
    """The variant when it is only a part (surname or given name) of a context name, else empty."""
    parts: set[str] = set()
    for _, full in doc.context.people():
        pieces = re.split(r"[ \u3000]+", full.strip())
        if len(pieces) >= 2 and variant in pieces:
            parts.add(variant)
    return parts


class PersonRule(Rule):
    """Names of people (Sudachi 人名 tags, GiNZA Person entities, a proper noun before 様/さん, and
    the names the app knows from the form). The recipient, subject, sender, staff and the subject's
    family are expected (low); another resident or a private person outside this care relation is a
    third-party leak (high) - the case the product exists to stop."""

    rule_id = "pii.person"
    category = "pii.person"

    # ---- candidates -------------------------------------------------------------------------
    def _context_mentions(self, doc: CheckDoc) -> list[tuple[int, int, str, str]]:
        text = doc.text
        out: list[tuple[int, int, str, str]] = []
        people = doc.context.people() + self._inferred_people(doc)
        for role, full in people:
            parts = [p for p in re.split(r"[ \u3000]+", full.strip()) if p]
            variants = name_variants(full)
            for reading in doc.readings.get(full, []):
                variants.append(reading)
            if role == "staff" and len(parts) >= 2:
                # a colleague is named by the full name, or by the surname as staff are written (介護職員の
                # 佐藤, 佐藤が伺いました); a given name alone is never enough: 田中 一郎 is not 佐藤 一郎
                variants = [v for v in variants if v not in parts[1:]]
            for v in sorted(set(variants), key=len, reverse=True):
                pattern = re.escape(v).replace(r"\ ", "[ \u3000]?").replace("\u3000", "[ \u3000]?")
                for m in re.finditer(pattern, text):
                    s, e = m.start(), m.end()
                    if not self._context_boundary_ok(doc, s, e, v):
                        continue
                    if len(parts) >= 2 and v in parts[1:] and self._after_other_surname(doc, s, parts[0]):
                        continue
                    if role == "staff" and len(parts) >= 2 and v == parts[0] and HONOURED_RE.match(text[e:e + 3]) \
                            and not STAFF_BEFORE.search(text[max(0, s - 12):s]):
                        # 佐藤様 is someone the facility honours, not its own 佐藤 (a colleague goes without 様,
                        # at most with さん)
                        continue
                    out.append((s, e, role, f"入力欄の{_ROLE_JA.get(role, role)}「{full}」と同じお名前"))
        return out

    @staticmethod
    def _after_other_surname(doc: CheckDoc, s: int, surname: str) -> bool:
        """A given name written right after someone else's surname (田中 一郎 when the known person is
        佐藤 一郎): a different person who shares the given name."""
        j = s - 1 if s > 0 and doc.text[s - 1] in " \u3000" else s
        prev = [t for t in doc.analysis.tokens if t.end == j] if doc.analysis.tokens else []
        if prev:
            t = prev[0]
            return t.text != surname and not doc.text[max(0, t.start - len(surname)):t.end].endswith(surname) and (
                t.is_person_name or t.pos == "PROPN")
        # without the model: a kanji run of 1-4 characters right before, that is not the surname
        m = re.search(f"([{KANJI}]{{1,4}})$", doc.text[max(0, j - 4):j])
        return bool(m) and not m.group(1).endswith(surname) and j != s

    def _context_boundary_ok(self, doc: CheckDoc, s: int, e: int, variant: str) -> bool:
        """Whether this occurrence of a known person's spelling is that person (not 中西部, 豊か)."""
        text = doc.text
        before = text[s - 1] if s > 0 else ""
        after = text[e] if e < len(text) else ""
        honor = bool(HONORIFIC_RE.match(text[e:e + 3])) or bool(ROLE_AFTER_RE.match(text[e:e + 8]))
        toks = doc.analysis.tokens_in(s, e) if doc.analysis.tokens else []
        whole_tokens = bool(toks) and toks[0].start == s and toks[-1].end == e
        if len(variant) <= 1 and not honor:
            # 豊 alone is a name only where the tokenizer reads it as one (うちの豊は), not in 豊かな
            if not (whole_tokens and len(toks) == 1 and (toks[0].is_person_name or toks[0].pos == "PROPN")):
                return False
        if not honor and variant in full_parts(doc, variant) and not STAFF_BEFORE.search(text[max(0, s - 12):s]) and (
                ORG_SUFFIX_RE.match(text[e:e + 8]) or (toks and all("地名" in t.tag for t in toks) and PLACE_USE.match(text[e:e + 8]))):
            # 別府旅行, 堀川通: a surname that is also a place, used as the place
            return False
        if re.fullmatch(f"[{KATAKANA}]+", variant) and (re.match(f"[{KATAKANA}]", before or " ")
                                                         or re.match(f"[{KATAKANA}]", after or " ")):
            return False
        if re.fullmatch("[ぁ-ゖ]+", variant) and not honor:
            return False
        if re.fullmatch(f"[{KANJI}]+", variant) and after and re.match(f"[{KANJI}]", after) and not honor:
            # 中西 inside 中西部: only a name when a token boundary agrees
            if e not in doc.token_ends:
                return False
        if doc.in_facility(s, e):
            return False
        return True

    def _inferred_people(self, doc: CheckDoc) -> list[tuple[str, str]]:
        """Recipient (宛名 on the first line) and sender (name after a title at the end) when the form
        did not give them, so a letter checked from a file still knows who it is addressed to."""
        out: list[tuple[str, str]] = []
        lines = [ln.strip() for ln in doc.text.split("\n") if ln.strip()]
        if not lines:
            return out
        if not doc.context.recipient:
            # the 宛名 line holds the name and the honorific only (not 「同室の小野寺様です。」)
            # 手紙: the first line; ビジネス文書: under the document number and date (first few lines)
            for ln in lines[:4]:
                m = re.fullmatch(rf"([{KANJI}{KATAKANA}ぁ-ゖ]{{1,6}}(?:[ \u3000][{KANJI}{KATAKANA}ぁ-ゖ]{{1,6}})?)[ \u3000]*(?:様|殿)(?:へ)?",
                                 ln)
                if m:
                    if m.group(1) not in NOT_NAMES and "家族" not in m.group(1):
                        out.append(("recipient", m.group(1)))
                    break
        if not doc.context.sender:
            # 後付け at the end (手紙), or the sender block under the 宛名 (ビジネス文書)
            for ln in lines[-8:] + lines[:6]:
                m = re.search(rf"(?:{_alt(ROLE_WORDS)}|担当)[ \u3000:：]+([{KANJI}{KATAKANA}ぁ-ゖ]{{1,6}}[ \u3000][{KANJI}{KATAKANA}ぁ-ゖ]{{1,6}})$", ln)
                if m:
                    out.append(("sender", m.group(1)))
        return out

    def _nlp_candidates(self, doc: CheckDoc) -> list[tuple[int, int, str]]:
        a = doc.analysis
        toks = a.tokens
        out: list[tuple[int, int, str]] = []
        text = doc.text
        # 1) runs of Sudachi 人名 tokens (姓 名), across one space
        i = 0
        while i < len(toks):
            if toks[i].is_person_name:
                j = i
                while True:
                    if j + 1 < len(toks) and toks[j + 1].is_person_name and toks[j + 1].start - toks[j].end <= 1:
                        j += 1
                    elif j + 2 < len(toks) and toks[j + 1].text in "・＝" and toks[j + 2].is_person_name and \
                            re.fullmatch(f"[{KATAKANA}]+", toks[j].text + toks[j + 2].text) and \
                            toks[j + 1].start == toks[j].end and toks[j + 2].start == toks[j + 1].end:
                        j += 2  # リーナス・トーバルズ: a foreign full name (毛沢東・周恩来 is a list: not joined)
                    else:
                        break
                j = _given_name_tail(doc, i, j)
                out.append((toks[i].start, toks[j].end, "辞書で人の名前とされる語"))
                i = j + 1
            else:
                i += 1
        # 2) GiNZA Person entities
        for ent in a.entities:
            if ent.label == "Person":
                out.append((ent.start, ent.end, "文の流れから人の名前と読める語"))
        # 3) proper nouns / katakana words right before an honorific
        for idx, t in enumerate(toks):
            if t.text not in HONORIFICS or idx == 0:
                continue
            j = idx - 1
            if toks[j].end != t.start and not text[toks[j].end:t.start].isspace():
                continue
            start_j = j
            while start_j >= 0 and self._nameish(toks[start_j]) and (
                start_j == j or toks[start_j + 1].start - toks[start_j].end <= 1
            ):
                start_j -= 1
            start_j += 1
            if start_j <= j:
                out.append((toks[start_j].start, toks[j].end, f"「{t.text}」の前にある名前"))
        # 4) a family name followed by a katakana given name (稲垣ツタ), as older residents' names are
        # written: two or three plain kana (no ー or small kana, which loanwords have: 森ユニット)
        for idx, t in enumerate(toks[:-1]):
            nxt = toks[idx + 1]
            if t.is_proper and ("人名-姓" in t.tag or "地名" in t.tag) and nxt.start == t.end \
                    and OLD_GIVEN_NAME.fullmatch(nxt.text) and nxt.text not in NOT_NAMES:
                out.append((t.start, nxt.end, "名字とカタカナの名前の並び"))
        out.extend(self._labelled_names(doc))
        out.extend((fs, fe, FOREIGN_SUBJECT) for fs, fe in foreign_word_persons(doc))
        for m in STAFF_ROLE_OF.finditer(text):
            name = m.group("name")
            # 看護師の朝日 yes, 看護師の判断 no: a kanji word needs a name sense in the dictionary (any of its
            # senses: 朝日 is also a surname), a katakana one must not be an ordinary word (ヘルパーのミーティング)
            senses = word_senses(name)
            if re.fullmatch(f"[{KANJI}]+", name) and "person" not in senses:
                continue
            if "・" not in name and re.fullmatch(f"[{KATAKANA}]+", name) and not any(
                    t.is_proper or t.is_person_name for t in a.tokens_in(m.start("name"), m.end("name"))):
                continue
            out.append((m.start("name"), m.end("name"), TRUSTED_STAFF))
        # 6) an older woman's given name in katakana with 子 (ヨシ子, ハナ子), which the tagger may miss
        for m in KANA_KO_NAME.finditer(text):
            out.append((m.start(1), m.end(1), "カタカナと「子」の名前"))
        return out

    @staticmethod
    def _labelled_names(doc: CheckDoc) -> list[tuple[int, int, str]]:
        """Names right after a role (介護職員のプトゥ, 介護職員ファム・ヴァン・ナム) or an account label
        (名義 ヒルタ エイジ): katakana names the tagger does not know."""
        out = []
        for m in LABELLED_KATAKANA.finditer(doc.text):
            out.append((m.start("name"), m.end("name"), TRUSTED_ROLE if m.group("role") else TRUSTED_HOLDER))
        return out

    @staticmethod
    def _nameish(t: Token) -> bool:
        """A token that can be part of a name before an honorific: a proper noun, or a katakana word
        that is not a common noun (タエ yes, ボランティア no) unless the tagger calls it PROPN."""
        if t.text in NOT_NAMES:
            return False
        if t.is_proper:
            return True
        if not re.fullmatch(f"[{KATAKANA}]{{2,}}", t.text):
            return False
        return "普通名詞" not in t.tag or t.pos == "PROPN"

    def _fallback_candidates(self, doc: CheckDoc) -> list[tuple[int, int, str]]:
        out = []
        for m in FALLBACK_NAME.finditer(doc.text):
            name = m.group(1)
            stripped = re.sub(r"^(?:ご|お)", "", name)
            if name in NOT_NAMES or stripped in NOT_NAMES or name.endswith(("家族", "利用者", "入居者")):
                continue
            out.append((m.start(1), m.end(1), "敬称の前にある語"))
        return out

    # ---- cleaning ---------------------------------------------------------------------------
    def _trim(self, doc: CheckDoc, s: int, e: int) -> tuple[int, int]:
        text = doc.text
        changed = True
        while changed and s < e:
            changed = False
            seg = text[s:e]
            for w in _TRIM_WORDS:
                if seg.endswith(w) and len(seg) > len(w):
                    e -= len(w)
                    changed = True
                    break
                if seg.startswith(w) and len(seg) > len(w) and w not in ("君",):
                    s += len(w)
                    changed = True
                    break
            seg = text[s:e]
            if seg and seg[0] in " \u3000・、「（(\"'“”":
                s += 1
                changed = True
            elif seg and seg[-1] in " \u3000・、」）)\"'“”":
                e -= 1
                changed = True
        return s, e

    def _acceptable(self, doc: CheckDoc, s: int, e: int, why: str) -> bool:
        text = doc.text
        name = text[s:e]
        if not name or name in NOT_NAMES or re.sub(r"^(?:ご|お)", "", name) in NOT_NAMES:
            return False
        if not re.search(f"[{KANJI}{KATAKANA}ぁ-ゖA-Za-z]", name):
            return False
        if doc.in_facility(s, e):
            return False
        after = text[e:e + 8]
        honor = bool(HONORIFIC_RE.match(after))
        if not honor and ORG_SUFFIX_RE.match(after):
            return False
        if not honor and self._in_compound(doc, s, e):
            return False
        if why == TRUSTED_STAFF:
            return True
        if not honor and re.match(r"^[ \u3000]?[\d０-９一二三四五六七八九十]+(?:丁目|番地|番|号|-|－)", after):
            return False  # 丸之内2丁目: part of an address
        # 八百屋さん, 〇〇商店さん, 〇〇病院さん: businesses addressed with さん/様 are not people
        if BUSINESS_END_RE.search(name):
            return False
        if len(name) == 1 and not honor and not ROLE_AFTER_RE.match(after):
            return False
        if not honor and len(name) > 2 and name[-1] in "市区町村県都府郡通":
            return False  # 南川市: a place, not a person
        if why in (TRUSTED_ROLE, TRUSTED_HOLDER):
            if any(w in name for w in NOT_NAMES if len(w) > 2):
                return False
            if why == TRUSTED_ROLE and doc.analysis.tokens and "・" not in name:
                # 職員のミーティング: after a role, a katakana common noun is not a name
                return any(t.pos == "PROPN" or t.is_person_name for t in doc.analysis.tokens_in(s, e))
            return True
        toks = doc.analysis.tokens_in(s, e)
        if toks and not honor:
            # 福島県 / 京都 - a place name is only a name with an honorific
            if all("地名" in t.tag or "組織" in t.tag for t in toks):
                return False
            # 名古屋〇〇, ASローマ, 〇〇・北上: a place name with other words and no name among them is a club, a
            # company or a site named after the place (a person's name holds a place word only as a 人名 token)
            if len(toks) >= 2 and any("地名" in t.tag for t in toks) and not any(t.is_person_name for t in toks):
                return False
            # バイオリン (NER Person on a common noun): without an honorific, a name must be a proper noun
            if not any(t.is_proper for t in toks) and not foreign_name_tokens(doc, s, e, toks) and \
                    why != FOREIGN_SUBJECT:
                return False
            # 城長 in 城長支第1284号: a bare name runs straight into another kanji word
            if re.match(f"[{KANJI}]", after[:1]) and not ROLE_AFTER_RE.match(after) and \
                    not title_after(doc, s, e, toks) and not tagged_full_name(doc, s, e, toks) and \
                    why != FOREIGN_SUBJECT:
                return False
            # 熊谷は暑い, 横山の紅葉: one word that is a surname and also a place or an ordinary word, with no
            # honorific, no title and no role word before it, is the place or the word (an earlier full
            # mention of the person brings it back: _corefer)
            # A word the tagger reads as a person in this sentence (Sudachi 人名, or a GiNZA Person entity) stays a
            # person unless the sentence says it is the place: 三木はフォードに…, 安倍と個人的な… are people.
            if len(toks) == 1 and not ROLE_AFTER_RE.match(after) and not ELDER_AFTER.match(after) and \
                    not STAFF_BEFORE.search(text[max(0, s - 12):s]) and \
                    {"place", "common"} & word_senses(name) and "名" not in toks[0].tag.rsplit("-", 1)[-1] and \
                    not (self._read_as_person(doc, s, e, toks) and not PLACE_CONTEXT.match(text[e:e + 16])):
                return False
        if re.search(r"[\d。、\n]", name):
            return False
        return True

    @staticmethod
    def _read_as_person(doc: CheckDoc, s: int, e: int, toks) -> bool:
        """The tagger reads this word as a person here (Sudachi 人名 or a GiNZA Person entity over it) and GiNZA
        does not type it, or an entity over it, as a place or an organisation (鶴岡 as City stays a place)."""
        ents = [ent for ent in doc.analysis.entities if ent.start <= s and e <= ent.end]
        # GiNZA's place/org typing counts where the dictionary agrees the word can be one (大月 as City): not
        # for ヒルズ or マイヤー typed City/Country, which the dictionary knows only as a name or a word
        senses = word_senses(doc.text[s:e])
        if any(ent.label in NON_PERSON_ENTITIES and ((ent.start, ent.end) != (s, e) or senses & {"place", "org"})
               and not _foreign_full_name(doc, ent.start, ent.end) for ent in ents):
            return False
        return any("人名" in t.tag for t in toks) or any(ent.label == "Person" for ent in ents)

    @staticmethod
    def _in_compound(doc: CheckDoc, s: int, e: int) -> bool:
        """The name-like word is part of an organisation, a place or a named thing: 〇〇歯科クリニック,
        ケアプランセンター〇〇, 〇〇市内, 〇〇節, or a GiNZA organisation/place entity running past it."""
        text = doc.text
        if COMPOUND_SUFFIX_RE.match(text[e:e + 8]):
            return True
        for k in range(s + 1, e):  # 黒田節 read as one name: the suffix is its own token
            if k in doc.token_starts and COMPOUND_SUFFIX_RE.fullmatch(text[k:e]):
                return True
        if COMPOUND_PREFIX_RE.search(text[max(0, s - 12):s]):
            return True
        for ent in doc.analysis.entities:
            if ent.label in NON_PERSON_ENTITIES and ent.start <= s and e <= ent.end and (ent.start, ent.end) != (s, e):
                # アンドロポフソ連書記長, アラン・レネ監督: a name the dictionary calls a person, with the person's title
                # at the end of the entity, is that person (GiNZA sometimes types the whole as an organisation)
                toks = doc.analysis.tokens_in(s, e)
                if toks and all(t.is_person_name or t.text in "・＝=" for t in toks) and \
                        PERSON_TITLE_END.search(text[e:ent.end]):
                    continue
                # ポール・ロブスン typed Product_Other: an entity made only of dictionary person names joined by
                # ・ is one foreign person's full name, not an organisation or a thing
                if _foreign_full_name(doc, ent.start, ent.end):
                    continue
                return True
        return False

    # ---- roles ------------------------------------------------------------------------------
    def _classify(self, doc: CheckDoc, s: int, e: int,
                  prior: list[PersonMention] | None = None) -> tuple[str, str]:
        text = doc.text
        sent_start, _ = doc.sentence(s)
        before = text[max(sent_start, s - 24):s]
        after = text[e:e + 12]
        honor = HONORIFIC_RE.match(after)
        if FAMILY_AFTER.match(after):
            return "family", f"お名前の後に『{_quote_after(after, FAMILY_AFTER)}』と続柄が書かれています"
        if THIRD_PARTY_AFTER.match(after):
            return "third_party", f"お名前の後に『{_quote_after(after, THIRD_PARTY_AFTER)}』と書かれています"
        if THIRD_PARTY_BEFORE.search(before):
            m = THIRD_PARTY_BEFORE.search(before)
            return "third_party", f"『{_quote_before(before[m.start():])}』の後にあるお名前です"
        fam = FAMILY_BEFORE.search(before)
        if fam:
            # 宇佐美様の息子さんのお嫁さんである…: the family of another resident is a third party too
            owner = []
            for p in reversed(prior or []):  # only the mentions of this sentence, newest first
                if p.start < sent_start:
                    break
                if p.end <= s - len(fam.group()):
                    owner.insert(0, p)
            if owner and owner[-1].third_party and re.match(r"^[ \u3000]?(?:様|さん)?の", text[owner[-1].end:owner[-1].end + 3]):
                return "third_party", f"他の方（{owner[-1].text}様）のご家族として書かれたお名前です"
            return "family", f"『{_quote_before(fam.group())}』の後にあるお名前です"
        if ELDER_AFTER.match(after):
            return "third_party", f"『{ELDER_AFTER.match(after).group()}』と、よその方として書かれたお名前です"
        if PROF_AFTER.match(after):
            return "professional", f"『{PROF_AFTER.match(after).group().strip()}』が付いたお名前です"
        staff_role = STAFF_ROLE_BEFORE.search(before)
        if staff_role:
            return "staff", f"『{_quote_before(staff_role.group())}』の後にあるお名前です"
        if STAFF_BEFORE.search(before):
            return "professional", f"『{_quote_before(STAFF_BEFORE.search(before).group())}』の後にあるお名前です"
        if not honor and HOLDER_BEFORE.search(before):
            # an account's holder who is none of the form's people: not how staff are written. The
            # family's surname (its reading) with another given name is the household's account.
            surname = re.split(r"[ \u3000・]", text[s:e], maxsplit=1)[0]
            if any(r.split(" ", 1)[0] == surname for rs in doc.readings.values() for r in rs if " " in r):
                return "family", "口座の名義で、名字が宛先・ご本人と同じお名前です"
            return "unknown", "口座の名義として書かれ、宛先・ご本人・差出人のどなたとも違うお名前です"
        if not honor:
            opened = text.rfind("「", sent_start, s)
            if opened != -1 and text.rfind("」", opened, s) == -1:
                # inside quoted speech a resident or a relative is named without an honorific too
                return "unknown", "「」の中の言葉で、敬称を付けずに書かれたお名前です"
            # Facilities write their own staff without an honorific (担当の深田、介護職員の前川).
            return "staff", "敬称を付けずに書かれたお名前で、施設の職員を書くときの書き方です"
        return "third_party", f"『{honor.group(1)}』が付いたお名前で、宛先・ご本人・差出人のお名前とは違います"

    def detect(self, doc: CheckDoc) -> list[PersonMention]:
        """The person stage: every named person and their role. The runner stores the result in
        doc.persons before any rule runs; the health rule and others read it from there."""
        raw: list[tuple[int, int, str, str | None]] = []
        for s, e, role, why in self._context_mentions(doc):
            raw.append((s, e, why, role))
        cands = self._nlp_candidates(doc) if doc.analysis.tokens else self._fallback_candidates(doc)
        for s, e, why in cands:
            s, e = self._trim(doc, s, e)
            if doc.analysis.tokens:
                if thing_named_entity(doc, s, e):
                    continue
                span = (s, e) if why in (TRUSTED_STAFF, TRUSTED_ROLE, TRUSTED_HOLDER) else katakana_name_span(doc, s, e)
                if span is None:
                    continue
                s, e = _whole_katakana_word(doc, *span)
            if s < e and self._acceptable(doc, s, e, why):
                raw.append((s, e, why, None))
        mentions = self._merge(doc, raw)
        self._propagate(mentions)
        return self._corefer(doc, mentions)

    # ---- later mentions of the same person ----------------------------------------------------------
    @staticmethod
    def _name_parts(doc: CheckDoc, m: PersonMention) -> list[str]:
        """The parts of a found name that the letter may use alone later: surname and given name (split at a
        space, at ・ for a foreign name, or where Sudachi's 姓 token meets the 名 token), and the whole."""
        pieces = [p for p in re.split(r"[ \u3000・＝=]+", m.text) if p]
        if len(pieces) == 1:
            toks = doc.analysis.tokens_in(m.start, m.end)
            if len(toks) >= 2 and "人名-姓" in toks[0].tag and all("人名-名" in t.tag for t in toks[1:]):
                pieces = [toks[0].text, "".join(t.text for t in toks[1:])]
        out = [m.text] + (pieces if len(pieces) >= 2 else [])
        return [p for p in dict.fromkeys(out) if len(p) >= 2 and not re.fullmatch("[ぁ-ゖ]+", p)]

    def _corefer(self, doc: CheckDoc, mentions: list[PersonMention]) -> list[PersonMention]:
        """Every later mention of a person the letter has named (ミツエ様 after 大川 ミツエ様, 川端 after
        介護職員の川端, マイさん after グエン・ティ・マイ) is the same person: same role, same severity."""
        text = doc.text
        context_parts = {p for _, full in doc.context.people() for p in re.split(r"[ \u3000]+", full.strip()) if p}
        out = sorted(mentions, key=lambda m: m.start)
        claimed: set[str] = set()  # a name part is followed from its first mention only: linear, not cubic
        for anchor in list(out):
            if any(sig.startswith("入力欄の") for sig in anchor.signals) or anchor.role == "unknown":
                continue  # the form's names already match every spelling (name_variants)
            honor = HONORIFIC_RE.match(text[anchor.end:anchor.end + 4])
            role_before = STAFF_ROLE_BEFORE.search(text[max(0, anchor.start - 12):anchor.start])
            quoted = (_quote_before(role_before.group()) if role_before else "") + anchor.text + \
                (honor.group(1) if honor else "")
            plain = f"手紙の前のほうで『{quoted}』と書かれた方です"
            for part in self._name_parts(doc, anchor):
                if part in context_parts or part in claimed:
                    continue  # 岡田 of 岡田 由美 (a daughter) is also 岡田 of the resident: not one person
                claimed.add(part)
                for hit in re.finditer(re.escape(part), text[anchor.end:]):
                    s, e = anchor.end + hit.start(), anchor.end + hit.end()
                    if not self._coref_ok(doc, s, e, part):
                        continue
                    same = [m for m in out if m.start < e and s < m.end]
                    if any((m.start, m.end) != (s, e) and m.end - m.start > e - s for m in same):
                        continue  # a longer name written here (佐久間 フミヨ again): its own mention
                    if any(any(sig.startswith("入力欄の") for sig in m.signals) for m in same):
                        continue
                    for m in same:
                        out.remove(m)
                    out.append(PersonMention(s, e, part, anchor.role, plain, (COREF_SIGNAL,)))
        return sorted(out, key=lambda m: m.start)

    def _coref_ok(self, doc: CheckDoc, s: int, e: int, part: str) -> bool:
        """Whether this occurrence of a name part is the name (マイさん, 川端が) and not a piece of a word
        (マイク, 誠に, 勇気): an honorific after it, or whole tokens the tagger reads as a name."""
        text = doc.text
        before, after = text[s - 1:s] if s else "", text[e:e + 1]
        kana = re.fullmatch(f"[{KATAKANA}]+", part)
        if kana and (re.match(f"[{KATAKANA}]", before) or re.match(f"[{KATAKANA}ー]", after)):
            return False
        if re.match(f"[{KANJI}]", part[:1]) and re.match(f"[{KANJI}]", before):
            return False
        if doc.in_facility(s, e) or self._in_compound(doc, s, e):
            return False
        if HONORIFIC_RE.match(text[e:e + 4]) or ROLE_AFTER_RE.match(text[e:e + 8]):
            return True
        if re.match(f"[{KANJI}]", after) or ORG_SUFFIX_RE.match(text[e:e + 8]):
            return False
        toks = doc.analysis.tokens_in(s, e)
        if not toks or toks[0].start != s or toks[-1].end != e:
            return False
        if any(t.is_person_name or t.pos == "PROPN" for t in toks):
            return True
        return bool(kana) and "common" not in word_senses(part)

    def find(self, doc: CheckDoc) -> Iterable[Finding]:
        for m in doc.persons:
            sev = {"third_party": Severity.HIGH, "unknown": Severity.MEDIUM}.get(m.role, Severity.LOW)
            who = ROLE_WHO[m.role]
            if m.role == "third_party":
                msg = f"{who}のお名前と思われます。このご家族に伝えてよい名前ではありません。"
            else:
                msg = f"お名前が含まれています（{who}と思われます）。"
            explanation = f"{m.reason}。{who}と思われます。{ROLE_ADVICE[m.role]}"
            meta: dict = {"signals": list(m.signals)}
            suggestions = ROLE_SUGGESTIONS.get(m.role, ())
            if m.third_party:
                # a letter that is sent names another person by the role they play in the sentence,
                # never by 〇〇 (kept only for masked copies of Word letters: core/word/mask.py)
                fix_start, fix_end, suggestions = write_around(doc, m)
                meta.update(fix_start=fix_start, fix_end=fix_end)
                explanation += f"提案：「{doc.text[fix_start:fix_end]}」→「{suggestions[0]}」。"
            yield self.finding(doc, m.start, m.end, msg, explanation, suggestions=suggestions, severity=sev,
                               third_party=m.third_party, role=m.role, **meta)

    def _merge(self, doc: CheckDoc, raw: list[tuple[int, int, str, str | None]]) -> list[PersonMention]:
        """Group overlapping candidates (and 姓 / 名 split by one space); a known person's span wins."""
        groups: list[list[tuple[int, int, str, str | None]]] = []
        end = -1
        for item in sorted(raw, key=lambda r: (r[0], -r[1])):
            s, e = item[0], item[1]
            gap = doc.text[end:s] if groups and s >= end else ""
            if groups and (s < end or (s - end <= 1 and gap.strip() == "" and s - end == len(gap))):
                groups[-1].append(item)
                end = max(end, e)
            else:
                groups.append([item])
                end = e
        out: list[PersonMention] = []
        for group in groups:
            known = [g for g in group if g[3]]
            s, e = min(g[0] for g in group), max(g[1] for g in group)
            if known:
                ks, ke, why, role = max(known, key=lambda g: g[1] - g[0])
                # 小俣 晃一 where only 小俣 is known: another person of the same family name
                if (ks, ke) != (s, e) and ke - ks < e - s and role in ("recipient", "subject") and \
                        doc.text[s:e].replace(" ", "").replace("\u3000", "") not in self._known_flat(doc):
                    role2, reason = self._classify(doc, s, e, out)
                    if role2 in ("third_party", "staff", "unknown"):
                        role2, reason = "family", f"『{doc.text[ks:ke]}』と同じ名字の別の方で、ご家族と思われます"
                    out.append(PersonMention(s, e, doc.text[s:e], role2, reason,
                                             tuple(dict.fromkeys(g[2] for g in group))))
                    continue
                full = re.search(r"「(.+)」", why)
                plain = f"{_ROLE_JA.get(role, role)}として入力された『{full.group(1) if full else doc.text[ks:ke]}』様と同じお名前です"
                out.append(PersonMention(ks, ke, doc.text[ks:ke], role, plain, (why,)))
                continue
            signals = tuple(dict.fromkeys(g[2] for g in group))
            role, reason = self._classify(doc, s, e, out)
            if any(g[2] == TRUSTED_STAFF for g in group) and role not in ("family", "third_party"):
                role = "staff"
            out.append(PersonMention(s, e, doc.text[s:e], role, reason, signals))
        return out

    @staticmethod
    def _known_flat(doc: CheckDoc) -> set[str]:
        return {full.replace(" ", "").replace("\u3000", "") for _, full in doc.context.people()}

    @staticmethod
    def _propagate(mentions: list[PersonMention]) -> None:
        """Once a name is a third party, a shorter mention of it (上村ミチ → 上村) is one too, and a
        mention that is a known person's name part is that person. Set lookups: linear in mentions."""
        def flat(m: PersonMention) -> str:
            return m.text.replace(" ", "").replace("\u3000", "")

        third_prefixes: set[str] = set()
        for m in mentions:
            if m.role == "third_party":
                f = flat(m)
                third_prefixes.update(f[:k] for k in range(2, len(f)))
        known_parts: set[str] = set()
        staff_parts: set[str] = set()
        for m in mentions:
            if m.role in ("recipient", "subject", "sender", "staff", "professional"):
                f = flat(m)[:24]
                parts = {f[i:j] for i in range(len(f)) for j in range(i + 2, len(f) + 1)}
                parts.update(p for p in re.split(r"[・=＝]", f) if len(p) >= 2)
                (known_parts if m.role in ("recipient", "subject", "sender") else staff_parts).update(parts)
        for m in mentions:
            f = flat(m)
            if m.role in ("staff", "professional") and f in third_prefixes:
                m.role, m.reason = "third_party", "同じ手紙で他の方として書かれたお名前の一部です"
                m.signals += ("同じ手紙で他の方と判断されたお名前の一部",)
            if m.role == "third_party" and f in known_parts:
                m.role, m.reason = "unknown", "宛先・ご本人のお名前の一部と同じです"
                m.signals += ("宛先・ご本人のお名前の一部と一致",)
            elif m.role == "third_party" and f in staff_parts and "・" in "".join(staff_parts):
                m.role, m.reason = "staff", "同じ手紙に職員として書かれたお名前の一部です"
                m.signals += ("同じ手紙に職員として書かれたお名前の一部",)


def _foreign_full_name(doc: CheckDoc, s: int, e: int) -> bool:
    """ポール・ロブスン, ブラッド・ピット: katakana words joined by ・ (or ＝), at least one of them a name in the
    dictionary: one foreign person's full name, whatever entity type GiNZA gives it."""
    toks = doc.analysis.tokens_in(s, e)
    seps = [t for t in toks if t.text in "・＝="]
    return bool(seps) and any(t.is_person_name for t in toks) and all(
        t.text in "・＝=" or re.fullmatch(f"[{KATAKANA}]+", t.text) for t in toks)


_KANA_PART = "\u30a1-\u30fa\u30fc"
# Katakana words (or a Latin initial: ジョン・F・ケネディ) joined by ・ or ＝: one foreign full name, or a list
NAME_CHAIN = re.compile(rf"(?:[{_KANA_PART}]+|[A-ZＡ-Ｚ])(?:[・＝=](?:[{_KANA_PART}]+|[A-ZＡ-Ｚ]))+")
PERSON_TITLES = tuple(_D["person_titles"])
TITLE_AFTER_RE = re.compile(rf"^(?:{_alt(PERSON_TITLES)})")
TITLE_ENDING_RE = re.compile(rf"^[{KANJI}]{{0,4}}(?:{_alt(_D['person_title_endings'])})(?![{KANJI}])")


def _part_kind(doc: CheckDoc, s: int, e: int) -> str:
    """name | initial | common | place: what one ・-separated part of a katakana chain is. Sudachi's 人名 tag
    here, or a person sense anywhere in its dictionary, makes a name; a word the dictionary does not know at all
    (most foreign surnames: ドルンベルガー) can be one too; a word it knows only as an ordinary noun is a role
    or a thing (シンガーソングライター, パフォーマンス), and one it knows only as a place is a place."""
    part = doc.text[s:e]
    if re.fullmatch("[A-ZＡ-Ｚ]", part):
        return "initial"
    toks = doc.analysis.tokens_in(s, e)
    if any(t.is_person_name for t in toks):
        return "name"
    senses = word_senses(part)
    if "person" in senses or not senses:
        if not senses and toks and all(word_senses(t.text) == {"common"} for t in toks):
            return "common"  # ゴルフ+クラブ: unknown as a whole, but made of ordinary words
        return "name"
    if senses == {"place"} or senses == {"place", "common"} and any("地名" in t.tag for t in toks):
        return "place"
    return "common" if "common" in senses or "org" in senses else "name"


def katakana_name_span(doc: CheckDoc, s: int, e: int) -> tuple[int, int] | None:
    """Span completion for foreign names written as katakana parts joined by ・ or ＝ (ヴァルター・ドルンベルガー
    tagged as ヴァルター alone): the candidate grows over the neighbouring parts that can be a name, and a role, a
    thing or a place written in front is cut off (シンガーソングライター・〇〇 → 〇〇); its own last part stays
    (ファム・ヴァン・ナム: a given name may also be an ordinary word). A chain that starts
    with a place and has no part the dictionary calls a person (ロサンゼルス・〇〇ズ) is a team or a company:
    None. Candidates outside such a chain come back unchanged."""
    text = doc.text
    for m in NAME_CHAIN.finditer(text, max(0, s - 60), min(len(text), e + 60)):
        if not (m.start() <= s and e <= m.end()):
            continue
        parts = [(p.start(), p.end()) for p in re.finditer(rf"[{_KANA_PART}]+|[A-ZＡ-Ｚ]", m.group())]
        parts = [(m.start() + a, m.start() + b) for a, b in parts]
        if COMPOUND_SUFFIX_RE.fullmatch(text[parts[-1][0]:parts[-1][1]]):
            return None  # 〇〇・ホール, 〇〇・ホテル: a building or an organisation named after someone
        kinds = [_part_kind(doc, a, b) for a, b in parts]
        if kinds[0] == "place" and not any(
                t.is_person_name for a, b in parts for t in doc.analysis.tokens_in(a, b)):
            return None
        inside = [k for k, (a, b) in enumerate(parts) if a < e and s < b]
        if not inside:
            return s, e
        lo, hi = inside[0], inside[-1]
        while lo > 0 and kinds[lo - 1] in ("name", "initial"):
            lo -= 1
        while hi + 1 < len(parts) and kinds[hi + 1] in ("name", "initial") and not (
                kinds[hi + 1] == "initial" and hi + 2 >= len(parts)):
            hi += 1
        while lo < hi and kinds[lo] != "name":
            lo += 1
        while hi > inside[-1] and kinds[hi] != "name":
            hi -= 1
        if kinds[lo] != "name":
            return s, e
        return parts[lo][0], parts[hi][1]
    return s, e


# A katakana word of at least four characters with katakana, ・ or a Latin letter on neither side: one whole word
KATAKANA_WORD = re.compile(rf"(?<![{_KANA_PART}・＝=A-Za-zＡ-Ｚａ-ｚ])[{_KANA_PART}]{{4,}}(?![{_KANA_PART}・＝=A-Za-zＡ-Ｚａ-ｚ])")
# Case particles that make the word before them the subject or the topic of its clause
SUBJECT_PARTICLE = re.compile(r"^(?:は|が|も)(?![ぁ-ゖ])")
# Words in front that say the next word is an organisation (企業〇〇, 旅行会社の〇〇, 財団法人〇〇)
ORG_BEFORE = re.compile(r"(?:会社|企業|法人|団体|メーカー|ブランド|バンド|チーム|ユニット|レーベル|グループ|球団)の?$")


def foreign_word_persons(doc: CheckDoc) -> list[tuple[int, int]]:
    """A foreign surname written alone (〇〇フスキーは…, 〇〇が務めた): a whole katakana word that Sudachi's dictionary
    does not know at all (a foreign name is rarely in it; a loanword almost always is), standing as the subject
    of its clause (GiNZA nsubj, with は/が/も) or written straight before a person's title (〇〇知事, 〇〇兄弟).
    Not inside 「」 (a title of a work), not with a place or an organisation word straight after it (〇〇ホール,
    〇〇社: _acceptable), and not the subject of a passive predicate (〇〇が搭載される: a thing)."""
    a = doc.analysis
    if not a.has_parse:
        return []
    text = doc.text
    out: list[tuple[int, int]] = []
    for m in KATAKANA_WORD.finditer(text):
        s, e = m.span()
        word = m.group()
        if word_senses(word) or word in NOT_NAMES:
            continue
        before, after = text[s - 1:s], text[e:e + 8]
        if (before and before in "「『\"“") or (after[:1] and after[0] in "」』\"”"):
            continue
        if TITLE_AFTER_RE.match(after) or TITLE_ENDING_RE.match(after):
            out.append((s, e))
            continue
        toks = a.tokens_in(s, e)
        if not toks or toks[0].start != s or toks[-1].end != e or not SUBJECT_PARTICLE.match(after):
            continue
        if len(toks) > 1 and not toks[0].is_person_name:
            continue  # サンドロット+スタッフ: a compound of words the tagger knows, not one unknown name
        if word.endswith("ズ") or ORG_BEFORE.search(text[max(0, s - 6):s]):
            continue  # 〇〇ズ: a plural, the name of a band, a team or a company
        last = toks[-1]
        if last.dep != "nsubj" or not 0 <= last.head < len(a.tokens):
            continue
        if any(t.lemma in ("れる", "られる") and t.head == last.head for t in a.tokens):
            continue
        out.append((s, e))
    return out


def _whole_katakana_word(doc: CheckDoc, s: int, e: int) -> tuple[int, int]:
    """A name never ends inside a katakana word: a candidate the tagger cut out of a longer katakana word
    (〇〇 of 〇〇シェフスキー) grows to the whole word where the dictionary does not know that word (a foreign
    name); inside a word the dictionary knows (ニュースキャスター) it becomes empty and is dropped."""
    text = doc.text
    if not re.fullmatch(f"[{_KANA_PART}]+", text[s:e]):
        return s, e
    ws, we = s, e
    while ws > 0 and re.match(f"[{_KANA_PART}]", text[ws - 1]):
        ws -= 1
    while we < len(text) and re.match(f"[{_KANA_PART}]", text[we]):
        we += 1
    if (ws, we) == (s, e):
        return s, e
    return (ws, we) if not word_senses(text[ws:we]) else (s, s)


def _unknown_or_name_katakana(t: Token) -> bool:
    """A katakana word Sudachi's dictionary does not know at all (most foreign names: 〇〇ヴィッチ), or knows as a
    person's name among its senses (the tagger chose 普通名詞 here)."""
    if not re.fullmatch(f"[{_KANA_PART}]{{2,}}", t.text) or t.text in NOT_NAMES:
        return False
    senses = word_senses(t.text)
    return not senses or "person" in senses


def foreign_name_tokens(doc: CheckDoc, s: int, e: int, toks: list[Token]) -> bool:
    """A foreign name the tagger writes as ordinary nouns: GiNZA reads the span as a person (a Person entity
    over it), and every katakana part is a word the dictionary does not know or knows as a name, with at least
    one part that is no ordinary word at all or a name (ジョン・〇〇 where 〇〇 is unknown)."""
    if not any(ent.label == "Person" and ent.start <= s and e <= ent.end for ent in doc.analysis.entities):
        return False
    text = doc.text
    if re.match(f"[{_KANA_PART}A-Za-zＡ-Ｚａ-ｚ]", text[e:e + 1]) or (s and re.match(f"[{_KANA_PART}A-Za-zＡ-Ｚａ-ｚ]", text[s - 1])):
        return False  # a piece of a longer katakana word (〇〇ディレクター): the tagger's split, not a name
    parts = [t for t in toks if t.text not in "・＝="]
    if len(parts) == 1 and "common" in word_senses(parts[0].text):
        return False  # バイオリン: a single word the dictionary knows as an ordinary noun is that noun
    if len(parts) >= 2 and "common" in word_senses(parts[-1].text):
        return False  # 〇〇・ホテル, 〇〇・パーク: a place or a building named with an ordinary noun at the end
    return bool(parts) and all(_unknown_or_name_katakana(t) for t in parts)


def thing_named_entity(doc: CheckDoc, s: int, e: int) -> bool:
    """A GiNZA entity over the candidate that ends in an ordinary noun is a thing named after a person or a place,
    not a person: 〇〇ゴルフクラブ, 〇〇鉄鋼, 〇〇歌劇団, 〇〇球団 (GiNZA often types these Person). The last token must be
    a word Sudachi's dictionary knows only as an ordinary noun, and not a title (〇〇首相 is a person)."""
    text = doc.text
    for ent in doc.analysis.entities:
        if not (ent.start <= s < ent.end and ent.end >= e) or ent.label not in ("Person", *NON_PERSON_ENTITIES):
            continue
        toks = doc.analysis.tokens_in(ent.start, ent.end)
        if len(toks) < 2 or toks[-1].end != ent.end or toks[-1].start < s:
            continue
        last = toks[-1]
        if "普通名詞" in last.tag and word_senses(last.text) == {"common"} and \
                not TITLE_AFTER_RE.fullmatch(last.text) and not TITLE_ENDING_RE.fullmatch(last.text) and \
                not HONORIFIC_RE.match(text[ent.end:ent.end + 3]):
            return True
    return False


NAME_TAIL_STOP = frozenset(PERSON_TITLES) | frozenset(ROLE_WORDS) | frozenset(HONORIFICS) | NOT_NAMES | \
    frozenset(_D["name_tail_stop"])


def _given_name_tail(doc: CheckDoc, i: int, j: int) -> int:
    """A kanji given name the dictionary splits (義次/名 郎, 芳/名 五郎, 弥/名 三): a surname and given-name run
    goes on over up to two more kanji characters, as separate non-suffix tokens, when no kanji follows them (the
    name ends at a particle or a comma, not inside a longer word); a two-kanji token must be a name in the
    dictionary (五郎), not a word (主演, 内閣). Returns the index of the run's last token."""
    toks = doc.analysis.tokens
    if j == i or "人名-姓" not in toks[i].tag or "人名-名" not in toks[j].tag:
        return j
    k, extra = j, 0
    while k + 1 < len(toks) and toks[k + 1].start == toks[k].end and re.fullmatch(f"[{KANJI}]+", toks[k + 1].text) \
            and "接尾辞" not in toks[k + 1].tag and extra + len(toks[k + 1].text) <= 2 \
            and (len(toks[k + 1].text) == 1 or "person" in word_senses(toks[k + 1].text)):
        k += 1
        extra += len(toks[k].text)
    if k == j:
        return j
    tail = "".join(t.text for t in toks[j + 1:k + 1])
    nxt = doc.text[toks[k].end:toks[k].end + 1]
    if re.match(f"[{KANJI}]", nxt) or tail in NAME_TAIL_STOP or tail[:1] in NAME_TAIL_STOP or \
            TITLE_ENDING_RE.match(tail):
        return j
    return k


def tagged_full_name(doc: CheckDoc, s: int, e: int, toks: list[Token]) -> bool:
    """The dictionary tags a surname token and then given-name tokens (村山/姓 富市/名), ending on a token boundary:
    a full name, even when a kanji word follows straight on (〇〇主演, 〇〇内閣, 〇〇率いる). A single token or a
    surname alone is not enough for that (城長 in 城長支第…)."""
    return len(toks) >= 2 and toks[0].start == s and toks[-1].end == e and "人名-姓" in toks[0].tag and \
        all("人名-名" in t.tag for t in toks[1:]) and e in doc.token_starts


def title_after(doc: CheckDoc, s: int, e: int, toks: list[Token]) -> bool:
    """A person's name followed straight by a title or an occupation (〇〇大統領, 〇〇財務長官, 〇〇牧師, 〇〇監督):
    the name does not run into another word, the title says it is a person. It counts for a name the tagger
    reads as one (every token Sudachi 人名, or a GiNZA Person entity over it) and not as a place or an
    organisation; the title is a general word (person.toml person_titles), a kanji compound ending in a title
    morpheme (…長官, …書記), or a span GiNZA labels Position_Vocation."""
    text = doc.text
    after = text[e:e + 8]
    person = all(t.is_person_name for t in toks) or any(
        ent.label == "Person" and ent.start <= s and e <= ent.end for ent in doc.analysis.entities)
    if not person or all("地名" in t.tag or "組織" in t.tag for t in toks):
        return False
    if TITLE_AFTER_RE.match(after) or TITLE_ENDING_RE.match(after):
        return True
    return any(ent.label == "Position_Vocation" and ent.start == e for ent in doc.analysis.entities)


def _quote_before(words: str) -> str:
    """The words right before a name, as staff would read them in the letter (同室の, 介護職員の)."""
    return words.strip(" \u3000")[-14:]


def _quote_after(after: str, pattern: re.Pattern) -> str:
    m = pattern.match(after)
    return (m.group() if m else after).strip(" \u3000")


_PERSON_RULE: PersonRule | None = None


def detect_persons(doc: CheckDoc) -> list[PersonMention]:
    """The person stage, run by CheckRunner once per check before the rules."""
    global _PERSON_RULE
    if _PERSON_RULE is None:
        _PERSON_RULE = PersonRule()
    return _PERSON_RULE.detect(doc)


_ROLE_JA = {"recipient": "宛先", "subject": "ご本人", "sender": "差出人", "staff": "職員", "family": "ご家族",
            "professional": "職員・専門職", "third_party": "第三者", "unknown": "役割不明"}
ROLE_ADVICE = {
    "recipient": "宛名やお呼びかけとして書く分には問題ありません。",
    "subject": "ご本人のお名前です。宛先のご家族以外に渡らないことを確認してください。",
    "sender": "差出人として書く分には問題ありません。",
    "staff": "職員の名前であれば問題ありません。職員でない場合は、書いてよいお名前か確認してください。",
    "family": "ご家族のお名前です。書く必要があるか確認してください。",
    "professional": "役割のある方のお名前です。書く必要があるか確認してください。",
    "third_party": "他の方のお名前や様子を知らせると個人情報の漏えいになります。お名前を消すか、"
                   "「他のご利用者様」のように書き換えてください。",
    "unknown": "どなたのお名前か確認し、このご家族に伝えてよいか判断してください。",
}
ROLE_SUGGESTIONS = {"third_party": ("〇〇",), "unknown": ("〇〇",), "family": ("〇〇",),
                    "professional": ("〇〇",), "staff": ("〇〇",)}


# ---- writing around a third party (who they are in the sentence, not who they are by name) ----------------
ROOM_WORDS = ("同室", "隣室", "相部屋", "部屋", "居室", "ベッド")
NEXT_DOOR_WORDS = ("隣室", "隣の部屋", "隣のお部屋", "隣の居室", "お隣の")
FAMILY_WORDS = ("家族", "ご長男", "ご長女", "息子", "娘", "奥様", "ご主人", "お孫", "ご親族", "ご兄弟", "ご姉妹")
# What may stand right before the name and say already who the person is: it goes into the replaced span so
# that 「同室の宮下様」 becomes 「同室の方」, not 「同室の同室の方」.
ROLE_PREFIX = re.compile(
    r"(?:同室|隣室|相部屋|同じ(?:お)?部屋|(?:お)?隣の(?:お)?(?:部屋|居室|ベッド)|(?:他|ほか|別)の(?:ご)?"
    r"(?:利用者|入居者|入所者|ご家族|家族|方)(?:様|さん)?|ご入居者|入居者|ご利用者|利用者)の[ \u3000]?$")
WRITE_AROUND = {"room": ("同室の方", "ご一緒の方"), "next_door": ("隣室の方", "お隣の方"),
                "family": ("ほかのご家族", "ご面会の方"), "resident": ("ほかのご利用者様", "ご一緒の方")}
_CLAUSE_END = "、。！？\n"


def _clause(doc: CheckDoc, m: PersonMention) -> str:
    """The words that say who the person is: with GiNZA's parse, the name's own modifiers (同室の), the word
    it depends on and that word's other dependants (同じ部屋で … 過ごす); without it, the clause around the
    name (between 、 and 。)."""
    a = doc.analysis
    idx = [i for i, t in enumerate(a.tokens) if t.start >= m.start and t.end <= m.end] if a.has_parse else []
    sent_s, sent_e = doc.sentence(m.start)
    if idx:
        words: set[int] = set()
        for i in idx:
            lo, hi = a.subtree(i)
            words.update(range(lo, hi + 1))
        # up through the honorific and the particle (宮下-様-も) to the word the name belongs to; what hangs on
        # the honorific (同じ部屋で過ごされている→様) describes the person too
        j, hops = idx[-1], 0
        while 0 <= a.tokens[j].head < len(a.tokens) and a.tokens[j].head != j and hops < 4:
            j, hops = a.tokens[j].head, hops + 1
            if a.tokens[j].start >= m.end + 3:
                words.add(j)
                break
            lo, hi = a.subtree(j) if a.tokens[j].start < m.end + 3 else (j, j)
            words.update(k for k in range(lo, hi + 1) if a.tokens[k].end <= m.end + 3 or k < idx[0])
        words.update(a.children(j))
        toks = [a.tokens[k] for k in sorted(words)
                if sent_s <= a.tokens[k].start < sent_e and not (m.start <= a.tokens[k].start < m.end)]
        return "".join(t.text for t in toks) + doc.text[max(sent_s, m.start - 8):m.start]
    text = doc.text
    s = max(sent_s, max(text.rfind(c, 0, m.start) for c in _CLAUSE_END) + 1)
    ends = [i for i in (text.find(c, m.end) for c in _CLAUSE_END) if i != -1]
    e = min([sent_e, *ends]) if ends else sent_e
    return text[s:m.start] + text[m.end:e]


def third_party_kind(doc: CheckDoc, m: PersonMention) -> str:
    """room | next_door | family | resident: who this third party is to the sentence."""
    words = _clause(doc, m)
    if "のご家族として" in m.reason or re.search(r"(?:他|ほか|別)の(?:ご)?家族", words) or \
            FAMILY_AFTER.match(doc.text[m.end:m.end + 12]) or (FAMILY_BEFORE.search(
                doc.text[max(doc.sentence(m.start)[0], m.start - 12):m.start]) is not None):
        return "family"
    if any(w in words for w in NEXT_DOOR_WORDS):
        return "next_door"
    if any(w in words for w in ROOM_WORDS):
        return "room"
    return "resident"


def write_around(doc: CheckDoc, m: PersonMention) -> tuple[int, int, tuple[str, ...]]:
    """(start, end, suggestions): the span to replace (the name, its honorific, and a role word written right
    before it) and the words that name the person by role instead (同室の方, ほかのご利用者様, ほかのご家族)."""
    text = doc.text
    start, end = m.start, m.end
    honor = HONORIFIC_RE.match(text[end:end + 4])
    if honor:
        end += honor.end()
    sent_s, _ = doc.sentence(m.start)
    before = text[max(sent_s, start - 14):start]
    relation = FAMILY_BEFORE.search(before)
    if relation and relation.group().rstrip(" \u3000").endswith("の"):
        # ご長男の宮下浩二様 → ご長男の方: the relation already says who it is
        start -= len(relation.group())
        return start, end, (f"{relation.group(1)}の方", *WRITE_AROUND["family"])
    prefix = ROLE_PREFIX.search(before)
    if prefix:
        start -= len(prefix.group())
    return start, end, WRITE_AROUND[third_party_kind(doc, m)]
