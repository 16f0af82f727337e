"""The windows on the screens staff PCs have (1024x768, 1280x800, 1366x768, 1920x1080), on a real X server
(Xvfb) with Qt's xcb platform, as the app runs on Linux: every window lies inside the screen, the findings
panel's buttons and the toolbar's everyday steps are on screen, and a screen grab of each is kept in
test-artifacts/screens/ (or $TEST_ARTIFACTS/screens/) for a person to look at.

The offscreen platform of the other tests has one 800x600 screen and no real window system; this file starts
an Xvfb per size and runs this same file as a small program under it (see probe()). On the 768-high screens
the main window is restored from a place saved on a larger screen; on the others it is sized by fit_to_screen."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIZES = [(1024, 768), (1280, 800), (1366, 768), (1920, 1080)]
NARROW_WIDTH = 1100  # as main_window.NARROW_WIDTH (not imported: this file must not import Qt in the parent)


def artifacts_dir() -> Path:
    return Path(os.environ.get("TEST_ARTIFACTS") or ROOT / "test-artifacts") / "screens"


# ---- the parent: pytest ---------------------------------------------------------------------------------------
if __name__ != "__main__":
    import pytest

    def _xvfb() -> str:
        path = shutil.which("Xvfb")
        if path is None:
            message = ("Xvfb is not installed, so the windows cannot be checked on real screen sizes: install the "
                       "xvfb package (Debian/Ubuntu: apt-get install xvfb; .ci/run installs it)")
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        return path

    def _start_xvfb(xvfb: str, width: int, height: int) -> tuple[subprocess.Popen, str]:
        """An X server on a display number it picks itself (-displayfd), so parallel runs never collide."""
        read, write = os.pipe()
        proc = subprocess.Popen([xvfb, "-displayfd", str(write), "-screen", "0", f"{width}x{height}x24",
                                 "-nolisten", "tcp"], pass_fds=(write,), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        os.close(write)
        number = b""
        deadline = time.monotonic() + 15
        with os.fdopen(read, "rb") as pipe:
            while not number.endswith(b"\n") and time.monotonic() < deadline:
                chunk = pipe.read(1)
                if not chunk:
                    break
                number += chunk
        if not number.strip():
            proc.kill()
            raise AssertionError(f"Xvfb did not start: {proc.stderr.read().decode(errors='replace')[-500:]}")
        return proc, ":" + number.decode().strip()

    @pytest.fixture(scope="module")
    def xvfb():
        return _xvfb()

    @pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
    def test_windows_fit_the_screen(xvfb, tmp_path, width, height):
        server, display = _start_xvfb(xvfb, width, height)
        out = artifacts_dir()
        out.mkdir(parents=True, exist_ok=True)
        result_file = tmp_path / "result.json"
        env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": display,
               "DESKTOP_APP_DATA_DIR": str(tmp_path / "appdata"), "PYTHONPATH": str(ROOT)}
        try:
            run = subprocess.run([sys.executable, __file__, str(width), str(height), str(out), str(result_file)],
                                 env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
        finally:
            server.terminate()
            server.wait(10)
        assert run.returncode == 0 and result_file.exists(), f"the probe failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
        result = json.loads(result_file.read_text(encoding="utf-8"))
        assert result["screen"] == [0, 0, width, height]
        for name, window in result["windows"].items():
            x, y, w, h = window["frame"]
            assert x >= 0 and y >= 0 and x + w <= width and y + h <= height, f"{name} leaves the screen: {window}"
            assert window["shown"] == window["on_screen"], f"{name}: cut off {set(window['shown']) - set(window['on_screen'])}"
            assert (ROOT / window["png"]).exists() or Path(window["png"]).exists()
        main = result["windows"]["main"]
        # the findings panel beside the letter on a wide screen, under it on a narrow one
        assert main["findings_under_letter"] == (width < NARROW_WIDTH)
        for button in ("提案を適用", "伏せ字にする", "確認済みにする…"):
            assert button in main["on_screen"], f"findings button 「{button}」 not on screen at {width}x{height}"
        # the everyday steps (a tool button drops the action's trailing 「…」) and the rest behind 「その他」
        for step in ("手紙を作成", "下書きを保存", "確認を依頼", "Wordに書き出す", "確認待ち（1）", "依頼を取り下げる",
                     "その他 ▾"):
            assert step in main["on_screen"], f"toolbar 「{step}」 not on screen at {width}x{height}"
        assert "user" in main["on_screen"], f"who is logged in is not on the toolbar at {width}x{height}"
        for button in ("承認…", "差し戻し…"):
            assert button in result["windows"]["review"]["on_screen"]
        for button in ("保存", "キャンセル"):
            assert button in result["windows"]["settings"]["on_screen"]


    # ---- in this process (offscreen: one 800x600 screen) ----------------------------------------------------
    def _inside(widget, avail) -> bool:
        from PySide6.QtCore import QRect

        from desktop_app.gui.screen_fit import frame_extra

        extra = frame_extra(widget)
        return avail.contains(QRect(widget.pos().x(), widget.pos().y(), widget.width() + extra.width(),
                                    widget.height() + extra.height()))

    def test_fit_to_screen_shrinks_a_large_window_and_keeps_a_small_one(qtbot):
        from PySide6.QtWidgets import QWidget

        from desktop_app.gui.screen_fit import FRAME_ALLOWANCE, available_geometry, fit_to_screen

        big, small = QWidget(), QWidget()
        qtbot.addWidget(big)
        qtbot.addWidget(small)
        avail = available_geometry(big)
        assert fit_to_screen(big, 1360, 860).width() == avail.width() - FRAME_ALLOWANCE.width()
        assert big.height() == avail.height() - FRAME_ALLOWANCE.height()
        assert _inside(big, avail)
        assert fit_to_screen(small, 400, 300).toTuple() == (400, 300)
        assert _inside(small, avail)

    def test_a_geometry_saved_on_a_larger_screen_is_clamped_and_a_broken_one_refused(qtbot):
        from PySide6.QtWidgets import QWidget

        from desktop_app.gui.screen_fit import available_geometry, restore_geometry

        on_big_screen = QWidget()
        qtbot.addWidget(on_big_screen)
        on_big_screen.setGeometry(900, 700, 1800, 1000)  # where it was on a 2560x1440 monitor
        saved = bytes(on_big_screen.saveGeometry().data())
        here = QWidget()
        qtbot.addWidget(here)
        assert restore_geometry(here, saved)
        avail = available_geometry(here)
        assert here.width() <= avail.width() and here.height() <= avail.height()
        assert _inside(here, avail)
        assert not restore_geometry(QWidget(), b"") and not restore_geometry(QWidget(), b"not a geometry")

    def test_the_main_window_remembers_its_place_and_rearranges_on_resize(qtbot, make_window):
        from desktop_app.gui import screen_fit

        w = make_window("writer")
        w.show()
        qtbot.waitExposed(w)
        assert w.narrow and w.panel.parentWidget() is w.center  # 800 px: the findings under the letter
        w.resize(1280, 800)
        assert not w.narrow and w.panel.parentWidget() is w.splitter and w.splitter.indexOf(w.panel) == 2
        w.resize(1024, 700)
        assert w.narrow and w.center.indexOf(w.panel) == 1 and w.center.indexOf(w.middle) == 0
        w.resize(650, 500)
        w.move(40, 30)
        w.close_without_asking()
        saved = screen_fit.load_geometry("main")
        assert saved
        again = make_window("writer")
        assert again.size().toTuple() == (650, 500)
        assert abs(again.pos().x() - 40) <= 4 and abs(again.pos().y() - 30) <= 4  # give or take the frame
        assert again.narrow and again.panel.parentWidget() is again.center


# ---- the child: run under Xvfb by the test above ------------------------------------------------------------
LETTER = ("鈴木 花子 様\n\n"
          "いつもお世話になっております。先週の日曜日、花子様は中庭で水彩画を描かれ、職員一同見入ってしまいました。\n"
          "ご不明な点は担当の090-4321-8765までお電話ください。同じ階の高橋様とも楽しくお話しされていました。\n"
          "今後とも二度と転倒などないよう努めます。\n")


def probe(width: int, height: int, out: Path, result_file: Path) -> None:
    """Open the main window (as an administrator who writes and reviews), the review window and the settings
    dialog on this X screen; report where each is and which of its buttons are wholly on screen."""
    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtWidgets import QAbstractButton, QApplication, QToolBar, QWidget

    from desktop_app import config
    from desktop_app.core import accounts
    from desktop_app.core.context import facility_from_dict
    from desktop_app.core.db import open_database, resolve_url
    from desktop_app.core.workflow import Services
    from desktop_app.gui import qt_japanese
    from desktop_app.gui.app import create_window
    from desktop_app.gui.check_dispatcher import CheckDispatcher
    from desktop_app.gui.settings_dialog import SettingsDialog

    app = QApplication([])
    qt_japanese.install(app)
    screen = app.primaryScreen().availableGeometry()

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def on_screen(widget: QWidget) -> bool:
        """Wholly visible: shown, not clipped by its parents (a splitter, a scroll area), inside the screen."""
        if not widget.isVisible() or widget.width() <= 0:
            return False
        if widget.visibleRegion().boundingRect().size() != widget.size():
            return False
        return screen.contains(QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size()))

    def report(name: str, window: QWidget, buttons: list[tuple[str, QWidget]]) -> dict:
        png = out / f"{width}x{height}_{name}.png"
        app.primaryScreen().grabWindow(0).save(str(png))
        f = window.frameGeometry()
        return {"frame": [f.x(), f.y(), f.width(), f.height()], "png": str(png),
                "shown": [t for t, b in buttons if b.isVisible()],
                "on_screen": [t for t, b in buttons if on_screen(b)]}

    def texts(root: QWidget) -> list[tuple[str, QWidget]]:
        return [(b.text(), b) for b in root.findChildren(QAbstractButton) if b.text()]

    db = open_database(resolve_url(None, config.data_dir(), ""))
    admin = accounts.add_user(db, "山本 施設長", ["admin", "writer", "reviewer"], "screens-pass-1", None)
    Services.open(db, lambda t, c: []).admin.set_facility(facility_from_dict(
        {"name": "グループホーム ひだまり", "address": "静岡県浜松市中区1-1", "phone": "053-000-1111"}), admin)
    if height == 768:  # on the 768-high screens, the window comes back from a place saved on a 1920x1200 one
        from desktop_app.gui.screen_fit import save_geometry

        elsewhere = QWidget()
        elsewhere.setGeometry(300, 120, 1560, 1020)
        save_geometry("main", elsewhere)
    window = create_window(CheckDispatcher(delay_ms=20), db=db, actor=admin)  # patterns only: no model to load
    window.show()
    window.editor.setPlainText(LETTER)
    pump(1.5)
    # the busiest toolbar: a letter waiting for review adds 依頼を取り下げる, and 確認待ち（1） counts it
    window.controller.session.save()
    window.controller.session.submit()
    window.controller.show_state()
    window.controller.poll_letter(force=True)
    pump(0.5)
    windows = {}
    bar = window.findChild(QToolBar)
    steps = [bar.widgetForAction(a) for a in bar.actions() if a.isVisible()]  # hidden ones (» overflow) count too
    main_buttons = texts(window.panel) + [(b.text(), b) for b in steps if isinstance(b, QAbstractButton) and b.text()]
    main_buttons.append(("user", window.user_label))
    windows["main"] = report("main", window, main_buttons)
    windows["main"]["findings_under_letter"] = window.panel.parentWidget() is window.center

    window.controller.open_review()
    review = window.controller.review_view
    review.refresh(force=True)
    review.table.selectRow(0)  # the letter just asked for, shown with its findings
    pump(0.8)
    windows["review"] = report("review", review, texts(review))
    review.close()

    facility = Services.open(db, lambda t, c: []).admin.facility()
    dialog = SettingsDialog(window.controller.settings, window, facility=facility, admin=True)
    dialog.show()
    pump(0.8)
    windows["settings"] = report("settings", dialog, texts(dialog))
    dialog.reject()

    result_file.write_text(json.dumps({"screen": [screen.x(), screen.y(), screen.width(), screen.height()],
                                       "windows": windows}, ensure_ascii=False), encoding="utf-8")
    window.close_without_asking()
    db.dispose()


if __name__ == "__main__":
    probe(int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
    os._exit(0)  # the check threads need not wind down for a probe
