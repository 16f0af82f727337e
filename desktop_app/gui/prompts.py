"""Every modal prompt goes through here, so tests can replace them (monkeypatch these functions)."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget


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


def ask_text(parent: QWidget | None, title: str, label: str) -> str | None:
    text, ok = QInputDialog.getText(parent, title, label)
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
