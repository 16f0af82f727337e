"""Render packaging/icon.svg (the one source image) into the icons the builds use.

    python packaging/make_icons.py build/icons

writes careletter.png (1024 px), careletter.ico (16-256 px, Windows) and careletter.icns (macOS).
Qt renders the SVG (PySide6 is a dependency already); Pillow (the `build` extra) writes .ico and .icns.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "icon.svg"
ICO_SIZES = [16, 24, 32, 48, 64, 128, 256]


def render_png(size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(["make_icons", "-platform", "offscreen"])
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        raise SystemExit(f"{SOURCE}: not a valid SVG")
    image = QImage(size, size, QImage.Format_ARGB32)
    image.fill(Qt.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data)


def main(out_dir: str = "build/icons") -> int:
    from PIL import Image

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    big = Image.open(io.BytesIO(render_png(1024))).convert("RGBA")
    big.save(out / "careletter.png")
    big.save(out / "careletter.ico", sizes=[(s, s) for s in ICO_SIZES])
    big.save(out / "careletter.icns")
    for name in ("careletter.png", "careletter.ico", "careletter.icns"):
        print(f"wrote {out / name} ({(out / name).stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
