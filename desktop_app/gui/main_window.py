"""The main window: template and form on the left, the letter in the middle, findings on the right.
It presents a DraftSession (core.draft_session); saving, review and export live in letter_workflow."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QMainWindow,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app import config
from desktop_app.core.accounts import Actor
from desktop_app.core.context import CheckContext
from desktop_app.core.draft_session import DraftSession, RecoveryStore
from desktop_app.core.findings import Finding
from desktop_app.core.review import ReviewService
from desktop_app.core.templates import MissingFieldsError, TemplateError, TemplateLibrary
from desktop_app.gui import prompts, word_letter
from desktop_app.gui.check_dispatcher import CheckDispatcher
from desktop_app.gui.comments_panel import CommentsPanel
from desktop_app.gui.editor import DraftEditor
from desktop_app.gui.findings_panel import FindingsPanel
from desktop_app.gui.form import TemplateForm
from desktop_app.gui.help import show_about, show_guide
from desktop_app.gui.letter_workflow import LetterWorkflowMixin
from desktop_app.gui.render_worker import RenderWorker

AUTOSAVE_MS = 1500


class MainWindow(LetterWorkflowMixin, QMainWindow):
    def __init__(self, settings: config.Settings, library: TemplateLibrary, service: ReviewService, actor: Actor,
                 dispatcher: CheckDispatcher):
        super().__init__()
        self.setWindowTitle("お手紙作成・チェック")
        self.resize(1360, 860)
        self.settings = settings
        self.library = library
        self.service = service
        self.actor = actor
        self.dispatcher = dispatcher
        self.renderer = RenderWorker(library, parent=self)  # letters are rendered off the GUI thread
        self.session = DraftSession()
        self.recovery = RecoveryStore(service.db, actor.id)
        self.facility = service.facility()
        self.model_ready = False
        self.model_failed = False  # the model could not load (not: still loading)
        self._closing_ok = False
        self.review_view = None

        self._build_ui()
        self.dispatcher.check_finished.connect(self._on_check_finished)
        self.dispatcher.model_loaded.connect(self._on_model_loaded)

        self._autosave_timer = QTimer(self)
        self._autosave_timer.setSingleShot(True)
        self._autosave_timer.setInterval(AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self.autosave_now)
        self._template_watch = QTimer(self)
        self._template_watch.setInterval(3000)
        self._template_watch.timeout.connect(self._reload_templates_if_changed)
        self._template_watch.start()
        self._letter_watch = QTimer(self)  # a reviewer's decision reaches the writer by itself
        self._letter_watch.setInterval(4000)
        self._letter_watch.timeout.connect(self.poll_letter)
        self.letter_changes, self._polled = service.db.watcher(), None  # poll_letter reads only after a change
        self._letter_watch.start()

        self._fill_template_combo()
        if self.template_combo.count():
            self._on_template_changed(0)
        self.status_model.setText("日本語解析モデルを読み込み中…（パターンによる検出は使えます）")
        self.show_actor()
        self.present_state()

    # ---- UI ---------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        tb = QToolBar("操作")
        tb.setMovable(False)
        self.addToolBar(tb)
        tb.addWidget(QLabel(" テンプレート："))
        self.template_combo = QComboBox()
        self.template_combo.setMinimumWidth(220)
        self.template_combo.currentIndexChanged.connect(self._on_template_changed)
        tb.addWidget(self.template_combo)

        def action(text: str, slot, shortcut=None) -> QAction:
            a = QAction(text, self)
            if shortcut is not None:
                a.setShortcut(QKeySequence(shortcut))
            a.triggered.connect(lambda _=False: slot())
            return a

        self.generate_action = action("手紙を作成", self.generate, "Ctrl+G")
        self.save_action = action("下書きを保存", self.save_draft, QKeySequence.Save)
        self.open_action = action("手紙を開く…", self.open_draft, QKeySequence.Open)
        self.word_open_action = action("Wordの手紙を開く…", lambda: word_letter.open_word_letter(self))
        self.new_action = action("新しい手紙", self.new_letter, QKeySequence.New)
        self.submit_action = action("確認を依頼", self.submit_for_review, "Ctrl+Return")
        self.export_action = action("Wordに書き出す…", self.export_word, "Ctrl+E")
        self.pdf_action = action("PDFに書き出す…", lambda: self.export_word(pdf=True))
        self.queue_action = action("確認待ち…", self.open_review)
        self.settings_action = action("設定…", self.open_settings)
        self.logout_action = action("ログアウト", self.logout)
        # The bar keeps the everyday steps; the rest sits behind a visible 「その他」 button, so nothing hides
        # behind Qt's easily missed » arrow on a small screen (every action is also in the ファイル menu).
        for a in (self.generate_action, self.save_action, self.submit_action, self.export_action, self.queue_action):
            tb.addAction(a)
        more = QToolButton()
        more.setText("その他 ▾")
        more.setObjectName("moreButton")
        more.setPopupMode(QToolButton.InstantPopup)
        more_menu = QMenu(more)
        for a in (self.new_action, self.open_action, self.word_open_action, self.pdf_action, None, self.settings_action,
                  self.logout_action):
            more_menu.addSeparator() if a is None else more_menu.addAction(a)
        more.setMenu(more_menu)
        tb.addWidget(more)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        tb.addWidget(spacer)
        self.user_label = QLabel()
        self.user_label.setObjectName("userLabel")
        tb.addWidget(self.user_label)

        file_menu = self.menuBar().addMenu("ファイル")
        edit_menu = self.menuBar().addMenu("編集")
        self.undo_action = action("元に戻す", lambda: self.editor.undo(), QKeySequence.Undo)
        self.redo_action = action("やり直し", lambda: self.editor.redo(), QKeySequence.Redo)
        self.next_action = action("次の指摘", lambda: self.goto_finding(+1), "F8")
        self.prev_action = action("前の指摘", lambda: self.goto_finding(-1), "Shift+F8")
        for a in (self.undo_action, self.redo_action, self.next_action, self.prev_action):
            edit_menu.addAction(a)
        for a in (self.new_action, self.generate_action, self.open_action, self.word_open_action, self.save_action,
                  self.submit_action,
                  self.export_action, self.pdf_action, self.queue_action, self.settings_action, self.logout_action):
            file_menu.addAction(a)
        help_menu = self.menuBar().addMenu("ヘルプ")
        self.guide_action = action("使い方ガイド", lambda: show_guide(self), QKeySequence.HelpContents)
        self.about_action = action("このアプリについて", lambda: show_about(self))
        help_menu.addAction(self.guide_action)
        help_menu.addAction(self.about_action)

        self.form = TemplateForm()
        self.form.changed.connect(self._on_form_changed)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        scroll.setMinimumWidth(300)

        self.editor = DraftEditor()
        self._apply_font()
        self.editor.textChanged.connect(self._on_text_changed)
        middle = QWidget()
        v = QVBoxLayout(middle)
        v.setContentsMargins(0, 0, 0, 0)
        self.body_label = QLabel("手紙の本文（自由に編集できます）")
        v.addWidget(self.body_label)
        v.addWidget(self.editor, 1)
        self.comments_panel = CommentsPanel()
        self.comments_panel.comment_selected.connect(self._select_comment)
        v.addWidget(self.comments_panel)

        self.panel = FindingsPanel()
        self.panel.finding_selected.connect(self._select_in_editor)
        self.panel.apply_requested.connect(self.apply_suggestion)
        self.panel.mask_requested.connect(self.mask_finding)
        self.panel.review_requested.connect(self.mark_reviewed)

        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(middle)
        splitter.addWidget(self.panel)
        splitter.setSizes([330, 640, 390])
        self.setCentralWidget(splitter)
        self.status_model = QLabel()
        self.status_letter = QLabel()
        self.status_letter.setObjectName("letterState")
        self.statusBar().addPermanentWidget(self.status_letter)
        self.statusBar().addPermanentWidget(self.status_model)

    def _apply_font(self) -> None:
        font = QFont(self.editor.font())
        font.setPointSize(int(self.settings.editor_font_size))
        self.editor.setFont(font)

    def _fill_template_combo(self) -> None:
        current = self.template_combo.currentData()
        self.template_combo.blockSignals(True)
        self.template_combo.clear()
        for info in self.library.templates.values():
            label = info.title + ("（施設独自）" if info.source != "bundled" else "")
            self.template_combo.addItem(label, info.id)
        # keep the current choice; at start open on the monthly report, the letter written most often
        idx = self.template_combo.findData(current or "monthly_report")
        self.template_combo.setCurrentIndex(max(idx, 0))
        self.template_combo.blockSignals(False)
        if self.library.errors:
            self.statusBar().showMessage("読み込めないテンプレートがあります：" + " / ".join(str(e) for e in self.library.errors), 15000)

    def _reload_templates_if_changed(self) -> None:
        try:
            changed = self.library.reload_if_changed()
        except OSError:
            return
        if changed:
            self._fill_template_combo()

    # ---- template and form -------------------------------------------------------------------
    def current_template_id(self) -> str:
        return self.template_combo.currentData() or ""

    def _on_template_changed(self, _index: int) -> None:
        tid = self.current_template_id()
        if not tid:
            return
        info = self.library.get(tid)
        self.form.set_template(info, self.session.fields if self.session.template_id == tid else {})
        self.session.template_id = tid
        self.session.fields = self.form.values()
        self._request_check()

    def _on_form_changed(self) -> None:
        self.session.fields = self.form.values()
        self._request_check()
        self._autosave_timer.start()

    def facility_context(self) -> dict:
        return {k: v for k, v in self.facility.items() if k in ("name", "address", "phone", "fax", "email", "staff")}

    def context(self) -> CheckContext:
        """The check's context, typed: the facility profile plus the people and date from the form."""
        if word_letter.is_word_letter(self.session):
            return word_letter.check_context(self)
        tid = self.current_template_id()
        facility = self.facility_context()
        try:
            raw = self.library.check_context(tid, self.form.values(), facility) if tid else {"facility": facility}
        except KeyError:
            raw = {"facility": facility}
        return CheckContext.from_dict(raw)

    def generate(self) -> bool:
        tid = self.current_template_id()
        if not tid or self.session.read_only:
            return False
        if self.session.edited_by_hand and not prompts.confirm(
                self, "手紙を作り直しますか", "本文に手で加えた変更があります。フォームから作り直すと、その変更は失われます。\n"
                "作り直しますか？（「元に戻す」で戻すこともできます）"):
            return False
        if self.renderer.busy:  # Ctrl+G again while the last one is still rendering
            return False
        try:
            text = self.renderer.render_and_wait(tid, self.form.values(), self.facility_context())
        except KeyError as exc:  # the template file was removed meanwhile
            prompts.error(self, "テンプレートの誤り", str(exc.args[0]))
            return False
        except MissingFieldsError as exc:
            prompts.error(self, "入力が足りません", "次の項目を入力してください：\n" + "\n".join(f"・{f.label}" for f in exc.fields))
            return False
        except TemplateError as exc:
            prompts.error(self, "テンプレートの誤り", f"テンプレートを使えませんでした。\n{exc}")
            return False
        self.set_body(text, undoable=True)
        self.session.generated_text = self.editor.toPlainText()
        return True

    def set_body(self, text: str, undoable: bool = True) -> None:
        if undoable:
            self.editor.replace_range(0, len(self.editor.toPlainText()), text)
        else:
            self.editor.setPlainText(text)

    # ---- checking ---------------------------------------------------------------------------
    @property
    def findings(self) -> list[Finding]:
        return self.session.findings

    def _on_text_changed(self) -> None:
        # Highlighting changes formats, and Qt reports that as textChanged too: only real edits count,
        # or every check result would start another check.
        if not self.session.set_body(self.editor.toPlainText()):
            return
        self._request_check()
        self._autosave_timer.start()
        self.show_comments()

    def _request_check(self, immediate: bool = False) -> None:
        revision = self.session.next_revision()
        self.dispatcher.request_check(self.editor.toPlainText(), self.context(), revision, immediate=immediate)

    def _on_check_finished(self, revision: int, findings, nlp_used: bool) -> None:
        if not self.session.set_findings(revision, word_letter.with_locations(self, list(findings))):
            return
        self._show_findings()

    def _show_findings(self) -> None:
        marks = {**self.session.proposals, **self.session.accepted}
        self.editor.set_findings(self.session.findings, set(marks))
        self.panel.set_findings(self.session.findings, marks, self.model_ready, self.editor.toPlainText(),
                                model_failed=self.model_failed)
        self.present_state()

    def _on_model_loaded(self, ok: bool, message: str, seconds: float) -> None:
        self.model_ready, self.model_failed = ok, not ok
        if ok:
            self.status_model.setText(f"日本語解析モデル：準備完了（{seconds:.1f}秒）")
        else:
            self.status_model.setText("日本語解析モデルを読み込めませんでした（パターンのみで確認中）")
            self.status_model.setStyleSheet("color: #b00000; font-weight: bold;")
            self._show_model_failure(message)
        self._request_check(immediate=True)

    MODEL_FAILURE_TEXT = (
        "⚠ 日本語解析モデルを読み込めませんでした。チェックはパターン（敬称・番号・言い回しなど）による確認のみで行われ、"
        "お名前などの見落としが増えます。送る前に必ず目でも確認してください。"
        "重大な指摘が残る手紙は、これまでどおり書き出せません。\n"
        "アプリを入れ直すか、管理者にご連絡ください。"
    )

    def _show_model_failure(self, message: str) -> None:
        """The model could not load: a banner above the letter that stays, not a status line that fades."""
        if getattr(self, "model_banner", None) is None:
            self.model_banner = QLabel()
            self.model_banner.setWordWrap(True)
            self.model_banner.setTextInteractionFlags(Qt.TextSelectableByMouse)
            self.model_banner.setStyleSheet(
                "background: #fff0f0; color: #8b0000; border: 1px solid #b00000; padding: 6px; font-weight: bold;")
            self.editor.parentWidget().layout().insertWidget(0, self.model_banner)
        cause = message if len(message) <= 300 else message[:300] + "…"
        self.model_banner.setText(f"{self.MODEL_FAILURE_TEXT}\n原因（管理者向け）：{cause}")
        self.model_banner.show()

    def unresolved_high(self) -> list[Finding]:
        return self.session.unresolved_high()

    # ---- actions on findings ----------------------------------------------------------------
    def _select_in_editor(self, f: Finding) -> None:
        self.editor.select_range(f.start, f.end)

    def _still_there(self, f: Finding) -> bool:
        return not self.session.read_only and self.editor.toPlainText()[f.start:f.end] == f.text

    def apply_suggestion(self, f: Finding) -> None:
        if not f.suggestions or not self._still_there(f):
            return
        self.editor.replace_range(f.start, f.end, f.suggestions[0])

    def mask_finding(self, f: Finding) -> None:
        if not self._still_there(f):
            return
        self.editor.replace_range(f.start, f.end, "〇〇")

    def mark_reviewed(self, f: Finding) -> None:
        """The writer's 確認済み: a proposal with a reason for the reviewer (it unblocks nothing by itself)."""
        if self.session.read_only:
            return
        if f.key in self.session.proposals:  # the same button takes the proposal back
            self.session.toggle_proposal(f, None)
        else:
            reason = prompts.ask_text(self, "確認済みにする", f"「{f.text}」を確認済みにする理由（確認者が読みます）：")
            if reason is None:
                return
            if not reason.strip():
                prompts.error(self, "理由が必要です", "確認済みにするには理由を入力してください。")
                return
            self.session.toggle_proposal(f, reason.strip())
        self.push_proposal(f)
        self._show_findings()
        self._autosave_timer.start()

    def goto_finding(self, step: int) -> None:
        if not self.findings:
            return
        cursor_cp = self.editor.codepoint_at(self.editor.textCursor().selectionStart())
        ordered = sorted(self.findings, key=lambda f: (f.start, f.end))
        if step > 0:
            nxt = next((f for f in ordered if f.start > cursor_cp), ordered[0])
        else:
            nxt = next((f for f in reversed(ordered) if f.start < cursor_cp), ordered[-1])
        self.panel.select_finding(nxt)
        self.editor.select_range(nxt.start, nxt.end)

    # ---- closing ----------------------------------------------------------------------------
    def is_dirty(self) -> bool:
        return self.session.dirty

    def closeEvent(self, event):  # noqa: N802 (Qt override)
        if self.is_dirty() and not self._closing_ok:
            choice = prompts.ask_save_discard_cancel(self, "終了", "保存していない下書きがあります。保存しますか？")
            if choice == "cancel" or (choice == "save" and not self.save_draft()):
                event.ignore()
                return
        try:
            self.recovery.clear()  # only this window's crash copy
        except Exception:
            pass
        for timer in (self._template_watch, self._autosave_timer, self._letter_watch):
            timer.stop()
        if self.review_view is not None:
            self.review_view.close()
        self.renderer.shutdown()
        self.dispatcher.shutdown()
        event.accept()
