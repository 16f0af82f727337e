"""Starts the GUI: settings, templates, drafts, the check dispatcher, then the window."""

from __future__ import annotations

import sys
from pathlib import Path

from desktop_app import config


def create_window(dispatcher=None):
    from desktop_app.core.storage import DraftStore
    from desktop_app.core.templates import TemplateLibrary
    from desktop_app.gui.check_dispatcher import CheckDispatcher
    from desktop_app.gui.main_window import MainWindow

    settings = config.Settings.load()
    shared = Path(settings.user_templates_dir) if settings.user_templates_dir else None
    library = TemplateLibrary(config.templates_dir(), user=config.user_templates_dir(), shared=shared)
    store = DraftStore(config.data_dir() / "drafts.sqlite3")
    return MainWindow(settings, library, store, dispatcher or CheckDispatcher())


def offer_restore(window) -> None:
    from desktop_app.gui import prompts

    pending = window.store.pending_autosave()
    if pending and pending.body.strip():
        if prompts.confirm(window, "下書きの復元",
                           f"前回、保存されないまま終了した下書きがあります（{pending.updated_at}）。\n復元しますか？"):
            window.restore(pending)
        else:
            window.store.clear_autosave()


def run_gui() -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("お手紙作成・チェック")
    window = create_window()
    window.show()
    QTimer.singleShot(0, lambda: offer_restore(window))
    # the model loads after the window is on screen
    QTimer.singleShot(50, window.dispatcher.load_model)
    return app.exec()
