"""The export asks where to save with no transaction and no row lock open: on a facility's PostgreSQL
another PC approves and edits while the file dialog is open, and the export then refuses the changed text."""

from __future__ import annotations

import threading
import time

import pytest

from desktop_app.core import accounts, audit
from desktop_app.core.context import Facility
from desktop_app.core.db import open_database
from desktop_app.core.letter_session import LetterSession
from desktop_app.core.workflow import Services
from desktop_app.gui import prompts
from tests.gui.conftest import PASSWORD

pytestmark = [pytest.mark.gui]


def approved_letter(svc, writer, reviewer, body: str) -> int:
    s = LetterSession(svc, writer, None, svc.admin.facility())
    s.set_body(body)
    s.submit()
    svc.workflow.approve(reviewer, s.letter_id)
    return s.letter_id


def test_a_second_pc_approves_and_edits_while_the_export_dialog_is_open(qtbot, engine, postgres_server, tmp_path,
                                                                        monkeypatch):
    from desktop_app.gui.app import create_window
    from desktop_app.gui.check_dispatcher import CheckDispatcher

    url = postgres_server.new_database()
    this_pc, other_pc = open_database(url), open_database(url, backup=False)
    admin = accounts.add_user(this_pc, "施設長", ["admin", "writer", "reviewer"], PASSWORD, None)
    writer = accounts.add_user(this_pc, "作成者", ["writer"], PASSWORD, admin)
    reviewer = accounts.add_user(this_pc, "確認者", ["reviewer"], PASSWORD, admin)
    other = Services.open(other_pc, lambda t, c: [])
    other.admin.set_facility(Facility(name="テスト苑"), admin)
    mine = approved_letter(other, writer, reviewer, "山田様\n今月もお元気に過ごされました。\n")
    waiting = LetterSession(other, writer, None, other.admin.facility())
    waiting.set_body("佐藤様\n来月の行事のご案内です。\n")
    waiting.submit()

    w = create_window(CheckDispatcher(engine=engine, delay_ms=50), db=this_pc, actor=writer)
    qtbot.addWidget(w)
    w.controller.session.open(mine)
    w.controller.replace_session(w.controller.session)
    seconds: dict[str, float] = {}

    def other_pc_works() -> None:
        t0 = time.perf_counter()
        other.workflow.approve(reviewer, waiting.letter_id)
        seconds["approve another letter"] = time.perf_counter() - t0
        s = LetterSession(other, writer, None, other.admin.facility())
        s.open(mine)
        s.set_body("山田様\n別のPCで書き直した本文です。\n")
        t0 = time.perf_counter()
        s.save()
        seconds["edit this letter"] = time.perf_counter() - t0

    def file_dialog_open(*_args, **_kwargs):
        # while the person looks for a folder, another PC works on the same server; run apart so that a
        # lock held by this export would show as a wait, not hang the test
        worker = threading.Thread(target=other_pc_works, daemon=True)
        worker.start()
        worker.join(timeout=10)
        assert not worker.is_alive(), "the other PC waited on this PC's export"
        return str(tmp_path / "sent.docx")

    errors: list[str] = []
    monkeypatch.setattr(prompts, "save_file", file_dialog_open)
    monkeypatch.setattr(prompts, "error", lambda parent, title, text: errors.append(text))
    monkeypatch.setattr(prompts, "info", lambda *a, **k: None)
    assert w.controller.export_word() is None
    assert set(seconds) == {"approve another letter", "edit this letter"}
    assert all(t < 1.0 for t in seconds.values()), seconds
    # the text changed after the gate's check: nothing is written, nothing is recorded as sent
    assert any("変更されました" in e for e in errors), errors
    assert not (tmp_path / "sent.docx").exists()
    assert not any(e.action == "export" for e in audit.entries(this_pc))
    w.close_without_asking()
    this_pc.dispose()
    other_pc.dispose()
