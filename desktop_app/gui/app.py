"""Starts the GUI: settings, the workflow database, first-start set-up and login, then the window."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app import config

if TYPE_CHECKING:  # the window's modules load only when a window is made (the CLI imports this module)
    from desktop_app.core.accounts import Actor
    from desktop_app.core.db import Database
    from desktop_app.core.workflow import Services
    from desktop_app.gui.check_dispatcher import CheckDispatcher
    from desktop_app.gui.main_window import MainWindow

DB_HINTS = {
    "unreachable": "\n\n複数のPCで使う場合は、設定のデータベースURLとネットワークを確認してください。",
    "bad_url": "\n\nデータベースURLは「postgresql+psycopg://利用者:パスワード@サーバー/データベース名」の形です。"
               "空欄にするとこのPCのSQLiteファイルを使います。",
}


def open_workflow_db(settings: config.Settings, parent=None) -> Database | None:
    """Open (or create) the workflow database; explain every failure in Japanese, never a traceback.
    A corrupt SQLite file is moved aside and the newest backup is offered. Returns None when unusable."""
    from desktop_app.core.db import (
        DB_ENV,
        DatabaseUnavailable,
        list_backups,
        move_aside,
        open_database,
        resolve_url,
    )
    from desktop_app.gui import prompts

    for _attempt in range(5):
        url = resolve_url(None, config.data_dir(), settings.database_url)
        try:
            return open_database(url)
        except DatabaseUnavailable as exc:
            if exc.reason == "corrupt" and exc.path is not None and exc.path.exists():
                try:
                    aside = move_aside(exc.path)
                except OSError as move_exc:
                    prompts.error(parent, "データベースを開けません", f"{exc}\n\n壊れたファイルを移動できませんでした：{move_exc}")
                    return None
                backups = list_backups(exc.path)
                text = f"{exc}\n\n壊れたファイルは「{aside.name}」として残しました。"
                if backups and prompts.confirm(parent, "データベースが壊れています",
                                               text + f"\n最新のバックアップ（{backups[0].name}）から復元しますか？\n"
                                               "「いいえ」を選ぶと、空のデータベースで始めます。"):
                    from desktop_app.core.db import restore_backup

                    restore_backup(exc.path, backups[0])
                elif not backups:
                    prompts.info(parent, "データベースが壊れています", text + "\nバックアップがないため、空のデータベースで始めます。")
                continue
            if settings.database_url and not os.environ.get(DB_ENV) and exc.reason in ("bad_url", "unreachable"):
                # the URL in 設定 is wrong or the server is away: let it be corrected here, or the app
                # could never start again to reach 設定
                fixed = prompts.ask_text(parent, "データベースを開けません",
                                         f"{exc}{DB_HINTS.get(exc.reason, '')}\n\nデータベースURLを確認してください"
                                         "（空欄にするとこのPCのSQLiteファイルを使います）：", settings.database_url)
                if fixed is None:
                    return None
                settings.database_url = fixed.strip()
                try:
                    settings.save()
                except OSError:
                    pass  # still used for this start
                continue
            prompts.error(parent, "データベースを開けません", str(exc) + DB_HINTS.get(exc.reason, ""))
            return None
        except Exception as exc:  # anything unforeseen still gets words, not a traceback
            prompts.error(parent, "データベースを開けません", f"データベースを開けませんでした：{exc}")
            return None
    return None


def make_services(db: Database, dispatcher: CheckDispatcher) -> Services:
    """The workflow over this database; its gate re-checks with the window's check runner (with the model)."""
    from desktop_app.core.checks.nlp import ModelUnavailable
    from desktop_app.core.workflow import Services

    runner = dispatcher.runner

    def check(text, context):
        if runner.engine is not None and not runner.engine.loaded:
            try:
                runner.engine.load()  # the gate must not judge by patterns alone while the model loads
            except ModelUnavailable:
                pass
        return runner.check(text, context)

    return Services.open(db, check)


def log_in(services: Services, parent=None) -> Actor | None:
    """First start when needed, then the login. None when the person cancels."""
    from desktop_app.gui.account_dialogs import run_login, run_setup

    name = ""
    if services.admin.setup_needed():
        from desktop_app.core.accounts import Actor
        from desktop_app.core.context import facility_to_dict

        # earlier versions kept the profile in this PC's settings
        defaults = facility_to_dict(config.Settings.load().facility)
        result = run_setup(parent, services, defaults)
        if result is None or isinstance(result, Actor):
            return result
        name = result
    return run_login(parent, services.db, name)


