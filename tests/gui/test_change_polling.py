"""The windows' timers re-read letters only after a write: the reviewer's queue and the writer's open
letter stay as they are while nothing changed, and follow a write from this PC or another one."""

from __future__ import annotations

import pytest

from desktop_app.core.workflow import Services
from desktop_app.core.workflow.state import Status

pytestmark = [pytest.mark.gui]


@pytest.fixture
def second_pc(gui_db):
    from desktop_app.core.db import open_database

    other = open_database(gui_db.engine.url.render_as_string(hide_password=False), backup=False)
    yield Services.open(other, lambda t, c: [])
    other.dispose()


def counting(monkeypatch, service, name: str) -> list:
    """Replace service.<name> with one that records each call and still answers."""
    calls = []
    real = getattr(service, name)

    def wrapped(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(service, name, wrapped)
    return calls


def submitted_letter(service, people) -> int:
    lid = service.workflow.create(people["writer"], "monthly_report", "山田 太郎 様\n\nお元気です。\n").id
    service.workflow.submit(people["writer"], lid)
    return lid


def test_queue_tick_reads_nothing_until_another_pc_submits(qtbot, make_window, people, second_pc, monkeypatch):
    reviewer = make_window("reviewer")
    reviewer.controller.open_review()
    view = reviewer.controller.review_view
    assert view.table.rowCount() == 0
    reads = counting(monkeypatch, view.services.letters, "queue")
    for _ in range(3):
        view.timer.timeout.emit()
    assert reads == []  # three ticks, no letter read

    lid = submitted_letter(second_pc, people)
    view.timer.timeout.emit()
    assert len(reads) == 1 and [q.id for q in view.queue] == [lid]
    view.timer.timeout.emit()
    assert len(reads) == 1

    view.refresh(force=True)  # after the reviewer's own decision: read whatever the watcher says
    assert len(reads) == 2


def test_queue_that_could_not_be_read_is_read_again_on_the_next_tick(qtbot, make_window, people, second_pc,
                                                                     monkeypatch):
    reviewer = make_window("reviewer")
    reviewer.controller.open_review()
    view = reviewer.controller.review_view
    lid = submitted_letter(second_pc, people)
    real = view.services.letters.queue
    monkeypatch.setattr(view.services.letters, "queue", lambda: (_ for _ in ()).throw(OSError("server away")))
    view.timer.timeout.emit()
    assert "読めませんでした" in view.queue_label.text()
    monkeypatch.setattr(view.services.letters, "queue", real)
    view.timer.timeout.emit()  # nothing new was written since, but the last read failed
    assert [q.id for q in view.queue] == [lid]


def test_writer_poll_reads_the_letter_only_after_the_reviewer_decides(qtbot, make_window, people, second_pc,
                                                                      monkeypatch):
    writer = make_window("writer")
    lid = submitted_letter(second_pc, people)
    writer.controller.session.open(lid)
    reads = counting(monkeypatch, writer.controller.services.letters, "get")
    writer.controller.poll_letter()  # a letter it has not looked at yet
    writer.controller.poll_letter()
    writer.controller.poll_letter()
    assert len(reads) == 1

    second_pc.workflow.approve(people["reviewer"], lid)
    writer.controller.poll_letter()
    assert len(reads) == 2 and writer.controller.session.status == Status.APPROVED
    writer.controller.poll_letter(force=True)
    assert len(reads) == 3
