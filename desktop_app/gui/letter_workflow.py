"""The main window's side of the review workflow: saving (with conflicts), opening, submitting, export
through the core gate, crash recovery, settings and logout. Every rule is in core.review."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop_app.core.draft_session import DraftSession, RecoveryStore
from desktop_app.core.errors import Refusal, WorkflowRefused
from desktop_app.core.fileio import WriteError
from desktop_app.core.review import Status
from desktop_app.gui import prompts, word_letter
from desktop_app.gui.comments_panel import comment_selections, reanchor


@contextmanager
def busy() -> Iterator[None]:
    """A wait cursor while the gate re-checks a letter on this thread (seconds while the model still loads)."""
    QApplication.setOverrideCursor(Qt.WaitCursor)
    try:
        yield
    finally:
        QApplication.restoreOverrideCursor()


class _ExportCancelled(Exception):
    """The person closed the file dialog: the gate's transaction is rolled back, nothing is recorded."""


def findings_lines(exc: WorkflowRefused) -> str:
    found = exc.details.get("findings") or []
    return "".join(f"\n・「{f.text}」 {f.message}" for f in found[:10])


class LetterWorkflowMixin:
    """Mixed into MainWindow (which provides session, service, actor, editor, form, library …)."""

    # ---- presenting the session --------------------------------------------------------------
    def replace_session(self, session: DraftSession) -> None:
        # revisions keep counting up, so a check started for the previous letter is dropped
        session.revision = max(session.revision, self.session.revision) + 1
        self.session = session
        self.present()

    def present(self) -> None:
        s = self.session
        if not s.template_id:
            s.template_id, s.fields = self.current_template_id(), self.form.values()
        idx = self.template_combo.findData(s.template_id)
        if idx >= 0:
            self.template_combo.blockSignals(True)
            self.template_combo.setCurrentIndex(idx)
            self.template_combo.blockSignals(False)
            self.form.set_template(self.library.get(s.template_id), s.fields)
        self.editor.setPlainText(s.body)
        self._request_check(immediate=True)
        self.show_comments()

    def present_state(self) -> None:
        s = self.session
        writer = self.actor.has("writer")
        ro = s.read_only or not writer
        self.editor.setReadOnly(ro)
        self.form.setEnabled(not ro)
        self.template_combo.setEnabled(not ro)
        for a in (self.generate_action, self.save_action, self.new_action):
            a.setEnabled(not ro)
        self.submit_action.setEnabled(writer and s.status in (Status.DRAFT, Status.RETURNED))
        self.queue_action.setVisible(self.actor.has("reviewer"))
        if s.letter_id is None:
            text = "新しい手紙（未保存）"
        else:
            text = f"手紙 #{s.letter_id}：{s.status.label_ja}" + ("（未保存の変更あり）" if s.dirty else "")
        high = len(s.unresolved_high())
        if high:
            text += f"／確認者が了承していない重大な指摘 {high}件"
        self.status_letter.setText(text)
        self.body_label.setText({
            Status.SUBMITTED: "確認待ちのため編集できません（確認者の判断を待っています）",
            Status.RETURNED: "差し戻されました：確認者のコメントを見て直し、もう一度「確認を依頼」してください",
            Status.APPROVED: "承認済み：このまま書き出せます（本文を変えると承認は取り消されます）",
        }.get(s.status, "手紙の本文（自由に編集できます）") if writer else
            "手紙を作成・保存するには「作成者」の役割が必要です（確認待ちの手紙は「確認待ち」から開けます）")
        word_letter.show_state(self)

    def show_actor(self) -> None:
        self.user_label.setText(f" ログイン中：{self.actor.name}（{self.actor.roles_ja}） ")
        self.setWindowTitle(f"お手紙作成・チェック — {self.actor.name}")

    def show_comments(self) -> None:
        comments = reanchor(self.editor.toPlainText(), self.session.comments)
        self.comments_panel.set_comments(comments)
        self.editor.setExtraSelections(comment_selections(self.editor, comments))

    def _select_comment(self, c) -> None:
        if c is not None and c.start is not None:
            self.editor.select_range(c.start, c.end)

    def _sync_session(self) -> None:
        s = self.session
        if word_letter.is_word_letter(s):  # no form: the fields say where the original .docx is
            s.context = self.context()
            return
        s.template_id, s.fields, s.context = self.current_template_id(), self.form.values(), self.context()

    def _ask_keep_changes(self, title: str) -> bool:
        """False when the person cancels; unsaved text is saved or knowingly dropped."""
        if not self.is_dirty():
            return True
        choice = prompts.ask_save_discard_cancel(self, title, "今の下書きは保存されていません。保存しますか？")
        return choice == "discard" or (choice == "save" and self.save_draft())

    # ---- saving --------------------------------------------------------------------------------
    def autosave_now(self) -> None:
        try:
            if self.session.dirty:
                self.recovery.save(self.session)
            else:
                self.recovery.clear()
        except Exception as exc:  # a full disk or a lost server must not interrupt typing; tell the user
            self.statusBar().showMessage(f"自動保存できませんでした：{exc}", 10000)

    def _save_with(self, step) -> bool:
        """Run a save-like step; a conflict offers 新しい下書きとして保存, and the text is never lost."""
        try:
            step()
        except WorkflowRefused as exc:
            if exc.reason != Refusal.CONFLICT:
                prompts.error(self, "保存できませんでした", f"{exc.message}\n\n本文は画面に残っています。")
                return False
            if not prompts.ask_conflict(self, exc.message):
                return False
            try:
                self.session.save_as_new(self.service, self.actor)
            except WorkflowRefused as exc2:
                prompts.error(self, "保存できませんでした", f"{exc2.message}\n\n本文は画面に残っています。")
                return False
            self.statusBar().showMessage(f"新しい下書き（手紙 #{self.session.letter_id}）として保存しました", 8000)
        except Exception as exc:  # the database went away (network, disk): say so, keep the text
            prompts.error(self, "保存できませんでした", f"下書きを保存できませんでした。本文は画面に残っています。\n{exc}")
            return False
        return True

    def save_draft(self) -> bool:
        if self.session.read_only:
            prompts.info(self, "確認待ち", "確認待ちの手紙は変更できません。確認者の判断をお待ちください。")
            return False
        if not self.editor.toPlainText().strip():
            prompts.error(self, "本文がありません", "保存する前に手紙を作成してください。")
            return False
        self._sync_session()
        was_approved = self.session.approval_valid or self.session.status == Status.APPROVED
        if not self._save_with(lambda: self.session.save(self.service, self.actor)):
            self.present_state()
            return False
        if was_approved and self.session.status == Status.DRAFT:
            prompts.info(self, "承認は取り消されました",
                         "承認済みの手紙を変更したため、承認は取り消されました。もう一度「確認を依頼」してください。")
        self.statusBar().showMessage(f"下書きを保存しました（手紙 #{self.session.letter_id}）", 5000)
        self.autosave_now()
        self.present_state()
        self.show_comments()
        return True

    def new_letter(self) -> bool:
        if not self._ask_keep_changes("新しい手紙"):
            return False
        self.replace_session(DraftSession(template_id=self.current_template_id(), fields=self.form.values()))
        self.recovery.clear()
        return True

    def open_draft(self) -> bool:
        """手紙を開く: every letter of the facility with its state."""
        try:
            letters = self.service.list(limit=500)
        except Exception as exc:
            prompts.error(self, "手紙を開く", f"手紙の一覧を読めませんでした：{exc}")
            return False
        if not letters:
            prompts.info(self, "手紙を開く", "保存された手紙はありません。")
            return False
        labels = []
        for d in letters:
            info = self.library.templates.get(d.template_id)
            labels.append(f"#{d.id}［{d.status.label_ja}］ {d.updated_at}　{info.title if info else word_letter.title(d.template_id)}"
                          f"　{d.writer}　{d.first_line[:20]}")
        index = prompts.choose_item(self, "手紙を開く", "開く手紙を選んでください：", labels)
        if index is None or not self._ask_keep_changes("手紙を開く"):
            return False
        session = DraftSession()
        session.load(self.service.get(letters[index].id))
        self.replace_session(session)
        self.recovery.clear()
        return True

    def restore_recovered(self, recovered: DraftSession) -> None:
        """A crash copy: the letter as saved (for its version and comments), then the recovered text on top."""
        session = DraftSession()
        if recovered.letter_id is not None:
            try:
                session.load(self.service.get(recovered.letter_id))
            except WorkflowRefused:
                pass  # the letter is gone; the text comes back as a new draft
        session.template_id, session.fields = recovered.template_id, dict(recovered.fields)
        session.set_body(recovered.body)
        session.proposals.update(recovered.proposals)
        self.replace_session(session)

    def poll_letter(self, force: bool = False) -> None:
        """The reviewer may approve or return this letter meanwhile: show it without a click."""
        # nothing written and still the same person and letter: the last look still holds
        seen, self._polled = self._polled, (self.actor.id, self.session.letter_id)
        if not (self.letter_changes.changed() or force or seen != self._polled):
            return
        if self.actor.has("reviewer"):
            try:
                waiting = len(self.service.list(Status.SUBMITTED, limit=100))
                shown = "99+" if waiting >= 100 else str(waiting)
                self.queue_action.setText(f"確認待ち（{shown}）…" if waiting else "確認待ち…")
            except Exception:
                self.letter_changes.invalidate()  # try again on the next tick
        s = self.session
        if s.letter_id is None:
            return
        try:
            view = self.service.get(s.letter_id)
        except Exception:
            self.letter_changes.invalidate()
            return
        if (view.status, view.version, [c.id for c in view.comments]) == (s.status, s.version,
                                                                         [c.id for c in s.comments]):
            return
        old = s.status
        if not s.dirty and view.version != s.version:
            s.load(view)
            self.present()
        else:
            s.refresh(self.service)
            s.approval_valid = view.approval_valid
        if view.status != old:
            self.statusBar().showMessage(f"手紙 #{view.id} は「{view.status.label_ja}」になりました", 10000)
        self.present_state()
        self.show_comments()

    def push_proposal(self, f) -> None:
        """A saved letter gets the writer's 確認済み (or its withdrawal) at once, not only with the next save."""
        s = self.session
        if s.letter_id is None:
            return
        try:
            if f.key in s.proposals:
                self.service.propose(self.actor, s.letter_id, f.key, s.proposals[f.key])
            else:
                self.service.withdraw(self.actor, s.letter_id, f.key)
        except Exception as exc:  # kept in the session; the next save hands it over
            self.statusBar().showMessage(f"確認済みの理由を保存できませんでした：{exc}", 10000)

    # ---- review ---------------------------------------------------------------------------------
    def submit_for_review(self) -> bool:
        s = self.session
        if s.read_only:
            prompts.info(self, "確認を依頼", "この手紙はすでに確認待ちです。")
            return False
        if not self.editor.toPlainText().strip():
            prompts.error(self, "本文がありません", "確認を依頼する前に手紙を作成してください。")
            return False
        silent = [f for f in s.unresolved_high() if f.key not in s.proposals]
        if silent and not prompts.confirm(
                self, "確認を依頼", f"重大な指摘が{len(silent)}件あり、「確認済み」の理由がついていません。\n"
                "このまま確認を依頼しますか？（確認者が判断します）"):
            return False
        self._sync_session()
        if not self._save_with(lambda: s.save(self.service, self.actor)):  # also hands over the proposals
            return False
        try:
            with busy():
                self.session.submit(self.service, self.actor)
        except WorkflowRefused as exc:
            prompts.error(self, "確認を依頼できません", exc.message)
            return False
        except Exception as exc:  # the database went away
            prompts.error(self, "確認を依頼できません", f"データベースに書き込めませんでした：{exc}")
            return False
        self.recovery.clear()
        self.present_state()
        prompts.info(self, "確認を依頼しました", f"手紙 #{self.session.letter_id} の確認を依頼しました。確認者の承認をお待ちください。")
        return True

    def open_review(self) -> None:
        from desktop_app.gui.review_view import ReviewView

        if self.review_view is None:
            self.review_view = ReviewView(self.service, self.actor, self.library, self)
        self.review_view.refresh()
        self.review_view.show()
        self.review_view.raise_()

    # ---- export: only through the gate in core.review -------------------------------------------
    def export_word(self, pdf: bool = False) -> Path | None:
        if not self.editor.toPlainText().strip():
            prompts.error(self, "本文がありません", "書き出す前に手紙を作成してください。")
            return None
        if (self.session.dirty or self.session.letter_id is None) and not self.save_draft():
            return None
        info = self.library.templates.get(self.session.template_id)
        title = info.title if info else ""

        def write(body: str) -> Path:
            # called by the gate only after it allowed the export: then ask where to put the file
            from desktop_app.core.export_letter import write_letter  # python-docx: loaded when first needed

            path = prompts.save_file(self, "Wordに書き出す", str(Path.home() / f"{title or '手紙'}.docx"),
                                     "Word 文書 (*.docx)")
            if not path:
                raise _ExportCancelled
            if not path.lower().endswith(".docx"):
                path += ".docx"
            # laid out by the template's line roles, carried over to the text as edited
            return write_letter(body, Path(path), library=self.library, template_id=self.session.template_id,
                                fields=self.session.fields, facility=self.facility, font=self.settings.docx_font)

        if word_letter.is_word_letter(self.session):  # into a copy of the original .docx, its layout kept
            write = word_letter.export_writer(self, _ExportCancelled)

        def write_now(body: str) -> Path:
            QApplication.restoreOverrideCursor()  # the file dialog wants the normal cursor
            try:
                return write(body)
            finally:
                QApplication.setOverrideCursor(Qt.WaitCursor)

        try:
            with busy():
                out, _digest = self.service.export(self.actor, self.session.letter_id, write_now)
        except _ExportCancelled:
            return None
        except WorkflowRefused as exc:
            prompts.error(self, "書き出せません", exc.message + findings_lines(exc))
            return None
        except WriteError as exc:
            prompts.error(self, "書き出せませんでした", f"{exc}\n\n本文は画面に残っています。")
            return None
        except Exception as exc:  # the database went away: nothing was recorded as sent
            prompts.error(self, "書き出せませんでした", f"データベースに記録できませんでした：{exc}")
            return None
        self.session.refresh(self.service)
        self.present_state()
        if pdf:
            from desktop_app.core.export_docx import PdfUnavailable, convert_to_pdf

            try:
                pdf_path = convert_to_pdf(out)
                prompts.info(self, "書き出しました", f"PDFを保存しました：\n{pdf_path}")
                return pdf_path
            except PdfUnavailable as exc:
                prompts.error(self, "PDFにできませんでした", f"Wordファイルは保存しました：{out}\n\n{exc}")
                return out
        prompts.info(self, "書き出しました", f"Wordファイルを保存しました：\n{out}" + word_letter.export_summary(self))
        return out

    # ---- settings and logout ----------------------------------------------------------------------
    def open_settings(self) -> None:
        from desktop_app.gui.settings_dialog import SettingsDialog

        dlg = SettingsDialog(self.settings, self, facility=self.facility, admin=self.actor.has("admin"),
                             policy=self.service.policy(), retention_days=self.service.retention_days())
        if dlg.exec():
            self.apply_settings(dlg)

    def apply_settings(self, dlg) -> None:
        old_url = self.settings.database_url
        dlg.apply()
        try:
            self.settings.save()
        except WriteError as exc:
            prompts.error(self, "設定を保存できませんでした", str(exc))
        if self.actor.has("admin"):
            try:
                profile = {**self.facility, **dlg.facility_values()}
                if profile != self.facility:
                    self.service.set_facility(profile, self.actor)
                if dlg.policy_value() != self.service.policy():
                    self.service.set_policy(dlg.policy_value(), self.actor)
                if dlg.retention_value() != self.service.retention_days():
                    self.service.set_retention_days(dlg.retention_value(), self.actor)
            except WorkflowRefused as exc:
                prompts.error(self, "設定を保存できませんでした", exc.message)
            self.facility = self.service.facility()
        if self.settings.database_url != old_url:
            prompts.info(self, "データベースの変更", "データベースの設定は、次にアプリを起動したときから使われます。")
        self._apply_font()
        self.library.shared = Path(self.settings.user_templates_dir) if self.settings.user_templates_dir else None
        self.library.reload()
        self._fill_template_combo()
        self._request_check()

    def logout(self) -> bool:
        """ログアウト: back to the login; the next person starts on an empty letter."""
        from desktop_app.gui.account_dialogs import run_login

        if not self._ask_keep_changes("ログアウト"):
            return False
        self.recovery.clear()
        if self.review_view is not None:
            self.review_view.close()
            self.review_view.deleteLater()
            self.review_view = None
        self.replace_session(DraftSession(template_id=self.current_template_id()))
        self.hide()
        actor = run_login(None, self.service.db)
        if actor is None:
            self._closing_ok = True
            self.close()
            return False
        self.actor = actor
        self.recovery = RecoveryStore(self.service.db, actor.id)
        self.show_actor()
        self.present_state()
        self.show()
        self.open_review_if_reviewer_only()
        return True

    def open_review_if_reviewer_only(self) -> None:
        if self.actor.has("reviewer") and not self.actor.has("writer"):
            self.open_review()
