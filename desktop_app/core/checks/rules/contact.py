"""Phone numbers, e-mail and home addresses of individuals (the facility's own are not findings)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from desktop_app.core.checks.rules.base import CheckDoc, Rule, digits_of, squash
from desktop_app.core.findings import Finding, Severity
from desktop_app.core.intervals import Occupancy
from desktop_app.core.textutil import KANJI, KATAKANA


class PhoneNumberRule(Rule):
    """Japanese phone numbers (mobile 090/080/070/060, landlines, with or without hyphens or brackets).

    A family's phone number lets anyone who sees the letter contact them: personal data.
    """

    rule_id = "pii.phone"
    category = "pii.phone"
    PATTERN = re.compile(
        r"(?<![\d.\-/])(?:\+81[-\s]?|0)\d{1,4}(?:[-\s]|\(|\)\s?)?\d{1,4}(?:[-\s]|\)\s?)?\d{3,4}(?![\d\-/])"
    )
    # A label before the number that says it is not a phone number.
    NOT_PHONE_LABEL = re.compile(r"(被保険者|保険者|個人|年金|口座|記号|受給者|証|番号)[^\n]{0,4}$")
    FAX_LABEL = re.compile(r"(FAX|Fax|fax|ファックス|ファクス|内線)[\s:：)]*$")

    def find(self, doc: CheckDoc) -> Iterable[Finding]:
        own = doc.facility_phone_digits()
        for m in self.PATTERN.finditer(doc.folded):
            digits = digits_of(m.group())
            if digits.startswith("81"):
                digits = "0" + digits[2:]
            if not (10 <= len(digits) <= 11) or not digits.startswith("0"):
                continue
            before = doc.folded[max(0, m.start() - 12):m.start()]
            if self.NOT_PHONE_LABEL.search(before) and "電話" not in before and "TEL" not in before.upper():
                continue
            if "〒" in before[-2:]:
                continue
            if any(digits == d or (len(d) >= 10 and digits[:6] == d[:6] and self.FAX_LABEL.search(before))
                   for d in own) or any(digits[:-2] == d[:-2] and len(digits) == len(d) for d in own):
                # the facility's own number, its FAX or a neighbouring line of the same exchange
                continue
            yield self.finding(
                doc, m.start(), m.end(), "個人の電話番号が含まれています。",
                f"{len(digits)}桁の電話番号で、施設の代表番号・ファクスとは違います。{doc.whose(m.start(), m.end())}"
                "宛先のご家族以外の方の番号なら、知らせてはいけません。必要でなければ削ってください。",
                suggestions=["（電話番号は別途お伝えします）"],
            )


class EmailRule(Rule):
    """E-mail addresses of individuals; a named person's work address is personal data too."""

    rule_id = "pii.email"
    category = "pii.email"
    PATTERN = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
    GENERIC_LOCAL = {"info", "office", "contact", "support", "admin", "mail", "soudan", "jimu", "uketsuke",
                     "kouhou", "webmaster", "noreply", "no-reply", "postmaster", "inquiry", "toiawase",
                     "reception", "general", "service", "care", "kaigo", "desk", "center", "help", "staff"}

    def find(self, doc: CheckDoc) -> Iterable[Finding]:
        own = doc.context.facility.email.lower()
        for m in self.PATTERN.finditer(doc.folded):
            addr = m.group().rstrip(".")
            local = addr.split("@", 1)[0].lower()
            if addr.lower() == own or local in self.GENERIC_LOCAL:
                continue
            yield self.finding(doc, m.start(), m.start() + len(addr), "個人のメールアドレスが含まれています。",
                               "施設の代表アドレスではない、個人のメールアドレスです。"
                               f"{doc.whose(m.start(), m.start() + len(addr))}必要でなければ削ってください。",
                               suggestions=["（メールアドレスは別途お伝えします）"])


