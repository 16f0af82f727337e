"""The review workflow: 下書き → 確認待ち → 承認済み / 差し戻し → 送付済み, enforced here for the window
and the CLI alike. An approval binds to the exact body, template and check context; any later edit
voids it. Nobody approves their own letter. Export goes through one gate that re-checks the text."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from desktop_app.core import audit
from desktop_app.core.accounts import ROLE_LABELS, Actor
from desktop_app.core.context import CheckContext
from desktop_app.core.db import Database
from desktop_app.core.db.models import (
    Approval,
    Comment,
    Export,
    FacilitySetting,
    Letter,
    LetterVersion,
    Mark,
    User,
    utcnow,
)
from desktop_app.core.errors import Refusal, WorkflowRefused
from desktop_app.core.findings import Finding, Severity

Checker = Callable[[str, CheckContext], list[Finding]]


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
CHANGED_ANCHOR = "該当箇所が変更されました"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def context_dict(context: CheckContext | dict | None) -> dict:
    if isinstance(context, CheckContext):
        return context.to_dict()
    return CheckContext.from_dict(context or {}).to_dict()


def context_sha(context: dict) -> str:
    return sha256(json.dumps(context, sort_keys=True, ensure_ascii=False))


def unresolved_high(findings: Sequence[Finding], accepted: set[str] | dict) -> list[Finding]:
    """The one place that decides which high findings still block a letter."""
    return [f for f in findings if f.severity == Severity.HIGH and f.key not in accepted]


def needs_approval(policy: str, findings: Sequence[Finding]) -> bool:
    if policy == "when_findings":
        return any(f.severity in (Severity.HIGH, Severity.MEDIUM) for f in findings)
    return True


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
    context: dict
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
    previous_submitted: str | None = None  # body of the submission before the current one

    @property
    def check_context(self) -> CheckContext:
        return CheckContext.from_dict(self.context)


def _minutes(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):  # SQLite hands back text when read without the ORM's type processing
        return value[:16].replace("T", " ")
    return value.isoformat(sep=" ", timespec="minutes")


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

    @property
    def updated_at(self) -> str:
        return _minutes(self.updated)

    @property
    def submitted_at(self) -> str:
        return _minutes(self.submitted)

    @property
    def first_line(self) -> str:
        return next((ln for ln in self.preview.splitlines() if ln.strip()), "")


@dataclass
class GateResult:
    findings: list[Finding]
    blocking: list[Finding]
    approval_required: bool


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


class ReviewService:
    """Every workflow rule lives here; the GUI and the CLI call these methods and show the refusals."""

    def __init__(self, db: Database, checker: Checker):
        self.db = db
        self.checker = checker

    # ---- facility-wide settings ----------------------------------------------------------
    def _get_setting(self, s: Session, key: str, default):
        row = s.get(FacilitySetting, key)
        return row.value.get("v", default) if row is not None and isinstance(row.value, dict) else default

    def _set_setting(self, s: Session, key: str, value) -> None:
        row = s.get(FacilitySetting, key)
        if row is None:
            s.add(FacilitySetting(key=key, value={"v": value}))
        else:
            row.value = {"v": value}

    def facility(self) -> dict:
        with self.db.session() as s:
            value = self._get_setting(s, "facility", {})
            return value if isinstance(value, dict) else {}

    def setup_needed(self) -> bool:
        """True until the facility profile and the first administrator exist: no letter before that."""
        with self.db.session() as s:
            users = s.scalar(select(func.count()).select_from(User).where(User.active.is_(True))) or 0
            fac = self._get_setting(s, "facility", {})
        return users == 0 or not (isinstance(fac, dict) and str(fac.get("name", "")).strip())

    def set_facility(self, profile: dict, by: Actor | None) -> None:
        if not str(profile.get("name", "")).strip():
            raise WorkflowRefused(Refusal.BAD_INPUT, "施設名を入力してください。")
        with self.db.session() as s:
            has_users = (s.scalar(select(func.count()).select_from(User)) or 0) > 0
            if has_users and (by is None or not by.has("admin")):
                raise WorkflowRefused(Refusal.MISSING_ROLE, "施設情報を変更できるのは管理者だけです。")
            clean = {k: (v if isinstance(v, list) else str(v).strip()) for k, v in profile.items()
                     if k in ("name", "address", "phone", "fax", "email", "director", "staff")}
            self._set_setting(s, "facility", clean)
            audit.append(s, by.name if by else "setup", "facility_set")

    def policy(self) -> str:
        with self.db.session() as s:
            p = self._get_setting(s, "policy", "always")
        return p if p in POLICIES else "always"

    def set_policy(self, policy: str, by: Actor) -> None:
        if policy not in POLICIES:
            raise WorkflowRefused(Refusal.BAD_INPUT, f"承認ルールは {' / '.join(POLICIES)} から選んでください。")
        if not by.has("admin"):
            raise WorkflowRefused(Refusal.MISSING_ROLE, "承認ルールを変更できるのは管理者だけです。")
        with self.db.session() as s:
            old = self._get_setting(s, "policy", "always")
            self._set_setting(s, "policy", policy)
            audit.append(s, by.name, "policy_change", detail=f"{old} -> {policy}")

    def retention_days(self) -> int:
        with self.db.session() as s:
            v = self._get_setting(s, "retention_days", DEFAULT_RETENTION_DAYS)
        return v if isinstance(v, int) and v > 0 else DEFAULT_RETENTION_DAYS

    def set_retention_days(self, days: int, by: Actor) -> None:
        if not by.has("admin"):
            raise WorkflowRefused(Refusal.MISSING_ROLE, "保存期間を変更できるのは管理者だけです。")
        if not isinstance(days, int) or not 1 <= days <= 3650:
            raise WorkflowRefused(Refusal.BAD_INPUT, "保存期間は1〜3650日で指定してください。")
        with self.db.session() as s:
            self._set_setting(s, "retention_days", days)
            audit.append(s, by.name, "retention_change", detail=str(days))

    # ---- helpers -------------------------------------------------------------------------
    @staticmethod
    def _require(actor: Actor, role: str, what: str) -> None:
        if not actor.has(role):
            raise WorkflowRefused(Refusal.MISSING_ROLE, f"{what}には「{ROLE_LABELS[role]}」の役割が必要です。")

    @staticmethod
    def _letter(s: Session, letter_id: int, lock: bool = False) -> Letter:
        q = select(Letter).where(Letter.id == letter_id)
        if lock:
            q = q.with_for_update()
        letter = s.execute(q).scalar_one_or_none()
        if letter is None:
            raise WorkflowRefused(Refusal.NOT_FOUND, f"手紙 {letter_id} は見つかりません。")
        return letter

    def _check(self, body: str, context: dict) -> list[Finding]:
        return self.checker(body, CheckContext.from_dict(context))

    @staticmethod
    def _valid_approval(s: Session, letter: Letter) -> Approval | None:
        ap = s.execute(select(Approval).where(Approval.letter_id == letter.id, Approval.voided_at.is_(None))
                       .order_by(Approval.id.desc()).limit(1)).scalar_one_or_none()
        if ap is None:
            return None
        if (ap.body_sha, ap.template_id, ap.context_sha) != (sha256(letter.body), letter.template_id,
                                                             context_sha(letter.context)):
            return None
        return ap

    @staticmethod
    def _marks(s: Session, letter_id: int, kind: str) -> dict[str, str]:
        rows = s.execute(select(Mark.finding_key, Mark.reason).where(Mark.letter_id == letter_id, Mark.kind == kind))
        return {k: r for k, r in rows}

    def _add_version(self, s: Session, letter: Letter, actor: Actor, submitted: bool = False) -> None:
        number = (s.scalar(select(func.max(LetterVersion.number)).where(LetterVersion.letter_id == letter.id)) or 0) + 1
        s.add(LetterVersion(letter_id=letter.id, number=number, body=letter.body, body_sha=sha256(letter.body),
                            author_id=actor.id, submitted=submitted))

    # ---- writing -------------------------------------------------------------------------
    def create(self, actor: Actor, template_id: str, body: str, fields: dict | None = None,
               context: CheckContext | dict | None = None) -> LetterView:
        self._require(actor, "writer", "手紙の作成")
        if self.setup_needed():
            raise WorkflowRefused(Refusal.SETUP_REQUIRED, "先に施設情報と管理者を登録してください。")
        with self.db.session() as s:
            letter = Letter(template_id=template_id, fields=dict(fields or {}), context=context_dict(context), body=body,
                            status=Status.DRAFT.value, writer_id=actor.id, last_editor_id=actor.id, high_count=0,
                            medium_count=0)
            s.add(letter)
            s.flush()
            self._add_version(s, letter, actor)
            audit.append(s, actor.name, "create", letter.id, sha256(body))
            letter_id = letter.id
        return self.get(letter_id)

    def save(self, actor: Actor, letter_id: int, body: str, expected_version: int, fields: dict | None = None,
             context: CheckContext | dict | None = None, template_id: str | None = None) -> LetterView:
        """A new version. Refused with CONFLICT when another PC saved since `expected_version` (the
        caller keeps the text and can save it as a new letter). Voids an approval."""
        self._require(actor, "writer", "手紙の編集")
        try:
            with self.db.session() as s:
                letter = self._letter(s, letter_id, lock=True)
                if letter.version != expected_version:
                    raise WorkflowRefused(Refusal.CONFLICT, "この手紙は別のPCで先に保存されました。"
                                          "あなたの文面は消えていません。新しい下書きとして保存できます。",
                                          current_version=letter.version)
                ctx = context_dict(context) if context is not None else letter.context
                tid = template_id or letter.template_id
                changed = (body, ctx, tid) != (letter.body, letter.context, letter.template_id)
                if fields is not None:
                    letter.fields = dict(fields)
                if changed:
                    old_status = Status(letter.status)
                    letter.body, letter.context, letter.template_id = body, ctx, tid
                    letter.last_editor_id = actor.id
                    letter.updated_at = utcnow()
                    self._add_version(s, letter, actor)
                    voided = s.execute(select(Approval).where(Approval.letter_id == letter.id,
                                                              Approval.voided_at.is_(None))).scalars().all()
                    for ap in voided:
                        ap.voided_at = utcnow()
                    letter.status = Status.DRAFT.value
                    action = "edit_after_approval" if (voided or old_status == Status.APPROVED) else "edit"
                    audit.append(s, actor.name, action, letter.id, sha256(body),
                                 detail="" if old_status == Status.DRAFT else f"{old_status.value} -> draft")
                else:
                    letter.updated_at = utcnow()
                s.flush()
        except StaleDataError:
            raise WorkflowRefused(Refusal.CONFLICT, "この手紙は別のPCで先に保存されました。"
                                  "あなたの文面は消えていません。新しい下書きとして保存できます。") from None
        return self.get(letter_id)

    def propose(self, actor: Actor, letter_id: int, finding_key: str, reason: str) -> None:
        """The writer's 確認済み: a proposal with its reason, shown to the reviewer."""
        if not reason.strip():
            raise WorkflowRefused(Refusal.BAD_INPUT, "確認済みにする理由を入力してください。")
        with self.db.session() as s:
            letter = self._letter(s, letter_id)
            self._upsert_mark(s, letter.id, finding_key, "proposal", reason.strip(), actor)
            audit.append(s, actor.name, "propose", letter.id, detail=finding_key.split("\t", 1)[0])

    def withdraw(self, actor: Actor, letter_id: int, finding_key: str) -> None:
        with self.db.session() as s:
            for m in s.execute(select(Mark).where(Mark.letter_id == letter_id, Mark.finding_key == finding_key,
                                                  Mark.kind == "proposal")).scalars():
                s.delete(m)

    @staticmethod
    def _upsert_mark(s: Session, letter_id: int, key: str, kind: str, reason: str, actor: Actor) -> None:
        m = s.execute(select(Mark).where(Mark.letter_id == letter_id, Mark.finding_key == key,
                                         Mark.kind == kind)).scalar_one_or_none()
        if m is None:
            s.add(Mark(letter_id=letter_id, finding_key=key[:500], kind=kind, reason=reason, user_id=actor.id))
        else:
            m.reason, m.user_id = reason, actor.id

    def submit(self, actor: Actor, letter_id: int) -> LetterView:
        self._require(actor, "writer", "確認依頼")
        with self.db.session() as s:
            letter = self._letter(s, letter_id, lock=True)
            if Status(letter.status) not in (Status.DRAFT, Status.RETURNED):
                raise WorkflowRefused(Refusal.WRONG_STATE,
                                      f"「{Status(letter.status).label_ja}」の手紙は確認依頼できません。")
            if not letter.body.strip():
                raise WorkflowRefused(Refusal.BAD_INPUT, "本文が空の手紙は確認依頼できません。")
            findings = self._check(letter.body, letter.context)
            letter.high_count = sum(f.severity == Severity.HIGH for f in findings)
            letter.medium_count = sum(f.severity == Severity.MEDIUM for f in findings)
            letter.status = Status.SUBMITTED.value
            letter.submitted_at = utcnow()
            last = s.execute(select(LetterVersion).where(LetterVersion.letter_id == letter.id)
                             .order_by(LetterVersion.number.desc()).limit(1)).scalar_one_or_none()
            if last is not None and last.body_sha == sha256(letter.body):
                last.submitted = True
            else:
                self._add_version(s, letter, actor, submitted=True)
            audit.append(s, actor.name, "submit", letter.id, sha256(letter.body))
        return self.get(letter_id)

    # ---- reviewing -----------------------------------------------------------------------
    def _may_review(self, actor: Actor, letter: Letter) -> None:
        self._require(actor, "reviewer", "承認・差し戻し")
        if actor.id in (letter.writer_id, letter.last_editor_id):
            raise WorkflowRefused(Refusal.SELF_APPROVAL, "自分で作成・編集した手紙は承認できません。別の確認者に依頼してください。")

    def accept_finding(self, actor: Actor, letter_id: int, finding_key: str, reason: str) -> None:
        """Only a reviewer (not the letter's writer) accepts a high finding, with their own reason."""
        if not actor.has("reviewer"):
            raise WorkflowRefused(Refusal.WRITER_CANNOT_ACCEPT,
                                  "重大な指摘を了承できるのは確認者だけです。作成者は「確認済み」の提案として理由を残せます。")
        if not reason.strip():
            raise WorkflowRefused(Refusal.BAD_INPUT, "了承する理由を入力してください。")
        with self.db.session() as s:
            letter = self._letter(s, letter_id)
            self._may_review(actor, letter)
            self._upsert_mark(s, letter.id, finding_key, "accepted", reason.strip(), actor)
            audit.append(s, actor.name, "accept_finding", letter.id, sha256(letter.body),
                         detail=finding_key.split("\t", 1)[0])

    def approve(self, actor: Actor, letter_id: int, accept_reason: str | None = None,
                accept: dict[str, str] | None = None) -> LetterView:
        """Approve the submitted body. High findings must each be accepted by this reviewer:
        `accept` maps finding keys to reasons; `accept_reason` accepts every remaining one with one reason."""
        with self.db.session() as s:
            letter = self._letter(s, letter_id, lock=True)
            self._may_review(actor, letter)
            if Status(letter.status) != Status.SUBMITTED:
                raise WorkflowRefused(Refusal.WRONG_STATE,
                                      f"「{Status(letter.status).label_ja}」の手紙は承認できません（確認待ちの手紙だけ）。")
            findings = self._check(letter.body, letter.context)
            accepted = self._marks(s, letter.id, "accepted")
            for key, reason in (accept or {}).items():
                if reason.strip():
                    self._upsert_mark(s, letter.id, key, "accepted", reason.strip(), actor)
                    accepted[key] = reason.strip()
            blocking = unresolved_high(findings, accepted)
            if blocking and accept_reason and accept_reason.strip():
                for f in blocking:
                    self._upsert_mark(s, letter.id, f.key, "accepted", accept_reason.strip(), actor)
                    audit.append(s, actor.name, "accept_finding", letter.id, sha256(letter.body),
                                 detail=f.category)
                blocking = []
            if blocking:
                raise WorkflowRefused(Refusal.HIGH_NOT_ACCEPTED,
                                      f"重大な指摘が{len(blocking)}件残っています。修正を依頼するか、理由を添えて了承してください。",
                                      findings=blocking)
            s.add(Approval(letter_id=letter.id, body_sha=sha256(letter.body), template_id=letter.template_id,
                           context_sha=context_sha(letter.context), approver_id=actor.id))
            letter.status = Status.APPROVED.value
            letter.high_count = sum(f.severity == Severity.HIGH for f in findings)
            letter.medium_count = sum(f.severity == Severity.MEDIUM for f in findings)
            audit.append(s, actor.name, "approve", letter.id, sha256(letter.body))
        return self.get(letter_id)

    def return_letter(self, actor: Actor, letter_id: int, comment: str,
                      ranges: Sequence[tuple[int, int, str]] = ()) -> LetterView:
        """差し戻し with a comment; `ranges` are (start, end, comment) on parts of the text."""
        if not comment.strip() and not ranges:
            raise WorkflowRefused(Refusal.BAD_INPUT, "差し戻しの理由（コメント）を入力してください。")
        with self.db.session() as s:
            letter = self._letter(s, letter_id, lock=True)
            self._may_review(actor, letter)
            if Status(letter.status) != Status.SUBMITTED:
                raise WorkflowRefused(Refusal.WRONG_STATE, "確認待ちの手紙だけ差し戻せます。")
            if comment.strip():
                s.add(Comment(letter_id=letter.id, start=0, end=0, quote="", text=comment.strip(), author_id=actor.id))
            for start, end, text in ranges:
                self._add_comment(s, letter, actor, start, end, text)
            letter.status = Status.RETURNED.value
            audit.append(s, actor.name, "return", letter.id, sha256(letter.body))
        return self.get(letter_id)

    @staticmethod
    def _add_comment(s: Session, letter: Letter, actor: Actor, start: int, end: int, text: str) -> None:
        if not (0 <= start < end <= len(letter.body)) or not text.strip():
            raise WorkflowRefused(Refusal.BAD_INPUT, "コメントの範囲または内容が正しくありません。")
        s.add(Comment(letter_id=letter.id, start=start, end=end, quote=letter.body[start:end], text=text.strip(),
                      author_id=actor.id))

    def add_comment(self, actor: Actor, letter_id: int, start: int, end: int, text: str) -> None:
        self._require(actor, "reviewer", "コメント")
        with self.db.session() as s:
            letter = self._letter(s, letter_id)
            self._add_comment(s, letter, actor, start, end, text)
            audit.append(s, actor.name, "comment", letter.id)

    # ---- reading -------------------------------------------------------------------------
    def get(self, letter_id: int) -> LetterView:
        with self.db.session() as s:
            letter = self._letter(s, letter_id)
            names = dict(s.execute(select(User.id, User.name)).all())
            comments = []
            for c in s.execute(select(Comment).where(Comment.letter_id == letter.id).order_by(Comment.id)).scalars():
                pos = anchor(letter.body, c.start, c.end, c.quote) if c.quote else None
                comments.append(CommentView(c.id, pos[0] if pos else None, pos[1] if pos else None, c.quote, c.text,
                                            names.get(c.author_id, "?"), c.created_at.isoformat(timespec="minutes")))
            approval = s.execute(select(Approval).where(Approval.letter_id == letter.id)
                                 .order_by(Approval.id.desc()).limit(1)).scalar_one_or_none()
            valid = self._valid_approval(s, letter) is not None
            submitted = s.execute(select(LetterVersion.body).where(LetterVersion.letter_id == letter.id,
                                                                   LetterVersion.submitted.is_(True))
                                  .order_by(LetterVersion.number.desc()).limit(2)).scalars().all()
            previous = None
            if Status(letter.status) == Status.SUBMITTED and len(submitted) >= 2:
                previous = submitted[1]
            elif Status(letter.status) != Status.SUBMITTED and submitted:
                previous = submitted[0]
            return LetterView(
                id=letter.id, template_id=letter.template_id, fields=dict(letter.fields or {}),
                context=dict(letter.context or {}), body=letter.body, status=Status(letter.status),
                writer=names.get(letter.writer_id, "（以前の下書き）"), writer_id=letter.writer_id,
                last_editor_id=letter.last_editor_id, version=letter.version, high_count=letter.high_count,
                medium_count=letter.medium_count, proposals=self._marks(s, letter.id, "proposal"),
                accepted=self._marks(s, letter.id, "accepted"), comments=comments,
                approved_by=names.get(approval.approver_id) if approval and approval.voided_at is None else None,
                approval_valid=valid, previous_submitted=previous)

    def list(self, status: Status | str | None = None, limit: int | None = None,
             writer_id: int | None = None) -> list[LetterSummary]:
        writer = aliased(User)
        q = (select(Letter.id, Letter.template_id, Letter.status, writer.name, Letter.updated_at, Letter.submitted_at,
                    Letter.high_count, Letter.medium_count, func.substr(Letter.body, 1, 60))
             .outerjoin(writer, writer.id == Letter.writer_id))
        if status is not None:
            q = q.where(Letter.status == Status(status).value)
        if writer_id is not None:
            q = q.where(Letter.writer_id == writer_id)
        order = Letter.submitted_at if status == Status.SUBMITTED else Letter.updated_at
        q = q.order_by(order.desc(), Letter.id.desc())
        if limit:
            q = q.limit(limit)
        with self.db.session() as s:
            rows = s.connection().execute(q).all()
        statuses = {st.value: st for st in Status}
        return [LetterSummary(r[0], r[1], statuses[r[2]], r[3] or "（以前の下書き）", r[4], r[5], r[6], r[7], r[8] or "")
                for r in rows]

    def queue(self) -> list[LetterSummary]:
        """Letters awaiting review, oldest request first."""
        return list(reversed(self.list(Status.SUBMITTED)))

    # ---- retention ---------------------------------------------------------------------
    def purge_expired(self, now=None) -> int:
        """Delete letters sent (送付済み) or left untouched (abandoned drafts) for longer than the
        retention period, with their versions, marks, comments and approvals. The audit log keeps only
        their hashes. Returns how many letters were deleted."""
        cutoff = (now or utcnow()) - dt.timedelta(days=self.retention_days())
        with self.db.session() as s:
            rows = s.execute(select(Letter.id, Letter.body).where(
                Letter.updated_at < cutoff,
                Letter.status.in_([Status.EXPORTED.value, Status.DRAFT.value, Status.RETURNED.value]))).all()
            ids = [r.id for r in rows]
            for table in (LetterVersion, Mark, Comment, Approval, Export):
                if ids:
                    s.execute(delete(table).where(table.letter_id.in_(ids)))
            if ids:
                s.execute(delete(Letter).where(Letter.id.in_(ids)))
            for r in rows:
                audit.append(s, "system", "retention_purge", r.id, sha256(r.body))
        return len(ids)

    # ---- the export gate -----------------------------------------------------------------
    def gate(self, letter_id: int) -> GateResult:
        """Re-check the exact text that would be exported and apply the facility's policy."""
        view = self.get(letter_id)
        findings = self._check(view.body, view.context)
        blocking = unresolved_high(findings, view.accepted)
        return GateResult(findings, blocking, needs_approval(self.policy(), findings))

    def export(self, actor: Actor, letter_id: int, write: Callable[[str], Path]) -> tuple[Path, str]:
        """The one gate for every export. `write(body)` writes the file (atomically) and returns its path.
        Records the file's SHA-256, who exported it and when; the letter becomes 送付済み."""
        if not (actor.has("writer") or actor.has("reviewer")):
            raise WorkflowRefused(Refusal.MISSING_ROLE, "書き出しには作成者または確認者の役割が必要です。")
        with self.db.session() as s:
            letter = self._letter(s, letter_id, lock=True)
            body = letter.body
            if not body.strip():
                raise WorkflowRefused(Refusal.BAD_INPUT, "本文が空の手紙は書き出せません。")
            findings = self._check(body, letter.context)
            blocking = unresolved_high(findings, self._marks(s, letter.id, "accepted"))
            if blocking:
                raise WorkflowRefused(Refusal.HIGH_NOT_ACCEPTED,
                                      f"重大な指摘が{len(blocking)}件あり、確認者の了承がありません。", findings=blocking)
            if needs_approval(self.policy(), findings) and self._valid_approval(s, letter) is None:
                stale = s.execute(select(Approval.id).where(Approval.letter_id == letter.id)).first() is not None
                if stale:
                    raise WorkflowRefused(Refusal.STALE_APPROVAL,
                                          "承認後に手紙が変更されたため、承認は無効です。もう一度確認を依頼してください。")
                raise WorkflowRefused(Refusal.NOT_APPROVED, "この手紙はまだ承認されていません。確認者の承認が必要です。")
            path = write(body)
            digest = file_sha256(path)
            s.add(Export(letter_id=letter.id, file_sha=digest, body_sha=sha256(body), file_name=Path(path).name[:500],
                         user_id=actor.id))
            letter.status = Status.EXPORTED.value
            audit.append(s, actor.name, "export", letter.id, sha256(body), detail=f"file {digest}")
        return Path(path), digest
