"""Every modal prompt goes through here, so tests can replace them (monkeypatch these functions)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QMessageBox, QWidget


@contextmanager
def busy() -> Iterator[None]:
    """A wait cursor while core works on this thread (the gate's re-check takes seconds while the model loads)."""
    QApplication.setOverrideCursor(Qt.WaitCursor)
    try:
        yield
    finally:
        QApplication.restoreOverrideCursor()


def refusal_text(exc) -> str:
    """A WorkflowRefused's message with the findings that caused it, for an error dialog."""
    found = exc.details.get("findings") or []
    return exc.message + "".join(f"\n・「{f.text}」 {f.message}" for f in found[:10])


def info(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.information(parent, title, text)


def error(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)


def confirm(parent: QWidget | None, title: str, text: str) -> bool:
    return QMessageBox.question(parent, title, text, QMessageBox.Yes | QMessageBox.No, QMessageBox.No) == QMessageBox.Yes


def ask_save_discard_cancel(parent: QWidget | None, title: str, text: str) -> str:
    """Returns 'save', 'discard' or 'cancel'."""
    box = QMessageBox(QMessageBox.Question, title, text, parent=parent)
    save = box.addButton("保存する", QMessageBox.AcceptRole)
    discard = box.addButton("保存しない", QMessageBox.DestructiveRole)
    box.addButton("キャンセル", QMessageBox.RejectRole)
    box.exec()
    clicked = box.clickedButton()
    return "save" if clicked is save else "discard" if clicked is discard else "cancel"


def ask_text(parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
    text, ok = QInputDialog.getText(parent, title, label, text=text)
    return text if ok else None


def save_file(parent: QWidget | None, title: str, suggested: str, filters: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    return path or None


def open_file(parent: QWidget | None, title: str, filters: str) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, title, "", filters)
    return path or None


def choose_folder(parent: QWidget | None, title: str) -> str | None:
    return QFileDialog.getExistingDirectory(parent, title) or None


def choose_item(parent: QWidget | None, title: str, label: str, items: list[str]) -> int | None:
    """Index of the chosen item, or None."""
    if not items:
        return None
    text, ok = QInputDialog.getItem(parent, title, label, items, 0, False)
    return items.index(text) if ok and text in items else None


# ---- the review workflow's dialogs (account_forms builds them; tests replace these functions) ----
def ask_setup(parent: QWidget | None, defaults: dict, need_admin: bool, message: str = "") -> dict | None:
    """First start: the facility profile and (when no account exists) the first administrator.
    Returns {"facility": {...}, "name", "password", "password2", "roles"} or None when cancelled."""
    from desktop_app.gui.account_forms import SetupDialog

    dlg = SetupDialog(defaults, need_admin, message, parent)
    return dlg.values() if dlg.exec() else None


def ask_login(parent: QWidget | None, users: list[str], name: str = "", message: str = "") -> tuple[str, str] | None:
    """(name, password), or None when the person closes the login."""
    from desktop_app.gui.account_forms import LoginDialog

    dlg = LoginDialog(users, name, message, parent)
    return dlg.credentials() if dlg.exec() else None


def ask_change_password(parent: QWidget | None, name: str, forced: bool = False,
                        message: str = "") -> tuple[str, str, str] | None:
    """パスワードの変更: (current, new, new again); when forced the current one is not asked ("")."""
    from desktop_app.gui.account_forms import ChangePasswordDialog

    dlg = ChangePasswordDialog(name, forced, message, parent)
    return dlg.values() if dlg.exec() else None


def ask_new_staff(parent: QWidget | None, values: dict | None = None, message: str = "") -> dict | None:
    """職員を追加: {"name", "roles", "password", "password2"} or None when cancelled."""
    from desktop_app.gui.account_forms import StaffForm

    dlg = StaffForm(values, message, parent)
    return dlg.values() if dlg.exec() else None


def ask_roles(parent: QWidget | None, name: str, roles: set[str], message: str = "") -> set[str] | None:
    """役割を変更: the chosen roles, or None."""
    from desktop_app.gui.account_forms import RolesForm

    dlg = RolesForm(name, roles, message, parent)
    return dlg.roles() if dlg.exec() else None


def ask_new_password(parent: QWidget | None, name: str, message: str = "") -> tuple[str, str] | None:
    """パスワードを再設定 (by an administrator): (new, new again), or None."""
    from desktop_app.gui.account_forms import NewPasswordForm

    dlg = NewPasswordForm(name, message, parent)
    return dlg.values() if dlg.exec() else None


def ask_conflict(parent: QWidget | None, text: str) -> bool:
    """A save refused because another PC saved first: True to save the text as a new draft."""
    box = QMessageBox(QMessageBox.Warning, "別のPCで保存されています", text, parent=parent)
    new = box.addButton("新しい下書きとして保存", QMessageBox.AcceptRole)
    box.addButton("キャンセル（文面は画面に残ります）", QMessageBox.RejectRole)
    box.exec()
    return box.clickedButton() is new


def ask_long_text(parent: QWidget | None, title: str, label: str) -> str | None:
    """Several lines of text (a comment, a reason), or None when cancelled."""
    text, ok = QInputDialog.getMultiLineText(parent, title, label)
    return text if ok else None
