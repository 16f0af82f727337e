"""Identifier numbers (マイナンバー, 介護保険・医療保険の被保険者番号, 年金番号) and bank accounts."""

from __future__ import annotations

import re
from collections.abc import Iterable

from desktop_app.core.checks.rules.base import CheckDoc, Rule, digits_of
from desktop_app.core.findings import Finding, Severity
from desktop_app.core.textutil import KANJI, KATAKANA, fold_width


def my_number_valid(digits: str) -> bool:
    """Check digit of a 12-digit 個人番号 (weights 6,5,4,3,2,7,6,5,4,3,2 over the first 11 digits)."""
    if len(digits) != 12 or not digits.isdigit():
        return False
    weights = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
    total = sum(int(d) * w for d, w in zip(digits[:11], weights, strict=True))
    rem = total % 11
    check = 0 if rem <= 1 else 11 - rem
    return check == int(digits[11])


class IdNumberRule(Rule):
    """Numbers that identify a person to the state or an insurer. Only the number is reported.

    A keyword (被保険者番号, マイナンバー, 個人番号, 年金番号 …) must stand just before the number, so
    document numbers, amounts and room numbers are left alone. マイナンバー may only be collected for
    legal purposes (番号法), so one in a letter is always high.
    """

    rule_id = "pii.id_number"
    category = "pii.id_number"
    KEYWORDS = re.compile(
        r"(マイナンバー|個人番号|被保険者番号|被保険者証番号|保険者番号|基礎年金番号|年金番号|年金証書番号|"
        r"受給者番号|記号・?番号|保険証(?:の)?番号|介護保険番号|資格確認書番号|番号)"
    )
    NUMBER = re.compile(r"\d[\d\- ]{4,17}\d")

    def find(self, doc: CheckDoc) -> Iterable[Finding]:
        text = doc.folded
        done: set[int] = set()
        for k in self.KEYWORDS.finditer(text):
            keyword = k.group()
            if keyword == "番号" and not re.search(r"(保険|年金|記号)[^\n]{0,6}$", text[max(0, k.start() - 8):k.start()]):
                continue
            if keyword == "番号" and text[max(0, k.start() - 2):k.start()] in ("電話", "口座", "FAX"):
                continue
            if re.search(r"(?:ゆうちょ|貯金)[^\n。]{0,20}記号", text[max(0, k.start() - 30):k.end()]):
                continue  # ゆうちょ's 記号・番号 is an account (BankAccountRule)
            window = text[k.end():k.end() + 40]
            m = self.NUMBER.search(window)
            # only labels between keyword and number (：, （個人番号）, 番号 ), not another phrase
            if not m or re.search(r"[。\n]", window[:m.start()]) or m.start() > 8:
                continue
            s, e = k.end() + m.start(), k.end() + m.end()
            if s in done:
                continue
            digits = digits_of(m.group())
            if len(digits) < 6:
                continue
            done.add(s)
            if keyword in ("マイナンバー", "個人番号") or (len(digits) == 12 and my_number_valid(digits)):
                valid = my_number_valid(digits)
                yield self.finding(
                    doc, s, e, "マイナンバー（個人番号）が含まれています。手紙に記載してはいけません。",
                    f"「{keyword}」の後の12桁の番号です（番号の検査用の数字が{'合っています' if valid else '合いません'}）。"
                    "マイナンバーは法律で決められた手続き以外に使えません。手紙からは必ず削ってください。",
                    suggestions=["（個人番号は記載しない）"], severity=Severity.HIGH, kind="my_number")
                continue
            yield self.finding(
                doc, s, e, "被保険者番号などの個人を識別する番号が含まれています。",
                f"「{keyword}」の後の{len(digits)}桁の番号で、個人を特定できます。{doc.whose(s, e)}"
                "手紙に書く必要がなければ削ってください。",
                suggestions=["（番号は記載しない）"])
        # A valid 個人番号 written without a keyword right before it, but with one nearby.
        for m in re.finditer(r"(?<![\d-])\d{4}[- ]?\d{4}[- ]?\d{4}(?![\d-])", text):
            if m.start() in done:
                continue
            digits = digits_of(m.group())
            near = text[max(0, m.start() - 40):m.end() + 10]
            if my_number_valid(digits) and re.search(r"マイナンバー|個人番号", near):
                yield self.finding(doc, m.start(), m.end(), "マイナンバー（個人番号）と思われる番号です。",
                                   "12桁で番号の検査用の数字が合い、近くに「マイナンバー／個人番号」とあります。"
                                   "マイナンバーは手紙に書かないでください。",
                                   severity=Severity.HIGH, kind="my_number")


_KANJI_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_SPACE = "[ \u3000]*"


def account_key(text: str) -> tuple[str, str] | None:
    """(bank, number) of an account written one way or another, for telling whether two writings are the
    same account: widths folded, spaces dropped, kanji digits read; None when no account is in it."""
    m = BankAccountRule.PATTERN.search(fold_width(text))
    if not m:
        return None
    bank = m.group("bank") or "ゆうちょ"
    bank = re.sub(r"[\s\u3000]", "", bank).replace("ゆうちょ銀", "ゆうちょ").removesuffix("銀行")
    number = (m.group("number") or m.group("yucho") or "").translate(_KANJI_DIGITS)
    return bank, digits_of(number)


