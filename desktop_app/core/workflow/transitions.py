"""The review workflow's acts: 下書き → 確認待ち → 承認済み / 差し戻し → 送付済み, enforced here for the window
and the CLI alike. A request can be withdrawn (確認待ち → 下書き); a sent letter is never changed again, but a
new draft can be made from it. An approval binds to the exact body, template and check context; any later edit voids
it. Nobody approves their own letter. Every export passes one gate in two steps: check_export re-checks the
exact text outside any transaction, commit_export re-verifies it in a short one and records the file."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from desktop_app.core import signatures, signing
from desktop_app.core.accounts import Actor
from desktop_app.core.audit import head_in as audit_head
from desktop_app.core.context import CheckContext
from desktop_app.core.db import Database
from desktop_app.core.db.models import (
    Approval,
    Comment,
    Export,
    Letter,
    LetterSource,
    LetterVersion,
    Mark,
    User,
    utcnow,
)
from desktop_app.core.docx_props import write_custom_properties
from desktop_app.core.errors import Refusal, WorkflowRefused
from desktop_app.core.fileio import WriteError, refuse_read_only
from desktop_app.core.findings import Finding, Severity
from desktop_app.core.workflow.admin import policy_in, setup_needed_in
from desktop_app.core.workflow.queries import LetterQueries
from desktop_app.core.workflow.state import (
    Status,
    context_sha,
    needs_approval,
    sha256,
    source_too_large,
    unresolved_high,
)
from desktop_app.core.workflow.uow import UnitOfWork, require, unit_of_work

Checker = Callable[[str, CheckContext], list[Finding]]
CONFLICT_MESSAGE = "この手紙は別のPCで先に保存されました。あなたの文面は消えていません。新しい下書きとして保存できます。"
# the states whose text is never saved over, and why (the window's banner says the same through Allowed.why)
NOT_EDITABLE = {
    Status.SUBMITTED: "確認待ちの手紙は変更できません。確認者の判断をお待ちください（「依頼を取り下げる」と下書きに戻せます）。",
    Status.EXPORTED: "送付済みの手紙は変更できません。「この手紙をもとに新しく作成」で新しい下書きを作ってください。",
}


SYSTEM_ACTOR = "（システム）"  # the app itself, at start: not a person's act
PENDING_ELSEWHERE = dt.timedelta(hours=1)  # another PC's pending export is taken as crashed after this long
RENAME_WINDOW = dt.timedelta(days=30)  # how far back a start looks for a written export left unrenamed
log = logging.getLogger(__name__)
HEAD_COUNT, HEAD_HASH = "CareLetterAuditCount", "CareLetterAuditHead"


def head_properties(count: int, head: str) -> dict[str, str]:
    """The audit chain's head as the sent file carries it (the .docx's custom properties)."""
    return {HEAD_COUNT: str(count), HEAD_HASH: head}


def temp_path(final: Path, export_id: int) -> Path:
    """Where export `export_id` is written before it is recorded: hidden, beside its final name, and known
    from the record alone, so that the next start can remove what a crash left."""
    return final.with_name(f".~{final.stem}.export-{export_id}{final.suffix}")


def process_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(owner: str, since: dt.datetime | None) -> bool:
    """The process that recorded a pending export may still be writing it: on this PC, while it runs;
    on another PC, for PENDING_ELSEWHERE after it started."""
    host, _, pid = (owner or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return bool(host) and since is not None and utcnow() - since < PENDING_ELSEWHERE
    if int(pid) == os.getpid():
        return True
    if os.name == "nt":  # os.kill(pid, 0) would end the process on Windows
        return since is not None and utcnow() - since < PENDING_ELSEWHERE
    try:
        os.kill(int(pid), 0)
    except (OSError, ValueError):
        return False
    return True


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def _counts(letter: Letter, findings: Sequence[Finding]) -> None:
    letter.high_count = sum(f.severity == Severity.HIGH for f in findings)
    letter.medium_count = sum(f.severity == Severity.MEDIUM for f in findings)


@dataclass(frozen=True)
class ExportTicket:
    """What the gate's first step checked: the exact text, its template and context, and its findings.
    The second step writes only if the letter is still exactly this."""

    letter_id: int
    body: str
    template_id: str
    context_sha: str
    findings: tuple[Finding, ...]
    source_sha: str | None = None  # a Word letter's stored original (letters.source_sha256), bound in context_sha

    @property
    def body_sha(self) -> str:
        return sha256(self.body)


class Workflow:
    """Every workflow rule lives here; the window, the reviewer's view and the CLI call these acts and show
    the refusals."""

    def __init__(self, db: Database, checker: Checker, letters: LetterQueries | None = None):
        self.db = db
        self.checker = checker
        self.letters = letters or LetterQueries(db)

    def _check(self, body: str, context: dict) -> list[Finding]:
        return self.checker(body, CheckContext.from_dict(context))

    # ---- writing -------------------------------------------------------------------------
    def create(self, actor: Actor, template_id: str, body: str, fields: dict | None = None,
               context: CheckContext | None = None, source: bytes | None = None, source_name: str = ""):
        """A new 下書き. `source`: a Word letter's original .docx, stored with it (letter_sources) so that every
        PC can review and export it; its SHA-256 is bound into the approval (context_sha). Refused when
        larger than MAX_SOURCE_BYTES."""
        require(actor, "writer", "手紙の作成")
        if source is not None and (why := source_too_large(source_name or "Word", len(source))):
            raise WorkflowRefused(Refusal.BAD_INPUT, why)
        with unit_of_work(self.db) as u:
            if setup_needed_in(u):
                raise WorkflowRefused(Refusal.SETUP_REQUIRED, "先に施設情報と管理者を登録してください。")
            letter = Letter(template_id=template_id, fields=dict(fields or {}),
                            context=(context or CheckContext()).to_dict(), body=body, status=Status.DRAFT.value,
                            writer_id=actor.id, last_editor_id=actor.id, high_count=0, medium_count=0,
                            source_sha256=hashlib.sha256(source).hexdigest() if source is not None else None)
            u.s.add(letter)
            u.s.flush()
            if source is not None:
                u.s.add(LetterSource(letter_id=letter.id, name=(source_name or "")[:500], size=len(source),
                                     sha256=letter.source_sha256, content=source))
            u.add_version(letter, actor)
            u.record(actor, "create", letter, body)
            letter_id = letter.id
        return self.letters.get(letter_id)

    def derive(self, actor: Actor, letter_id: int):
        """「この手紙をもとに新しく作成」: a new 下書き with the sent letter's template, form, context and text,
        remembering where it came from. The sent letter itself stays as it was sent."""
        require(actor, "writer", "手紙の作成")
        with unit_of_work(self.db) as u:
            source = u.letter(letter_id)
            if Status(source.status) != Status.EXPORTED:
                raise WorkflowRefused(Refusal.WRONG_STATE, f"「{Status(source.status).label_ja}」の手紙はそのまま編集できます"
                                      "（もとにして新しく作成できるのは送付済みの手紙だけです）。")
            letter = Letter(template_id=source.template_id, fields=dict(source.fields or {}),
                            context=dict(source.context or {}), body=source.body, status=Status.DRAFT.value,
                            writer_id=actor.id, last_editor_id=actor.id, high_count=0, medium_count=0,
                            derived_from_id=source.id, source_sha256=source.source_sha256)
            u.s.add(letter)
            u.s.flush()
            original = u.s.get(LetterSource, source.id) if source.source_sha256 else None
            if original is not None:  # a Word letter's new draft goes into the same original
                u.s.add(LetterSource(letter_id=letter.id, name=original.name, size=original.size,
                                     sha256=original.sha256, content=original.content))
            u.add_version(letter, actor)
            u.record(actor, "derive", letter, letter.body, detail=f"from {source.id}")
            new_id = letter.id
        return self.letters.get(new_id)

    def save(self, actor: Actor, letter_id: int, body: str, expected_version: int, fields: dict | None = None,
             context: CheckContext | None = None, template_id: str | None = None):
        """A new version. Refused with CONFLICT when another PC saved since `expected_version` (the
        caller keeps the text and can save it as a new letter). Voids an approval."""
        require(actor, "writer", "手紙の編集")
        try:
            with unit_of_work(self.db) as u:
                letter = u.letter(letter_id, lock=True)
                if letter.version != expected_version:
                    raise WorkflowRefused(Refusal.CONFLICT, CONFLICT_MESSAGE, current_version=letter.version)
                if Status(letter.status) in NOT_EDITABLE:
                    raise WorkflowRefused(Refusal.WRONG_STATE, NOT_EDITABLE[Status(letter.status)])
                ctx = context.to_dict() if context is not None else letter.context
                tid = template_id or letter.template_id
                changed = (body, ctx, tid) != (letter.body, letter.context, letter.template_id)
                if fields is not None:
                    letter.fields = dict(fields)
                if changed:
                    old_status = Status(letter.status)
                    letter.body, letter.context, letter.template_id = body, ctx, tid
                    letter.last_editor_id = actor.id
                    letter.updated_at = utcnow()
                    u.add_version(letter, actor)
                    voided = u.s.execute(select(Approval).where(Approval.letter_id == letter.id,
                                                                Approval.voided_at.is_(None))).scalars().all()
                    for ap in voided:
                        ap.voided_at = utcnow()
                    letter.status = Status.DRAFT.value
                    action = "edit_after_approval" if (voided or old_status == Status.APPROVED) else "edit"
                    u.record(actor, action, letter, body,
                             detail="" if old_status == Status.DRAFT else f"{old_status.value} -> draft")
                else:
                    letter.updated_at = utcnow()
                u.s.flush()
        except StaleDataError:
            raise WorkflowRefused(Refusal.CONFLICT, CONFLICT_MESSAGE) from None
        return self.letters.get(letter_id)

    def propose(self, actor: Actor, letter_id: int, finding_key: str, reason: str) -> None:
        """The writer's 確認済み: a proposal with its reason, shown to the reviewer."""
        require(actor, "writer", "確認済みの提案")
        if not reason.strip():
            raise WorkflowRefused(Refusal.BAD_INPUT, "確認済みにする理由を入力してください。")
        with unit_of_work(self.db) as u:
            letter = u.letter(letter_id)
            u.upsert_mark(letter.id, finding_key, "proposal", reason.strip(), actor)
            u.record(actor, "propose", letter, detail=finding_key.split("\t", 1)[0])

    def withdraw(self, actor: Actor, letter_id: int, finding_key: str) -> None:
        """The writer takes a 確認済み back."""
        require(actor, "writer", "確認済みの取り消し")
        with unit_of_work(self.db) as u:
            letter = u.letter(letter_id)
            marks = u.s.execute(select(Mark).where(Mark.letter_id == letter_id, Mark.finding_key == finding_key,
                                                   Mark.kind == "proposal")).scalars().all()
            for m in marks:
                u.s.delete(m)
            if marks:
                u.record(actor, "withdraw", letter, detail=finding_key.split("\t", 1)[0])

    def submit(self, actor: Actor, letter_id: int):
        require(actor, "writer", "確認依頼")
        with unit_of_work(self.db) as u:
            letter = u.letter(letter_id, lock=True)
            if Status(letter.status) not in (Status.DRAFT, Status.RETURNED):
                raise WorkflowRefused(Refusal.WRONG_STATE,
                                      f"「{Status(letter.status).label_ja}」の手紙は確認依頼できません。")
            if not letter.body.strip():
                raise WorkflowRefused(Refusal.BAD_INPUT, "本文が空の手紙は確認依頼できません。")
            _counts(letter, self._check(letter.body, letter.context))
            letter.status = Status.SUBMITTED.value
            letter.submitted_at = utcnow()
            last = u.s.execute(select(LetterVersion).where(LetterVersion.letter_id == letter.id)
                               .order_by(LetterVersion.number.desc()).limit(1)).scalar_one_or_none()
            if last is not None and last.body_sha == sha256(letter.body):
                last.submitted = True
            else:
                u.add_version(letter, actor, submitted=True)
            u.record(actor, "submit", letter, letter.body)
        return self.letters.get(letter_id)

    def withdraw_request(self, actor: Actor, letter_id: int):
        """依頼を取り下げる: a letter waiting for review goes back to 下書き, so its writer (or another writer)
        can change it before anyone decides; any writer may, as any writer may edit a draft."""
        require(actor, "writer", "確認依頼の取り下げ")
        with unit_of_work(self.db) as u:
            letter = u.letter(letter_id, lock=True)
            if Status(letter.status) != Status.SUBMITTED:
                raise WorkflowRefused(Refusal.WRONG_STATE, f"「{Status(letter.status).label_ja}」の手紙は取り下げられません"
                                      "（取り下げられるのは確認待ちの手紙だけです）。")
            letter.status = Status.DRAFT.value
            letter.updated_at = utcnow()
            u.record(actor, "request_withdrawn", letter, letter.body)
        return self.letters.get(letter_id)

    # ---- reviewing -----------------------------------------------------------------------
    @staticmethod
    def _may_review(actor: Actor, letter: Letter) -> None:
        require(actor, "reviewer", "承認・差し戻し")
        if actor.id in (letter.writer_id, letter.last_editor_id):
            raise WorkflowRefused(Refusal.SELF_APPROVAL, "自分で作成・編集した手紙は承認できません。別の確認者に依頼してください。")

    def approve(self, actor: Actor, letter_id: int, accept_reason: str | None = None,
                accept: dict[str, str] | None = None, version: int | None = None):
        """Approve the submitted body. High findings must each be accepted by this reviewer:
        `accept` maps finding keys to reasons; `accept_reason` accepts every remaining one with one reason.
        Each acceptance is one 指摘の了承 entry in the audit log, whichever way it was given.
        `version` is the text version (第N版) the reviewer read: refused with CONFLICT when the letter's text
        is another one now, so nobody approves a version they have not seen. One approval per version is
        also a unique index: a second reviewer approving at the same moment is refused, not an error."""
        with unit_of_work(self.db) as u:
            letter = u.letter(letter_id, lock=True)
            self._may_review(actor, letter)
            if Status(letter.status) != Status.SUBMITTED:
                raise WorkflowRefused(Refusal.WRONG_STATE,
                                      f"「{Status(letter.status).label_ja}」の手紙は承認できません（確認待ちの手紙だけ）。")
            current = u.text_version(letter.id)
            if version is not None and version != current:
                raise WorkflowRefused(Refusal.CONFLICT, f"ほかの方が先に変更しました：読まれたのは第{version}版ですが、"
                                      f"手紙はいま第{current}版です。承認していません。第{current}版を読んでから承認してください。",
                                      current_version=current)
            findings = self._check(letter.body, letter.context)
            accepted = u.marks(letter.id, "accepted")
            blocking = unresolved_high(findings, accepted)
            reasons = {f.key: (accept or {}).get(f.key, "").strip() or (accept_reason or "").strip()
                       for f in blocking}
            blocking = [f for f in blocking if not reasons[f.key]]
            if blocking:
                raise WorkflowRefused(Refusal.HIGH_NOT_ACCEPTED,
                                      f"重大な指摘が{len(blocking)}件残っています。修正を依頼するか、理由を添えて了承してください。",
                                      findings=blocking)
            for key, reason in reasons.items():
                u.upsert_mark(letter.id, key, "accepted", reason, actor)
                u.record(actor, "accept_finding", letter, letter.body, detail=key.split("\t", 1)[0])
            u.s.add(_signed_approval(u, letter, actor, current))
            letter.status = Status.APPROVED.value
            _counts(letter, findings)
            u.record(actor, "approve", letter, letter.body)
        return self.letters.get(letter_id)

    def return_letter(self, actor: Actor, letter_id: int, comment: str,
                      ranges: Sequence[tuple[int, int, str]] = ()):
        """差し戻し with a comment; `ranges` are (start, end, comment) on parts of the text."""
        if not comment.strip() and not ranges:
            raise WorkflowRefused(Refusal.BAD_INPUT, "差し戻しの理由（コメント）を入力してください。")
        with unit_of_work(self.db) as u:
            letter = u.letter(letter_id, lock=True)
            self._may_review(actor, letter)
            if Status(letter.status) != Status.SUBMITTED:
                raise WorkflowRefused(Refusal.WRONG_STATE, "確認待ちの手紙だけ差し戻せます。")
            if comment.strip():
                u.s.add(Comment(letter_id=letter.id, start=0, end=0, quote="", text=comment.strip(),
                                author_id=actor.id))
            for start, end, text in ranges:
                _add_comment(u, letter, actor, start, end, text)
            letter.status = Status.RETURNED.value
            u.record(actor, "return", letter, letter.body)
        return self.letters.get(letter_id)

    def add_comment(self, actor: Actor, letter_id: int, start: int, end: int, text: str) -> None:
        require(actor, "reviewer", "コメント")
        with unit_of_work(self.db) as u:
            letter = u.letter(letter_id)
            _add_comment(u, letter, actor, start, end, text)
            u.record(actor, "comment", letter)

    # ---- notices ---------------------------------------------------------------------------
    def mark_notices_seen(self, actor: Actor, upto=None) -> None:
        """The person has read their notices up to `upto` (the newest notice shown; now when None), so a
        decision made while they read still comes as a new notice. Not a letter act: not audited."""
        with unit_of_work(self.db) as u:
            user = u.s.get(User, actor.id)
            if user is not None:
                when = upto or utcnow()
                if user.notices_seen_at is None or when > user.notices_seen_at:
                    user.notices_seen_at = when

    # ---- the export gate -----------------------------------------------------------------
    def check_export(self, actor: Actor, letter_id: int) -> ExportTicket:
        """The gate's first step, outside any transaction: re-check the exact text that would be written and
        refuse when a high finding is not accepted or the approval the policy asks for is missing."""
        _may_export(actor)
        with unit_of_work(self.db) as u:
            letter = u.letter(letter_id)
            body, template_id, ctx = letter.body, letter.template_id, dict(letter.context or {})
            source_sha = letter.source_sha256
        if not body.strip():
            raise WorkflowRefused(Refusal.BAD_INPUT, "本文が空の手紙は書き出せません。")
        ticket = ExportTicket(letter_id, body, template_id, context_sha(ctx, source_sha),
                              tuple(self._check(body, ctx)), source_sha)
        with unit_of_work(self.db) as u:
            self._verify(u, u.letter(letter_id), ticket)
        return ticket

    def commit_export(self, actor: Actor, ticket: ExportTicket, path: Path,
                      write: Callable[[str, Path], object]) -> tuple[Path, str]:
        """The gate's second step. No sendable file without its record, and no file newer than its record:
        A `.pdf` path: `write` still writes the .docx; it is made in a private folder, the head stamped into
        it, and LibreOffice's PDF of it (the head in its metadata, core/export_pdf.py) is this export's file.
        1. one short transaction locks the letter, verifies that it is still the text that was checked and
           that its approval holds, and records the export as `pending` with the audit chain's head (read
           there: the head before this export's own entry);
        2. `write(body, tmp)` writes the file under a hidden temporary name in the target folder, and the
           head is stamped into it (a .docx's custom properties);
        3. a second transaction verifies again, marks the export `written` with the file's SHA-256 (the
           letter becomes 送付済み, one `export` audit entry);
        4. only then is the file renamed to `path`.
        Anything failing before 3 removes the temporary file and marks the record `failed` (audited); a crash
        leaves a `pending` record that the next start marks failed (recover_exports). A failed rename or a
        crash after 3 leaves a `written` record and its file under the temporary name, which the next start
        renames (finish_renames)."""
        _may_export(actor)
        final = Path(path)
        refuse_read_only(final)
        if not final.parent.is_dir():
            raise WriteError("no_folder", final, f"保存先のフォルダーが見つかりません：{final.parent}")
        with unit_of_work(self.db) as u:
            letter = u.letter(ticket.letter_id, lock=True)
            self._still_ticket(u, letter, ticket)
            u.still_allowed(actor)
            count, head = audit_head(u.s)
            export = Export(letter_id=letter.id, file_sha="", body_sha=ticket.body_sha, file_name=final.name[:500],
                            user_id=actor.id, status="pending", path=str(final)[:1000], owner=process_owner(),
                            audit_count=count, audit_hash=head)
            u.s.add(export)
            u.s.flush()
            export_id = export.id
        tmp = temp_path(final, export_id)
        try:
            if final.suffix.lower() == ".pdf":  # `write` writes the .docx; LibreOffice makes the PDF of it
                from desktop_app.core.export_pdf import write_pdf

                write_pdf(lambda docx: write(ticket.body, docx), tmp, head_properties(count, head))
            else:
                write(ticket.body, tmp)
            if not tmp.is_file():
                raise WriteError("os_error", final, f"「{final}」を保存できませんでした。")
            if final.suffix.lower() == ".docx":
                write_custom_properties(tmp, head_properties(count, head))
            digest = file_sha256(tmp)
            with unit_of_work(self.db) as u:
                letter = u.letter(ticket.letter_id, lock=True)
                self._still_ticket(u, letter, ticket)
                record = u.s.get(Export, export_id)
                if record is None or record.status != "pending":
                    raise WorkflowRefused(Refusal.CONFLICT, "ほかの方（別のPCの起動処理）が、この書き出しを中断されたものとして記録しました。"
                                          "何も書き出していません。もう一度書き出してください。")
                record.status, record.file_sha = "written", digest
                letter.status = Status.EXPORTED.value
                u.record(actor, "export", letter, ticket.body, detail=f"file {digest}")
        except BaseException as exc:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
            self._export_failed(actor, export_id, exc)
            raise
        try:
            os.replace(tmp, final)
        except OSError as exc:
            # the record says written: the file is kept under its temporary name, and the next start renames
            # it (finish_renames) once the name is free; it is never removed
            raise WriteError("os_error", final, f"「{final}」の名前で保存できませんでした（{exc.strerror or exc}）。"
                             f"書き出しは記録済みで、ファイルは「{tmp.name}」として同じフォルダーにあります。"
                             "次にアプリを起動したときに、元の名前に直します。") from exc
        return final, digest

    def export(self, actor: Actor, letter_id: int, path: Path,
               write: Callable[[str, Path], object]) -> tuple[Path, str]:
        """Both steps at once, for callers with nothing to ask in between."""
        return self.commit_export(actor, self.check_export(actor, letter_id), path, write)

    def _still_ticket(self, u: UnitOfWork, letter: Letter, ticket: ExportTicket) -> None:
        if (sha256(letter.body), letter.template_id, context_sha(letter.context, letter.source_sha256)) != (
                ticket.body_sha, ticket.template_id, ticket.context_sha):
            raise WorkflowRefused(Refusal.CONFLICT, "ほかの方が先に変更しました：書き出しの準備中に、手紙が別の操作で変更されました。"
                                  "何も書き出していません。内容を確かめて、もう一度書き出してください。")
        self._verify(u, letter, ticket)

    def _export_failed(self, actor: Actor, export_id: int, exc: BaseException) -> None:
        """Mark a pending export failed (audited, signed by the person who exported; by the app itself when
        that person may no longer act, e.g. stopped meanwhile). Best effort: when the database cannot be
        reached now, the record stays pending, and the next start marks it failed."""
        reason = getattr(exc, "reason", None) or type(exc).__name__
        for who in (actor, SYSTEM_ACTOR):
            try:
                with unit_of_work(self.db) as u:
                    record = u.s.get(Export, export_id)
                    if record is not None and record.status == "pending":
                        record.status = "failed"
                        detail = f"export {export_id}: {reason}" + ("" if who is actor else f" ({actor.name})")
                        u.record(who, "export_failed", record.letter_id, detail=detail)
                return
            except WorkflowRefused:
                continue  # the person's account changed: the app records it
            except Exception:
                return

    def recover_exports(self) -> list[int]:
        """At start: a pending export whose writer is gone (this PC's process ended; another PC's after an
        hour) never reached its file name: mark it failed, audited, and remove its temporary file."""
        failed: list[int] = []
        with contextlib.suppress(WorkflowRefused), unit_of_work(self.db) as u:
            for record in u.s.execute(select(Export).where(Export.status == "pending")).scalars():
                if owner_alive(record.owner, record.created_at):
                    continue
                final = Path(record.path) if record.path else None
                if final is not None:
                    with contextlib.suppress(OSError):
                        temp_path(final, record.id).unlink(missing_ok=True)
                record.status = "failed"
                u.record(SYSTEM_ACTOR, "export_failed", record.letter_id,
                         detail=f"export {record.id}: interrupted, no file {'at its name' if final else ''}".strip())
                failed.append(record.id)
        self.finish_renames()
        return failed

    def reopen_unsigned_approvals(self) -> list[int]:
        """At start: a 承認済み letter whose approval has no signature (approved before the upgrade to signing
        keys, or a row written by hand) cannot pass the export gate, and no one could approve it again while
        it is 承認済み. Such a letter goes back to 確認待ち, into the reviewers' queue: its unsigned approval
        is voided and the app records why (audited as the app, `reapproval_needed`). Returns the letter ids."""
        reopened: list[int] = []
        with contextlib.suppress(WorkflowRefused), unit_of_work(self.db) as u:
            rows = u.s.execute(
                select(Letter, Approval).join(Approval, Approval.letter_id == Letter.id)
                .where(Letter.status == Status.APPROVED.value, Approval.voided_at.is_(None),
                       Approval.signature.is_(None))).all()
            for letter, approval in rows:
                approval.voided_at = utcnow()
                if letter.id in reopened:
                    continue
                letter.status = Status.SUBMITTED.value
                u.record(SYSTEM_ACTOR, "reapproval_needed", letter, letter.body,
                         detail="approval without a signature (from before signing keys): back to review")
                reopened.append(letter.id)
        return reopened

    def finish_renames(self) -> list[int]:
        """At start: a `written` export whose file still has its temporary name (a crash or a failed rename
        after the record, before the rename). When that file is there, its SHA-256 is the record's and the
        final name is free, it gets its name now (audited, `export_renamed`). Otherwise it is left as it is
        and reported: a warning in the log at every start, one `export_unfinished` entry. A file whose record
        says written is never removed. Only exports of the last RENAME_WINDOW are looked at, so that a start
        does not touch every file ever sent. Returns the ids renamed."""
        from desktop_app.core.db.models import AuditEntry  # here: the import block stays as it was

        renamed: list[int] = []
        with contextlib.suppress(WorkflowRefused), unit_of_work(self.db) as u:
            rows = u.s.execute(select(Export).where(Export.status == "written", Export.path != "",
                                                    Export.created_at >= utcnow() - RENAME_WINDOW)
                               .order_by(Export.id)).scalars().all()
            for record in rows:
                if owner_alive(record.owner, record.created_at):
                    continue  # its process may be renaming it at this moment
                final = Path(record.path)
                tmp = temp_path(final, record.id)
                try:
                    if not tmp.is_file():
                        continue
                    problem = _rename_if_same(tmp, final, record.file_sha)
                except OSError as exc:
                    problem = f"名前を直せませんでした（{exc.strerror or exc}）"
                if problem is None:
                    u.record(SYSTEM_ACTOR, "export_renamed", record.letter_id,
                             detail=f"export {record.id}: {tmp.name} -> {final.name}"[:500])
                    renamed.append(record.id)
                    continue
                detail = f"export {record.id}: {tmp} のまま：{problem}"[:500]
                log.warning("書き出し %s は一時的な名前のままです：%s（%s）", record.id, tmp, problem)
                reported = u.s.scalar(select(AuditEntry.id).where(AuditEntry.action == "export_unfinished",
                                                                  AuditEntry.detail == detail).limit(1))
                if reported is None:
                    u.record(SYSTEM_ACTOR, "export_unfinished", record.letter_id, detail=detail)
        return renamed

    @staticmethod
    def _verify(u: UnitOfWork, letter: Letter, ticket: ExportTicket) -> None:
        blocking = unresolved_high(ticket.findings, u.marks(letter.id, "accepted"))
        if blocking:
            raise WorkflowRefused(Refusal.HIGH_NOT_ACCEPTED,
                                  f"重大な指摘が{len(blocking)}件あり、確認者の了承がありません。", findings=blocking)
        if needs_approval(policy_in(u), ticket.findings) and u.valid_approval(letter) is None:
            if letter.status == Status.SUBMITTED.value:  # waiting for a reviewer (also a reopened old approval)
                raise WorkflowRefused(Refusal.NOT_APPROVED, "この手紙は確認待ちです。確認者が承認してから書き出せます。")
            stale = u.s.execute(select(Approval.id).where(Approval.letter_id == letter.id)).first() is not None
            if stale:
                raise WorkflowRefused(Refusal.STALE_APPROVAL,
                                      "承認後に手紙が変更されたため、承認は無効です。もう一度確認を依頼してください。")
            raise WorkflowRefused(Refusal.NOT_APPROVED, "この手紙はまだ承認されていません。確認者の承認が必要です。")
        if needs_approval(policy_in(u), ticket.findings):
            if problem := signatures.approval_problem(u.s, u.valid_approval(letter), letter):
                raise WorkflowRefused(Refusal.BAD_SIGNATURE, problem)