class AddressRule(Rule):
    """A home address from 〒 or the prefecture/city down to 番地・号 and the room number."""

    rule_id = "pii.address"
    category = "pii.address"
    _PLACE = f"[{KANJI}{KATAKANA}ぁ-ん]"
    _NUM = r"\d+(?:丁目|番地|番|号|-)"
    PATTERN = re.compile(
        rf"(?:〒\s?\d{{3}}-?\d{{4}}[ \u3000]*)?"
        rf"(?:[{KANJI}]{{2,3}}[都道府県])?"
        # municipality: kanji/katakana (or an all-hiragana city: さいたま市), then the town part
        rf"(?:[{KANJI}{KATAKANA}]{{1,10}}?|[ぁ-ん]{{2,5}}(?=市))[市区町村郡]{_PLACE}{{0,16}}?"
        rf"(?:{_NUM})+\d*(?:丁目|番地|番|号)?(?:の\d+)?"
        rf"(?:[ \u3000]?[{KATAKANA}{KANJI}A-Za-z]{{1,20}}[ \u3000]?\d{{1,4}}(?:号室|号|室)?(?![\d年月日時分円名]))?"
    )
    # A place of an event (会場　〇〇会館（…市…番地）) is not anybody's home.
    VENUE_BEFORE = re.compile(r"(?:会場|場所|開催場所|集合場所|所在地|開催地|会館|ホール|センター|公民館|体育館|公園|病院|クリニック|医院|"
                              r"市役所|役場|区役所)[^\n。]{0,24}?[(（]?$")
    # A home written in brackets after ご自宅/お住まい, without a prefecture and ending in a bare number
    # (（みどり市大間々町大間々456）): the brackets close the address, so the number is its end.
    IN_BRACKETS = re.compile(
        rf"(?<=[(（])((?:[{KANJI}]{{2,3}}[都道府県])?(?:[{KANJI}{KATAKANA}]{{1,10}}?|[ぁ-ん]{{2,5}}(?=市))[市区町村郡]"
        rf"{_PLACE}{{1,16}}?[\d〇一二三四五六七八九十]+(?:(?:丁目|番地|番|号|-)[\d〇一二三四五六七八九十]*)*(?:号|番地)?)(?=[)）])"
    )
    POSTCODE_ONLY = re.compile(r"〒\s?\d{3}-?\d{4}[ \u3000]*[^\n]{4,60}")

    def _home(self, doc: CheckDoc, s: int, e: int, written: str) -> Finding:
        """One home address: what the text shows (`written`), whose it is, and what to do."""
        return self.finding(doc, s, e, "個人の住所が含まれています。",
                            f"{written}、施設の所在地ではない住所です。{doc.whose(s, e)}ご自宅の住所は手紙に書かないでください。",
                            suggestions=["（ご住所は記載しない）"])

    def find(self, doc: CheckDoc) -> Iterable[Finding]:
        own = squash(doc.context.facility.address)
        seen = Occupancy(len(doc.folded))
        for m in self.PATTERN.finditer(doc.folded):
            s, e = m.start(), m.end()
            found = squash(m.group())
            if own and len(found) >= 6 and (found in own or own in found):
                continue
            if doc.in_facility(s, e):
                continue
            if "〒" not in m.group() and self.VENUE_BEFORE.search(doc.folded[max(0, s - 30):s]):
                continue
            seen.add(s, e)
            yield self._home(doc, s, e, "市区町村から番地・号まで書かれた")
        for m in self.IN_BRACKETS.finditer(doc.folded):
            s, e = m.span(1)
            if seen.overlaps(s, e) or doc.in_facility(s, e) or (own and squash(m.group(1)) in own):
                continue
            if self.VENUE_BEFORE.search(doc.folded[max(0, s - 30):s]):
                continue
            seen.add(s, e)
            yield self._home(doc, s, e, "括弧の中に市区町村から番地まで書かれた")
        # 〒 followed by an address the pattern could not parse (no house number): still an address
        for m in self.POSTCODE_ONLY.finditer(doc.folded):
            s, e = m.start(), m.end()
            if seen.overlaps(s, s + 1):
                continue
            found = squash(m.group())
            if own and (found[:10] in own or own[:10] in found):
                continue
            if doc.in_facility(s, e):
                continue
            yield self.finding(doc, s, e, "郵便番号付きの住所が含まれています。",
                               f"〒と郵便番号から始まる、施設の所在地ではない住所です。{doc.whose(s, e)}",
                               severity=Severity.MEDIUM)
