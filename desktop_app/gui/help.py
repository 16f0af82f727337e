"""The staff guide (docs/guide_ja.md) in a window of its own: no browser, no network, pictures included."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop_app import config
from desktop_app.core import resources

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


ABOUT_SIZE = (720, 560)
NOTICES_MISSING = ("ライセンス表示のファイル（THIRD_PARTY_NOTICES.txt）が見つかりません。\n"
                   "配布用に組み立てたアプリには含まれています。開発中のフォルダでは "
                   "python packaging/third_party_notices.py で作成できます。\n\n{path}")


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def _text_view(name: str, text: str) -> QPlainTextEdit:
    """Read-only and scrollable; the notices are ~250 KB of plain text, which QPlainTextEdit shows at once."""
    view = QPlainTextEdit()
    view.setObjectName(name)
    view.setReadOnly(True)
    view.setLineWrapMode(QPlainTextEdit.WidgetWidth)
    view.setPlainText(text)
    return view


class AboutDialog(QDialog):
    """このアプリについて: the version and credits, the app's own licence, and every third-party notice."""

    def __init__(self, parent: QWidget | None = None, notices: Path | None = None):
        super().__init__(parent)
        self.setWindowTitle("このアプリについて")
        self.tabs = QTabWidget()
        summary = QLabel(about_text())
        summary.setObjectName("aboutSummary")
        summary.setWordWrap(True)
        summary.setTextFormat(Qt.RichText)
        summary.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        page = QWidget()
        box = QVBoxLayout(page)
        box.addWidget(summary)
        box.addStretch(1)
        self.tabs.addTab(page, "概要")
        own = resources.project_licence_text() or "MIT License\n\nCopyright (c) 2026 CareLetter contributors"
        self.tabs.addTab(_text_view("projectLicence", own), "このアプリのライセンス")
        path = notices or resources.third_party_notices_path()
        text = _read(path) or NOTICES_MISSING.format(path=path)
        self.notices_view = _text_view("thirdPartyNotices", text)
        self.tabs.addTab(self.notices_view, "第三者ライセンス")
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)


def show_about(parent: QWidget | None = None) -> None:
    """ヘルプ → このアプリについて (modal, like the message box it replaces)."""
    from desktop_app.gui import screen_fit

    dialog = AboutDialog(parent)
    screen_fit.fit_to_screen(dialog, *ABOUT_SIZE)  # smaller on a 1024x768 or 1366x768 screen if need be
    dialog.exec()
    dialog.deleteLater()
