"""One letter as a person works on it, without Qt: the text or Word letter being edited, its typed context,
the findings of its current revision with their status, its workflow state and the acts this person may do
now, and the path of its export. The main window, the reviewer's view and the CLI all drive this object;
the windows only show its state and forward intentions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.core.accounts import Actor
from desktop_app.core.context import CheckContext, Facility
from desktop_app.core.errors import Refusal, WorkflowRefused
from desktop_app.core.fileio import WriteError, same_file
from desktop_app.core.findings import Finding
from desktop_app.core.templates import TemplateLibrary
from desktop_app.core.word import letter as word
from desktop_app.core.workflow import ExportTicket, Services
from desktop_app.core.workflow.state import (
    CommentView,
    FindingsReview,
    LetterView,
    Status,
    unresolved_high,
)
from desktop_app.core.writers import PreparedExport, prepare, suggested_name, write_draft


@dataclass(frozen=True)
class Allowed:
    """What this person may do with the letter now; `why` says why editing is off, in the window's words.
    Every button and menu entry of the windows follows one of these, so nothing is enabled that would do
    nothing."""

    edit: bool  # change the text and the form, save
    submit: bool
    review: bool  # approve, return (a reviewer, not the letter's own writer, on a letter waiting for review)
    why: str = ""
    withdraw: bool = False  # 依頼を取り下げる: a writer, on a letter waiting for review
    derive: bool = False  # この手紙をもとに新しく作成: a writer, on a sent letter
    new: bool = True  # 新しい手紙: whatever state this letter is in
    draft: bool = True  # 下書きとして書き出す: not for a sent letter (a 下書き stamp on what was sent misleads)

    @property
    def fix(self) -> bool:
        """The findings panel's 提案を適用 / 伏せ字にする / 確認済みにする change the letter: only when editable."""
        return self.edit


@dataclass
class ExportPlan:
    """The gate's first step passed and the writer is prepared; nothing is written and no transaction is
    open while the person is asked where to put the file."""

    ticket: ExportTicket
    prepared: PreparedExport

    @property
    def warnings(self) -> list[str]:
        return self.prepared.warnings


@dataclass
class ExportResult:
    path: Path
    digest: str
    summary: list[str] = field(default_factory=list)


class WordOriginal:
    """The original .docx of a Word letter: the one stored with the letter (read from the database once per
    letter, so every PC has it), else, for a letter from before the originals were stored, the file at its
    path, read once per state of the file on disk (not at every check)."""

    def __init__(self, load: Callable[[int], bytes | None] | None = None) -> None:
        self._load = load
        self._key: tuple | None = None
        self._doc = None
        self._stored_key: tuple | None = None
        self._stored = None  # (doc,) when the letter has a stored original, else None

    def document(self, fields: dict, letter_id: int | None = None):
        if letter_id is not None and self._load is not None:
            key = (letter_id, str(fields.get(word.SHA) or ""))
            if key != self._stored_key:
                data = self._load(letter_id)
                self._stored_key = key
                self._stored = (word.original(fields, data),) if data is not None else None
            if self._stored is not None:
                return self._stored[0]
        key = _file_state(fields)
        if key != self._key:
            self._key, self._doc = key, (word.original(fields) if key[2] is not None else None)
        return self._doc

    def remember(self, fields: dict, doc, letter_id: int | None = None) -> None:
        """The original just read (a new letter), or just stored with letter `letter_id`."""
        if letter_id is not None:
            self._stored_key, self._stored = (letter_id, str(fields.get(word.SHA) or "")), (doc,)
        else:
            self._key, self._doc = _file_state(fields), doc

    def source(self, fields: dict, letter_id: int | None = None) -> bytes | None:
        """The original's bytes as checked (for the export), or None."""
        doc = self.document(fields, letter_id)
        return doc.source if doc is not None else None


