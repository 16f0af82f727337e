"""The workflow's plain values: a letter's states, the facility's approval policies, the hashes an approval
binds to, each finding's status (open, proposed, accepted), and the views of a letter that callers read."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from desktop_app.core.context import CheckContext
from desktop_app.core.findings import Finding, Severity, is_expected_name


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"
    EXPORTED = "exported"

    @property
    def label_ja(self) -> str:
        return STATUS_JA[self]


STATUS_JA = {Status.DRAFT: "下書き", Status.SUBMITTED: "確認待ち", Status.APPROVED: "承認済み",
             Status.RETURNED: "差し戻し", Status.EXPORTED: "送付済み"}
POLICIES = {"always": "すべての手紙に承認が必要", "when_findings": "注意・重大の指摘がある手紙だけ承認が必要"}
DEFAULT_RETENTION_DAYS = 90
# the largest Word original stored with its letter (letter_sources, migration 0008): a letter with pictures
# is a few MB; a larger file would slow every PC that opens it over the facility's network
MAX_SOURCE_BYTES = 20 * 1024 * 1024
CHANGED_ANCHOR = "該当箇所が変更されました"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def context_sha(context: dict, source_sha: str | None = None) -> str:
    """The hash an approval binds to besides the text and template (signed with it, signing.approval_bytes):
    the check context, and for a Word letter with a stored original also that original's SHA-256, so an
    approval of the text over one .docx does not hold for another. Without a stored original (text letters,
    Word letters from before migration 0008) it is the context's hash alone, as before."""
    digest = sha256(json.dumps(context, sort_keys=True, ensure_ascii=False))
    return sha256(f"{digest}\nsource:{source_sha}") if source_sha else digest


def source_too_large(name: str, size: int) -> str | None:
    """Why a Word original of `size` bytes cannot be stored with its letter (Japanese, then English), or None."""
    if size <= MAX_SOURCE_BYTES:
        return None
    limit = MAX_SOURCE_BYTES // 1024 // 1024
    return (f"{name}: ファイルが大きすぎるため、手紙として保存できません（{size / 1024 / 1024:,.1f} MB、上限 {limit} MB）。"
            "写真を小さくする（Wordの「図の圧縮」）などしてから開き直してください。"
            f" / the Word file is {size / 1024 / 1024:,.1f} MB; letters keep originals of at most {limit} MB")


class FindingStatus(StrEnum):
    """Where a finding stands in review. Only a reviewer's acceptance resolves it: the writer's 確認済み is a
    proposal with a reason for the reviewer, and the finding stays open until the reviewer agrees."""

    OPEN = "open"
    PROPOSED = "proposed"
    ACCEPTED = "accepted"

    @property
    def resolved(self) -> bool:
        return self is FindingStatus.ACCEPTED

    @property
    def label_ja(self) -> str:
        return {"open": "未対応", "proposed": "確認済み（確認者の了承待ち）", "accepted": "確認者が了承"}[self.value]


def finding_status(f: Finding, proposals: Mapping[str, str], accepted: Mapping[str, str]) -> FindingStatus:
    if f.key in accepted:
        return FindingStatus.ACCEPTED
    return FindingStatus.PROPOSED if f.key in proposals else FindingStatus.OPEN


def unresolved_high(findings: Sequence[Finding], accepted: Mapping[str, str] | set[str]) -> list[Finding]:
    """The one place that decides which high findings still block a letter."""
    return [f for f in findings if f.severity == Severity.HIGH and f.key not in accepted]


def needs_approval(policy: str, findings: Sequence[Finding]) -> bool:
    if policy == "when_findings":
        return any(f.severity in (Severity.HIGH, Severity.MEDIUM) for f in findings)
    return True


@dataclass(frozen=True)
class FindingsReview:
    """The findings of one revision with their status: what the panel, the status bar, the reviewer's view
    and the export gate all show and count."""

    findings: tuple[Finding, ...] = ()
    proposals: Mapping[str, str] = field(default_factory=dict)
    accepted: Mapping[str, str] = field(default_factory=dict)
    context: CheckContext | None = None  # who the letter is to, about and from (for expected names)

    def status(self, f: Finding) -> FindingStatus:
        return finding_status(f, self.proposals, self.accepted)

    def reason(self, f: Finding) -> str:
        """The reviewer's reason when accepted, else the writer's when proposed."""
        return self.accepted.get(f.key) or self.proposals.get(f.key) or ""

    @property
    def blocking(self) -> list[Finding]:
        return unresolved_high(self.findings, self.accepted)

    def expected(self, f: Finding) -> bool:
        """A name that belongs in this letter (recipient, resident, sender, staff): shown together, never masked."""
        return is_expected_name(f, self.context)

    @property
    def expected_names(self) -> list[Finding]:
        return [f for f in self.findings if self.expected(f)]

    @property
    def accepted_keys(self) -> set[str]:
        return {f.key for f in self.findings if self.status(f) is FindingStatus.ACCEPTED}


