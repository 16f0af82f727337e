"""Qt's own words in Japanese: the standard buttons (閉じる, キャンセル), the file dialog, context menus and the
calendar of a date field come from Qt, not from this app, and are English unless Qt's Japanese translation
is loaded and the default locale is Japanese (a staff PC's Windows may be set to English, a Linux one to C)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

JAPANESE = QLocale(QLocale.Japanese, QLocale.Japan)
CATALOG = "qtbase_ja.qm"  # QDialogButtonBox, QMessageBox, QFileDialog, QLineEdit's menu, …

_installed: QTranslator | None = None


def translation_dirs() -> list[Path]:
    """Where qtbase_ja.qm may lie: Qt's own answer first; then PySide6's folder in a checkout or a venv, and in
    the frozen app (PyInstaller puts PySide6/Qt/translations under sys._MEIPASS; build.spec keeps the *_ja.qm)."""
    dirs = [Path(QLibraryInfo.path(QLibraryInfo.TranslationsPath))]
    import PySide6

    dirs.append(Path(PySide6.__file__).resolve().parent / "Qt" / "translations")
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        dirs.append(Path(bundle) / "PySide6" / "Qt" / "translations")
    return dirs


def install(app: QCoreApplication | None = None) -> bool:
    """Load Qt's Japanese translation into the application (once) and make Japanese the default locale, so
    widgets made from now on speak Japanese. False when the catalog is not found (Qt then stays English, the
    app still works)."""
    global _installed
    QLocale.setDefault(JAPANESE)
    app = app or QCoreApplication.instance()
    if app is None:
        return False
    if _installed is not None:
        try:
            if _installed.parent() is app:
                return True  # already speaking Japanese
        except RuntimeError:
            pass  # that application (and its translator) is gone: load again for this one
    for folder in translation_dirs():
        if not (folder / CATALOG).is_file():
            continue
        translator = QTranslator(app)
        if translator.load(CATALOG, str(folder)):
            app.installTranslator(translator)
            _installed = translator
            return True
    return False
