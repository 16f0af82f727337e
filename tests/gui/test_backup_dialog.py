"""管理 → バックアップ／復元…: shown to administrators only; the dialog makes a backup file where the person
chose, and restores one over the database after a clear confirmation (declined: nothing changes), then
asks for a restart and closes the window. Prompts are monkeypatched."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from desktop_app.core import audit
from desktop_app.core.db import archive
from desktop_app.gui import prompts
from desktop_app.gui.backup_dialog import BackupDialog
from tests.gui.conftest import answers


def _menu(window, title: str):
    return next((a for a in window.menuBar().actions() if a.text() == title), None)


@pytest.mark.gui
def test_the_admin_menu_is_for_administrators_only(make_window):
    writer, admin = make_window("writer"), make_window("admin")
    assert _menu(admin, "管理").isVisible() and not _menu(writer, "管理").isVisible()
    texts = [a.text() for a in _menu(admin, "管理").menu().actions()]
    assert texts == ["職員の管理…", "バックアップ／復元…"]
    assert admin.actions.backup_action.isVisible() and not writer.actions.backup_action.isVisible()


@pytest.mark.gui
def test_backup_then_restore_from_the_dialog(qtbot, make_window, gui_db, monkeypatch, tmp_path, said):
    admin = make_window("admin")
    out = tmp_path / "usb" / "facility.zip"
    out.parent.mkdir()
    asked = answers(monkeypatch, "save_file", [str(out)])
    dlg = BackupDialog(gui_db, admin.controller.actor, admin)
    qtbot.addWidget(dlg)
    dlg.backup_button.click()
    assert out.is_file() and asked and said[-1][0] == "info" and "別の場所" in said[-1][2]
    head = audit.head(gui_db)

    # a change after the backup: the restore takes it away again
    with gui_db.engine.begin() as con:
        con.execute(text("UPDATE users SET notices_seen_at = NULL"))
        con.execute(text("INSERT INTO facility_settings (key, value) VALUES ('after_backup', '{}')"))

    confirms = []
    monkeypatch.setattr(prompts, "confirm", lambda parent, title, body, **k: confirms.append(body) or False)
    answers(monkeypatch, "open_file", [str(out)])
    dlg.restore_button.click()
    assert confirms and "置き換え" in confirms[0] and not dlg.restored  # declined: nothing changed
    with gui_db.engine.connect() as con:
        assert con.execute(text("SELECT count(*) FROM facility_settings WHERE key='after_backup'")).scalar() == 1

    monkeypatch.setattr(prompts, "confirm", lambda *a, **k: True)
    answers(monkeypatch, "open_file", [str(out)])
    monkeypatch.setattr(BackupDialog, "exec", lambda d: (d.restore_button.click(), 0)[1])
    admin.controller.open_backup()
    assert said[-1][0] == "info" and "起動し直して" in said[-1][2]
    assert not admin.isVisible()  # the window closed: what it held predates the restore
    with gui_db.engine.connect() as con:
        assert con.execute(text("SELECT count(*) FROM facility_settings WHERE key='after_backup'")).scalar() == 0
    assert audit.verify(gui_db, expect=head).ok


@pytest.mark.gui
def test_a_bad_file_is_reported_and_nothing_changes(qtbot, make_window, gui_db, monkeypatch, tmp_path, said):
    admin = make_window("admin")
    junk = tmp_path / "not-a-backup.zip"
    junk.write_bytes(b"just some bytes")
    answers(monkeypatch, "open_file", [str(junk)])
    dlg = BackupDialog(gui_db, admin.controller.actor, admin)
    qtbot.addWidget(dlg)
    dlg.restore_button.click()
    assert said[-1][0] == "error" and "復元できません" in said[-1][2] and not dlg.restored
    assert not archive.is_empty(gui_db)
