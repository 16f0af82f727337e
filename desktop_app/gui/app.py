"""Starts the GUI: settings, templates, drafts, the check dispatcher, then the window."""

from __future__ import annotations

import json
import os
import sys
import time
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


# Benchmarks and the frozen-app tests set this to a file: once the window is shown and the event loop runs,
# the app writes when that happened (and what it loaded) there, and quits before loading the model.
STARTUP_PROBE_ENV = "DESKTOP_APP_STARTUP_PROBE"


def _startup_probe(window, path: str) -> None:
    from PySide6.QtWidgets import QApplication

    info = {"shown_at": time.time(), "visible": window.isVisible(), "title": window.windowTitle(),
            "templates": window.template_combo.count(), "data_dir": str(config.data_dir()),
            "templates_dir": str(config.templates_dir()), "frozen": bool(getattr(sys, "frozen", False))}
    Path(path).write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
    window._closing_ok = True
    window.close()
    QApplication.instance().quit()


def run_gui() -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("お手紙作成・チェック")
    window = create_window()
    window.show()
    QTimer.singleShot(0, lambda: offer_restore(window))
    probe = os.environ.get(STARTUP_PROBE_ENV)
    if probe:
        QTimer.singleShot(0, lambda: _startup_probe(window, probe))
        return app.exec()
    # the model loads after the window is on screen
    QTimer.singleShot(50, window.dispatcher.load_model)
    return app.exec()
