"""Identifier numbers (マイナンバー, 介護保険・医療保険の被保険者番号, 年金番号) and bank accounts."""

from __future__ import annotations

import re
from collections.abc import Iterable

from desktop_app.core.checks.rules.base import CheckDoc, Rule, digits_of
from desktop_app.core.findings import Finding, Severity
from desktop_app.core.textutil import KANJI, KATAKANA


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


class BankAccountRule(Rule):
    """An individual's bank account (bank, branch, 普通/当座, number). The facility's own
    account for payments (振込先, a corporate holder) is not personal data."""

    rule_id = "pii.bank_account"
    category = "pii.bank_account"
    _NAME = f"[{KANJI}{KATAKANA}A-Za-zぁ-ん]"
    PATTERN = re.compile(
        rf"{_NAME}{{1,12}}(?:銀行|信用金庫|信金|信用組合|労働金庫|農業協同組合|農協)"
        rf"(?:[ \u3000]*{_NAME}{{1,12}}(?:支店|出張所|営業部|本店|店))?"
        r"[ \u3000]*(?:\(|（)?(?:普通|当座|貯蓄)(?:預金)?(?:\)|）)?[ \u3000]*(?:口座)?(?:番号)?[ \u3000:：]*\d{6,8}"
        r"|ゆうちょ銀行?[ \u3000]*記号[ \u3000:：]*\d{5}[ \u3000]*番号[ \u3000:：]*\d{6,8}"
    )
    OWN_BEFORE = re.compile(r"(振込先|振込口座|お振込み?先|お振り込み先|引落(?:し)?口座のご案内|下記口座)")
    PRIVATE_HOLDER = re.compile(rf"^[ \u3000]*(?:口座)?名義(?:人)?[ \u3000:：]*[{KATAKANA}]{{2,}}[ \u3000][{KATAKANA}]{{2,}}")
    CORPORATE_AFTER = re.compile(r"^[ \u3000]*(?:口座名義[:：\s]*)?(?:カ\)|ｶ\)|\(株\)|（株）|株式会社|社会福祉法人|シャカイフクシ|ﾕ\)|有限会社|医療法人|イ\)|フク\))")

    def find(self, doc: CheckDoc) -> Iterable[Finding]:
        text = doc.folded
        fac_name = doc.context.facility.name
        for m in self.PATTERN.finditer(text):
            s, e = m.start(), m.end()
            before = text[max(0, s - 40):s]
            after = text[e:e + 30]
            if self.CORPORATE_AFTER.search(after):
                continue
            # 振込先 usually introduces the facility's own account, unless a private holder is named
            # (a refund or a benefit paid into the family's account: 名義 ナカモリ コウスケ)
            if self.OWN_BEFORE.search(before) and not self.PRIVATE_HOLDER.match(after):
                continue
            if fac_name and any(part and part in after for part in fac_name.split()):
                continue
            if re.search(r"お振り?込み?ください", text[e:e + 40]):
                continue
            if re.search(r"^\d", text[e:e + 1]):
                continue
            digits = digits_of(m.group())
            yield self.finding(doc, s, e, "個人の口座情報が含まれています。",
                               f"銀行名・種別・口座番号（{len(digits)}桁）が並んだ、施設の振込先ではない口座です。"
                               f"{doc.whose(s, e)}口座の情報は手紙に書かず、必要なら別の方法でお伝えください。",
                               suggestions=["（口座情報は記載しない）"])
