"""Starts the GUI: settings, the workflow database, first-start set-up and login, then the window."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
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
    "bad_url": "\n\nデータベースURLは「postgresql+psycopg://利用者@サーバー/データベース名」の形です（パスワードは"
               "URLに書かず、キーチェーンに保存します）。空欄にするとこのPCのSQLiteファイルを使います。",
    "missing": "\n\n設定のデータベースの場所を確認してください。空欄にするとこのPCのSQLiteファイルを使います。",
    "tls": "\n\n施設のサーバーの管理者に、TLS（暗号化）の設定と証明書を確認してもらってください。",
}


def open_workflow_db(settings: config.Settings, parent=None, failure: Exception | None = None) -> Database | None:
    """Open (or create) the workflow database; explain every failure in Japanese, never a traceback.
    A corrupt SQLite file is moved aside and the newest backup is offered. Returns None when unusable.
    failure: why the first try (on a thread, gui/login_worker.py) failed; not tried again at once (an
    unreachable server would make the person wait its time-out twice)."""
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
            if failure is not None:
                failure, known = None, failure
                raise known
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
                                               "「空で始める」を選ぶと、空のデータベースで始めます。",
                                               yes="復元する", no="空で始める"):
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
            if exc.reason == "auth" and ask_database_password(settings, parent, again=True):
                from desktop_app.core import secrets

                if not secrets.keychain_available():
                    continue  # typed again: tried with it
            prompts.error(parent, "データベースを開けません", str(exc) + DB_HINTS.get(exc.reason, ""))
            return None
        except Exception as exc:  # anything unforeseen still gets words, not a traceback
            prompts.error(parent, "データベースを開けません", f"データベースを開けませんでした：{exc}")
            return None
    return None


def ask_database_password(settings: config.Settings, parent=None, again: bool = False) -> bool:
    """A PC without an OS keychain keeps no database password: ask for it at the start (masked), keep it in
    this process's memory only (core.secrets). False when the person cancels (the app then ends). Nothing is
    asked for SQLite, a PC with a keychain, or when this start already has the password (unless again)."""
    url = os.environ.get("CARELETTER_DB") or settings.database_url
    from desktop_app.core import secrets

    if not secrets.is_postgresql(url) or secrets.keychain_available() or (
            secrets.has_session_password(url) and not again):
        return True
    from desktop_app.gui import prompts

    account = secrets.account_for(url)
    lead = "パスワードが違うか、入力されていません。\n\n" if again else ""
    typed = prompts.ask_secret(parent, "データベースのパスワード",
                               f"{lead}このPCにはパスワードを安全に保管する仕組み（キーチェーン）がないため、"
                               f"データベースのパスワードは保存していません。\n「{account}」のパスワードを入力してください"
                               "（アプリを終了するまで覚えておき、どこにも書き込みません）：")
    if typed is None:
        return False
    secrets.keep_in_memory(url, typed)
    return True


def make_services(db: Database, dispatcher: CheckDispatcher | Callable[[], CheckDispatcher]) -> Services:
    """The workflow over this database; its gate re-checks with the window's check runner (with the model).
    dispatcher may be a function that makes it: the login does not wait for the checks to be imported."""
    from desktop_app.core.workflow import Services

    def check(text, context):
        from desktop_app.core.checks.nlp import ModelUnavailable  # the checks package: after the login

        runner = (dispatcher if hasattr(dispatcher, "runner") else dispatcher()).runner
        if runner.engine is not None and not runner.engine.loaded:
            try:
                runner.engine.load()  # the gate must not judge by patterns alone while the model loads
            except ModelUnavailable:
                pass
        return runner.check(text, context)

    return Services.open(db, check)


def log_in(services: Services, parent=None, typed: tuple[str, str] | None = None) -> Actor | None:
    """First start when needed, then the login. None when the person cancels. typed: the name and password
    entered in the login shown before the database was open (gui/login_worker.py); checked first."""
    from desktop_app.gui.account_dialogs import after_login, run_login, run_setup

    name = message = ""
    if services.admin.setup_needed():
        from desktop_app.core.accounts import Actor
        from desktop_app.core.context import facility_to_dict

        # earlier versions kept the profile in this PC's settings
        defaults = facility_to_dict(config.Settings.load().facility)
        result = run_setup(parent, services, defaults)
        if result is None or isinstance(result, Actor):
            return result
        name = result
    elif typed is not None:
        from desktop_app.core import accounts
        from desktop_app.core.errors import WorkflowRefused

        name, password = typed
        try:
            actor = accounts.authenticate(services.db, name, password)
        except WorkflowRefused as exc:
            message = exc.message  # asked again, with the reason, as run_login does
        else:
            return after_login(parent, services.db, actor, password)
    return run_login(parent, services.db, name, message)


def create_window(dispatcher: CheckDispatcher | None = None, db: Database | None = None, actor: Actor | None = None,
                  settings: config.Settings | None = None, login_first: bool = False) -> MainWindow | None:
    """The main window for a logged-in person. With no db the configured database is opened; with no
    actor the first-start set-up and the login are asked for. None when either is cancelled or fails.
    The login is asked for before the window's modules are imported: they load on a thread once the
    login is on screen, while the person types (see _Preload). login_first (the app's start): at a facility
    past its first start the login is shown even before the database is open (gui/login_worker.py)."""
    settings = settings or config.Settings.load()
    if db is None and not ask_database_password(settings):
        return None
    preload = _Preload(settings)
    typed, failure = None, None
    if login_first and db is None and actor is None:
        from desktop_app.gui.login_worker import (
            DatabaseOpener,
            ask_login_while_opening,
            facility_probably_exists,
        )

        if facility_probably_exists(settings):
            opener = DatabaseOpener(settings)
            typed, closed_by_app = ask_login_while_opening(opener, preload.start)
            if typed is None and not closed_by_app:
                opener.close()  # the person closed the login
                preload.join()
                return None
            if typed is not None and opener.ready_for_login:
                db = opener.db
            else:  # the set-up is needed or the database has a problem: the usual start explains and asks
                failure = opener.error
                opener.close()
                typed = None
    if db is None:
        db = open_workflow_db(settings, failure=failure)
        if db is None:
            return None
    if dispatcher is None and actor is None:
        services = make_services(db, preload.dispatcher)  # the dispatcher is made after the login
    else:
        dispatcher = dispatcher or _new_dispatcher()
        services = make_services(db, dispatcher)
    try:
        services.admin.purge_expired()  # letters sent or abandoned longer ago than the facility keeps them
    except Exception:
        pass  # never keeps anyone from working; the next start tries again
    if actor is None:
        watch = _on_first_paint(preload.start)  # not before the login (or set-up) is painted
        try:
            actor = log_in(services, typed=typed)
        finally:
            watch.stop()
        if actor is None:
            preload.join()
            for made in (dispatcher, preload.made_dispatcher):
                if made is not None:
                    made.shutdown()
            return None
    library = preload.library()
    from desktop_app.gui.main_window import MainWindow

    return MainWindow(settings, library, services, actor, dispatcher or preload.dispatcher())


def _new_dispatcher() -> CheckDispatcher:
    from desktop_app.gui.check_dispatcher import CheckDispatcher

    return CheckDispatcher()


def _template_library(settings: config.Settings):
    from desktop_app.core.templates import TemplateLibrary

    shared = Path(settings.user_templates_dir) if settings.user_templates_dir else None
    return TemplateLibrary(config.templates_dir(), user=config.user_templates_dir(), shared=shared)


class _Preload:
    """What the main window needs and the login does not: its modules (the GUI, the checks' rules) and the
    template library. Started once the login is painted, on a plain thread, so that the login appears
    sooner and the window follows soon after it is accepted; done here, on the GUI thread, when nobody was
    asked (a test's monkeypatched prompts) or the thread failed. The dispatcher itself (a QObject with
    threads) is always made on the GUI thread, after the login."""

    def __init__(self, settings: config.Settings):
        import threading

        self.settings = settings
        self._thread = threading.Thread(target=self._run, name="window-preload")
        self._library = None
        self._dispatcher: CheckDispatcher | None = None
        self._wanted = False  # set once the results were asked for: a late start() then does nothing

    def start(self) -> None:
        if not self._wanted and self._thread.ident is None:
            self._thread.start()

    def _run(self) -> None:
        try:
            import desktop_app.gui.check_dispatcher  # noqa: F401 - the rules and their patterns
            import desktop_app.gui.main_window  # noqa: F401 - SQLAlchemy models are in already

            self._library = _template_library(self.settings)
        except Exception:
            self._library = None  # made again on the GUI thread, where an error shows as it always did

    def join(self) -> None:
        self._wanted = True
        if self._thread.ident is not None:
            self._thread.join()

    def library(self):
        self.join()
        return self._library if self._library is not None else _template_library(self.settings)

    @property
    def made_dispatcher(self) -> CheckDispatcher | None:
        return self._dispatcher

    def dispatcher(self) -> CheckDispatcher:
        """The window's check dispatcher, made on first use (the gate's check may ask for it before the window)."""
        if self._dispatcher is None:
            self.join()
            self._dispatcher = _new_dispatcher()
        return self._dispatcher


def _on_first_paint(callback):
    """Call callback once, just after the first window (the login, the set-up, a message) is painted.
    Returns the watcher; stop() removes it (nothing painted: the callback is not called)."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    class Watcher(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 (Qt override)
            if event.type() == QEvent.Paint and isinstance(obj, QWidget):
                self.stop()
                QTimer.singleShot(0, callback)  # after this paint has reached the screen
            return False

        def stop(self) -> None:
            app.removeEventFilter(self)

    app = QApplication.instance()
    watcher = Watcher(app)  # owned by the application: it lives until the first paint
    app.installEventFilter(watcher)
    return watcher


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
                           f"前回、保存されないまま終了した下書きがあります（{saved}）。\n「{first}」\n復元しますか？",
                           yes="復元する", no="復元しない"):
            window.controller.restore_recovered(window.controller.recovery.restore(row))
            return  # one window presents one letter; the others stay for the next start
        window.controller.recovery.discard(row)