def create_window(dispatcher: CheckDispatcher | None = None, db: Database | None = None, actor: Actor | None = None,
                  settings: config.Settings | None = None) -> MainWindow | None:
    """The main window for a logged-in person. With no db the configured database is opened; with no
    actor the first-start set-up and the login are asked for. None when either is cancelled or fails."""
    from desktop_app.core.templates import TemplateLibrary
    from desktop_app.gui.check_dispatcher import CheckDispatcher
    from desktop_app.gui.main_window import MainWindow

    settings = settings or config.Settings.load()
    if db is None:
        db = open_workflow_db(settings)
        if db is None:
            return None
    dispatcher = dispatcher or CheckDispatcher()
    services = make_services(db, dispatcher)
    try:
        services.admin.purge_expired()  # letters sent or abandoned longer ago than the facility keeps them
    except Exception:
        pass  # never keeps anyone from working; the next start tries again
    if actor is None:
        actor = log_in(services)
        if actor is None:
            dispatcher.shutdown()
            return None
    shared = Path(settings.user_templates_dir) if settings.user_templates_dir else None
    library = TemplateLibrary(config.templates_dir(), user=config.user_templates_dir(), shared=shared)
    return MainWindow(settings, library, services, actor, dispatcher)


def offer_restore(window) -> None:
    """Offer the unsaved text of windows that ended without closing (a crash, a power cut)."""
    from desktop_app.gui import prompts

    try:
        rows = window.controller.recovery.orphaned()
    except Exception as exc:
        window.statusBar().showMessage(f"自動保存の確認ができませんでした：{exc}", 10000)
        return
    for row in rows:
        saved = row.saved_at.strftime("%Y-%m-%d %H:%M") if row.saved_at else ""
        first = next((ln for ln in row.body.splitlines() if ln.strip()), "")[:30]
        if prompts.confirm(window, "下書きの復元",
                           f"前回、保存されないまま終了した下書きがあります（{saved}）。\n「{first}」\n復元しますか？"):
            window.controller.restore_recovered(window.controller.recovery.restore(row))
            return  # one window presents one letter; the others stay for the next start
        window.controller.recovery.discard(row)


# Benchmarks and the frozen-app tests set this to a file: once the first window (the set-up or login dialog,
# or the main window) is on screen and the event loop runs, the app writes when that happened (and what it
# loaded) there, closes it and quits before loading the model.
STARTUP_PROBE_ENV = "DESKTOP_APP_STARTUP_PROBE"


def _watch_startup(path: str) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QDialog

    def probe() -> None:
        app = QApplication.instance()
        shown = app.activeModalWidget() or next((w for w in app.topLevelWidgets() if w.isVisible()), None)
        if shown is None:
            QTimer.singleShot(20, probe)
            return
        from desktop_app.core.templates import TemplateLibrary

        library = TemplateLibrary(config.templates_dir(), user=config.user_templates_dir())
        info = {"shown_at": time.time(), "visible": shown.isVisible(), "title": shown.windowTitle(),
                "templates": len(library.templates), "data_dir": str(config.data_dir()),
                "templates_dir": str(config.templates_dir()), "frozen": bool(getattr(sys, "frozen", False))}
        Path(path).write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
        if isinstance(shown, QDialog):
            shown.reject()  # the set-up or login: the app then ends without a window
        else:
            shown._closing_ok = True
            shown.close()
        app.quit()

    QTimer.singleShot(0, probe)


def run_gui() -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop_app.gui.qt_japanese import install as install_japanese

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("お手紙作成・チェック")
    install_japanese(app)  # Qt's own buttons and dialogs (閉じる, キャンセル, the file dialog) in Japanese
    probe = os.environ.get(STARTUP_PROBE_ENV)
    if probe:
        _watch_startup(probe)
    window = create_window()
    if window is None:
        return 0
    window.show()
    if probe:
        return app.exec()
    window.controller.poll_letter()
    window.controller.open_review_if_reviewer_only()
    QTimer.singleShot(0, lambda: offer_restore(window))
    # the model loads after the window is on screen
    QTimer.singleShot(50, window.controller.dispatcher.load_model)
    return app.exec()
