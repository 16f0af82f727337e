"""The login first, the database meanwhile: at the start of a facility that already uses the app, the login
dialog is shown at once and the database (SQLAlchemy's import, the file's check and backup, the list of
staff) is opened on a thread while the person types. Nothing here decides anything: a database that cannot
be opened, or a facility that still needs its first-start set-up, closes this login and the usual start
(gui/app.py: open_workflow_db with its prompts, then the set-up or the login) takes over."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from desktop_app import config

if TYPE_CHECKING:
    from desktop_app.core.db import Database

DB_FILE = "careletter.sqlite3"  # core.db.DB_FILE, without importing SQLAlchemy to read it (a test keeps them equal)
DB_ENV = "CARELETTER_DB"  # core.db.DB_ENV, likewise


def facility_probably_exists(settings: config.Settings) -> bool:
    """A database was configured, or this PC's SQLite file is there: most likely a facility past its first
    start, so the login can come first. A new installation gets the set-up directly, as before."""
    return bool(settings.database_url or os.environ.get(DB_ENV) or (config.data_dir() / DB_FILE).exists())


class DatabaseOpener:
    """Opens the database on a thread, without asking anything; the outcome is read on the GUI thread."""

    def __init__(self, settings: config.Settings):
        self.settings = settings
        self.db: Database | None = None
        self.users: list[str] = []
        self.ready_for_login = False  # opened, and the facility profile and an account exist
        self.error: Exception | None = None  # why it could not be opened: open_workflow_db explains it
        self._thread = threading.Thread(target=self._run, name="database-opener")
        self._thread.start()

    def _run(self) -> None:
        try:
            from desktop_app.core import accounts
            from desktop_app.core.db import open_database, resolve_url
            from desktop_app.core.workflow.admin import Administration

            self.db = open_database(resolve_url(None, config.data_dir(), self.settings.database_url))
            if not Administration(self.db).setup_needed():
                self.users = [u.name for u in accounts.list_users(self.db)]
                self.ready_for_login = True
        except Exception as exc:  # noqa: BLE001 - explained in Japanese by open_workflow_db
            self.error = exc

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def wait(self) -> None:
        self._thread.join()

    def close(self) -> None:
        """Done with it without a window (the person closed the login, or the usual start takes over)."""
        self.wait()
        if self.db is not None:
            self.db.dispose()
            self.db = None


def ask_login_while_opening(opener: DatabaseOpener, on_opened=None) -> tuple[tuple[str, str] | None, bool]:
    """Show the login (prompts.ask_login) at once; when the database is open, give the name field the staff
    list, or close the login when it cannot serve (set-up needed, no database). Returns (what was typed or
    None, whether the app closed the login itself). on_opened is called on the GUI thread once it is open."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QCompleter

    from desktop_app.gui import prompts
    from desktop_app.gui.account_forms import LoginDialog

    closed_by_app = [False]

    def follow() -> None:
        if not opener.done:
            timer.start()
            return
        dialog = QApplication.activeModalWidget()
        if opener.ready_for_login and on_opened is not None:
            on_opened()
        if not isinstance(dialog, LoginDialog):
            return  # already answered: what was typed is checked once the dialog has returned
        if not opener.ready_for_login:
            closed_by_app[0] = True
            dialog.reject()
            return
        dialog.name.setCompleter(QCompleter(opener.users, dialog))
        if not dialog.name.text() and len(opener.users) == 1:  # as LoginDialog does when it knows the list
            dialog.name.setText(opener.users[0])
            if dialog.name.hasFocus():
                dialog.password.setFocus()

    timer = QTimer()
    timer.setSingleShot(True)
    timer.setInterval(20)
    timer.timeout.connect(follow)
    timer.start()
    try:
        typed = prompts.ask_login(None, [], "", "")
    finally:
        timer.stop()
    opener.wait()  # typed (or closed) before the database was open: it is needed either way
    return typed, closed_by_app[0]
