"""The letter's context, typed: the facility and the people the letter is about, to, and from. The one
boundary where it becomes a dict (for JSON files and the database) is from_dict/to_dict here."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any


def person_name(obj: Any) -> str | None:
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
    staff: list[str] = field(default_factory=list)  # staff names: never third parties
    director: str = ""  # 施設長: signs letters; not part of a letter's check context
    # the facility's own accounts for payments (振込先), as written: like its phone, never personal data
    bank_accounts: list[str] = field(default_factory=list)


FACILITY_KEYS = ("name", "address", "phone", "fax", "email", "director", "staff", "bank_accounts")


def facility_from_dict(raw: Any) -> Facility:
    """The facility as stored (settings, the database, a JSON file): text fields trimmed, the staff a list
    of names; anything of another type is left out."""
    raw = raw if isinstance(raw, dict) else {}

    def s(key: str) -> str:
        v = raw.get(key)
        return v.strip() if isinstance(v, str) else ""

    staff = raw.get("staff") if isinstance(raw.get("staff"), list) else []
    accounts = raw.get("bank_accounts")
    if isinstance(accounts, str):  # one account per line, as typed in a text field
        accounts = accounts.splitlines()
    accounts = accounts if isinstance(accounts, list) else []
    return Facility(name=s("name"), address=s("address"), phone=s("phone"), fax=s("fax"), email=s("email"),
                    staff=[x for x in staff if isinstance(x, str) and x.strip()], director=s("director"),
                    bank_accounts=[x.strip() for x in accounts if isinstance(x, str) and x.strip()])


def facility_to_dict(fac: Facility) -> dict:
    out: dict[str, Any] = {"name": fac.name, "address": fac.address, "phone": fac.phone, "fax": fac.fax,
                           "email": fac.email, "director": fac.director, "staff": list(fac.staff)}
    # only when there are some: a context without accounts stays the dict its approvals were bound to
    if fac.bank_accounts:
        out["bank_accounts"] = list(fac.bank_accounts)
    return out


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
        facility = facility_from_dict(raw.get("facility"))
        date = None
        if isinstance(raw.get("date"), str):
            try:
                date = dt.date.fromisoformat(raw["date"])
            except ValueError:
                date = None
        # the letter's kind (incident_report, complaint_reply …): "kind" in a context file, "type" in a
        # --jsonl record and in older context files
        letter_type = next((raw[k].strip() for k in ("kind", "type") if isinstance(raw.get(k), str) and raw[k].strip()),
                           None)
        return cls(facility=facility, recipient=person_name(raw.get("recipient")), subject=person_name(raw.get("subject")),
                   sender=person_name(raw.get("sender")), letter_type=letter_type, letter_date=date)

    def to_dict(self) -> dict:
        """The inverse of from_dict: what is stored with a letter and bound into its approval."""
        # the director is left out: approvals bind to this dict, and the check never reads the director
        out: dict[str, Any] = {"facility": {k: v for k, v in facility_to_dict(self.facility).items() if k != "director"}}
        for role in ("recipient", "subject", "sender"):
            out[role] = {"name": getattr(self, role)}
        if self.letter_type:
            out["type"] = self.letter_type
        if self.letter_date:
            out["date"] = self.letter_date.isoformat()
        return out

    def to_file(self) -> dict:
        """The shape of a CONTEXT.json file (render --context-out, check --context): the people the letter
        names, its kind and date. from_dict reads it back."""
        out: dict[str, Any] = {"facility": facility_to_dict(self.facility)}
        if self.letter_type:
            out["kind"] = self.letter_type
        for role in ("recipient", "subject", "sender"):
            if getattr(self, role):
                out[role] = {"name": getattr(self, role)}
        if self.letter_date:
            out["date"] = self.letter_date.isoformat()
        return out

    def with_people(self, **names: str | None) -> CheckContext:
        """This context with the people of a letter's form (recipient, subject, sender); a group addressee
        such as ご家族様各位 is nobody."""
        return dataclasses.replace(self, **{role: person_name(name) for role, name in names.items()})

    @property
    def kind(self) -> str | None:
        """The letter's kind: the template's letter_type (incident_report, complaint_reply, …)."""
        return self.letter_type

    def people(self) -> list[tuple[str, str]]:
        """(role, name) of the people the letter is legitimately about."""
        out = []
        for role in ("recipient", "subject", "sender"):
            name = getattr(self, role)
            if name:
                out.append((role, name))
        out.extend(("staff", n) for n in self.facility.staff)
        return out
