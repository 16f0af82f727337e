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