def _signed_approval(u: UnitOfWork, letter: Letter, actor: Actor, version: int) -> Approval:
    """The approval of the letter's text version `version` (the newest, read in this transaction), signed with the approver's key over exactly what was
    approved (signing.approval_bytes): a row written by hand cannot carry such a signature."""
    if actor.signing_key is None or actor.key_id is None:
        raise WorkflowRefused(Refusal.ACCOUNT_CHANGED, "署名の鍵が開かれていないため承認できません。"
                              "ログアウトして、もう一度ログインしてください。")
    ap = Approval(letter_id=letter.id, body_sha=sha256(letter.body), template_id=letter.template_id,
                  context_sha=context_sha(letter.context, letter.source_sha256), approver_id=actor.id, key_id=actor.key_id,
                  version_number=version, signed_at=utcnow().isoformat(timespec="microseconds"))
    ap.signature = signing.sign(actor.signing_key, signing.approval_bytes(
        letter.id, version, ap.body_sha, ap.template_id, ap.context_sha, actor.id, actor.name, ap.signed_at))
    return ap


def _rename_if_same(tmp: Path, final: Path, file_sha: str) -> str | None:
    """Give `tmp` the name `final` when it is the recorded file and nothing has that name; else why not.
    A hard link then unlink never replaces a file that appeared meanwhile (os.rename does on POSIX); where
    links are not possible (FAT, some shares) the free name is checked just before os.replace."""
    if file_sha256(tmp) != file_sha:
        return "ファイルの内容が記録と違います"
    if final.exists():
        return f"「{final.name}」という名前のファイルがすでにあります"
    if os.name == "nt":
        os.rename(tmp, final)  # refuses an existing target on Windows
        return None
    try:
        os.link(tmp, final)
    except FileExistsError:
        return f"「{final.name}」という名前のファイルがすでにあります"
    except OSError:
        if final.exists():
            return f"「{final.name}」という名前のファイルがすでにあります"
        os.replace(tmp, final)
        return None
    tmp.unlink()
    return None


def _may_export(actor: Actor) -> None:
    if not (actor.has("writer") or actor.has("reviewer")):
        raise WorkflowRefused(Refusal.MISSING_ROLE, "書き出しには作成者または確認者の役割が必要です。")


def _add_comment(u: UnitOfWork, letter: Letter, actor: Actor, start: int, end: int, text: str) -> None:
    if not (0 <= start < end <= len(letter.body)) or not text.strip():
        raise WorkflowRefused(Refusal.BAD_INPUT, "コメントの範囲または内容が正しくありません。")
    u.s.add(Comment(letter_id=letter.id, start=start, end=end, quote=letter.body[start:end], text=text.strip(),
                    author_id=actor.id))