@dataclass
class CommentView:
    id: int
    start: int | None  # re-anchored in the current body; None when the quoted text is gone
    end: int | None
    quote: str
    text: str
    author: str
    created_at: str

    @property
    def anchor_lost(self) -> bool:
        return self.start is None


@dataclass
class LetterView:
    id: int
    template_id: str
    fields: dict
    context: CheckContext
    body: str
    status: Status
    writer: str
    writer_id: int | None
    last_editor_id: int | None
    version: int
    high_count: int
    medium_count: int
    proposals: dict[str, str] = field(default_factory=dict)  # finding key -> the writer's reason
    accepted: dict[str, str] = field(default_factory=dict)  # finding key -> the reviewer's reason
    comments: list[CommentView] = field(default_factory=list)
    approved_by: str | None = None
    approval_valid: bool = False
    # the text a reviewer last decided on (returned, or approved and since edited) and its version number:
    # the baseline of the reviewer's diff; None before any decision (a withdrawn request was never reviewed)
    previous_submitted: str | None = None
    previous_version: int | None = None
    derived_from: int | None = None  # the sent letter this one was made from (「手紙 #12 をもとに作成」)
    text_version: int = 0  # the stored text's version number (第N版, letter_versions.number): what is approved


def _minutes(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):  # SQLite hands back text when read without the ORM's type processing
        return value[:16].replace("T", " ")
    return value.isoformat(sep=" ", timespec="minutes")


def _as_datetime(value) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    try:  # SQLite may hand back text
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def waiting_ja(submitted, now: dt.datetime | None = None) -> str:
    """How long a letter has waited for review, as a person says it: 「1分未満」「15分」「2時間」「3日」.
    Both times are naive UTC as the database keeps them (`now` defaults to the current UTC time); a request
    stamped a little in the future (another PC's clock) reads as just now."""
    start = _as_datetime(submitted)
    if start is None:
        return ""
    if start.tzinfo is not None:
        start = start.astimezone(dt.UTC).replace(tzinfo=None)
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    minutes = int((now - start).total_seconds() // 60)
    if minutes < 1:
        return "1分未満"
    if minutes < 60:
        return f"{minutes}分"
    if minutes < 24 * 60:
        return f"{minutes // 60}時間"
    return f"{minutes // (24 * 60)}日"


@dataclass
class LetterSummary:
    id: int
    template_id: str
    status: Status
    writer: str
    updated: object  # datetime (formatted lazily: the queue may hold 10,000 letters)
    submitted: object
    high_count: int
    medium_count: int
    preview: str = ""
    resident: str = ""  # 利用者（ご本人）, from the letter's form or context
    family: str = ""  # 宛先 (the family member written to)

    @property
    def updated_at(self) -> str:
        return _minutes(self.updated)

    @property
    def submitted_at(self) -> str:
        return _minutes(self.submitted)

    @property
    def first_line(self) -> str:
        return next((ln for ln in self.preview.splitlines() if ln.strip()), "")


@dataclass(frozen=True)
class Notice:
    """Something a writer has not seen yet: one of their letters was returned (with the reviewer's comments)
    or approved. `at` is when it happened (UTC), so marking notices seen never hides a newer one."""

    letter_id: int
    template_id: str
    kind: str  # "returned" | "approved"
    by: str  # the reviewer's name
    at: object  # datetime, UTC
    comments: tuple[str, ...] = ()
    resident: str = ""
    family: str = ""

    @property
    def label_ja(self) -> str:
        return "差し戻されました" if self.kind == "returned" else "承認されました"

    @property
    def at_text(self) -> str:
        return _minutes(self.at)


def anchor(body: str, start: int, end: int, quote: str) -> tuple[int, int] | None:
    """Where a comment's quoted text is now: in place, else the occurrence nearest the old place."""
    if quote and body[start:end] == quote:
        return start, end
    if not quote:
        return None
    best = None
    pos = body.find(quote)
    while pos >= 0:
        if best is None or abs(pos - start) < abs(best - start):
            best = pos
        pos = body.find(quote, pos + 1)
    return (best, best + len(quote)) if best is not None else None


def inline_diff(old: str, new: str) -> list[tuple[str, str]]:
    """(op, text) pieces, op in equal | insert | delete, for showing changes inside the text."""
    out: list[tuple[str, str]] = []
    sm = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            out.append(("equal", new[j1:j2]))
            continue
        if tag in ("delete", "replace"):
            out.append(("delete", old[i1:i2]))
        if tag in ("insert", "replace"):
            out.append(("insert", new[j1:j2]))
    return out
