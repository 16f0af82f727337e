"""A damaged workflow database, each case in a fresh process: a clear message and exit 2 from the CLI,
never a traceback; the window moves the file aside and restores the newest backup, so drafts survive."""

from __future__ import annotations

import sqlite3

from tests.hostile.conftest import assert_refused, run_app

MAKE_DB = """
from desktop_app.core.context import Facility
from desktop_app import config
from desktop_app.core import accounts
from desktop_app.core.db import open_database, resolve_url
from desktop_app.core.workflow import Services
db = open_database(resolve_url(None, config.data_dir(), ""))
admin = accounts.add_user(db, "管理者", ["admin", "writer"], "password-123-kiku-4827", None)
svc = Services.open(db, lambda text, ctx: [])
svc.admin.set_facility(Facility(name="テスト苑"), admin)
svc.workflow.create(admin, "monthly_report", "残しておきたい下書きの本文です。" * 200)
db.dispose()
open_database(resolve_url(None, config.data_dir(), "")).dispose()  # a second start: a backup with the draft
"""

RESTORE_IN_WINDOW = """
from PySide6.QtWidgets import QApplication
app = QApplication([])
from desktop_app import config
from desktop_app.gui import app as gui_app, prompts
prompts.confirm = lambda *a, **k: True  # 「最新のバックアップから復元しますか」 → はい
db = gui_app.open_workflow_db(config.Settings.load())
from desktop_app.core.workflow import Services
letters = Services.open(db, lambda text, ctx: []).letters.list()
print("letters:", len(letters), letters[0].first_line[:8] if letters else "")
"""


def _db_path(data_dir):
    return data_dir / "careletter.sqlite3"


def _corrupt_pages(path) -> None:
    """Page-level damage: the header stays valid, pages in the middle are overwritten."""
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.seek(min(4096 * 2, size // 2))
        f.write(b"\xde\xad\xbe\xef" * 2048)


def test_garbage_database_file_exits_2_with_a_message(isolated_data_dir):
    isolated_data_dir.mkdir(parents=True, exist_ok=True)
    _db_path(isolated_data_dir).write_bytes(b"not a database at all" * 500)
    assert_refused(run_app(["letters", "list"]), 2, "corrupt", "壊れて")


def test_page_level_damage_is_found_and_the_window_restores_the_backup(isolated_data_dir):
    assert run_app([], code=MAKE_DB, timeout=60).code == 0
    _corrupt_pages(_db_path(isolated_data_dir))
    assert_refused(run_app(["letters", "list"]), 2, "corrupt")
    res = run_app([], code=RESTORE_IN_WINDOW, timeout=60)
    assert res.code == 0, res.err
    assert "letters: 1 残しておきたい下" in res.out and "Traceback" not in res.err
    assert list(isolated_data_dir.glob("careletter.sqlite3.corrupt-*"))  # the damaged file is kept aside


def test_database_from_a_newer_version_exits_2(isolated_data_dir):
    assert run_app([], code=MAKE_DB, timeout=60).code == 0
    con = sqlite3.connect(str(_db_path(isolated_data_dir)))
    con.execute("UPDATE alembic_version SET version_num='9999_future'")
    con.commit()
    con.close()
    assert_refused(run_app(["letters", "list"]), 2, "newer_schema", "新しい版")
