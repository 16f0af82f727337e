"""The main window: template and form on the left, the letter in the middle, findings on the right."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from desktop_app import config
from desktop_app.core.export_docx import PdfUnavailable, convert_to_pdf, export_docx
from desktop_app.core.fileio import WriteError
from desktop_app.core.letters import Finding
from desktop_app.core.storage import Draft, DraftStore
from desktop_app.core.templates import MissingFieldsError, TemplateError, TemplateLibrary
from desktop_app.gui import prompts
from desktop_app.gui.check_dispatcher import CheckDispatcher
from desktop_app.gui.editor import DraftEditor
from desktop_app.gui.findings_panel import FindingsPanel
from desktop_app.gui.form import TemplateForm
from desktop_app.gui.render_worker import RenderWorker
from desktop_app.gui.settings_dialog import SettingsDialog

AUTOSAVE_MS = 1500


class MainWindow(QMainWindow):
    def __init__(self, settings: config.Settings, library: TemplateLibrary, store: DraftStore,
                 dispatcher: CheckDispatcher):
        super().__init__()
        self.setWindowTitle("お手紙作成・チェック")
        self.resize(1360, 860)
        self.settings = settings
        self.library = library
        self.store = store
        self.dispatcher = dispatcher
        self.renderer = RenderWorker(library, parent=self)  # letters are rendered off the GUI thread
        self.draft = Draft(template_id="")
        self.findings: list[Finding] = []
        self.revision = 0
        self.generated_text: str | None = None  # the text as last generated from the form
        self.saved_body: str = ""
        self.model_ready = False
        self._closing_ok = False

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

        self._fill_template_combo()
        if self.template_combo.count():
            self._on_template_changed(0)
        self.status_model.setText("日本語解析モデルを読み込み中…（パターンによる検出は使えます）")

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
        self.generate_action = QAction("手紙を作成", self)
        self.generate_action.setShortcut(QKeySequence("Ctrl+G"))
        self.generate_action.triggered.connect(self.generate)
        tb.addAction(self.generate_action)
        tb.addSeparator()
        self.export_action = QAction("Wordに書き出す…", self)
        self.export_action.setShortcut(QKeySequence("Ctrl+E"))
        self.export_action.triggered.connect(self.export_word)
        tb.addAction(self.export_action)
        self.pdf_action = QAction("PDFに書き出す…", self)
        self.pdf_action.triggered.connect(lambda: self.export_word(pdf=True))
        tb.addAction(self.pdf_action)
        tb.addSeparator()
        self.save_action = QAction("下書きを保存", self)
        self.save_action.setShortcut(QKeySequence.Save)
        self.save_action.triggered.connect(self.save_draft)
        tb.addAction(self.save_action)
        self.open_action = QAction("下書きを開く…", self)
        self.open_action.setShortcut(QKeySequence.Open)
        self.open_action.triggered.connect(self.open_draft)
        tb.addAction(self.open_action)
        settings_action = QAction("設定…", self)
        settings_action.triggered.connect(self.open_settings)
        tb.addAction(settings_action)

        file_menu = self.menuBar().addMenu("ファイル")
        edit_menu = self.menuBar().addMenu("編集")
        self.undo_action = QAction("元に戻す", self)
        self.undo_action.setShortcut(QKeySequence.Undo)
        edit_menu.addAction(self.undo_action)
        self.redo_action = QAction("やり直し", self)
        self.redo_action.setShortcut(QKeySequence.Redo)
        edit_menu.addAction(self.redo_action)
        self.next_action = QAction("次の指摘", self)
        self.next_action.setShortcut(QKeySequence("F8"))
        self.next_action.triggered.connect(lambda: self.goto_finding(+1))
        edit_menu.addAction(self.next_action)
        self.prev_action = QAction("前の指摘", self)
        self.prev_action.setShortcut(QKeySequence("Shift+F8"))
        self.prev_action.triggered.connect(lambda: self.goto_finding(-1))
        edit_menu.addAction(self.prev_action)
        for a in (self.generate_action, self.open_action, self.save_action, self.export_action, self.pdf_action):
            file_menu.addAction(a)
        file_menu.addAction(settings_action)

        self.form = TemplateForm()
        self.form.changed.connect(self._on_form_changed)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        scroll.setMinimumWidth(300)

        self.editor = DraftEditor()
        self._apply_font()
        self.editor.textChanged.connect(self._on_text_changed)
        self.undo_action.triggered.connect(self.editor.undo)
        self.redo_action.triggered.connect(self.editor.redo)
        middle = QWidget()
        v = QVBoxLayout(middle)
        v.setContentsMargins(0, 0, 0, 0)
        v.addWidget(QLabel("手紙の本文（自由に編集できます）"))
        v.addWidget(self.editor, 1)

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
        sample = {}
        self.form.set_template(info, self.draft.fields if self.draft.template_id == tid else sample)
        self.draft.template_id = tid
        self._request_check()

    def _on_form_changed(self) -> None:
        self.draft.fields = self.form.values()
        self._request_check()
        self._autosave_timer.start()

    def context(self) -> dict:
        tid = self.current_template_id()
        facility = self.settings.facility.to_context()
        if not tid:
            return {"facility": facility}
        try:
            return self.library.check_context(tid, self.form.values(), facility)
        except KeyError:
            return {"facility": facility}

    def generate(self) -> bool:
        tid = self.current_template_id()
        if not tid:
            return False
        current = self.editor.toPlainText()
        edited = current.strip() and current != (self.generated_text or "")
        if edited and not prompts.confirm(self, "手紙を作り直しますか",
                                          "本文に手で加えた変更があります。フォームから作り直すと、その変更は失われます。\n"
                                          "作り直しますか？（「元に戻す」で戻すこともできます）"):
            return False
        if self.renderer.busy:  # Ctrl+G again while the last one is still rendering
            return False
        try:
            text = self.renderer.render_and_wait(tid, self.form.values(), self.settings.facility.to_context())
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
        self.generated_text = self.editor.toPlainText()
        return True

    def set_body(self, text: str, undoable: bool = True) -> None:
        if undoable:
            self.editor.replace_range(0, len(self.editor.toPlainText()), text)
        else:
            self.editor.setPlainText(text)

    # ---- checking ---------------------------------------------------------------------------
    def _on_text_changed(self) -> None:
        # Highlighting changes formats, and Qt reports that as textChanged too: only real edits count,
        # or every check result would start another check.
        text = self.editor.toPlainText()
        if text == self.draft.body:
            return
        self.draft.body = text
        self._request_check()
        self._autosave_timer.start()

    def _request_check(self, immediate: bool = False) -> None:
        self.revision += 1
        self.dispatcher.request_check(self.editor.toPlainText(), self.context(), self.revision, immediate=immediate)

    def _on_check_finished(self, revision: int, findings, nlp_used: bool) -> None:
        if revision != self.revision:
            return
        self.findings = list(findings)
        keys = set(self.draft.reviewed)
        self.editor.set_findings(self.findings, keys)
        self.panel.set_findings(self.findings, self.draft.reviewed, self.model_ready, self.editor.toPlainText())

    def _on_model_loaded(self, ok: bool, message: str, seconds: float) -> None:
        self.model_ready = ok
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
        return [f for f in self.findings if f.severity.value == "high" and f.key not in self.draft.reviewed]

    # ---- actions on findings ----------------------------------------------------------------
    def _select_in_editor(self, f: Finding) -> None:
        self.editor.select_range(f.start, f.end)

    def _still_there(self, f: Finding) -> bool:
        return self.editor.toPlainText()[f.start:f.end] == f.text

    def apply_suggestion(self, f: Finding) -> None:
        if not f.suggestions or not self._still_there(f):
            return
        self.editor.replace_range(f.start, f.end, f.suggestions[0])

    def mask_finding(self, f: Finding) -> None:
        if not self._still_there(f):
            return
        self.editor.replace_range(f.start, f.end, "〇〇")

    def mark_reviewed(self, f: Finding) -> None:
        if f.key in self.draft.reviewed:  # the same button takes the mark back
            del self.draft.reviewed[f.key]
            self._on_check_finished(self.revision, self.findings, self.model_ready)
            self._autosave_timer.start()
            return
        reason = prompts.ask_text(self, "確認済みにする", f"「{f.text}」を確認済みにする理由（承認者が確認します）：")
        if reason is None:
            return
        if not reason.strip():
            prompts.error(self, "理由が必要です", "確認済みにするには理由を入力してください。")
            return
        self.draft.reviewed[f.key] = reason.strip()
        self._on_check_finished(self.revision, self.findings, self.model_ready)
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

    # ---- saving, export ---------------------------------------------------------------------
    def autosave_now(self) -> None:
        self.draft.body = self.editor.toPlainText()
        self.draft.fields = self.form.values()
        try:
            self.store.autosave(self.draft)
        except Exception as exc:  # a full disk must not interrupt typing; tell the user
            self.statusBar().showMessage(f"自動保存できませんでした：{exc}", 10000)

    def save_draft(self) -> bool:
        self.autosave_now()
        try:
            self.store.save(self.draft)
        except Exception as exc:
            prompts.error(self, "保存できませんでした", f"下書きを保存できませんでした。本文は画面に残っています。\n{exc}")
            return False
        self.saved_body = self.draft.body
        self.statusBar().showMessage("下書きを保存しました", 5000)
        return True

    def open_draft(self) -> bool:
        drafts = self.store.list()
        if not drafts:
            prompts.info(self, "下書きを開く", "保存された下書きはありません。")
            return False
        labels = []
        for d in drafts:
            info = self.library.templates.get(d.template_id)
            first = next((ln for ln in d.body.splitlines() if ln.strip()), "")[:20]
            labels.append(f"{d.updated_at.replace('T', ' ')}　{info.title if info else d.template_id}　{first}")
        index = prompts.choose_item(self, "下書きを開く", "開く下書きを選んでください：", labels)
        if index is None:
            return False
        if self.is_dirty():
            choice = prompts.ask_save_discard_cancel(self, "下書きを開く", "今の下書きは保存されていません。保存しますか？")
            if choice == "cancel" or (choice == "save" and not self.save_draft()):
                return False
        self.restore(drafts[index])
        self.saved_body = drafts[index].body
        return True

    def restore(self, draft: Draft) -> None:
        self.draft = draft
        idx = self.template_combo.findData(draft.template_id)
        if idx >= 0:
            self.template_combo.setCurrentIndex(idx)
            self.form.set_template(self.library.get(draft.template_id), draft.fields)
        self.set_body(draft.body, undoable=False)
        self.generated_text = None
        self._request_check(immediate=True)

    def export_word(self, pdf: bool = False) -> Path | None:
        text = self.editor.toPlainText()
        if not text.strip():
            prompts.error(self, "本文がありません", "書き出す前に手紙を作成してください。")
            return None
        high = self.unresolved_high()
        if high:
            lines = "\n".join(f"・「{f.text}」 {f.message}" for f in high[:10])
            prompts.error(self, "書き出せません",
                          f"重大な指摘が{len(high)}件残っています。修正するか、理由を添えて「確認済み」にしてください。\n\n{lines}")
            return None
        info = self.library.templates.get(self.current_template_id())
        suggested = str(Path.home() / f"{info.title if info else '手紙'}.docx")
        path = prompts.save_file(self, "Wordに書き出す", suggested, "Word 文書 (*.docx)")
        if not path:
            return None
        if not path.lower().endswith(".docx"):
            path += ".docx"
        try:
            out = export_docx(text, Path(path), author=self.settings.facility.name or "施設",
                              title=info.title if info else "", font=self.settings.docx_font)
        except WriteError as exc:
            prompts.error(self, "書き出せませんでした", f"{exc}\n\n本文は画面に残っています。")
            return None
        if pdf:
            try:
                pdf_path = convert_to_pdf(out)
                prompts.info(self, "書き出しました", f"PDFを保存しました：\n{pdf_path}")
                return pdf_path
            except PdfUnavailable as exc:
                prompts.error(self, "PDFにできませんでした", f"Wordファイルは保存しました：{out}\n\n{exc}")
                return out
        prompts.info(self, "書き出しました", f"Wordファイルを保存しました：\n{out}")
        return out

    def open_settings(self) -> None:
        dlg = SettingsDialog(self.settings, self)
        if dlg.exec():
            dlg.apply()
            try:
                self.settings.save()
            except WriteError as exc:
                prompts.error(self, "設定を保存できませんでした", str(exc))
            self._apply_font()
            self.library.shared = Path(self.settings.user_templates_dir) if self.settings.user_templates_dir else None
            self.library.reload()
            self._fill_template_combo()
            self._request_check()

    # ---- closing ----------------------------------------------------------------------------
    def is_dirty(self) -> bool:
        body = self.editor.toPlainText()
        return bool(body.strip()) and body != self.saved_body

    def closeEvent(self, event):  # noqa: N802 (Qt override)
        if self.is_dirty() and not self._closing_ok:
            choice = prompts.ask_save_discard_cancel(self, "終了", "保存していない下書きがあります。保存しますか？")
            if choice == "cancel" or (choice == "save" and not self.save_draft()):
                event.ignore()
                return
        try:
            self.store.clear_autosave()
        except Exception:
            pass
        self._template_watch.stop()
        self._autosave_timer.stop()
        self.renderer.shutdown()
        self.dispatcher.shutdown()
        event.accept()
