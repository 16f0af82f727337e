"""Every modal prompt goes through here, so tests can replace them (monkeypatch these functions)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


CLOSE = "閉じる"
OK = "OK"
CANCEL = "キャンセル"


def _message(icon, parent: QWidget | None, title: str, text: str) -> QMessageBox:
    """A message box with its title and text; buttons are added by the caller, in Japanese (Qt's standard
    buttons would be English where Qt's translation is missing)."""
    return QMessageBox(icon, title, text, QMessageBox.NoButton, parent)


def info(parent: QWidget | None, title: str, text: str) -> None:
    box = _message(QMessageBox.Information, parent, title, text)
    box.setDefaultButton(box.addButton(CLOSE, QMessageBox.AcceptRole))
    box.exec()


def error(parent: QWidget | None, title: str, text: str) -> None:
    box = _message(QMessageBox.Warning, parent, title, text)
    box.setDefaultButton(box.addButton(CLOSE, QMessageBox.AcceptRole))
    box.exec()


def confirm(parent: QWidget | None, title: str, text: str, yes: str = "はい", no: str = "いいえ") -> bool:
    """True when the person picks `yes`. Pass verbs (「依頼する」／「やめる」): a button that says what it does
    is read more surely than はい/いいえ. `no` is the default, and Esc or closing the box means `no`."""
    box = _message(QMessageBox.Question, parent, title, text)
    ok = box.addButton(yes, QMessageBox.YesRole)
    cancel = box.addButton(no, QMessageBox.NoRole)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return box.clickedButton() is ok


def ask_save_discard_cancel(parent: QWidget | None, title: str, text: str) -> str:
    """Returns 'save', 'discard' or 'cancel'."""
    box = QMessageBox(QMessageBox.Question, title, text, parent=parent)
    save = box.addButton("保存する", QMessageBox.AcceptRole)
    discard = box.addButton("保存しない", QMessageBox.DestructiveRole)
    box.addButton(CANCEL, QMessageBox.RejectRole)
    box.exec()
    clicked = box.clickedButton()
    return "save" if clicked is save else "discard" if clicked is discard else "cancel"


def _input(parent: QWidget | None, title: str, label: str, ok: str = OK) -> QInputDialog:
    dlg = QInputDialog(parent)
    dlg.setWindowTitle(title)
    dlg.setLabelText(label)
    dlg.setOkButtonText(ok)
    dlg.setCancelButtonText(CANCEL)
    return dlg


def ask_text(parent: QWidget | None, title: str, label: str, text: str = "", ok: str = OK) -> str | None:
    """One line of text, or None when cancelled; `ok` names the act (差し戻す, 了承する …)."""
    dlg = _input(parent, title, label, ok)
    dlg.setTextValue(text)
    return dlg.textValue() if dlg.exec() else None


def ask_secret(parent: QWidget | None, title: str, label: str, ok: str = OK) -> str | None:
    """A password, typed masked (never shown, never kept by the dialog), or None when cancelled."""
    from PySide6.QtWidgets import QLineEdit

    dlg = _input(parent, title, label, ok)
    dlg.setTextEchoMode(QLineEdit.Password)
    return dlg.textValue() if dlg.exec() else None


# ---- files: Qt's own dialog (not the system's), so that Qt's Japanese translation and these labels apply
# everywhere (the native dialog follows the system's language: English on a PC set up in English, on Linux
# without a Japanese locale) ----
FILE_LABELS = ((QFileDialog.LookIn, "場所："), (QFileDialog.FileName, "ファイル名："),
               (QFileDialog.FileType, "ファイルの種類："), (QFileDialog.Reject, CANCEL))


def _file_dialog(parent: QWidget | None, title: str, folder: str, filters: str, accept: str) -> QFileDialog:
    dlg = QFileDialog(parent, title, folder, filters)
    dlg.setOption(QFileDialog.DontUseNativeDialog, True)
    for label, text in FILE_LABELS:
        dlg.setLabelText(label, text)
    dlg.setLabelText(QFileDialog.Accept, accept)
    return dlg


def _chosen(dlg: QFileDialog) -> str | None:
    files = dlg.selectedFiles() if dlg.exec() else []
    return files[0] if files and files[0] else None


def save_file(parent: QWidget | None, title: str, suggested: str, filters: str) -> str | None:
    suggested_path = Path(suggested) if suggested and not Path(suggested).is_dir() else None
    folder = str(suggested_path.parent) if suggested_path else suggested
    dlg = _file_dialog(parent, title, folder, filters, "保存")
    dlg.setAcceptMode(QFileDialog.AcceptSave)
    dlg.setFileMode(QFileDialog.AnyFile)
    if suggested_path:
        dlg.selectFile(suggested_path.name)  # the name offered, ready to keep or type over
    return _chosen(dlg)


def open_file(parent: QWidget | None, title: str, filters: str) -> str | None:
    dlg = _file_dialog(parent, title, "", filters, "開く")
    dlg.setAcceptMode(QFileDialog.AcceptOpen)
    dlg.setFileMode(QFileDialog.ExistingFile)
    return _chosen(dlg)


def choose_folder(parent: QWidget | None, title: str) -> str | None:
    dlg = _file_dialog(parent, title, "", "", "選択")
    dlg.setFileMode(QFileDialog.Directory)
    dlg.setOption(QFileDialog.ShowDirsOnly, True)
    return _chosen(dlg)


def choose_item(parent: QWidget | None, title: str, label: str, items: list[str]) -> int | None:
    """Index of the chosen item, or None."""
    if not items:
        return None
    dlg = _input(parent, title, label)
    dlg.setComboBoxItems(items)
    dlg.setComboBoxEditable(False)
    dlg.setTextValue(items[0])
    if not dlg.exec():
        return None
    text = dlg.textValue()
    return items.index(text) if text in items else None


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
    box.addButton(f"{CANCEL}（文面は画面に残ります）", QMessageBox.RejectRole)
    box.exec()
    return box.clickedButton() is new


def ask_long_text(parent: QWidget | None, title: str, label: str, ok: str = OK) -> str | None:
    """Several lines of text (a comment, a reason), or None when cancelled; `ok` names the act."""
    dlg = _input(parent, title, label, ok)
    dlg.setOption(QInputDialog.UsePlainTextEditForTextInput, True)
    return dlg.textValue() if dlg.exec() else None


def ask_required(ask, parent: QWidget | None, title: str, label: str, ok: str, missing: str) -> str | None:
    """ask_text or ask_long_text until something is written (stripped), or None when cancelled: an empty
    answer asks again with `missing` above the question, instead of an error that closes the dialog."""
    shown = label
    while True:
        text = ask(parent, title, shown, ok=ok)
        if text is None:
            return None
        if text.strip():
            return text.strip()
        shown = f"⚠ {missing}\n\n{label}"
