"""Plain data of the app: findings of the check, the check's context, severities."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


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
    def key(self) -> str:
        """Identity that survives edits elsewhere in the text (for 確認済み marks)."""
        return f"{self.category}\t{self.text}"


def _name(obj: Any) -> str | None:
    if isinstance(obj, dict):
        obj = obj.get("name")
    if isinstance(obj, str) and obj.strip():
        name = obj.strip()
        # a group addressee (ご家族様各位, 皆様) is not a person
        if re.search(r"各位|ご家族様?$|^皆様", name):
            return None
        return name
    return None


@dataclass
class Facility:
    name: str = ""
    address: str = ""
    phone: str = ""
    fax: str = ""
    email: str = ""
    staff: list[str] = field(default_factory=list)


@dataclass
class CheckContext:
    """What the app knows besides the text: who the letter is about, to whom it goes, who signs."""

    facility: Facility = field(default_factory=Facility)
    recipient: str | None = None
    subject: str | None = None
    sender: str | None = None
    letter_type: str | None = None
    letter_date: dt.date | None = None

    @classmethod
    def from_dict(cls, raw: Any) -> CheckContext:
        if not isinstance(raw, dict):
            return cls()
        fac_raw = raw.get("facility") if isinstance(raw.get("facility"), dict) else {}

        def s(key: str) -> str:
            v = fac_raw.get(key)
            return v.strip() if isinstance(v, str) else ""

        staff = fac_raw.get("staff") if isinstance(fac_raw.get("staff"), list) else []
        facility = Facility(name=s("name"), address=s("address"), phone=s("phone"), fax=s("fax"),
                            email=s("email"), staff=[x for x in staff if isinstance(x, str) and x.strip()])
        date = None
        if isinstance(raw.get("date"), str):
            try:
                date = dt.date.fromisoformat(raw["date"])
            except ValueError:
                date = None
        letter_type = raw.get("type") if isinstance(raw.get("type"), str) else None
        return cls(facility=facility, recipient=_name(raw.get("recipient")), subject=_name(raw.get("subject")),
                   sender=_name(raw.get("sender")), letter_type=letter_type, letter_date=date)

    def to_dict(self) -> dict:
        """The inverse of from_dict: what is stored with a letter and bound into its approval."""
        fac = self.facility
        out: dict[str, Any] = {"facility": {"name": fac.name, "address": fac.address, "phone": fac.phone,
                                            "fax": fac.fax, "email": fac.email, "staff": list(fac.staff)}}
        for role in ("recipient", "subject", "sender"):
            out[role] = {"name": getattr(self, role)}
        if self.letter_type:
            out["type"] = self.letter_type
        if self.letter_date:
            out["date"] = self.letter_date.isoformat()
        return out

    def people(self) -> list[tuple[str, str]]:
        """(role, name) of the people the letter is legitimately about."""
        out = []
        for role in ("recipient", "subject", "sender"):
            name = getattr(self, role)
            if name:
                out.append((role, name))
        out.extend(("staff", n) for n in self.facility.staff)
        return out
