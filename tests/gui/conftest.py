"""GUI fixtures: the workflow database in the isolated data folder, a facility with three people, and
windows logged in as one of them. Every workflow prompt fails a test that did not replace it."""

from __future__ import annotations

import pytest

from desktop_app.gui import prompts

FACILITY = {"name": "特別養護老人ホーム さくらの里", "address": "埼玉県川越市新宿町1-2-3", "phone": "049-200-3000"}
PASSWORD = "password-123-kiku-4827"


@pytest.fixture(scope="session", autouse=True)
def qt_in_japanese(qapp):
    """Qt's own words (standard buttons, the file dialog) in Japanese, as run_gui makes them for staff."""
    from desktop_app.gui import qt_japanese

    assert qt_japanese.install(qapp), "Qt's Japanese translation (qtbase_ja.qm) was not found"


@pytest.fixture(autouse=True)
def no_unexpected_workflow_dialogs(monkeypatch):
    for name in ("ask_setup", "ask_login", "ask_conflict", "ask_long_text", "ask_change_password", "ask_new_staff",
                 "ask_roles", "ask_new_password"):
        def fail(*args, _name=name, **kwargs):
            raise AssertionError(f"unexpected dialog prompts.{_name}: {args[1:]}")

        monkeypatch.setattr(prompts, name, fail)


@pytest.fixture
def gui_db():
    """The database where the app keeps it by default (the test's own data folder)."""
    from desktop_app import config
    from desktop_app.core.db import open_database, resolve_url

    db = open_database(resolve_url(None, config.data_dir(), ""))
    yield db
    db.dispose()


@pytest.fixture
def people(gui_db):
    """管理者 (also writes), a writer and a reviewer, after the facility profile exists."""
    from desktop_app.core import accounts
    from desktop_app.core.context import facility_from_dict
    from desktop_app.core.workflow import Services

    admin = accounts.add_user(gui_db, "山本 施設長", ["admin", "writer", "reviewer"], PASSWORD, None)
    Services.open(gui_db, lambda t, c: []).admin.set_facility(facility_from_dict(FACILITY), admin)
    # as if they had already set their own passwords at a first login
    writer = accounts.add_user(gui_db, "佐藤 作成", ["writer"], PASSWORD, admin, must_change=False)
    reviewer = accounts.add_user(gui_db, "田中 確認", ["reviewer"], PASSWORD, admin, must_change=False)
    return {"admin": admin, "writer": writer, "reviewer": reviewer}


@pytest.fixture
def make_window(qtbot, engine, gui_db, people):
    """A main window logged in as one of `people`; closed at the end of the test."""
    from desktop_app.gui.app import create_window
    from desktop_app.gui.check_dispatcher import CheckDispatcher

    made = []

    def make(who: str = "writer"):
        w = create_window(CheckDispatcher(engine=engine, delay_ms=50), db=gui_db, actor=people[who])
        w.controller.model_ready = engine.loaded
        made.append(w)
        return w

    yield make
    for w in made:
        w._closing_ok = True
        w.close()


def wait_check(qtbot, window, timeout=15000):
    with qtbot.waitSignal(window.controller.dispatcher.check_finished, timeout=timeout):
        pass


def pick_in_queue(view, letter_id: int) -> bool:
    """Click the letter's row in the reviewer's queue, as a reviewer would; False when it is not listed."""
    ids = [q.id for q in view.queue]
    if letter_id not in ids:
        return False
    view.table.selectRow(ids.index(letter_id))
    return True


@pytest.fixture
def said(monkeypatch):
    """Messages shown by info/error, and yes to every confirm (a test file may define its own that records
    the confirms too)."""
    out: list[tuple[str, str, str]] = []
    monkeypatch.setattr(prompts, "info", lambda parent, title, text: out.append(("info", title, text)))
    monkeypatch.setattr(prompts, "error", lambda parent, title, text: out.append(("error", title, text)))
    monkeypatch.setattr(prompts, "confirm", lambda *a, **k: True)
    return out


def answers(monkeypatch, name: str, values: list) -> list:
    """Replace prompts.<name> with one that gives `values` in turn (None when they run out) and records what it
    was asked."""
    asked = []

    def give(*args, **kwargs):
        asked.append(args[1:])
        return values.pop(0) if values else None

    monkeypatch.setattr(prompts, name, give)
    return asked
