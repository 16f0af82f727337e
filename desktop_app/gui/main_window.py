"""The main window: template and form on the left, the letter in the middle, findings on the right. It shows
the state of a LetterSession and forwards each intention to its LetterController; no rule lives here."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QLabel, QMainWindow, QScrollArea, QSplitter, QVBoxLayout, QWidget

from desktop_app import config
from desktop_app.core.accounts import Actor
from desktop_app.core.letter_session import Allowed, LetterSession
from desktop_app.core.templates import TemplateLibrary
from desktop_app.core.workflow import Services
from desktop_app.gui import prompts, screen_fit
from desktop_app.gui.check_dispatcher import CheckDispatcher
from desktop_app.gui.comments_panel import CommentsPanel, comment_selections, reanchor
from desktop_app.gui.editor import DraftEditor
from desktop_app.gui.findings_panel import FindingsPanel
from desktop_app.gui.form import TemplateForm
from desktop_app.gui.letter_controller import LetterController
from desktop_app.gui.notice_bar import NoticeBar
from desktop_app.gui.window_actions import WindowActions

MODEL_FAILURE_TEXT = (
    "⚠ 日本語解析モデルを読み込めませんでした。チェックはパターン（敬称・番号・言い回しなど）による確認のみで行われ、"
    "お名前などの見落としが増えます。送る前に必ず目でも確認してください。"
    "重大な指摘が残る手紙は、これまでどおり書き出せません。\n"
    "アプリを入れ直すか、管理者にご連絡ください。"
)

PREFERRED_SIZE = (1360, 860)  # on a screen that has room; smaller screens get what they have (screen_fit)
# Narrower than this, three columns leave the findings too narrow to read (or push them off-screen on a
# 1024x768 PC): the findings panel then sits under the letter instead of beside it.
NARROW_WIDTH = 1100


class MainWindow(QMainWindow):
    def __init__(self, settings: config.Settings, library: TemplateLibrary, services: Services, actor: Actor,
                 dispatcher: CheckDispatcher):
        super().__init__()
        self.library = library
        self._closing_ok = False
        self.model_banner: QLabel | None = None
        self.controller = LetterController(self, settings, library, services, actor, dispatcher)
        self.actions = WindowActions(self, self.controller)
        self._build_ui()
        self.apply_font(settings.editor_font_size)
        self.fill_templates(library)
        if self.template_combo.count():
            self._on_template_changed(0)
        self.status_model.setText("日本語解析モデルを読み込み中…（パターンによる検出は使えます）")
        self.show_actor(actor)
        self.controller.show_state()
        if not screen_fit.restore_geometry(self, screen_fit.load_geometry("main")):
            screen_fit.fit_to_screen(self, *PREFERRED_SIZE)
        self._arrange(self.width())

    # ---- building ------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.template_combo = QComboBox()
        self.template_combo.setMinimumWidth(220)
        self.template_combo.currentIndexChanged.connect(self._on_template_changed)
        self.user_label = QLabel()
        self.user_label.setObjectName("userLabel")
        self.addToolBar(self.actions.toolbar(self.template_combo, self.user_label))
        self.actions.fill_menus()

        self.form = TemplateForm()
        self.form.changed.connect(lambda: self.controller.form_changed(self.current_template_id(), self.form.values()))
        self.form_scroll = QScrollArea()
        self.form_scroll.setWidgetResizable(True)
        self.form_scroll.setWidget(self.form)
        self.form_scroll.setMinimumWidth(300)

        self.editor = DraftEditor()
        self.editor.textChanged.connect(lambda: self.controller.text_changed(self.editor.toPlainText()))
        self.editor.cursorPositionChanged.connect(self._show_place)
        self.middle = QWidget()
        v = QVBoxLayout(self.middle)
        v.setContentsMargins(0, 0, 0, 0)
        self.notice_bar = NoticeBar()  # returned / approved letters since the writer last looked
        self.notice_bar.open_requested.connect(self.controller.open_letter)
        self.notice_bar.dismissed.connect(self.controller.dismiss_notices)
        v.addWidget(self.notice_bar)
        self.body_label = QLabel("手紙の本文（自由に編集できます）")
        self.body_label.setWordWrap(True)  # a long banner wraps instead of widening the window past the screen
        v.addWidget(self.body_label)
        v.addWidget(self.editor, 1)
        self.comments_panel = CommentsPanel()
        self.comments_panel.comment_selected.connect(self._go_to_comment)
        v.addWidget(self.comments_panel)

        self.panel = FindingsPanel()
        self.panel.finding_selected.connect(lambda f: self.editor.select_range(f.start, f.end))
        self.panel.apply_requested.connect(self.controller.apply_suggestion)
        self.panel.mask_requested.connect(self.controller.mask_finding)
        self.panel.review_requested.connect(self.controller.mark_reviewed)

        # wide: form | letter | findings; narrow (below NARROW_WIDTH): form | letter over findings
        self.center = QSplitter(Qt.Vertical)
        self.center.setObjectName("centerSplitter")
        self.center.setChildrenCollapsible(False)  # the letter and the findings never vanish under a drag
        self.center.addWidget(self.middle)
        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        for w in (self.form_scroll, self.center, self.panel):
            self.splitter.addWidget(w)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([330, 640, 390])
        self.narrow = False
        self._name = self._who = ""  # the person logged in and their roles (show_actor)
        self.setCentralWidget(self.splitter)
        self.status_model = QLabel()
        self.status_letter = QLabel()
        self.status_letter.setObjectName("letterState")
        self.word_place_label = QLabel()  # in a Word letter: where the cursor is in the file (表1の3行2列 …)
        self.word_place_label.setObjectName("wordPlace")
        self.word_place_label.setVisible(False)
        for w in (self.word_place_label, self.status_letter, self.status_model):
            self.statusBar().addPermanentWidget(w)  # a passing message does not cover them

    # ---- fitting the screen ---------------------------------------------------------------------
    def _arrange(self, width: int) -> None:
        """Findings beside the letter when the window is wide enough, under it when not; called on every
        resize, so a window made smaller (or moved to a smaller screen) rearranges at once."""
        narrow = width < NARROW_WIDTH
        if narrow == self.narrow:
            return
        self.narrow = narrow
        self._show_user()
        if narrow:
            self.center.addWidget(self.panel)  # moves it out of the three columns
            self.center.setSizes([550, 450])  # shares, not pixels: the splitter divides what it has
            self.splitter.setSizes([300, max(1, width - 300)])
        else:
            self.splitter.addWidget(self.panel)
            self.splitter.setSizes([330, 640, 390])
        self.layout().activate()  # the window's minimum width follows now, not after the next event

    def _show_user(self) -> None:
        """Who is logged in, at the toolbar's end; on a narrow window without 「ログイン中：」 and with a narrower
        template list, so that it stays on the bar instead of behind Qt's » arrow."""
        # narrow: the name alone (the roles are in the tooltip), so that 依頼を取り下げる and 確認待ち（N） still fit
        self.user_label.setText(f" {self._name} " if self.narrow else f" ログイン中：{self._who} ")
        self.template_combo.setMinimumWidth(160 if self.narrow else 220)

    def resizeEvent(self, event):  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._arrange(event.size().width())

    def apply_font(self, size: int) -> None:
        font = QFont(self.editor.font())
        font.setPointSize(int(size))
        self.editor.setFont(font)

    def fill_templates(self, library: TemplateLibrary) -> None:
        current = self.template_combo.currentData()
        self.template_combo.blockSignals(True)
        self.template_combo.clear()
        for info in library.templates.values():
            self.template_combo.addItem(info.title + ("（施設独自）" if info.source != "bundled" else ""), info.id)
        # keep the current choice; at start open on the monthly report, the letter written most often
        self.template_combo.setCurrentIndex(max(self.template_combo.findData(current or "monthly_report"), 0))
        self.template_combo.blockSignals(False)
        if library.errors:
            self.status("読み込めないテンプレートがあります：" + " / ".join(str(e) for e in library.errors), 15000)

    # ---- intentions --------------------------------------------------------------------------
    def current_template_id(self) -> str:
        return self.template_combo.currentData() or ""

    def _on_template_changed(self, _index: int) -> None:
        tid = self.current_template_id()
        if not tid:
            return
        s = self.controller.session
        self.form.set_template(self.library.get(tid), s.fields if s.template_id == tid else {})
        self.controller.form_changed(tid, self.form.values())

    def _go_to_comment(self, c) -> None:
        """A reviewer's comment clicked: its words selected in the letter, and the keyboard there too, so what the
        writer types next corrects them (it went to the comment list and was lost)."""
        if c is None or c.start is None:
            return
        self.editor.select_range(c.start, c.end)
        self.editor.setFocus(Qt.OtherFocusReason)

    def goto_finding(self, step: int) -> None:
        findings = sorted(self.controller.session.findings, key=lambda f: (f.start, f.end))
        if not findings:
            return
        cursor = self.editor.codepoint_at(self.editor.textCursor().selectionStart())
        if step > 0:
            nxt = next((f for f in findings if f.start > cursor), findings[0])
        else:
            nxt = next((f for f in reversed(findings) if f.start < cursor), findings[-1])
        self.panel.select_finding(nxt)
        self.editor.select_range(nxt.start, nxt.end)

    # ---- showing the session -------------------------------------------------------------------
    def show_letter(self, s: LetterSession) -> None:
        idx = self.template_combo.findData(s.template_id)
        if idx >= 0:
            self.template_combo.blockSignals(True)
            self.template_combo.setCurrentIndex(idx)
            self.template_combo.blockSignals(False)
            self.form.set_template(self.library.get(s.template_id), s.fields)
        self.editor.setPlainText(s.body)

    def show_state(self, s: LetterSession, allowed: Allowed) -> None:
        self.editor.setReadOnly(not allowed.edit)
        self.form.setEnabled(allowed.edit)
        self.template_combo.setEnabled(allowed.edit and not s.is_word)
        self.form_scroll.setVisible(not s.is_word)  # a Word letter has no template form
        self.actions.show_allowed(allowed, self.controller.actor.has("reviewer"), s.is_word)
        self.panel.set_editable(allowed.fix)
        self.status_letter.setText(s.state_text())
        self.body_label.setText(s.banner())
        self._show_place()

    def show_comments(self, comments) -> None:
        comments = reanchor(self.editor.toPlainText(), comments)
        self.comments_panel.set_comments(comments)
        self.editor.setExtraSelections(comment_selections(self.editor, comments))

    def show_findings(self, s: LetterSession, model_ready: bool, model_failed: bool) -> None:
        review = s.review()
        self.editor.set_findings(s.findings, review.accepted_keys)
        self.panel.set_findings(review, model_ready, self.editor.toPlainText(), model_failed=model_failed)

    def show_model(self, ok: bool, seconds: float, message: str) -> None:
        if ok:
            self.status_model.setText(f"日本語解析モデル：準備完了（{seconds:.1f}秒）")
            return
        self.status_model.setText("日本語解析モデルを読み込めませんでした（パターンのみで確認中）")
        self.status_model.setStyleSheet("color: #b00000; font-weight: bold;")
        if self.model_banner is None:  # a banner above the letter that stays, not a status line that fades
            self.model_banner = QLabel()
            self.model_banner.setWordWrap(True)
            self.model_banner.setTextInteractionFlags(Qt.TextSelectableByMouse)
            self.model_banner.setStyleSheet(
                "background: #fff0f0; color: #8b0000; border: 1px solid #b00000; padding: 6px; font-weight: bold;")
            self.middle.layout().insertWidget(0, self.model_banner)
        cause = message if len(message) <= 300 else message[:300] + "…"
        self.model_banner.setText(f"{MODEL_FAILURE_TEXT}\n原因（管理者向け）：{cause}")
        self.model_banner.show()

    def _show_place(self) -> None:
        s = self.controller.session
        if not s.is_word:
            self.word_place_label.setVisible(False)
            return
        pos = self.editor.codepoint_at(self.editor.textCursor().position())
        where = s.place_of(pos, pos + 1)
        self.word_place_label.setVisible(where is not None)
        self.word_place_label.setText(f"カーソルの位置：{where}")

    def show_actor(self, actor: Actor) -> None:
        self._name, self._who = actor.name, f"{actor.name}（{actor.roles_ja}）"
        self.user_label.setToolTip(f"ログイン中：{self._who}")
        self._show_user()
        self.setWindowTitle(f"お手紙作成・チェック — {actor.name}")
        # a new letter's 差出人のお名前 is the writer's own (a saved letter keeps what it says)
        self.form.set_defaults({"sender": actor.name} if actor.has("writer") else {})

    def show_waiting(self, waiting: int) -> None:
        self.actions.show_waiting(waiting)

    def show_notices(self, notices) -> None:
        self.notice_bar.show_notices(notices, lambda tid: LetterSession.title_of(self.library, tid))

    def status(self, message: str, ms: int) -> None:
        self.statusBar().showMessage(message, ms)

    # ---- closing ----------------------------------------------------------------------------
    def close_without_asking(self) -> None:
        self._closing_ok = True
        self.close()

    def closeEvent(self, event):  # noqa: N802 (Qt override)
        if self.controller.session.dirty and not self._closing_ok:
            choice = prompts.ask_save_discard_cancel(self, "終了", "保存していない下書きがあります。保存しますか？")
            if choice == "cancel" or (choice == "save" and not self.controller.save_draft()):
                event.ignore()
                return
        self.controller.shutdown()
        screen_fit.save_geometry("main", self)  # the next start opens where this one was (clamped to the screen)
        event.accept()
