"""Found in the whole-day trial (round 4): what the reviewer is told when approving a resubmitted letter."""

from __future__ import annotations

import pytest

from desktop_app.core.workflow import Services
from desktop_app.core.workflow.state import Status
from desktop_app.gui import prompts

BODY = "山田 花子 様\n\n来月の誕生会の日程が決まりましたので、お知らせいたします。\n"


@pytest.fixture
def services(gui_db, people):
    return Services.open(gui_db, lambda text, ctx: [])


def test_the_approve_question_names_the_version_on_screen_after_a_resubmission(qtbot, services, people, library,
                                                                               monkeypatch):
    """The CLI asks for --version N after a resubmission; the window approves the version on screen, so its
    question says which one (第2版), not only the letter's number."""
    from desktop_app.gui.review_view import ReviewView

    writer, reviewer = people["writer"], people["reviewer"]
    letter = services.workflow.create(writer, "thanks", BODY, {"recipient_name": "山田 花子"})
    services.workflow.submit(writer, letter.id)
    services.workflow.return_letter(reviewer, letter.id, "誕生会の時間も書き添えてください。")
    current = services.letters.get(letter.id)
    services.workflow.save(writer, letter.id, BODY + "時間は午後2時からです。\n", current.version)
    services.workflow.submit(writer, letter.id)

    asked: list[str] = []
    monkeypatch.setattr(prompts, "confirm", lambda parent, title, text, **k: asked.append(text) or True)
    monkeypatch.setattr(prompts, "info", lambda *a, **k: None)
    view = ReviewView(services, reviewer, library)
    qtbot.addWidget(view)
    view.refresh(force=True)
    ids = [q.id for q in view.queue]
    view.table.selectRow(ids.index(letter.id))
    assert view.approve()
    assert "第2版" in asked[0], asked[0]
    assert services.letters.get(letter.id).status == Status.APPROVED


def test_the_backup_dialog_keeps_its_whole_explanation_after_a_backup(qtbot, gui_db, people, tmp_path, monkeypatch):
    """At 1366x768 the status line 「バックアップを作成しました：…」 squeezed the explanation: 「…に保管してください。」
    was cut off. Every label shows all of its lines after the backup."""
    from PySide6.QtWidgets import QLabel

    from desktop_app.gui.backup_dialog import BackupDialog

    monkeypatch.setattr(prompts, "save_file", lambda *a, **k: str(tmp_path / "backup.zip"))
    monkeypatch.setattr(prompts, "info", lambda *a, **k: None)
    dlg = BackupDialog(gui_db, people["admin"])
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    dlg.make_backup()
    qtbot.wait(200)
    assert (tmp_path / "backup.zip").exists()
    for label in dlg.findChildren(QLabel):
        if label.text():
            assert label.height() >= label.heightForWidth(label.width()), label.text()