# Benchmarks and the frozen-app tests set this to a file: once the first window (the set-up or login dialog,
# or the main window) is painted and the event loop runs, the app writes when that happened (and what it
# loaded) there, closes it and quits before loading the model.
STARTUP_PROBE_ENV = "DESKTOP_APP_STARTUP_PROBE"
# Only read when STARTUP_PROBE_ENV is set too (benchmarks/startup_login.py): JSON {"name", "password",
# "typing_s"}. The probe then fills the login with them after typing_s seconds, accepts it, and also writes
# when it was accepted ("login_at") and when the main window was first painted ("main_shown_at").
STARTUP_PROBE_LOGIN_ENV = "DESKTOP_APP_STARTUP_PROBE_LOGIN"


def _watch_startup(path: str) -> None:
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QMainWindow, QWidget

    app = QApplication.instance()
    login = json.loads(os.environ.get(STARTUP_PROBE_LOGIN_ENV) or "null")
    painted: dict[int, float] = {}  # id of a top-level window → when it was first painted
    info: dict = {}

    class PaintClock(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 (Qt override)
            if event.type() == QEvent.Paint and isinstance(obj, QWidget):
                painted.setdefault(id(obj.window()), time.time())
            return False

    clock = PaintClock(app)
    app.installEventFilter(clock)

    def shown_now() -> QWidget | None:
        shown = app.activeModalWidget() or next((w for w in app.topLevelWidgets() if w.isVisible()), None)
        return shown if shown is not None and id(shown) in painted else None

    def finish(shown: QWidget) -> None:
        Path(path).write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
        if isinstance(shown, QDialog):
            shown.reject()  # the set-up or login: the app then ends without a window
        else:
            shown._closing_ok = True
            shown.close()
        app.quit()

    def probe() -> None:
        shown = shown_now()
        if shown is None:
            QTimer.singleShot(5, probe)
            return
        info["shown_at"] = painted[id(shown)]
        from desktop_app.core.templates import TemplateLibrary

        library = TemplateLibrary(config.templates_dir(), user=config.user_templates_dir())
        info.update({"visible": shown.isVisible(), "title": shown.windowTitle(),
                     "templates": len(library.templates), "data_dir": str(config.data_dir()),
                     "templates_dir": str(config.templates_dir()), "frozen": bool(getattr(sys, "frozen", False)),
                     # Qt's own words (the standard buttons) as this start shows them
                     "qt_cancel": QApplication.translate("QPlatformTheme", "Cancel")})
        password = shown.findChild(QLineEdit, "login_password") if isinstance(shown, QDialog) else None
        if login is None or password is None:
            finish(shown)
            return

        def type_and_accept() -> None:
            shown.findChild(QLineEdit, "login_name").setText(login["name"])
            password.setText(login["password"])
            info["login_at"] = time.time()
            shown.accept()
            QTimer.singleShot(0, wait_for_window)

        QTimer.singleShot(int(1000 * float(login.get("typing_s", 0))), type_and_accept)

    def wait_for_window() -> None:
        shown = shown_now()
        if isinstance(shown, QDialog) and shown.findChild(QLineEdit, "login_password") is not None:
            info["error"] = "the login was refused"  # asked again: a wrong name or password
            finish(shown)
        elif isinstance(shown, QMainWindow):
            info["main_shown_at"] = painted[id(shown)]
            finish(shown)
        else:
            QTimer.singleShot(5, wait_for_window)

    QTimer.singleShot(0, probe)


def run_gui() -> int:
    import gc

    # Until the first window is painted the start only imports (SQLAlchemy, Qt) and frees next to nothing:
    # the collector would walk those objects again and again for about a tenth of the wait.
    gc.disable()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop_app.gui.qt_japanese import install as install_japanese

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("お手紙作成・チェック")
    install_japanese(app)  # Qt's own buttons and dialogs (閉じる, キャンセル, the file dialog) in Japanese
    probe = os.environ.get(STARTUP_PROBE_ENV)
    if probe:
        _watch_startup(probe)
    _on_first_paint(gc.enable)
    window = create_window(login_first=True)
    gc.enable()  # in case nothing was painted (every prompt answered without a window)
    if window is None:
        return 0
    window.show()
    if probe:
        return app.exec()

    def after_first_paint() -> None:
        window.controller.poll_letter()
        window.controller.open_review_if_reviewer_only()
        offer_restore(window)
        # the model loads after the window is on screen
        QTimer.singleShot(50, window.controller.dispatcher.load_model)

    _on_first_paint(after_first_paint)
    return app.exec()
