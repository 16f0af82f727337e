"""Windows that fit the screen they open on. Staff PCs have 1024x768, 1280x800 and 1366x768 screens as often as
large ones: a window sized for a large screen leaves its buttons (or a whole panel) off-screen, where nobody
can reach them. Sizes and positions are kept inside the screen's available geometry (without the taskbar);
a geometry saved on a larger screen (a PC swapped, a projector unplugged) is shrunk back onto this one."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect, QSettings, QSize, Qt
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

from desktop_app import config

# The window manager's title bar and borders, before a window is shown and they can be measured
# (Windows 11: 31 + 8 px; GNOME / KDE: 30-40 + 0-8 px).
FRAME_ALLOWANCE = QSize(16, 40)
GEOMETRY_FILE = "window.ini"  # in the user's data folder, beside settings.json; only window places


def screen_of(widget: QWidget) -> QScreen:
    """The screen the window is on; before it is shown, its parent window's; else the primary one."""
    if not widget.isVisible():
        parent = widget.parentWidget()
        if parent is not None and parent.window().isVisible():
            return parent.window().screen()
    return widget.screen() or QGuiApplication.primaryScreen()


def available_geometry(widget: QWidget) -> QRect:
    return screen_of(widget).availableGeometry()


def frame_extra(widget: QWidget) -> QSize:
    """How much the frame adds to the window's client size: measured when shown, else FRAME_ALLOWANCE."""
    if widget.isVisible() and widget.isWindow():
        outer, inner = widget.frameGeometry(), widget.geometry()
        if outer.width() > inner.width() or outer.height() > inner.height():
            return QSize(outer.width() - inner.width(), outer.height() - inner.height())
        if widget.windowHandle() is not None and widget.windowHandle().frameMargins().isNull():
            return QSize(0, 0)  # no window manager (a kiosk, a test X server): nothing to allow for
    return FRAME_ALLOWANCE


def _place(widget: QWidget, size: QSize, avail: QRect, anchor: QRect) -> None:
    """Move the window (its frame) so that it is centred on `anchor` and wholly inside `avail`."""
    extra = frame_extra(widget)
    outer_w, outer_h = size.width() + extra.width(), size.height() + extra.height()
    x = anchor.center().x() - outer_w // 2
    y = anchor.center().y() - outer_h // 2
    x = max(avail.left(), min(x, avail.left() + avail.width() - outer_w))
    y = max(avail.top(), min(y, avail.top() + avail.height() - outer_h))
    widget.move(x, y)


def fit_to_screen(widget: QWidget, preferred_w: int, preferred_h: int) -> QSize:
    """Size the window to (preferred_w, preferred_h), or to its screen's available area when that is smaller,
    and place it inside that area: centred over its parent window when it has a visible one, else on the
    screen. Returns the size given (a window's minimum size still wins over a screen smaller than it)."""
    avail = available_geometry(widget)
    extra = frame_extra(widget)
    w = max(1, min(preferred_w, avail.width() - extra.width()))
    h = max(1, min(preferred_h, avail.height() - extra.height()))
    widget.resize(w, h)
    parent = widget.parentWidget()
    anchor = parent.window().frameGeometry() if parent is not None and parent.window().isVisible() else avail
    _place(widget, widget.size(), avail, anchor)
    return widget.size()


def clamp_to_screen(widget: QWidget) -> None:
    """Shrink and move the window just enough to lie wholly inside its screen's available area."""
    if widget.windowState() & (Qt.WindowMaximized | Qt.WindowFullScreen):
        return  # the window manager fits those itself
    avail = available_geometry(widget)
    extra = frame_extra(widget)
    w = min(widget.width(), avail.width() - extra.width())
    h = min(widget.height(), avail.height() - extra.height())
    if (w, h) != (widget.width(), widget.height()):
        widget.resize(max(1, w), max(1, h))
    frame = QRect(widget.pos(), QSize(widget.width() + extra.width(), widget.height() + extra.height()))
    if not avail.contains(frame):
        _place(widget, widget.size(), avail, frame)


def restore_geometry(widget: QWidget, saved_bytes: bytes | QByteArray | None) -> bool:
    """Put the window where it was (saveGeometry's bytes), clamped to the screen it lands on. False when there
    is nothing usable to restore: the caller then sizes it with fit_to_screen."""
    if not saved_bytes:
        return False
    if not widget.restoreGeometry(QByteArray(bytes(saved_bytes))):
        return False
    clamp_to_screen(widget)
    return True


# ---- remembering a window's place between starts ------------------------------------------------------------
def _store() -> QSettings:
    return QSettings(str(config.data_dir() / GEOMETRY_FILE), QSettings.IniFormat)


def load_geometry(name: str) -> bytes | None:
    value = _store().value(f"{name}/geometry")
    if isinstance(value, QByteArray):
        return bytes(value.data()) or None
    if isinstance(value, bytes | bytearray):
        return bytes(value) or None
    return None


def save_geometry(name: str, widget: QWidget) -> None:
    """Remember where the window is; a failure to write only means the next start uses the default place."""
    store = _store()
    store.setValue(f"{name}/geometry", widget.saveGeometry())
    store.sync()


def recall(key: str) -> str | None:
    """A small per-PC memory of the windows besides their places (the last export folder …)."""
    value = _store().value(key)
    return value if isinstance(value, str) and value else None


def remember(key: str, value: str) -> None:
    store = _store()
    store.setValue(key, value)
    store.sync()
