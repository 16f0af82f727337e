"""The main window's commands: each QAction with its Japanese name and shortcut, the toolbar with the
everyday steps, the 「その他」 button and the menus. Triggering an action forwards the intention."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QMainWindow,
    QMenu,
    QSizePolicy,
    QToolBar,
    QToolButton,
    QWidget,
)

from desktop_app.gui.help import show_about, show_guide


class WindowActions:
    """Built once for a MainWindow; `controller` receives the letter's intentions, `window` the rest."""

    def __init__(self, window: QMainWindow, controller):
        self.window = window
        self.controller = controller

        def action(text: str, slot, shortcut=None) -> QAction:
            a = QAction(text, window)
            if shortcut is not None:
                a.setShortcut(QKeySequence(shortcut))
            a.triggered.connect(lambda _=False: slot())
            return a

        c = controller
        self.generate_action = action("手紙を作成", c.generate, "Ctrl+G")
        self.save_action = action("下書きを保存", c.save_draft, QKeySequence.Save)
        self.open_action = action("手紙を開く…", c.open_draft, QKeySequence.Open)
        self.word_open_action = action("Wordの手紙を開く…", c.open_word)
        self.new_action = action("新しい手紙", c.new_letter, QKeySequence.New)
        self.submit_action = action("確認を依頼", c.submit_for_review, "Ctrl+Return")
        self.withdraw_action = action("依頼を取り下げる", c.withdraw_request)
        self.derive_action = action("この手紙をもとに新しく作成", c.derive_new)
        self.my_letters_action = action("自分の手紙…", c.open_my_letters, "Ctrl+Shift+O")
        self.export_action = action("Wordに書き出す…", c.export_word, "Ctrl+E")
        self.pdf_action = action("PDFに書き出す…", lambda: c.export_word(pdf=True))
        self.draft_action = action("下書きとして書き出す…", c.export_draft)
        self.queue_action = action("確認待ち…", c.open_review)
        self.settings_action = action("設定…", c.open_settings)
        self.logout_action = action("ログアウト", c.logout)
        self.staff_action = action("職員の管理…", c.open_staff)
        self.staff_action.setVisible(False)  # administrators only (show_allowed)
        self.backup_action = action("バックアップ／復元…", c.open_backup)
        self.backup_action.setVisible(False)  # administrators only (show_allowed)
        self.password_action = action("パスワードを変更…", c.change_password)
        self.quit_action = action("終了", window.close, QKeySequence.Quit)  # asks about an unsaved letter first
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))  # also where the platform has no Quit key
        self.undo_action = action("元に戻す", lambda: window.editor.undo(), QKeySequence.Undo)
        self.redo_action = action("やり直し", lambda: window.editor.redo(), QKeySequence.Redo)
        self.next_action = action("次の指摘", lambda: window.goto_finding(+1), "F8")
        self.prev_action = action("前の指摘", lambda: window.goto_finding(-1), "Shift+F8")
        self.guide_action = action("使い方ガイド", lambda: show_guide(window), QKeySequence.HelpContents)
        self.about_action = action("このアプリについて", lambda: show_about(window))

    def toolbar(self, template_combo: QComboBox, user_label: QLabel) -> QToolBar:
        tb = QToolBar("操作")
        tb.setMovable(False)
        tb.addWidget(QLabel(" テンプレート："))
        tb.addWidget(template_combo)
        # The bar keeps the everyday steps; the rest sits behind a visible 「その他」 button, so nothing hides
        # behind Qt's easily missed » arrow on a small screen (every action is also in the ファイル menu).
        for a in (self.generate_action, self.save_action, self.submit_action, self.export_action, self.queue_action):
            tb.addAction(a)
        # 依頼を取り下げる and この手紙をもとに新しく作成 appear on the bar only while they apply (a letter waiting
        # for review, a sent letter): that is when the usual steps are off and the person looks for a way on
        self.letter_tools = {}
        for a in (self.withdraw_action, self.derive_action):
            button = QToolButton()
            button.setDefaultAction(a)
            button.setToolButtonStyle(Qt.ToolButtonTextOnly)
            self.letter_tools[a] = tb.addWidget(button)
        more = QToolButton()
        more.setText("その他 ▾")
        more.setObjectName("moreButton")
        more.setPopupMode(QToolButton.InstantPopup)
        more_menu = QMenu(more)
        for a in (self.new_action, self.open_action, self.my_letters_action, self.word_open_action, self.pdf_action,
                  self.draft_action, None, self.withdraw_action, self.derive_action, None, self.settings_action,
                  self.staff_action, self.password_action, self.logout_action):
            more_menu.addSeparator() if a is None else more_menu.addAction(a)
        more.setMenu(more_menu)
        tb.addWidget(more)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        tb.addWidget(spacer)
        tb.addWidget(user_label)
        return tb

    def fill_menus(self) -> None:
        bar = self.window.menuBar()
        file_menu, edit_menu, help_menu = bar.addMenu("ファイル"), bar.addMenu("編集"), bar.addMenu("ヘルプ")
        for a in (self.undo_action, self.redo_action, self.next_action, self.prev_action):
            edit_menu.addAction(a)
        for a in (self.new_action, self.generate_action, self.open_action, self.my_letters_action, self.word_open_action,
                  self.save_action, self.submit_action, self.withdraw_action, self.export_action, self.pdf_action,
                  self.draft_action, self.derive_action, self.queue_action, self.settings_action, self.staff_action,
                  self.password_action, self.logout_action, None, self.quit_action):
            file_menu.addSeparator() if a is None else file_menu.addAction(a)
        self.admin_menu = QMenu("管理", self.window)  # administrators only (show_allowed)
        for a in (self.staff_action, self.backup_action):
            self.admin_menu.addAction(a)
        bar.insertMenu(help_menu.menuAction(), self.admin_menu)
        self.admin_menu.menuAction().setVisible(False)
        help_menu.addAction(self.guide_action)
        help_menu.addAction(self.about_action)

    def show_allowed(self, allowed, reviewer: bool, word: bool) -> None:
        self.save_action.setEnabled(allowed.edit)
        self.generate_action.setEnabled(allowed.edit and not word)
        self.new_action.setEnabled(allowed.new)  # a new letter can always be started, whatever this one waits for
        self.submit_action.setEnabled(allowed.submit)
        self.draft_action.setEnabled(allowed.draft)
        for a, enabled in ((self.withdraw_action, allowed.withdraw), (self.derive_action, allowed.derive)):
            a.setEnabled(enabled)
            self.letter_tools[a].setVisible(enabled)
        self.queue_action.setVisible(reviewer)
        self.staff_action.setVisible(self.controller.actor.has("admin"))
        self.backup_action.setVisible(self.controller.actor.has("admin"))
        if hasattr(self, "admin_menu"):
            self.admin_menu.menuAction().setVisible(self.controller.actor.has("admin"))

    def show_waiting(self, waiting: int) -> None:
        shown = "99+" if waiting >= 100 else str(waiting)
        self.queue_action.setText(f"確認待ち（{shown}）…" if waiting else "確認待ち…")
