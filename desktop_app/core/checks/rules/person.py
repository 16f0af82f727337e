"""People's names, and who they are to this letter (recipient, subject, staff … or a third party)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from desktop_app.core.checks.analysis import Token
from desktop_app.core.checks.rules.base import CheckDoc, PersonMention, Rule
from desktop_app.core.letters import Finding, Severity
from desktop_app.core.textutil import KANJI, KATAKANA

HONORIFICS = ("様", "さま", "さん", "氏", "殿", "くん", "君", "ちゃん", "先生")
HONORIFIC_RE = re.compile(r"^[ \u3000]?(様|さま|さん|氏|殿|くん|君|ちゃん|先生)")
# Words that, written right after a name, make it a role (佐藤看護師) - not part of the name.
ROLE_WORDS = ("看護師", "医師", "施設長", "ホーム長", "相談員", "生活相談員", "院長", "主任", "課長", "係長", "部長",
              "事務長", "理事長", "管理者", "ケアマネジャー", "ケアマネージャー", "ケアマネ", "介護士", "介護福祉士",
              "理学療法士", "作業療法士", "言語聴覚士", "栄養士", "管理栄養士", "歯科医師", "薬剤師", "所長",
              "センター長", "園長", "リーダー", "民生委員", "講師", "ボランティア", "副施設長", "支援員", "職員",
              "担当", "代表", "事務員", "ドクター", "Dr")


def _alt(words: Iterable[str]) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


ROLE_AFTER_RE = re.compile(rf"^[ \u3000]?(?:{_alt(ROLE_WORDS)})")
ORG_SUFFIX_RE = re.compile(
    r"^[ \u3000]?(?:病院|クリニック|医院|診療所|歯科|薬局|銀行|信用金庫|支店|市|区|町|村|県|府|都|郡|駅|大学|"
    r"高校|中学|小学校|会社|株式会社|ホーム|苑|園|荘|会|センター|事業所|寺|神社|公園|線|通り|川|山|商店|屋|店|"
    r"社|局|署|役所|役場|協会|法人|グループ|ハウス|ヴィラ|レジデンス|丁目|番地)"
)
# Signals in front of a name. Checked in this order; the first that matches in the same sentence wins.
THIRD_PARTY_BEFORE = re.compile(
    r"(同室|隣室|相部屋|同じ(?:ユニット|フロア|階|部屋|お部屋|テーブル|グループ|町内|地区|施設|ホーム|外出|デイ|利用日|班)|"
    r"他の(?:ご)?(?:利用者|入居者|入所者|ご家族|方)|ほかの(?:ご)?(?:利用者|入居者|入所者|方)|別の(?:ご)?(?:利用者|入居者|入所者)|"
    r"(?:ご)?近所の|隣人|お隣の|向かいの(?:お部屋|部屋)|ご入居者の|入居者の|利用者の|参加されていた|一緒に参加|"
    r"他のご入居者|別のご利用者|他のお客様)[^。\n]{0,14}$"
)
FAMILY_BEFORE = re.compile(
    r"(お孫(?:様|さん)|ご?長男|ご?長女|ご?次男|ご?次女|ご?三男|ご?三女|奥(?:様|さま|さん)|ご主人|旦那(?:様|さん)|"
    r"娘(?:様|さん)|息子(?:様|さん)|お嫁(?:様|さん)|ご?兄弟|ご?姉妹|妹(?:様|さん)|弟(?:様|さん)|お姉(?:様|さん)|"
    r"お兄(?:様|さん)|甥(?:御様|御さん)?|姪(?:御様|御さん)?|ご親族|ご親戚|ひ孫|曾孫|お母(?:様|さん)|お父(?:様|さん)|"
    r"ご家族)(?:の|である|にあたる|で)?[ \u3000]?$"
)
FAMILY_AFTER = re.compile(r"^[ \u3000]?(?:様|さん)?[ \u3000]?[（(](?:ご)?(?:長男|長女|次男|次女|三男|三女|ご?家族|奥様|ご主人|お孫様|娘|息子|妻|夫|兄|姉|弟|妹|甥|姪|義?母|義?父)")
STAFF_BEFORE = re.compile(
    rf"(?:{_alt(ROLE_WORDS)}|主治医|担当医|医師|看護師|職員|スタッフ|ヘルパー|担当の?|記入者|作成者|発信者|文責|"
    rf"担当者|責任者|連絡先|問い合わせ先|お問い合わせ|調査員|認定調査員|保健師|社会福祉士|市長|所長|係|"
    rf"講師|先生|指導員|機能訓練指導員|介護職員|夜勤|日勤|早番|遅番|の方)(?:の|である|:|：)?[ \u3000]*$"
)
PROF_AFTER = re.compile(r"^[ \u3000]?(?:先生|医師|看護師|氏|院長|施設長|ホーム長|相談員|ケアマネ|理学療法士|講師|課長|係長|主任)")

# Common nouns that precede 様/さん but are not names (in the model-free fallback).
NOT_NAMES = {
    "皆", "皆々", "家族", "ご家族", "利用者", "ご利用者", "入居者", "ご入居者", "入所者", "お客", "奥", "娘", "息子",
    "孫", "お孫", "ご主人", "旦那", "お母", "お父", "お姉", "お兄", "妹", "弟", "姉", "兄", "患者", "相手", "皆さ",
    "お子", "親御", "ご本人", "本人", "各位", "ご遺族", "遺族", "ご親族", "神", "仏", "お日", "お月", "お互い",
    "おばあ", "おじい", "ボランティア", "スタッフ", "ヘルパー", "ドライバー", "ナース", "ケアマネ", "みな", "皆様方",
    "ご来賓", "来賓", "お得意", "ご近所", "隣", "ご長男", "ご長女", "ご次男", "ご次女", "長男", "長女", "次男", "次女",
    "お嫁", "ご兄弟", "お世話", "ご苦労", "ご馳走", "ご愁傷", "お疲れ", "お陰", "おかげ", "先", "ご担当", "担当",
    "職員", "看護師", "学生", "生徒", "子ども", "子供", "方々", "皆さま", "お客様",
}
FALLBACK_NAME = re.compile(
    rf"([{KANJI}]{{1,4}}[ \u3000]?[{KANJI}]{{1,3}}|[{KANJI}]{{1,4}}[ \u3000]?[{KATAKANA}]{{2,6}}|"
    rf"[{KATAKANA}]{{2,10}}(?:[・＝=][{KATAKANA}]{{2,10}})?)(?=[ \u3000]?(?:様|さん|氏|くん|ちゃん|殿))"
)

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
            variants = name_variants(full)
            for reading in doc.readings.get(full, []):
                variants.append(reading)
            for v in sorted(set(variants), key=len, reverse=True):
                pattern = re.escape(v).replace(r"\ ", "[ \u3000]?").replace("\u3000", "[ \u3000]?")
                for m in re.finditer(pattern, text):
                    s, e = m.start(), m.end()
                    if not self._context_boundary_ok(doc, s, e, v):
                        continue
                    out.append((s, e, role, f"フォームの{_ROLE_JA.get(role, role)}「{full}」と一致"))
        return out

    def _context_boundary_ok(self, doc: CheckDoc, s: int, e: int, variant: str) -> bool:
        text = doc.text
        before = text[s - 1] if s > 0 else ""
        after = text[e] if e < len(text) else ""
        honor = bool(HONORIFIC_RE.match(text[e:e + 3])) or bool(ROLE_AFTER_RE.match(text[e:e + 8]))
        if len(variant) <= 1 and not honor:
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
                while j + 1 < len(toks) and toks[j + 1].is_person_name and toks[j + 1].start - toks[j].end <= 1:
                    j += 1
                out.append((toks[i].start, toks[j].end, "品詞（人名）"))
                i = j + 1
            else:
                i += 1
        # 2) GiNZA Person entities
        for ent in a.entities:
            if ent.label == "Person":
                out.append((ent.start, ent.end, "固有表現（Person）"))
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
                out.append((toks[start_j].start, toks[j].end, f"敬称「{t.text}」の前の固有名詞"))
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
            out.append((m.start(1), m.end(1), "敬称の前の語（簡易判定）"))
        return out

    # ---- cleaning ---------------------------------------------------------------------------
    def _trim(self, doc: CheckDoc, s: int, e: int) -> tuple[int, int]:
        text = doc.text
        changed = True
        while changed and s < e:
            changed = False
            seg = text[s:e]
            for w in sorted(HONORIFICS + ROLE_WORDS, key=len, reverse=True):
                if seg.endswith(w) and len(seg) > len(w):
                    e -= len(w)
                    changed = True
                    break
                if seg.startswith(w) and len(seg) > len(w) and w not in ("君",):
                    s += len(w)
                    changed = True
                    break
            seg = text[s:e]
            if seg and seg[0] in " \u3000・、「（(":
                s += 1
                changed = True
            elif seg and seg[-1] in " \u3000・、」）)":
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
        # 八百屋さん, 〇〇商店さん, 〇〇病院さん: businesses addressed with さん/様 are not people
        if re.search(r"(屋|店|堂|商店|病院|医院|薬局|工務店|会社|銀行|園|庵|亭)$", name):
            return False
        if len(name) == 1 and not honor and not ROLE_AFTER_RE.match(after):
            return False
        toks = doc.analysis.tokens_in(s, e)
        if toks and not honor:
            # 福島県 / 京都 - a place name is only a name with an honorific
            if all("地名" in t.tag or "組織" in t.tag for t in toks):
                return False
            # バイオリン (NER Person on a common noun): without an honorific, a name must be a proper noun
            if not any(t.is_proper for t in toks):
                return False
            # 城長 in 城長支第1284号: a bare name runs straight into another kanji word
            if re.match(f"[{KANJI}]", after[:1]) and not ROLE_AFTER_RE.match(after):
                return False
        if re.search(r"[\d。、\n]", name):
            return False
        return True

    # ---- roles ------------------------------------------------------------------------------
    def _classify(self, doc: CheckDoc, s: int, e: int) -> tuple[str, str]:
        text = doc.text
        sent_start = max(text.rfind("。", 0, s), text.rfind("\n", 0, s)) + 1
        before = text[max(sent_start, s - 24):s]
        after = text[e:e + 12]
        honor = HONORIFIC_RE.match(after)
        if FAMILY_AFTER.match(after):
            return "family", "後ろの続柄（ご長女など）"
        if THIRD_PARTY_BEFORE.search(before):
            m = THIRD_PARTY_BEFORE.search(before)
            return "third_party", f"前の語「{m.group(1)}」（他の利用者・第三者を示す）"
        if FAMILY_BEFORE.search(before):
            return "family", f"前の続柄「{FAMILY_BEFORE.search(before).group(1)}」"
        if PROF_AFTER.match(after):
            return "professional", f"後ろの敬称・職名「{PROF_AFTER.match(after).group().strip()}」"
        if STAFF_BEFORE.search(before):
            return "professional", "前の職名・役割語"
        if not honor:
            # Facilities write their own staff without an honorific (担当の深田、介護職員の前川).
            return "staff", "敬称なし（施設職員の書き方）"
        return "third_party", f"フォームの宛先・ご本人・差出人と一致しない「{honor.group(1)}」付きの人名"

    def find(self, doc: CheckDoc) -> Iterable[Finding]:
        raw: list[tuple[int, int, str, str | None]] = []
        for s, e, role, why in self._context_mentions(doc):
            raw.append((s, e, why, role))
        cands = self._nlp_candidates(doc) if doc.analysis.tokens else self._fallback_candidates(doc)
        for s, e, why in cands:
            s, e = self._trim(doc, s, e)
            if s < e and self._acceptable(doc, s, e, why):
                raw.append((s, e, why, None))
        mentions = self._merge(doc, raw)
        self._propagate(mentions)
        doc.persons = mentions
        for m in mentions:
            sev = {"third_party": Severity.HIGH, "unknown": Severity.MEDIUM}.get(m.role, Severity.LOW)
            if m.role == "third_party":
                msg = "他の利用者・第三者のお名前の可能性があります（個人情報の漏えい）。"
            else:
                msg = f"人名が含まれています（{_ROLE_JA.get(m.role, m.role)}）。"
            yield self.finding(doc, m.start, m.end, msg, f"{m.reason}。", suggestions=["〇〇"], severity=sev,
                               third_party=m.third_party, role=m.role)

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
        out = []
        for group in groups:
            known = [g for g in group if g[3]]
            if known:
                s, e, why, role = max(known, key=lambda g: g[1] - g[0])
                out.append(PersonMention(s, e, doc.text[s:e], role, why))
                continue
            s, e = min(g[0] for g in group), max(g[1] for g in group)
            why = "、".join(dict.fromkeys(g[2] for g in group))
            role, reason = self._classify(doc, s, e)
            out.append(PersonMention(s, e, doc.text[s:e], role, f"{why}; {reason}"))
        return out

    @staticmethod
    def _propagate(mentions: list[PersonMention]) -> None:
        """Once a name is a third party, a shorter mention of it (上村ミチ → 上村) is one too, and a
        mention that is a known person's name part is that person."""
        third = [m.text.replace(" ", "").replace("\u3000", "") for m in mentions if m.role == "third_party"]
        known = [m.text.replace(" ", "").replace("\u3000", "") for m in mentions
                 if m.role in ("recipient", "subject", "sender")]
        for m in mentions:
            flat = m.text.replace(" ", "").replace("\u3000", "")
            if m.role in ("staff", "professional") and any(flat != t and len(flat) >= 2 and t.startswith(flat) for t in third):
                m.role, m.reason = "third_party", m.reason + "; 同じ手紙で第三者と判定された名前の一部"
            if m.role == "third_party" and any(len(flat) >= 2 and flat in k for k in known):
                m.role, m.reason = "unknown", m.reason + "; 宛先・ご本人の名前の一部と一致"


_ROLE_JA = {"recipient": "宛先", "subject": "ご本人", "sender": "差出人", "staff": "職員", "family": "ご家族",
            "professional": "職員・専門職", "third_party": "第三者", "unknown": "役割不明"}