def _file_state(fields: dict) -> tuple[str, str, tuple[int, int] | None]:
    """The original's path, the SHA-256 it had when read, and its time and size on disk now (None: gone)."""
    src = str(fields.get(word.SOURCE) or "")
    try:
        st = Path(src).stat()
        stamp = (st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = None
    return src, str(fields.get(word.SHA) or ""), stamp


class LetterSession:
    """The letter in one window (or one command), bound to the person working on it."""

    def __init__(self, services: Services, actor: Actor, library: TemplateLibrary | None, facility: Facility,
                 font: str = "mincho"):
        self.services, self.actor, self.library, self.facility, self.font = services, actor, library, facility, font
        self.template_id = ""
        self.fields: dict = {}
        self.context = CheckContext(facility=facility)
        self.body = ""
        self.letter_id: int | None = None
        self.version: int | None = None  # the database version this session last saw (optimistic concurrency)
        self.status = Status.DRAFT
        self.proposals: dict[str, str] = {}  # the writer's 確認済み: finding key -> reason
        self.accepted: dict[str, str] = {}  # the reviewer's acceptances (read-only for the writer)
        self.comments: list[CommentView] = []
        self.view: LetterView | None = None  # the letter as last read from the database
        self.saved_body = ""
        self.generated_text: str | None = None  # the text as last generated from the form
        self.revision = 0
        self.findings: list[Finding] = []
        self.original = WordOriginal(services.letters.source)

    # ---- what the letter is --------------------------------------------------------------
    @property
    def is_word(self) -> bool:
        return word.is_word_template(self.template_id)

    @property
    def title(self) -> str:
        return self.title_of(self.library, self.template_id, self.fields)

    @staticmethod
    def title_of(library: TemplateLibrary | None, template_id: str, fields: dict | None = None) -> str:
        """How a letter is named in lists: its template's title, else Wordの手紙「…」 or the template id."""
        info = library.templates.get(template_id) if library else None
        return info.title if info else word.title(template_id, fields)

    @property
    def approval_valid(self) -> bool:
        """The approval last read still holds for the stored text."""
        return self.view is not None and self.view.approval_valid

    def word_document(self):
        """The Word letter's original as it was checked, or None (not a Word letter, gone, or changed)."""
        return self.original.document(self.fields, self.letter_id) if self.is_word else None

    # ---- editing -------------------------------------------------------------------------
    def set_form(self, template_id: str, fields: dict) -> None:
        """The template and the form's values; the context follows them (a Word letter has no form)."""
        if self.is_word:
            return
        self.template_id, self.fields = template_id, dict(fields)
        self.context = self.form_context()

    def form_context(self) -> CheckContext:
        """The context from the template's person fields; without a template of the library (a Word letter)
        the facility is all the check knows, and names come from the text."""
        if self.library is not None and self.template_id in self.library.templates:
            return self.library.check_context(self.template_id, self.fields, self.facility)
        return CheckContext(facility=self.facility)

    def set_facility(self, facility: Facility) -> None:
        self.facility = facility
        self.context = self.form_context()

    def set_body(self, text: str) -> bool:
        """Record an edit; False when the text did not change (Qt reports format changes as edits too)."""
        if text == self.body:
            return False
        self.body = text
        self.revision += 1
        return True

    def next_revision(self) -> int:
        self.revision += 1
        return self.revision

    @property
    def dirty(self) -> bool:
        return bool(self.body.strip()) and self.body != self.saved_body

    @property
    def edited_by_hand(self) -> bool:
        return bool(self.body.strip()) and self.body != (self.generated_text or "")

    @property
    def read_only(self) -> bool:
        """Submitted letters wait for the reviewer (the writer edits again after a return or after withdrawing
        the request); a sent letter stays as it was sent."""
        return self.status in (Status.SUBMITTED, Status.EXPORTED)

    def allowed(self) -> Allowed:
        writer, reviewer = self.actor.has("writer"), self.actor.has("reviewer")
        own = self.view is not None and self.actor.id in (self.view.writer_id, self.view.last_editor_id)
        saved = self.letter_id is not None
        if not writer:
            why = "手紙を作成・保存するには「作成者」の役割が必要です（確認待ちの手紙は「確認待ち」から開けます）"
        elif self.status == Status.SUBMITTED:
            why = "確認待ちのため編集できません（直すときは「依頼を取り下げる」）"
        elif self.status == Status.EXPORTED:
            why = "送付済みのため編集できません（「この手紙をもとに新しく作成」できます）"
        else:
            why = ""
        return Allowed(edit=writer and not self.read_only,
                       submit=writer and self.status in (Status.DRAFT, Status.RETURNED),
                       review=reviewer and not own and saved and self.status == Status.SUBMITTED,
                       why=why,
                       withdraw=writer and saved and self.status == Status.SUBMITTED,
                       derive=writer and saved and self.status == Status.EXPORTED,
                       draft=self.status != Status.EXPORTED)

    def state_text(self) -> str:
        """One line for the status bar: the letter, its state, and what still blocks it."""
        if self.letter_id is None:
            text = "新しい手紙（未保存）"
        else:
            text = f"手紙 #{self.letter_id}：{self.status.label_ja}" + ("（未保存の変更あり）" if self.dirty else "")
        high = len(self.unresolved_high())
        return text + (f"／確認者が了承していない重大な指摘 {high}件" if high else "")

    def banner(self) -> str:
        """Above the text: what the writer can do with the letter now."""
        if self.status == Status.APPROVED and self.dirty:
            # the approval binds to the stored text: an edit on screen is not approved, and saving it voids it
            text = ("承認の後に本文が変わりました：この文面は承認されていません。保存すると承認は取り消され、"
                    "もう一度「確認を依頼」が必要です（「元に戻す」で戻せば承認のまま書き出せます）")
            return f"Wordの手紙「{word.file_name(self.fields)}」　{text}" if self.is_word else text
        text = self.allowed().why or {Status.RETURNED: "差し戻されました：確認者のコメントを見て直し、もう一度「確認を依頼」してください",
                Status.APPROVED: "承認済み：このまま書き出せます（本文を変えると承認は取り消されます）",
                }.get(self.status, "手紙の本文（自由に編集できます）")
        if self.is_word:
            text = f"Wordの手紙「{word.file_name(self.fields)}」（段落の中だけ直せます）　" + text
        if self.view is not None and self.view.derived_from is not None:
            text = f"手紙 #{self.view.derived_from} をもとに作成　" + text
        return text

    # ---- findings --------------------------------------------------------------------------
    def set_findings(self, revision: int, findings: list[Finding]) -> bool:
        """Keep findings only for the newest revision (older check results are dropped); a Word letter's
        findings gain their place in the file."""
        if revision != self.revision:
            return False
        self.findings = self.locate(list(findings))
        return True

    def locate(self, findings: list[Finding]) -> list[Finding]:
        return word.with_locations(self.word_document(), self.body, findings) if self.is_word else findings

    def check_now(self) -> list[Finding]:
        """Check the current text on this thread with the workflow's checker (the reviewer's view, the CLI)."""
        self.findings = self.locate(self.services.checker(self.body, self.context))
        return self.findings

    def review(self) -> FindingsReview:
        return FindingsReview(tuple(self.findings), dict(self.proposals), dict(self.accepted), self.context)

    def unresolved_high(self) -> list[Finding]:
        """High findings a reviewer has not accepted. The writer's proposals never unblock anything."""
        return unresolved_high(self.findings, self.accepted)

    def place_of(self, start: int, end: int) -> str | None:
        """Where text[start:end] is in a Word letter's original (表1の2行3列 …), or None."""
        doc = self.word_document()
        if doc is None or not self.body.strip():
            return None
        return word.locate_in(doc, self.body, start, end) or word.ADDED_PARAGRAPH

    def propose(self, f: Finding, reason: str | None) -> None:
        """The writer's 確認済み with a reason, or (None) its withdrawal; a saved letter gets it at once."""
        if reason is None:
            self.proposals.pop(f.key, None)
        else:
            self.proposals[f.key] = reason
        if self.letter_id is not None:
            if reason is None:
                self.services.workflow.withdraw(self.actor, self.letter_id, f.key)
            else:
                self.services.workflow.propose(self.actor, self.letter_id, f.key, reason)

    # ---- opening ---------------------------------------------------------------------------
    def load(self, view: LetterView) -> None:
        self._after_save(view)
        self.template_id, self.fields = view.template_id, dict(view.fields)
        self.body = view.body
        self.proposals = dict(view.proposals)
        self.context = view.context
        self.generated_text = None
        self.revision += 1

    def open(self, letter_id: int) -> LetterView:
        view = self.services.letters.get(letter_id)
        self.load(view)
        return view

    def start(self, template_id: str, body: str, context: CheckContext | None = None) -> None:
        """A new letter from text written elsewhere (the CLI), with the context it was given."""
        self.template_id, self.fields, self.body = template_id, {}, body
        self.context = context or self.form_context()
        self.revision += 1

    def start_word(self, path: str | Path, doc) -> None:
        """A new letter from a .docx staff wrote in Word (already read): its full text, no form."""
        src = Path(path).resolve()
        self.template_id, self.fields = word.WORD_TEMPLATE_ID, word.letter_fields(src, doc)
        self.context = self.form_context()
        self.body, self.generated_text = doc.text, None
        self.original.remember(self.fields, doc)
        self.revision += 1

    # ---- the workflow ------------------------------------------------------------------------
    def save(self) -> LetterView:
        """Create or save a version, and hand over the proposals; raises WorkflowRefused (CONFLICT keeps
        self.body untouched)."""
        wf = self.services.workflow
        if self.letter_id is None:
            # a Word letter's original goes into the database with it: every PC can then review and export it
            doc = self.word_document() if self.is_word else None
            view = wf.create(self.actor, self.template_id, self.body, self.fields, self.context,
                             source=doc.source if doc is not None else None, source_name=word.file_name(self.fields))
            if doc is not None:
                self.original.remember(self.fields, doc, view.id)
        else:
            view = wf.save(self.actor, self.letter_id, self.body, self.version or 0, fields=self.fields,
                           context=self.context, template_id=self.template_id)
        stale = False  # create/save return the stored letter: read it again only when proposals changed
        for key, reason in self.proposals.items():
            if view.proposals.get(key) != reason:
                wf.propose(self.actor, view.id, key, reason)
                stale = True
        for key in set(view.proposals) - set(self.proposals):
            wf.withdraw(self.actor, view.id, key)
            stale = True
        if stale:
            view = self.services.letters.get(view.id)
        self._after_save(view)
        return view

    def save_as_new(self) -> LetterView:
        """After a conflict: the same text as a new letter, so nothing typed is lost."""
        self.letter_id = self.version = None
        return self.save()

    def submit(self) -> LetterView:
        if self.dirty or self.letter_id is None:
            self.save()
        view = self.services.workflow.submit(self.actor, self.letter_id)  # type: ignore[arg-type]
        self._after_save(view)
        return view

    def withdraw_request(self) -> LetterView:
        """依頼を取り下げる: back to an editable 下書き (the text on screen is the stored one: nothing is lost)."""
        view = self.services.workflow.withdraw_request(self.actor, self.letter_id)  # type: ignore[arg-type]
        self.load(view)
        return view

    def derive_new(self) -> LetterView:
        """この手紙をもとに新しく作成: this session becomes the new draft made from the sent letter."""
        view = self.services.workflow.derive(self.actor, self.letter_id)  # type: ignore[arg-type]
        self.load(view)
        self.findings = []  # the new letter's own check follows
        return view

    def approve(self, accept: dict[str, str] | None = None, accept_reason: str | None = None,
                version: int | None = None) -> LetterView:
        """Approve the text version this session shows (or `version`, the CLI's --version): another version
        stored since it was opened is refused, never approved unseen."""
        if version is None and self.view is not None and self.view.id == self.letter_id:
            version = self.view.text_version or None
        view = self.services.workflow.approve(self.actor, self.letter_id, accept_reason=accept_reason,  # type: ignore[arg-type]
                                              accept=accept, version=version)
        self.load(view)
        return view

    def return_letter(self, comment: str) -> LetterView:
        view = self.services.workflow.return_letter(self.actor, self.letter_id, comment)  # type: ignore[arg-type]
        self.load(view)
        return view

    def comment(self, start: int, end: int, text: str) -> LetterView:
        self.services.workflow.add_comment(self.actor, self.letter_id, start, end, text)  # type: ignore[arg-type]
        return self.open(self.letter_id)  # type: ignore[arg-type]

    def refresh(self, view: LetterView | None = None) -> LetterView | None:
        """Follow the letter as stored (a reviewer's decision, another PC's save), read again unless `view`
        was just read. Unsaved text is kept: only the state, comments and acceptances follow then."""
        if self.letter_id is None:
            return None
        view = view or self.services.letters.get(self.letter_id)
        if not self.dirty:
            self.load(view)
        else:
            self._follow(view)
        return view

    def _follow(self, view: LetterView) -> None:
        """The letter's stored state: what the reviewer decided and said, and whether the approval holds."""
        self.view = view
        self.status, self.accepted, self.comments = view.status, dict(view.accepted), list(view.comments)

    def _after_save(self, view: LetterView) -> None:
        self._follow(view)
        self.letter_id, self.version = view.id, view.version
        self.saved_body = view.body

    # ---- export: prepare (no transaction) → the caller's questions → commit (one short transaction) ----
    def prepare_export(self) -> ExportPlan:
        """The gate re-checks the saved text and the writer is prepared for it. Raises WorkflowRefused,
        WriteError or word.WordExportRefused; nothing is written and nothing stays locked."""
        ticket = self.services.workflow.check_export(self.actor, self.letter_id)  # type: ignore[arg-type]
        prepared = prepare(ticket.body, template_id=self.template_id, fields=self.fields, library=self.library,
                           facility=self.facility, font=self.font, context=self.context,
                           folder=self.services.admin.export_folder(), source=self._stored_source(ticket))
        return ExportPlan(ticket, prepared)

    def _stored_source(self, ticket: ExportTicket) -> bytes | None:
        """The original stored with a Word letter, exactly the one the gate's ticket (and so the approval)
        binds to; None for a letter that has only a path (prepared from the file, as before)."""
        if not self.is_word or ticket.source_sha is None:
            return None
        data = self.services.letters.source(ticket.letter_id)
        if data is None or word.sha256(data) != ticket.source_sha:
            raise WriteError("source_missing", Path(word.file_name(self.fields) or "Word"),
                             f"手紙と一緒に保存した元のWordファイル「{word.file_name(self.fields)}」を読めません。"
                             "データベースの管理者に連絡してください。 / the stored original is missing or altered")
        return data

    def draft_name(self) -> str:
        """The draft copy's file name: the export's, marked 下書き."""
        return suggested_name(self.title, self.context).replace(".docx", "_下書き.docx")

    def write_draft(self, path: Path) -> Path:
        """下書きとして書き出す: a copy marked 下書き（未承認） on every page, before any approval (as the command
        line's `export`). A high finding no reviewer accepted still refuses it: a draft leaves the building too."""
        blocking = self.unresolved_high()
        if blocking:
            raise WorkflowRefused(Refusal.HIGH_NOT_ACCEPTED, f"重大な指摘が{len(blocking)}件あるため、下書きも書き出せません。",
                                  findings=blocking)
        return write_draft(self.body, path, template_id=self.template_id, fields=self.fields, library=self.library,
                           facility=self.facility, font=self.font,
                           source=self.original.source(self.fields, self.letter_id) if self.is_word else None)

    def commit_export(self, plan: ExportPlan, path: Path) -> ExportResult:
        source = plan.prepared.source
        if source is not None and same_file(source, Path(path)):
            raise WriteError("same_file", Path(path), "元のWordファイルには上書きできません。別の名前で保存してください。")
        out, digest = self.services.workflow.commit_export(self.actor, plan.ticket, Path(path),
                                                           lambda _body, tmp: plan.prepared.write(tmp))
        self.refresh()
        return ExportResult(out, digest, list(plan.prepared.summary))
