"""What the check reports: a finding (place, category, severity, why) and the category labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from desktop_app.core.context import CheckContext


class Severity(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"high": 3, "medium": 2, "low": 1, "info": 0}[self.value]

    @property
    def label_ja(self) -> str:
        return {"high": "重大", "medium": "注意", "low": "確認", "info": "参考"}[self.value]


# Category codes are a fixed contract (CLI output, scorer, GUI colours).
CATEGORY_LABELS_JA: dict[str, str] = {
    "pii.person": "人名",
    "pii.address": "住所",
    "pii.phone": "電話番号",
    "pii.email": "メールアドレス",
    "pii.birthdate": "生年月日",
    "pii.age": "年齢",
    "pii.id_number": "番号（マイナンバー等）",
    "pii.bank_account": "口座情報",
    "pii.health": "健康情報",
    "risk.commitment": "安易な約束",
    "risk.liability": "過失の認定・金銭の申し出",
    "risk.ambiguous": "曖昧な返事",
    "style.salutation_pair": "頭語と結語",
    "style.season": "時候の挨拶",
    "style.season_after_zenryaku": "前略の後の時候",
    "style.imikotoba": "忌み言葉",
    "style.condolence_opening": "お悔やみ状の書き出し",
    "style.weekday": "曜日の誤り",
    "style.double_keigo": "二重敬語",
    "style.kakui": "「各位」の重複敬称",
    "style.apology_greeting": "お詫び・回答状の前文",
    "info.truncated": "長文",
}


def category_label(category: str) -> str:
    return CATEGORY_LABELS_JA.get(category, category)


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    text: str
    category: str
    severity: Severity
    message: str
    explanation: str
    suggestions: tuple[str, ...] = ()
    rule_id: str = ""
    # Extra facts for the GUI and the gate (e.g. "third_party": True); never needed by the scorer.
    meta: tuple[tuple[str, Any], ...] = ()

    def to_dict(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "category": self.category,
            "severity": self.severity.value,
            "message": self.message,
            "explanation": self.explanation,
            "suggestions": list(self.suggestions),
            "rule": self.rule_id,
            **dict(self.meta),
        }

    @property
    def fix_span(self) -> tuple[int, int]:
        """What a suggestion replaces: the finding itself, or a wider span the rule gave (a third party's
        name with its honorific and the role word before it: 「同室の宮下様」 → 「同室の方」)."""
        meta = dict(self.meta)
        return int(meta.get("fix_start", self.start)), int(meta.get("fix_end", self.end))

    @property
    def key(self) -> str:
        """Identity that survives edits elsewhere in the text (for 確認済み marks)."""
        return f"{self.category}\t{self.text}"


EXPECTED_ROLES = ("recipient", "subject", "sender")


def _flat(name: str) -> str:
    return "".join(name.split())


def is_expected_name(f: Finding, context: CheckContext | None = None) -> bool:
    """A name that belongs in this letter: the recipient family, the resident, the sender, or a member of the
    facility's staff list. Such a mention is no leak: it is shown, not offered for masking."""
    if f.category != "pii.person" or dict(f.meta).get("third_party"):
        return False
    role = dict(f.meta).get("role")
    if role in EXPECTED_ROLES:
        return True
    if role == "staff" and context is not None:
        text = _flat(f.text)
        for full in context.facility.staff:
            parts = full.split()
            # the full name, or the surname (how staff sign: 介護職員の小池); a given name alone proves nothing
            if text == _flat(full) or (len(parts) >= 2 and text == parts[0]):
                return True
    return False


def expected_names(findings: Sequence[Finding], context: CheckContext | None = None) -> list[Finding]:
    """The findings that are names expected in this letter (see is_expected_name), in the text's order."""
    return sorted((f for f in findings if is_expected_name(f, context)), key=lambda f: (f.start, f.end))


MASK = "〇〇"


def suggestion_edit(f: Finding) -> tuple[int, int, str] | None:
    """提案を適用: (start, end, text) of the first suggestion over its span, or None when there is nothing a
    sent letter could say instead (〇〇 is a mask, not wording)."""
    if not f.suggestions or not f.suggestions[0] or f.suggestions[0] == MASK:
        return None
    start, end = f.fix_span
    return start, end, f.suggestions[0]


def mask_edit(f: Finding, *, word_letter: bool) -> tuple[int, int, str]:
    """伏せ字にする: 〇〇 over the finding, as masked copies of Word letters have it. In a letter that is sent, a
    third party's name is written around by role instead (「同室の〇〇様」 must never reach a family)."""
    if not word_letter and f.category == "pii.person" and dict(f.meta).get("third_party"):
        edit = suggestion_edit(f)
        if edit is not None:
            return edit
    return f.start, f.end, MASK
