"""Saves PNGs of the main window with a sample letter and its findings, at 1280x800 and 1024x700 too
(run offscreen by `make screenshot`)."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
SIZES = [(1280, 800), (1024, 700), (800, 600)]
sys.path.insert(0, str(ROOT))


def save(widget, path: Path, small: bool = False) -> None:
    """PNG of the widget; `small` stores 256 colours (for the guide in docs/, kept in git)."""
    image = widget.grab().toImage()
    if small:
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QImage

        image = image.convertToFormat(QImage.Format_Indexed8, Qt.ThresholdDither)
    image.save(str(path))


def main(out_dir: str = "screenshots", guide_dir: str | None = None) -> None:
    os.environ.setdefault("DESKTOP_APP_DATA_DIR", tempfile.mkdtemp(prefix="careletter-shot-"))
    from PySide6.QtWidgets import QApplication

    from desktop_app import config
    from desktop_app.core import accounts
    from desktop_app.core.context import facility_from_dict
    from desktop_app.core.db import open_database, resolve_url
    from desktop_app.core.workflow import Services
    from desktop_app.gui.app import create_window

    app = QApplication.instance() or QApplication([])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # a facility that has done its first start: the profile, an administrator who reviews, and a writer
    db = open_database(resolve_url(None, config.data_dir(), ""))
    facility = json.loads((ROOT / "resources" / "samples" / "facility.json").read_text(encoding="utf-8"))
    admin = accounts.add_user(db, "山本 施設長", ["admin", "reviewer"], "screenshot-pass", None)
    Services.open(db, lambda text, ctx: []).admin.set_facility(facility_from_dict(facility), admin)
    writer = accounts.add_user(db, "佐藤 恵", ["writer"], "screenshot-pass", admin)
    w = create_window(db=db, actor=writer)
    w.show()

    def pump(seconds: float, until=None) -> None:
        end = time.time() + seconds
        while time.time() < end and not (until and until()):
            app.processEvents()
            time.sleep(0.02)

    w.controller.dispatcher.load_model()
    pump(1)
    w.grab().save(str(out / "01_start_model_loading.png"))
    w.template_combo.setCurrentIndex(w.template_combo.findData("incident_report"))
    for k, v in json.loads((ROOT / "resources" / "samples" / "incident_report.json").read_text(encoding="utf-8")).items():
        if k in w.form.widgets:
            w.form.set_value(k, str(v))
    w.controller.generate()
    pump(60, lambda: w.controller.model_ready)
    w.controller.request_check(immediate=True)  # the first check may have run on patterns only, before the model
    pump(3)
    guide = Path(guide_dir) if guide_dir else None
    if guide:
        guide.mkdir(parents=True, exist_ok=True)
        size = w.size()
        w.resize(1024, 700)
        pump(1)
        save(w, guide / "guide_letter.png", small=True)
        w.resize(size)
        pump(0.5)
    text = w.editor.toPlainText()
    pos = text.index("【今後の取り組み】")
    w.editor.replace_range(pos, pos, "同室の小野寺様（要介護3）も驚かれていました。今後、二度とこのようなことは起こしません。"
                                     "職員の見守り不足によるものでございます。\n")
    pump(4)
    w.grab().save(str(out / "02_incident_with_findings.png"))
    high = [f for f in w.controller.session.findings if f.category == "pii.person" and f.severity.value == "high"]
    if high:
        w.panel.select_finding(high[0])
        pump(0.5)
        w.grab().save(str(out / "03_finding_selected.png"))
    # the sizes staff screens have: the form must fit without a horizontal scrollbar, dates uncut
    for width, height in SIZES:
        w.resize(width, height)
        pump(1)
        w.grab().save(str(out / f"04_window_{width}x{height}.png"))
        if guide and width == 1024 and high:
            w.panel.select_finding(high[0])
            pump(0.5)
            save(w, guide / "guide_high_finding.png", small=True)
        group = next(iter(w.panel.group_rows()), None)
        if group is not None:
            group.setExpanded(True)
            w.panel.tree.setCurrentItem(group.child(group.childCount() - 1))
            pump(0.5)
            w.grab().save(str(out / f"05_grouped_findings_{width}x{height}.png"))
            if guide and width == 1024:
                save(w, guide / "guide_grouped.png", small=True)
            group.setExpanded(False)
    if guide:
        guide_windows(app, w, db, admin, writer, guide, out, pump)
    w._closing_ok = True
    w.close()
    print("\n".join(str(p) for p in sorted(out.glob("*.png"))))


def guide_windows(app, w, db, admin, writer, guide: Path, out: Path, pump) -> None:
    """The guide's pictures of the login, 職員の管理 and the reviewer's view, at 1024x700."""
    from desktop_app.core import accounts
    from desktop_app.gui.account_forms import LoginDialog
    from desktop_app.gui.review_view import ReviewView
    from desktop_app.gui.staff_dialog import StaffDialog

    login = LoginDialog([u.name for u in accounts.list_users(db)], "佐藤 恵")
    login.show()
    pump(0.5)
    save(login, guide / "guide_login.png", small=True)
    login.close()
    accounts.add_user(db, "高木 新人", ["writer"], "screenshot-pass", admin)  # must change it at first login
    staff = StaffDialog(db, admin, w)
    staff.show()
    pump(0.5)
    save(staff, guide / "guide_staff.png", small=True)
    staff.close()
    # the writer asks for review; the administrator, who also reviews, opens the queue
    session = w.controller.session
    session.save()
    session.submit()
    view = ReviewView(w.controller.services, accounts.authenticate(db, admin.name, "screenshot-pass"), w.library)
    view.resize(1024, 700)
    view.show()
    view.refresh(force=True)
    pump(0.5)
    ids = [q.id for q in view.queue]
    if session.letter_id in ids:
        view.table.selectRow(ids.index(session.letter_id))
    pump(3)
    save(view, guide / "guide_review.png", small=True)
    view.grab().save(str(out / "06_review_1024x700.png"))
    view.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])  # OUT_DIR [GUIDE_DIR: also the guide's pictures, e.g. docs/images]
