"""Drafts in SQLite: explicit saves, and an autosave slot that survives a crash or power cut."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS drafts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    template_id TEXT NOT NULL,
    fields TEXT NOT NULL,
    body TEXT NOT NULL,
    reviewed TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS autosave (
    slot INTEGER PRIMARY KEY CHECK (slot = 1),
    draft_id INTEGER,
    template_id TEXT NOT NULL,
    fields TEXT NOT NULL,
    body TEXT NOT NULL,
    reviewed TEXT NOT NULL DEFAULT '{}',
    saved_at TEXT NOT NULL
);
"""


@dataclass
class Draft:
    template_id: str
    fields: dict = field(default_factory=dict)
    body: str = ""
    # 確認済み marks: "category\ttext" -> reason (kept for the reviewer)
    reviewed: dict[str, str] = field(default_factory=dict)
    id: int | None = None
    updated_at: str = ""


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


class DraftStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), timeout=5)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self._db.commit()

    def close(self) -> None:
        self._db.close()

    def save(self, draft: Draft) -> int:
        draft.updated_at = _now()
        row = (draft.template_id, json.dumps(draft.fields, ensure_ascii=False, default=str), draft.body,
               json.dumps(draft.reviewed, ensure_ascii=False), draft.updated_at)
        with self._db:
            if draft.id is None:
                cur = self._db.execute(
                    "INSERT INTO drafts (template_id, fields, body, reviewed, updated_at) VALUES (?,?,?,?,?)", row)
                draft.id = int(cur.lastrowid)
            else:
                self._db.execute("UPDATE drafts SET template_id=?, fields=?, body=?, reviewed=?, updated_at=? WHERE id=?",
                                 (*row, draft.id))
        return draft.id

    def load(self, draft_id: int) -> Draft | None:
        r = self._db.execute("SELECT id, template_id, fields, body, reviewed, updated_at FROM drafts WHERE id=?",
                             (draft_id,)).fetchone()
        return self._row(r) if r else None

    def list(self) -> list[Draft]:
        rows = self._db.execute(
            "SELECT id, template_id, fields, body, reviewed, updated_at FROM drafts ORDER BY updated_at DESC").fetchall()
        return [self._row(r) for r in rows]

    @staticmethod
    def _row(r) -> Draft:
        return Draft(id=r[0], template_id=r[1], fields=json.loads(r[2]), body=r[3], reviewed=json.loads(r[4]),
                     updated_at=r[5])

    # ---- crash recovery ----
    def autosave(self, draft: Draft) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO autosave (slot, draft_id, template_id, fields, body, reviewed, saved_at) "
                "VALUES (1,?,?,?,?,?,?)",
                (draft.id, draft.template_id, json.dumps(draft.fields, ensure_ascii=False, default=str), draft.body,
                 json.dumps(draft.reviewed, ensure_ascii=False), _now()))

    def pending_autosave(self) -> Draft | None:
        r = self._db.execute(
            "SELECT draft_id, template_id, fields, body, reviewed, saved_at FROM autosave WHERE slot=1").fetchone()
        return self._row(r) if r else None

    def clear_autosave(self) -> None:
        with self._db:
            self._db.execute("DELETE FROM autosave")
