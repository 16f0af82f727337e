"""Between the main window and its LetterSession: forwards each intention (save, submit, export, open …) to
core, asks the person what only they can answer (through gui.prompts), and tells the window what to show.
It holds no rule of its own: what is allowed, what blocks and what an export writes are decided in core."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from desktop_app import config
from desktop_app.core.accounts import Actor
from desktop_app.core.errors import Refusal, WorkflowRefused
from desktop_app.core.fileio import WriteError
from desktop_app.core.findings import Finding, mask_edit, suggestion_edit
from desktop_app.core.letter_session import LetterSession
from desktop_app.core.recovery import Recovered, RecoveryStore
from desktop_app.core.templates import MissingFieldsError, TemplateError, TemplateLibrary
from desktop_app.core.word import DocxError, read_docx
from desktop_app.core.word.letter import WordExportRefused
from desktop_app.core.workflow import Services
from desktop_app.core.workflow.state import Status, source_too_large
from desktop_app.core.writers import export_folder
from desktop_app.gui import prompts
from desktop_app.gui.check_dispatcher import CheckDispatcher
from desktop_app.gui.prompts import busy, refusal_text
from desktop_app.gui.render_worker import RenderWorker

AUTOSAVE_MS = 1500
LAST_EXPORT_FOLDER = "export/last_folder"  # in window.ini: where this PC last saved a letter
DOCX_FILTER = "Word 文書 (*.docx)"
PDF_FILTER = "PDF (*.pdf)"


class LetterController(QObject):
    """The main window's letter: one LetterSession, its checks, autosave, and the workflow's dialogs."""

    def __init__(self, view, settings: config.Settings, library: TemplateLibrary, services: Services, actor: Actor,
                 dispatcher: CheckDispatcher):
        super().__init__(view)
        self.view, self.settings, self.library, self.services = view, settings, library, services
        self.actor, self.dispatcher = actor, dispatcher
        self.renderer = RenderWorker(library, parent=self)  # letters are rendered off the GUI thread
        self.session = self._new_session()
        self.recovery = RecoveryStore(services.db, actor.id)
        self.model_ready = self.model_failed = False
        self.review_view = None
        self.my_letters = None  # 自分の手紙, made when first asked for
        self._notice_key: list | None = None  # the notices the bar shows now
        dispatcher.check_finished.connect(self._on_check_finished)
        dispatcher.model_loaded.connect(self._on_model_loaded)
        self._autosave = self._timer(AUTOSAVE_MS, self.autosave_now, single=True)
        self._template_watch = self._timer(3000, self._reload_templates_if_changed)
        self._letter_watch = self._timer(4000, self.poll_letter)  # a reviewer's decision reaches the writer
        self.letter_changes, self._polled = services.db.watcher(), None  # poll_letter reads only after a change

    def _timer(self, ms: int, slot, single: bool = False) -> QTimer:
        t = QTimer(self)
        t.setSingleShot(single)
        t.setInterval(ms)
        t.timeout.connect(slot)
        if not single:
            t.start()
        return t

    def _new_session(self) -> LetterSession:
        return LetterSession(self.services, self.actor, self.library, self.services.admin.facility(),
                             font=self.settings.docx_font)

    # ---- showing ------------------------------------------------------------------------
    def replace_session(self, session: LetterSession) -> None:
        # revisions keep counting up, so a check started for the previous letter is dropped
        session.revision = max(session.revision, self.session.revision) + 1
        self.session = session
        if not session.template_id:  # a new letter: the chosen template with an empty form, never the last letter's
            tid = self.view.current_template_id()
            if tid:
                self.view.form.set_template(self.library.get(tid), {})
            session.set_form(tid, self.view.form.values())
        self.view.show_letter(session)
        self.request_check(immediate=True)
        self.show_state()

    def show_state(self) -> None:
        self.view.show_state(self.session, self.session.allowed())
        self.view.show_comments(self.session.comments)

    def show_findings(self) -> None:
        self.view.show_findings(self.session, self.model_ready, self.model_failed)
        self.show_state()

    # ---- typing and checking ---------------------------------------------------------------
    def form_changed(self, template_id: str, fields: dict) -> None:
        self.session.set_form(template_id, fields)
        self.request_check()
        self._autosave.start()

    def text_changed(self, text: str) -> None:
        # Highlighting changes formats, and Qt reports that as textChanged too: only real edits count
        if not self.session.set_body(text):
            return
        self.request_check()
        self._autosave.start()
        self.view.show_comments(self.session.comments)

    def request_check(self, immediate: bool = False) -> None:
        revision = self.session.next_revision()
        self.dispatcher.request_check(self.session.body, self.session.context, revision, immediate=immediate)

    def _on_check_finished(self, revision: int, findings, _nlp_used: bool) -> None:
        if self.session.set_findings(revision, list(findings)):
            self.show_findings()

    def _on_model_loaded(self, ok: bool, message: str, seconds: float) -> None:
        self.model_ready, self.model_failed = ok, not ok
        self.view.show_model(ok, seconds, message)
        self.request_check(immediate=True)

    def _reload_templates_if_changed(self) -> None:
        try:
            changed = self.library.reload_if_changed()
        except OSError:
            return
        if changed:
            self.view.fill_templates(self.library)

    # ---- the form and the text ------------------------------------------------------------------
    def generate(self) -> bool:
        s = self.session
        if not s.template_id or not s.allowed().edit or s.is_word:
            return False
        if s.edited_by_hand and not prompts.confirm(
                self.view, "手紙を作り直しますか", "本文に手で加えた変更があります。フォームから作り直すと、その変更は失われます。\n"
                "作り直しますか？（「元に戻す」で戻すこともできます）", yes="作り直す", no="やめる"):
            return False
        if self.renderer.busy:  # Ctrl+G again while the last one is still rendering
            return False
        from desktop_app.core.context import facility_to_dict

        try:
            text = self.renderer.render_and_wait(s.template_id, s.fields, facility_to_dict(s.facility))
        except KeyError as exc:  # the template file was removed meanwhile
            prompts.error(self.view, "テンプレートの誤り", str(exc.args[0]))
            return False
        except MissingFieldsError as exc:
            prompts.error(self.view, "入力が足りません", "次の項目を入力してください：\n" + "\n".join(f"・{f.label}" for f in exc.fields))
            return False
        except TemplateError as exc:
            prompts.error(self.view, "テンプレートの誤り", f"テンプレートを使えませんでした。\n{exc}")
            return False
        self.view.editor.replace_range(0, len(self.view.editor.toPlainText()), text)
        s.generated_text = self.view.editor.toPlainText()
        return True

    def _still_there(self, f: Finding) -> bool:
        return self.session.allowed().edit and self.session.body[f.start:f.end] == f.text

    def _fix(self, edit: tuple[int, int, str] | None) -> None:
        """Replace in the editor and leave the focus there, the new text selected (core chose the words)."""
        if edit is not None:
            self.view.editor.replace_range(*edit, select=True)

    def apply_suggestion(self, f: Finding) -> None:
        if self._still_there(f):
            self._fix(suggestion_edit(f))

    def mask_finding(self, f: Finding) -> None:
        if self._still_there(f) and not self.session.review().expected(f):
            self._fix(mask_edit(f, word_letter=self.session.is_word))

    def mark_reviewed(self, f: Finding) -> None:
        """The writer's 確認済み: a proposal with a reason for the reviewer (it unblocks nothing by itself)."""
        if not self.session.allowed().edit:
            return
        reason = None
        if f.key not in self.session.proposals:  # the same button takes the proposal back
            reason = prompts.ask_required(prompts.ask_text, self.view, "確認済みにする",
                                          f"「{f.text}」を確認済みにする理由（確認者が読みます）：", ok="確認済みにする",
                                          missing="確認済みにするには理由を入力してください。")
            if reason is None:
                return
        try:
            self.session.propose(f, reason)
        except Exception as exc:  # kept in the session; the next save hands it over
            self.view.status(f"確認済みの理由を保存できませんでした：{exc}", 10000)
        self.show_findings()
        self._autosave.start()

    # ---- saving ------------------------------------------------------------------------------
    def autosave_now(self) -> None:
        try:
            if self.session.dirty:
                self.recovery.save(self.session)
            else:
                self.recovery.clear()
        except Exception as exc:  # a full disk or a lost server must not interrupt typing; tell the user
            self.view.status(f"自動保存できませんでした：{exc}", 10000)

    def _save_with(self, step) -> bool:
        """Run a save-like step; a conflict offers 新しい下書きとして保存, and the text is never lost."""
        try:
            step()
        except WorkflowRefused as exc:
            if exc.reason != Refusal.CONFLICT:
                prompts.error(self.view, "保存できませんでした", f"{exc.message}\n\n本文は画面に残っています。")
                return False
            if not prompts.ask_conflict(self.view, exc.message):
                return False
            try:
                self.session.save_as_new()
            except WorkflowRefused as exc2:
                prompts.error(self.view, "保存できませんでした", f"{exc2.message}\n\n本文は画面に残っています。")
                return False
            self.view.status(f"新しい下書き（手紙 #{self.session.letter_id}）として保存しました", 8000)
        except Exception as exc:  # the database went away (network, disk): say so, keep the text
            prompts.error(self.view, "保存できませんでした", f"下書きを保存できませんでした。本文は画面に残っています。\n{exc}")
            return False
        return True

    def save_draft(self) -> bool:
        s = self.session
        if s.read_only:
            prompts.info(self.view, s.status.label_ja, s.allowed().why)
            return False
        if not s.body.strip():
            prompts.error(self.view, "本文がありません", "保存する前に手紙を作成してください。")
            return False
        was_approved = s.approval_valid or s.status == Status.APPROVED
        if not self._save_with(s.save):
            self.show_state()
            return False
        if was_approved and s.status == Status.DRAFT:
            prompts.info(self.view, "承認は取り消されました",
                         "承認済みの手紙を変更したため、承認は取り消されました。もう一度「確認を依頼」してください。")
        self.view.status(f"下書きを保存しました（手紙 #{s.letter_id}）", 5000)
        self.autosave_now()
        self.show_state()
        return True

    def ask_keep_changes(self, title: str) -> bool:
        """False when the person cancels; unsaved text is saved or knowingly dropped."""
        if not self.session.dirty:
            return True
        choice = prompts.ask_save_discard_cancel(self.view, title, "今の下書きは保存されていません。保存しますか？")
        return choice == "discard" or (choice == "save" and self.save_draft())

    # ---- opening --------------------------------------------------------------------------------
    def new_letter(self) -> bool:
        if not self.ask_keep_changes("新しい手紙"):
            return False
        self.replace_session(self._new_session())
        self.recovery.clear()
        return True

    def open_draft(self) -> bool:
        """手紙を開く: every letter of the facility with its state."""
        try:
            letters = self.services.letters.list(limit=500)
        except Exception as exc:
            prompts.error(self.view, "手紙を開く", f"手紙の一覧を読めませんでした：{exc}")
            return False
        if not letters:
            prompts.info(self.view, "手紙を開く", "保存された手紙はありません。")
            return False
        labels = []
        for d in letters:
            name = LetterSession.title_of(self.library, d.template_id)
            labels.append(f"#{d.id}［{d.status.label_ja}］ {d.updated_at}　{name}　{d.writer}　{d.first_line[:20]}")
        index = prompts.choose_item(self.view, "手紙を開く", "開く手紙を選んでください：", labels)
        return index is not None and self.open_letter(letters[index].id)

    def open_letter(self, letter_id: int) -> bool:
        """Open one stored letter (手紙を開く, 自分の手紙, a notice's 開く), after asking about unsaved text."""
        if not self.ask_keep_changes("手紙を開く"):
            return False
        session = self._new_session()
        try:
            session.open(letter_id)
        except WorkflowRefused as exc:  # removed meanwhile (retention) or never there
            prompts.error(self.view, "手紙を開けません", exc.message)
            return False
        except Exception as exc:  # the database went away
            prompts.error(self.view, "手紙を開けません", f"手紙を読めませんでした：{exc}")
            return False
        self.replace_session(session)
        self.recovery.clear()
        return True

    def open_my_letters(self):
        """自分の手紙: this person's letters by state; a double-click opens one (see open_letter)."""
        from desktop_app.gui.my_letters import MyLettersDialog

        try:
            letters = self.services.letters.mine(self.actor)
        except Exception as exc:
            prompts.error(self.view, "自分の手紙", f"手紙の一覧を読めませんでした：{exc}")
            return None
        if self.my_letters is None:
            self.my_letters = MyLettersDialog(self.view)
            self.my_letters.open_requested.connect(self._open_from_my_letters)
        self.my_letters.set_letters(letters, lambda tid: LetterSession.title_of(self.library, tid))
        self.my_letters.show()
        self.my_letters.raise_()
        self.my_letters.activateWindow()
        return self.my_letters

    def _open_from_my_letters(self, letter_id: int) -> None:
        if self.open_letter(letter_id) and self.my_letters is not None:
            self.my_letters.hide()

    def open_word(self, path: str | None = None) -> bool:
        """Wordの手紙を開く: the file's full text becomes a new letter; nothing on screen is lost when the
        file cannot be read."""
        if path is None:
            path = prompts.open_file(self.view, "Wordの手紙を開く", DOCX_FILTER)
            if not path:
                return False
        name = Path(path).name
        try:
            doc = read_docx(path)
        except DocxError as exc:
            prompts.error(self.view, "Wordの手紙を開けません", f"{exc}\n\n今の手紙はそのまま残っています。")
            return False
        except Exception as exc:  # an unexpected structure must not lose the letter on screen
            prompts.error(self.view, "Wordの手紙を開けません",
                          f"{name} を読み込めませんでした（{exc}）。\n\n今の手紙はそのまま残っています。")
            return False
        if not doc.body_text().strip():  # properties alone (作成者 …) are not a letter
            prompts.error(self.view, "Wordの手紙を開けません", f"{name} には文字がありません。")
            return False
        if why := source_too_large(name, len(doc.source)):  # the original is stored with the letter
            prompts.error(self.view, "Wordの手紙を開けません", f"{why}\n\n今の手紙はそのまま残っています。")
            return False
        if not self.ask_keep_changes("Wordの手紙を開く"):
            return False
        session = self._new_session()
        session.start_word(path, doc)
        self.replace_session(session)
        self.recovery.clear()
        if doc.warnings:
            prompts.info(self.view, "Wordの手紙の注意", "次のものは確認も伏せ字もできません。目で確かめてください。\n\n"
                         + "\n".join(f"・{w}" for w in doc.warnings))
        self.view.status(f"Wordの手紙「{name}」を開きました（{len(doc.segments)}段落）", 8000)
        return True

    def restore_recovered(self, recovered: Recovered) -> None:
        """A crash copy: the letter as saved (for its version and comments), then the recovered text on top."""
        session = self._new_session()
        if recovered.letter_id is not None:
            try:
                session.open(recovered.letter_id)
            except WorkflowRefused:
                pass  # the letter is gone; the text comes back as a new draft
        session.set_form(recovered.template_id, recovered.fields)
        session.set_body(recovered.body)
        session.proposals.update(recovered.proposals)
        self.replace_session(session)

    def poll_letter(self, force: bool = False) -> None:
        """The reviewer may approve or return this letter meanwhile: show it without a click."""
        # nothing written and still the same person and letter: the last look still holds
        seen, self._polled = self._polled, (self.actor.id, self.session.letter_id)
        if not (self.letter_changes.changed() or force or seen != self._polled):
            return
        self.check_notices()
        if self.actor.has("reviewer"):
            try:
                self.view.show_waiting(len(self.services.letters.list(Status.SUBMITTED, limit=100)))
            except Exception:
                self.letter_changes.invalidate()  # try again on the next tick
        s = self.session
        if s.letter_id is None:
            return
        before = (s.status, s.version, [c.id for c in s.comments])
        try:
            view = s.services.letters.get(s.letter_id)
        except Exception:
            self.letter_changes.invalidate()
            return
        if (view.status, view.version, [c.id for c in view.comments]) == before:
            return
        if not s.dirty and view.version != s.version:
            s.load(view)
            self.replace_session(s)
        else:
            s.refresh(view)
        if view.status != before[0]:
            self.view.status(f"手紙 #{view.id} は「{view.status.label_ja}」になりました", 10000)
        self.show_state()

    # ---- notices: returned and approved letters since the person last looked --------------------------
    def check_notices(self) -> None:
        """Show the writer's notices in the window's bar (no dialog); only a change redraws it."""
        if not self.actor.has("writer"):
            return
        try:
            notices = self.services.letters.notices(self.actor)
        except Exception:
            return  # the next poll tries again; a notice is never worth an error dialog
        key = [(n.letter_id, n.kind, n.at) for n in notices]
        if key != self._notice_key:
            self._notice_key = key
            self.view.show_notices(notices)

    def dismiss_notices(self) -> None:
        """確認しました: the notices shown are seen (a decision that came after them still comes)."""
        shown = self.view.notice_bar.notices
        try:
            if shown:
                self.services.workflow.mark_notices_seen(self.actor, max(n.at for n in shown))
        except Exception as exc:
            self.view.status(f"お知らせを既読にできませんでした：{exc}", 10000)
        self._notice_key = []
        self.view.show_notices([])

    # ---- review ---------------------------------------------------------------------------------
    def submit_for_review(self) -> bool:
        s = self.session
        if s.read_only:
            prompts.info(self.view, "確認を依頼", "この手紙はすでに確認待ちです。")
            return False
        if not s.body.strip():
            prompts.error(self.view, "本文がありません", "確認を依頼する前に手紙を作成してください。")
            return False
        silent = [f for f in s.unresolved_high() if f.key not in s.proposals]
        if silent and not prompts.confirm(
                self.view, "確認を依頼", f"重大な指摘が{len(silent)}件あり、「確認済み」の理由がついていません。\n"
                "このまま確認を依頼しますか？（確認者が判断します）", yes="依頼する", no="やめる"):
            return False
        if not self._save_with(s.save):  # also hands over the proposals
            return False
        try:
            with busy():
                s.submit()
        except WorkflowRefused as exc:
            prompts.error(self.view, "確認を依頼できません", exc.message)
            return False
        except Exception as exc:  # the database went away
            prompts.error(self.view, "確認を依頼できません", f"データベースに書き込めませんでした：{exc}")
            return False
        self.recovery.clear()
        self.show_state()
        prompts.info(self.view, "確認を依頼しました", f"手紙 #{s.letter_id} の確認を依頼しました。確認者の承認をお待ちください。")
        return True

    def withdraw_request(self) -> bool:
        """依頼を取り下げる: the letter waiting for review becomes an editable 下書き again."""
        s = self.session
        if not s.allowed().withdraw:
            return False
        try:
            with busy():
                s.withdraw_request()
        except WorkflowRefused as exc:  # decided meanwhile (approved, returned): show how it stands now
            prompts.error(self.view, "依頼を取り下げられません", exc.message)
            try:
                s.refresh()
            except Exception:
                pass
            self.show_state()
            return False
        except Exception as exc:  # the database went away
            prompts.error(self.view, "依頼を取り下げられません", f"データベースに書き込めませんでした：{exc}")
            return False
        self.show_state()
        self.view.status(f"手紙 #{s.letter_id} の確認依頼を取り下げました。下書きとして直せます", 10000)
        return True

    def derive_new(self) -> bool:
        """この手紙をもとに新しく作成: a new draft with the sent letter's form and text, opened at once."""
        s = self.session
        if not s.allowed().derive:
            return False
        source = s.letter_id
        try:
            with busy():
                s.derive_new()
        except WorkflowRefused as exc:
            prompts.error(self.view, "新しく作成できません", exc.message)
            return False
        except Exception as exc:
            prompts.error(self.view, "新しく作成できません", f"データベースに書き込めませんでした：{exc}")
            return False
        self.replace_session(s)
        self.recovery.clear()
        self.view.status(f"手紙 #{source} をもとに、新しい下書き（手紙 #{s.letter_id}）を作りました", 10000)
        return True

    def open_review(self) -> None:
        from desktop_app.gui.review_view import ReviewView

        if self.review_view is None:
            self.review_view = ReviewView(self.services, self.actor, self.library, self.view)
        self.review_view.refresh()
        self.review_view.show()
        self.review_view.raise_()

    def open_review_if_reviewer_only(self) -> None:
        if self.actor.has("reviewer") and not self.actor.has("writer"):
            self.open_review()

    # ---- export: prepare (no transaction) → questions → commit (one short transaction) ----------------
    def _documents(self) -> Path:
        """The save dialog's folder when the facility set none: the folder this PC last exported to, else this
        person's Documents folder."""
        from PySide6.QtCore import QStandardPaths

        from desktop_app.gui.screen_fit import recall

        last = recall(LAST_EXPORT_FOLDER)
        if last and Path(last).is_dir():
            return Path(last)
        docs = QStandardPaths.writableLocation(QStandardPaths.DocumentsLocation)
        return export_folder(None, Path(docs) if docs else None)

    @staticmethod
    def _remember_folder(path: Path) -> None:
        from desktop_app.gui.screen_fit import remember

        try:
            remember(LAST_EXPORT_FOLDER, str(path.parent))
        except Exception:
            pass  # only the next dialog's first folder

    def export_word(self, pdf: bool = False) -> Path | None:
        """Wordに書き出す / PDFに書き出す: each with its own dialog. For a PDF the .docx is written and recorded next
        to the PDF under the same name, then the PDF is exported as a second record of its own."""
        s = self.session
        title = "PDFに書き出す" if pdf else "Wordに書き出す"
        if not s.body.strip():
            prompts.error(self.view, "本文がありません", "書き出す前に手紙を作成してください。")
            return None
        if s.status == Status.APPROVED and s.dirty:
            # one question instead of 「承認は取り消されました」 followed by a refusal
            if prompts.confirm(self.view, title, "承認の後に本文が変わったため、この文面はまだ承認されていません。\n"
                               "変更を保存して、もう一度「確認を依頼」しますか？（「元に戻す」で戻せば、承認のまま書き出せます）",
                               yes="保存して確認を依頼", no="やめる"):
                self.submit_for_review()
            return None
        if (s.dirty or s.letter_id is None) and not self.save_draft():
            return None
        try:
            with busy():
                plan = s.prepare_export()
            if plan.warnings and not prompts.confirm(
                    self.view, title, "次のものは確認も伏せ字もできないまま、元のとおり残ります：\n"
                    + "\n".join(f"・{w}" for w in plan.warnings) + "\n\n書き出しますか？", yes="書き出す", no="やめる"):
                return None
            folder = plan.prepared.folder or self._documents()
            name = plan.prepared.suggested_name
            if pdf:
                name = str(Path(name).with_suffix(".pdf"))
            path = prompts.save_file(self.view, title, str(folder / name), PDF_FILTER if pdf else DOCX_FILTER)
            if not path:
                return None
            suffix = ".pdf" if pdf else ".docx"
            if not path.lower().endswith(suffix):
                path += suffix
            target = Path(path)
            with busy():
                result = s.commit_export(plan, target.with_suffix(".docx") if pdf else target)
        except WorkflowRefused as exc:
            prompts.error(self.view, "書き出せません", refusal_text(exc))
            return None
        except WordExportRefused as exc:
            prompts.error(self.view, f"{title.removesuffix('す')}せません",
                          exc.title + "\n" + "\n".join(f"・{p}" for p in exc.problems[:15]))
            return None
        except WriteError as exc:
            prompts.error(self.view, "書き出せませんでした", f"{exc}\n\n本文は画面に残っています。")
            return None
        except Exception as exc:  # the database went away: nothing was recorded as sent
            prompts.error(self.view, "書き出せませんでした", f"データベースに記録できませんでした：{exc}")
            return None
        self.show_state()
        self._remember_folder(target)
        if pdf:  # the PDF is its own recorded export (the audit head in its metadata), after the .docx's
            try:
                with busy():
                    pdf_path = s.commit_export(plan, target).path
                prompts.info(self.view, "書き出しました", f"PDFを保存しました：\n{pdf_path}\n（Wordファイル：{result.path.name}）")
                return pdf_path
            except Exception as exc:  # PdfUnavailable, WriteError, a refusal, the database gone
                why = refusal_text(exc) if isinstance(exc, WorkflowRefused) else str(exc)
                prompts.error(self.view, "PDFにできませんでした", f"Wordファイルは保存しました：{result.path}\n\n{why}")
                return result.path
        summary = "".join(f"\n{line}" for line in result.summary)
        prompts.info(self.view, "書き出しました", f"Wordファイルを保存しました：\n{result.path}" + summary)
        return result.path

    def export_draft(self) -> Path | None:
        """下書きとして書き出す: before any approval, a copy marked 下書き（未承認） on every page (nothing is
        recorded as sent; the letter stays where it is in the workflow)."""
        s = self.session
        if not s.body.strip():
            prompts.error(self.view, "本文がありません", "書き出す前に手紙を作成してください。")
            return None
        folder = export_folder(self.services.admin.export_folder(), self._documents())
        path = prompts.save_file(self.view, "下書きとして書き出す", str(folder / s.draft_name()), DOCX_FILTER)
        if not path:
            return None
        if not path.lower().endswith(".docx"):
            path += ".docx"
        try:
            with busy():
                out = s.write_draft(Path(path))
        except WorkflowRefused as exc:
            prompts.error(self.view, "下書きを書き出せません", refusal_text(exc))
            return None
        except WordExportRefused as exc:
            prompts.error(self.view, "下書きを書き出せません", exc.title + "\n" + "\n".join(f"・{p}" for p in exc.problems[:15]))
            return None
        except WriteError as exc:
            prompts.error(self.view, "書き出せませんでした", f"{exc}\n\n本文は画面に残っています。")
            return None
        self._remember_folder(out)
        prompts.info(self.view, "下書きを書き出しました",
                     f"下書き（未承認）のWordファイルを保存しました：\n{out}\n\nどのページにも「下書き（未承認）」と入っています。"
                     "ご家族に送る手紙は、承認の後に「Wordに書き出す」で作ってください。")
        return out

    # ---- settings and logout ------------------------------------------------------------------
    def open_settings(self) -> None:
        from desktop_app.gui.settings_dialog import SettingsDialog

        admin = self.services.admin
        dlg = SettingsDialog(self.settings, self.view, facility=admin.facility(), admin=self.actor.has("admin"),
                             policy=admin.policy(), retention_days=admin.retention_days(),
                             export_folder=admin.export_folder())
        if dlg.exec():
            self.apply_settings(dlg)

    def apply_settings(self, dlg) -> None:
        old_url = self.settings.database_url
        dlg.apply()
        try:
            self.settings.save()
        except WriteError as exc:
            prompts.error(self.view, "設定を保存できませんでした", str(exc))
        admin = self.services.admin
        if self.actor.has("admin"):
            try:
                if dlg.facility_value() != admin.facility():
                    admin.set_facility(dlg.facility_value(), self.actor)
                if dlg.policy_value() != admin.policy():
                    admin.set_policy(dlg.policy_value(), self.actor)
                if dlg.retention_value() != admin.retention_days():
                    admin.set_retention_days(dlg.retention_value(), self.actor)
                if dlg.export_folder_value() != admin.export_folder():
                    admin.set_export_folder(dlg.export_folder_value(), self.actor)
            except WorkflowRefused as exc:
                prompts.error(self.view, "設定を保存できませんでした", exc.message)
        self.session.set_facility(admin.facility())
        self.session.font = self.settings.docx_font
        if self.settings.database_url != old_url:
            prompts.info(self.view, "データベースの変更", "データベースの設定は、次にアプリを起動したときから使われます。")
        self.view.apply_font(self.settings.editor_font_size)
        self.library.shared = Path(self.settings.user_templates_dir) if self.settings.user_templates_dir else None
        self.library.reload()
        self.view.fill_templates(self.library)
        self.request_check()

    def logout(self) -> bool:
        """ログアウト: back to the login; the next person starts on an empty letter."""
        from desktop_app.gui.account_dialogs import run_login

        if not self.ask_keep_changes("ログアウト"):
            return False
        self.recovery.clear()
        self._close_review()
        self._close_my_letters()
        self._notice_key = []
        self.view.show_notices([])
        self.view.form.set_defaults({})  # the next person's letter is not signed with this one's name
        self.replace_session(self._new_session())
        self.view.hide()
        actor = run_login(None, self.services.db)
        if actor is None:
            self.view.close_without_asking()
            return False
        self.actor = actor
        self.recovery = RecoveryStore(self.services.db, actor.id)
        self.view.show_actor(actor)  # first: a new letter is signed by who is logged in now
        self.replace_session(self._new_session())
        self.view.show()
        self.poll_letter(force=True)  # this person's notices
        self.open_review_if_reviewer_only()
        return True

    def open_staff(self) -> None:
        """職員の管理 (administrators; the menu item is shown to them only)."""
        from desktop_app.gui.staff_dialog import StaffDialog

        if self.actor.has("admin"):
            StaffDialog(self.services.db, self.actor, self.view).exec()

    def open_backup(self) -> None:
        """管理 → バックアップ／復元… (administrators). After a restore the window's state is from before it:
        the person is asked to restart, and the window closes."""
        from desktop_app.gui.backup_dialog import BackupDialog

        if self.actor.has("admin"):
            dlg = BackupDialog(self.services.db, self.actor, self.view)
            dlg.exec()
            if dlg.restored:
                self.view.close_without_asking()  # what it holds predates the restore

    def change_password(self) -> None:
        """パスワードを変更: everyone, for themselves."""
        from desktop_app.gui.account_dialogs import run_change_password

        if run_change_password(self.view, self.services.db, self.actor) is not None:
            self.view.status("パスワードを変更しました。", 5000)

    def _close_my_letters(self) -> None:
        if self.my_letters is not None:  # the list is the previous person's
            self.my_letters.close()
            self.my_letters.deleteLater()
            self.my_letters = None

    def _close_review(self) -> None:
        if self.review_view is not None:
            self.review_view.close()
            self.review_view.deleteLater()
            self.review_view = None

    def shutdown(self) -> None:
        """The window closes: only this window's crash copy goes; timers, threads and the review view stop."""
        try:
            self.recovery.clear()
        except Exception:
            pass
        for timer in (self._template_watch, self._autosave, self._letter_watch):
            timer.stop()
        if self.review_view is not None:
            self.review_view.close()
        if self.my_letters is not None:
            self.my_letters.close()
        self.renderer.shutdown()
        self.dispatcher.shutdown()