class BankAccountRule(Rule):
    """An individual's bank account: bank, branch, 普通/当座, number (with or without 名義), or ゆうちょ's
    記号-番号. The facility's own accounts for payments are not personal data: those in its profile
    (設定 → 施設の振込先口座), an account in a corporate holder's name (カ）, 社会福祉法人 …), and - only
    while the profile lists none - an account the letter asks the family to pay into."""

    rule_id = "pii.bank_account"
    category = "pii.bank_account"
    _NAME = f"[{KANJI}{KATAKANA}A-Za-zぁ-ん]"
    _BANK = (rf"(?P<bank>(?:JA|ＪＡ){_SPACE}?{_NAME}{{0,10}}|{_NAME}{{1,12}}?)"
             r"(?:銀行|信用金庫|信金|信用組合|信組|労働金庫|ろうきん|農業協同組合|農協|漁協|バンク)")
    _BRANCH = rf"(?:{_SPACE}[{KANJI}{KATAKANA}A-Za-zぁ-ん〇\d]{{1,12}}?(?:支店|出張所|営業部|本店|支所|店))?"
    _TYPE = r"[ \u3000]*\(?(?:普通|当座|貯蓄|総合)(?:預金)?\)?[ \u3000]*(?:口座)?(?:番号)?[ \u3000:：]*"
    _NUMBER = r"(?P<number>\d{6,8}|[〇零一二三四五六七八九]{7})(?![\d〇零一二三四五六七八九])"
    PATTERN = re.compile(
        rf"{_BANK}{_BRANCH}{_TYPE}{_NUMBER}"
        # ゆうちょ: 記号 12345 番号 1234567(1), or 記号番号 12345-12345671
        rf"|ゆうちょ(?:銀行)?[^\n。]{{0,12}}?記号{_SPACE}(?:番号)?[ \u3000:：]*"
        r"(?P<yucho>\d{5}(?:[ \u3000]*番号[ \u3000:：]*|[ \u3000]*-[ \u3000]*)\d{6,8})(?!\d)"
    )
    # a particle or ご/お after a word ends the phrase before the bank's name (ご登録の群馬銀行, 返金はゆうちょ銀行)
    LEAD = re.compile(rf"^.*[{KANJI}{KATAKANA}](?:の|は|を|に|へ|で|が|と|も|や)")
    OWN_BEFORE = re.compile(r"(振込先|振込口座|お振込み?先|お振り込み先|下記口座|下記の口座)")
    PAY_REQUEST = re.compile(r"お振り?込み?(?:を|を頂|いただ|ください|くださ|をお願い|願い)|お支払い(?:ください|くださ|を|いただ)")
    TO_FAMILY = re.compile(r"返金|返還|払い?戻し|還付|支給|給付|ご指定の|ご登録の|ご記入いただいた|引落|引き落|"
                           r"お振り?込み?(?:いた)?します|お振り?込み?いたし|お振り?込み?予定")
    PRIVATE_HOLDER = re.compile(rf"^[ \u3000]*(?:口座)?名義(?:人)?[ \u3000:：]*[{KATAKANA}]{{2,}}")
    CORPORATE_AFTER = re.compile(r"^[ \u3000]*(?:口座名義[:：\s]*)?(?:(?:カ|ユ|シャ|シヤ|イ|ザイ|トク|ド|ガク|フク|ｶ|ﾕ|ｼｬ|ｼﾔ|ｲ)\)|\(株\)|（株）|\(有\)|株式会社|"
                                 r"社会福祉法人|シャカイフクシ|有限会社|医療法人|イリョウホウジン|合同会社|一般社団法人|"
                                 r"特定非営利活動法人|NPO法人)")

    def find(self, doc: CheckDoc) -> Iterable[Finding]:
        text = doc.folded
        fac = doc.context.facility
        own = {k for k in (account_key(a) for a in fac.bank_accounts) if k}
        for m in self.PATTERN.finditer(text):
            s, e = m.start(), m.end()
            lead = self.LEAD.match(m.group("bank") or "")
            if lead:
                s += lead.end()
            key = account_key(text[s:e])
            after = text[e:e + 30]
            if key in own:
                continue  # the facility's own account, as in its profile
            if self.CORPORATE_AFTER.search(after):
                continue  # a company's or a 法人's account: not a person's
            if fac.name and any(len(part) >= 2 and part in after.split("\n", 1)[0] for part in fac.name.split()):
                continue  # held in the facility's name
            if not own and self._pays_facility(text, s, e):
                continue
            digits = digits_of(m.group().translate(_KANJI_DIGITS))
            yield self.finding(doc, s, e, "個人の口座情報が含まれています。",
                               f"銀行名・種別・口座番号（{len(digits)}桁）が並んだ、施設の振込先ではない口座です。"
                               f"{doc.whose(s, e)}口座の情報は手紙に書かず、必要なら別の方法でお伝えください。"
                               "施設の口座なら、設定の「施設の振込先口座」に登録すると指摘しなくなります。",
                               suggestions=["（口座情報は記載しない）"])

    def _pays_facility(self, text: str, s: int, e: int) -> bool:
        """Without accounts in the profile: a 振込先 that the letter asks the family to pay into, and that
        is not named as a private holder's or as where the facility pays (返金, 支給, ご指定の口座)."""
        line_start = text.rfind("\n", 0, s) + 1
        before = text[max(0, s - 40):s]
        if not self.OWN_BEFORE.search(before) or self.PRIVATE_HOLDER.match(text[e:e + 30]):
            return False
        near = text[max(0, s - 200):min(len(text), e + 200)]
        if self.TO_FAMILY.search(text[max(line_start - 60, 0):s]) or self.TO_FAMILY.search(text[e:e + 40]):
            return False
        return bool(self.PAY_REQUEST.search(near))
