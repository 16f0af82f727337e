"""The chain's head (how many entries, and the hash of the last one) as something to keep OUTSIDE the
database, and the checks that tie stored texts to the log.

A hash chain alone cannot tell a log whose newest entries were cut off (and its head row moved back) from
a log that simply has fewer entries: anyone who can write the database can also recompute every hash. A
head written down elsewhere (`audit anchor`, filed away daily; the head inside every exported file) can:
`audit verify --expect COUNT:HASH` fails when the log no longer has that hash at that position.

The text checks re-hash every stored letter version, every letter's current text and every export, and
look each hash up among the audit entries that recorded it: a text rewritten in the database (with its
stored hash recomputed, or not) no longer matches the log."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from desktop_app.core.context import facility_from_dict
from desktop_app.core.db import Database
from desktop_app.core.db.models import AuditEntry, Export, FacilitySetting, Letter, LetterVersion
from desktop_app.core.fileio import atomic_write_text

# the acts that store a letter's whole text as a new version, and with it that text's hash in the log
VERSION_ACTIONS = frozenset({"create", "derive", "edit", "edit_after_approval", "submit"})
ANCHOR_KIND = "careletter-audit-anchor"
_EXPECT = re.compile(r"^\s*(\d{1,12})\s*:\s*([0-9a-fA-F]{64})\s*$")


class BadExpect(ValueError):
    """A COUNT:HASH or an anchor file that cannot be read (the CLI's exit 2)."""


class Head(NamedTuple):
    """(count, hash); str() is the COUNT:HASH form that --expect takes."""

    count: int
    hash: str

    def __str__(self) -> str:
        return f"{self.count}:{self.hash}"


def _sha(text: str) -> str:
    # the same as core.workflow.state.sha256 (that package imports the audit module, so not imported here)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def head(db: Database) -> Head:
    """The log as it is now: the number of entries and the hash of the newest (count 0: GENESIS-less)."""
    with db.session(write=False) as s:
        count = s.scalar(select(func.count()).select_from(AuditEntry)) or 0
        last = s.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)) or ""
    return Head(count, last)


def parse_expect(value: str) -> Head:
    """COUNT:HASH, or the path of an anchor file written by `anchor`."""
    m = _EXPECT.match(value)
    if m:
        return Head(int(m.group(1)), m.group(2).lower())
    path = Path(value)
    if not path.is_file():
        raise BadExpect(f"--expect は「件数:ハッシュ」（例 120:3fa4…、64桁）かアンカーファイルで指定してください：{value}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("kind") != ANCHOR_KIND:
            raise ValueError("not an anchor file")
        m = _EXPECT.match(f"{int(data['count'])}:{data['hash']}")
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise BadExpect(f"アンカーファイルを読めません：{path}（{exc}）") from exc
    if not m:
        raise BadExpect(f"アンカーファイルの内容が正しくありません：{path}")
    return Head(int(m.group(1)), m.group(2).lower())


def anchor(db: Database, out: Path, now: dt.datetime | None = None) -> Head:
    """Write today's head to `out` (atomically), with the time and the facility's name, as a small JSON file
    a facility files away (a USB stick, a printed copy, the office's mail). Returns the head written."""
    h = head(db)
    with db.session(write=False) as s:
        row = s.get(FacilitySetting, "facility")
        profile = row.value.get("v", {}) if row is not None and isinstance(row.value, dict) else {}
    data = {
        "kind": ANCHOR_KIND,
        "count": h.count,
        "hash": h.hash,
        "expect": str(h),
        "at": (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        "facility": facility_from_dict(profile if isinstance(profile, dict) else {}).name,
    }
    atomic_write_text(Path(out), json.dumps(data, ensure_ascii=False, indent=2) + "\n", mode=0o644)
    return h


# ---- stored texts against the log ------------------------------------------------------------------
@dataclass
class TextProblem:
    letter_id: int
    problem: str


class LoggedTexts:
    """What the log says about texts, gathered while the chain is walked (one pass, no extra query)."""

    def __init__(self) -> None:
        self.versions: set[tuple[int, str]] = set()  # (letter id, text hash) of acts that store a version
        self.exports: set[tuple[int, str, str]] = set()  # (letter id, text hash, file hash)
        self.born: set[int] = set()  # letters whose first version the log recorded (create / derive)

    def add(self, action: str, letter_id: int | None, thash: str, detail: str) -> None:
        if letter_id is None or not thash:
            return
        if action in VERSION_ACTIONS:
            self.versions.add((letter_id, thash))
            if action in ("create", "derive"):
                self.born.add(letter_id)
        elif action == "export" and detail.startswith("file "):
            self.exports.add((letter_id, thash, detail[5:]))


def check_texts(con: Connection, logged: LoggedTexts, batch: int = 2000) -> TextProblem | None:
    """Every stored version re-hashed (body against body_sha, and that hash against the log), every
    letter's current text against its newest version, every export against its 'export' entry."""
    after = 0
    newest: dict[int, tuple[int, str]] = {}  # letter id -> (version number, body hash)
    while True:
        rows = con.execute(select(LetterVersion.id, LetterVersion.letter_id, LetterVersion.number,
                                  LetterVersion.body, LetterVersion.body_sha)
                           .where(LetterVersion.id > after).order_by(LetterVersion.id).limit(batch)).all()
        if not rows:
            break
        for r in rows:
            sha = _sha(r.body)
            if sha != r.body_sha:
                return TextProblem(r.letter_id, f"手紙 {r.letter_id} の第{r.number}版の本文が書き換えられています")
            # a draft of the app before the review workflow (migration 0002) became version 1 with no entry
            legacy = r.number == 1 and r.letter_id not in logged.born
            if (r.letter_id, sha) not in logged.versions and not legacy:
                return TextProblem(r.letter_id, f"手紙 {r.letter_id} の第{r.number}版の本文が記録にありません（書き換え）")
            if r.number >= newest.get(r.letter_id, (0, ""))[0]:
                newest[r.letter_id] = (r.number, sha)
        after = rows[-1].id
    after = 0
    while True:
        rows = con.execute(select(Letter.id, Letter.body).where(Letter.id > after)
                           .order_by(Letter.id).limit(batch)).all()
        if not rows:
            break
        for r in rows:
            if r.id in newest and _sha(r.body) != newest[r.id][1]:
                return TextProblem(r.id, f"手紙 {r.id} の本文が最新の版と違います（書き換え）")
        after = rows[-1].id
    # only written exports have an 'export' entry: a pending one is being written, a failed one never was
    for r in con.execute(select(Export.letter_id, Export.body_sha, Export.file_sha)
                         .where(Export.status == "written").order_by(Export.id)):
        if (r.letter_id, r.body_sha, r.file_sha) not in logged.exports:
            return TextProblem(r.letter_id, f"手紙 {r.letter_id} の書き出しの記録が監査ログと一致しません")
    return None
