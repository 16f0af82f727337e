"""The staff guide (docs/guide_ja.md) in a window of its own: no browser, no network, pictures included."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from desktop_app import config

GUIDE_TITLE = "使い方ガイド"


def guide_path() -> Path:
    """docs/guide_ja.md in the checkout or in the frozen app (build.spec must bundle docs/)."""
    return config.bundle_root() / "docs" / "guide_ja.md"


class GuideDialog(QDialog):
    """Shows the guide's Markdown with its screenshots; stays open beside the main window."""

    def __init__(self, parent: QWidget | None = None, path: Path | None = None):
        super().__init__(parent)
        self.setWindowTitle(GUIDE_TITLE)
        self.setAttribute(Qt.WA_DeleteOnClose)
        self.resize(760, 640)
        path = path or guide_path()
        self.browser = QTextBrowser()
        self.browser.setObjectName("guideBrowser")
        self.browser.setOpenExternalLinks(False)
        self.browser.setSearchPaths([str(path.parent)])
        try:
            self.browser.setMarkdown(path.read_text(encoding="utf-8"))
        except OSError:
            self.browser.setMarkdown(f"# {GUIDE_TITLE}\n\nガイドのファイルが見つかりません（{path}）。")
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)


def show_guide(parent: QWidget | None = None) -> GuideDialog:
    """Open the guide (the ヘルプ menu's 「使い方ガイド」). Not modal: staff read it while writing."""
    dialog = GuideDialog(parent)
    dialog.show()
    dialog.raise_()
    return dialog


def about_text() -> str:
    """The About box: version, what the check uses, and the credits its licences ask for."""
    from desktop_app import __version__
    from desktop_app.core.checks.vocab import CREDIT

    return (f"<b>お手紙作成・チェック</b> {__version__}<br><br>"
            "介護施設からご家族へのお手紙を作成し、個人情報と危険な表現を確認して、承認後にWordに書き出します。<br><br>"
            "日本語の解析には GiNZA（spaCy・SudachiPy）を使用しています。<br>"
            f"{CREDIT}")


def show_about(parent: QWidget | None = None) -> None:
    from PySide6.QtWidgets import QMessageBox

    QMessageBox.about(parent, "このアプリについて", about_text())
