"""Databases as earlier releases left them: the schema at one Alembic revision (0001 … 0007), filled with
plain SQL for that revision's tables (the app's current models hold columns the old tables lack, so they
cannot write them) with what that revision could hold: letters in every state, their versions, comments,
marks (proposals and accepted findings), approvals, exports, recovery slots, facility settings and an audit
chain whose hashes are those of core/audit.py, so that `audit verify` holds before the upgrade as well.

Used by tests/core/test_upgrade_with_data.py and benchmarks/upgrade_speed.py."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field

import sqlalchemy as sa

from desktop_app.core import signing
from desktop_app.core.audit import GENESIS, _entry_hash
from desktop_app.core.db import _alembic_config

REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007")

ADMIN, WRITER, REVIEWER, SIGNER = "施設長 小野寺", "介護 春日", "主任 宮部", "相談員 葛西"
PASSWORDS = {ADMIN: "hinoki-sugi-4471-mori", WRITER: "suzuran-8203-nohara", REVIEWER: "yamabuki-6619-tani",
             SIGNER: "kinmokusei-5527-niwa"}
HIGH_WORD = "第三者花子"  # tests.core.test_review.fake_checker reports it as a high finding
TEMPLATE = "monthly_report"
CONTEXT = {"recipient": {"name": "松浦 千代"}}

# (letter id, final state, body); the scenarios are written out in _fill
BODIES = {
    1: "松浦様\n朝の体操に毎日参加され、声を合わせて歌っておられます。\n",
    2: "松浦様\n先週は書道クラブで「春」の字を大きく書かれました。\n",
    3: "松浦様\n食堂の席を窓際に移り、庭の梅を眺めておられます。\n",
    4: f"松浦様\n{HIGH_WORD}さんと一緒に、お花見の散歩へ出かけられました。\n",
    5: "松浦様\n誕生日会では、ケーキのろうそくを一息で吹き消されました。\n",
    6: "松浦様\n最近は午後に短いお昼寝をされ、夕方はお元気です。\n",
    7: "松浦様\nこの春から、ご自分で花壇の水やりを続けておられます。\n",
    8: "松浦様\n新しく来られた方に、施設の中を案内してくださいました。\n",
}
EDITED = {4: "（初稿）", 6: "（承認後に変更）"}  # letters with a second version: version 1 had this prefix / suffix


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def context_sha(context: dict) -> str:  # as core.workflow.state.context_sha
    return sha(json.dumps(context, sort_keys=True, ensure_ascii=False))


def high_key(body: str) -> str:
    """The finding key the fake checker gives HIGH_WORD in `body` (what an accepted mark refers to)."""
    from tests.core.test_review import fake_checker

    return next(f.key for f in fake_checker(body, CONTEXT) if f.text == HIGH_WORD)


def migrate(engine: sa.Engine, revision: str) -> None:
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)


def rev(revision: str) -> int:
    return int(revision)


@dataclass
class Chain:
    """Audit entries written as core/audit.py writes them (same hash over the same fields)."""

    rows: list[dict] = field(default_factory=list)
    clock: dt.datetime = dt.datetime(2024, 4, 1, 0, 30)
    signed_columns: bool = False  # 0005 on: key_id and signature

    def at(self) -> str:
        self.clock += dt.timedelta(minutes=7, microseconds=1)
        return self.clock.isoformat(timespec="microseconds")

    def add(self, actor: str, action: str, letter_id: int | None = None, thash: str = "", detail: str = "",
            key: tuple[int, object] | None = None) -> int:
        prev = self.rows[-1]["hash"] if self.rows else GENESIS
        at = self.at()
        h = _entry_hash(prev, at, actor, action, letter_id, thash, detail)
        row = {"id": len(self.rows) + 1, "at": at, "actor": actor, "action": action, "letter_id": letter_id,
               "text_hash": thash, "detail": detail, "prev_hash": prev, "hash": h}
        if self.signed_columns:
            row["key_id"], row["signature"] = (key[0], signing.sign(key[1], signing.entry_bytes(h))) if key else (None, None)
        self.rows.append(row)
        return row["id"]

    def time(self) -> dt.datetime:
        return self.clock


def table(name: str, *columns: str, json_columns: tuple[str, ...] = (), rows: list[dict] = ()) -> sa.TableClause:
    """A bare table of the old schema, typed only where the driver needs it: JSON values, and date-times
    (stored by SQLAlchemy's own format, as the app's DateTime columns read them)."""
    def typed(c: str) -> sa.ColumnClause:
        if c in json_columns:
            return sa.column(c, sa.JSON)
        if any(isinstance(r.get(c), dt.datetime) for r in rows):
            return sa.column(c, sa.DateTime)
        return sa.column(c)
    return sa.table(name, *(typed(c) for c in (*columns, *json_columns)))


def build(url: str, revision: str, *, hasher=None, drafts: int = 3) -> None:
    """Create the schema at `revision` on an empty database at `url` and fill it."""
    engine = sa.create_engine(url)
    try:
        migrate(engine, revision)
        with engine.begin() as conn:
            if revision == "0001":
                _fill_drafts(conn, drafts)
            else:
                _fill(conn, revision, hasher)
    finally:
        engine.dispose()


def _fill_drafts(conn, count: int) -> None:
    """The drafts database before the review workflow: drafts with their 確認済み marks, one autosave slot."""
    rows = []
    for i in range(1, count + 1):
        body = BODIES[(i - 1) % len(BODIES) + 1] + f"（{i}通目）\n"
        reviewed = {f"pii.person\t{i}\t松浦": "ご家族に伝える内容です"} if i % 2 else {}
        rows.append({"id": i, "template_id": TEMPLATE, "fields": json.dumps({"recipient_name": "松浦 千代"},
                                                                              ensure_ascii=False),
                     "body": body, "reviewed": json.dumps(reviewed, ensure_ascii=False),
                     "updated_at": (dt.datetime(2023, 1, 1) + dt.timedelta(minutes=i)).isoformat()})
    conn.execute(table("drafts", "id", "template_id", "fields", "body", "reviewed", "updated_at").insert(), rows)
    conn.execute(table("autosave", "slot", "draft_id", "template_id", "fields", "body", "reviewed", "saved_at")
                 .insert(), [{"slot": 1, "draft_id": 1, "template_id": TEMPLATE, "fields": "{}",
                              "body": rows[0]["body"] + "書きかけ", "reviewed": "{}", "saved_at": "2023-01-02T09:00:00"}])


def _fill(conn, revision: str, hasher) -> None:
    from desktop_app.core import accounts

    hasher = hasher or accounts._hasher
    r = rev(revision)
    chain = Chain(signed_columns=r >= 5)
    now = chain.time
    users, keys, letters, versions, marks, comments, approvals, exports = [], [], [], [], [], [], [], []
    ids = {ADMIN: 1, WRITER: 2, REVIEWER: 3, SIGNER: 4}
    roles = {ADMIN: "admin", WRITER: "writer", REVIEWER: "reviewer", SIGNER: "reviewer"}
    signer_key = None
    for name, uid in ids.items():
        user = {"id": uid, "name": name, "password_hash": hasher.hash(PASSWORDS[name]), "roles": roles[name],
                "active": True, "failed_logins": 0, "last_failed_at": None, "created_at": now()}
        if r >= 4:
            user |= {"must_change_password": False, "last_login_at": now(), "notices_seen_at": None}
        users.append(user)
        chain.add(ADMIN, "user_added", detail=f"{name} ({roles[name]})")
    chain.add(ADMIN, "facility_set")
    if r >= 5:  # one account that already has its key (logged in after 0005): its entries and approval are signed
        private, public, sealed = signing.new_sealed_key(PASSWORDS[SIGNER])
        signer_key = (1, private)
        users[3] |= {"key_id": 1, "sealed_key": sealed}
        reg = chain.add(SIGNER, "key_registered", thash=signing.fingerprint(public), key=signer_key)
        keys.append({"id": 1, "user_id": 4, "public_key": public, "created_at": now(), "registered_entry_id": reg,
                     "replaced_at": None, "replaced_entry_id": None})
        chain.add(SIGNER, "login", key=signer_key)
        for u in users[:3]:
            u |= {"key_id": None, "sealed_key": None}
    chain.add("（不明）", "login_failed", detail="unknown user")

    def letter(lid: int, status: str) -> dict:
        row = {"id": lid, "template_id": TEMPLATE, "fields": {"recipient_name": "松浦 千代"}, "context": CONTEXT,
               "body": BODIES[lid], "status": status, "writer_id": 2, "last_editor_id": 2, "created_at": now(),
               "updated_at": now(), "submitted_at": None, "high_count": 0, "medium_count": 0, "version": 1}
        if r >= 4:
            row["derived_from_id"] = None
        letters.append(row)
        return row

    def version(lid: int, number: int, body: str, submitted: bool, action: str) -> None:
        versions.append({"id": len(versions) + 1, "letter_id": lid, "number": number, "body": body,
                         "body_sha": sha(body), "author_id": 2, "submitted": submitted, "created_at": now()})
        chain.add(WRITER, action, lid, sha(body))

    def approve(lid: int, approver: str, number: int) -> None:
        uid = ids[approver]
        key = signer_key if approver == SIGNER else None
        row = {"id": len(approvals) + 1, "letter_id": lid, "body_sha": sha(BODIES[lid]),
               "template_id": TEMPLATE, "context_sha": context_sha(CONTEXT), "approver_id": uid,
               "created_at": now(), "voided_at": None}
        if r >= 5:
            signed_at = chain.at()
            row |= {"key_id": None, "signature": None, "version_number": number if r >= 5 else None,
                    "signed_at": None}
            if key is not None:
                row |= {"key_id": 1, "signed_at": signed_at, "signature": signing.sign(key[1], signing.approval_bytes(
                    lid, number, row["body_sha"], TEMPLATE, row["context_sha"], uid, approver, signed_at))}
        approvals.append(row)
        chain.add(approver, "approve", lid, row["body_sha"], key=key)

    # 1 下書き with the writer's proposal
    letter(1, "draft")
    version(1, 1, BODIES[1], False, "create")
    marks.append({"id": 1, "letter_id": 1, "finding_key": "risk.ambiguous\t3\t体操", "kind": "proposal",
                  "reason": "いつもの表現です", "user_id": 2, "created_at": now()})
    chain.add(WRITER, "propose", 1, sha(BODIES[1]), detail="risk.ambiguous")
    # 2 確認待ち
    letter(2, "submitted")["submitted_at"] = now()
    version(2, 1, BODIES[2], False, "create")
    versions[-1]["submitted"] = True
    chain.add(WRITER, "submit", 2, sha(BODIES[2]))
    # 3 差し戻し: a general comment and one on a range of the text
    letter(3, "returned")
    version(3, 1, BODIES[3], True, "create")
    chain.add(WRITER, "submit", 3, sha(BODIES[3]))
    comments += [{"id": 1, "letter_id": 3, "start": 0, "end": 0, "quote": "", "text": "席替えの理由も書いてください",
                  "author_id": 3, "created_at": now()},
                 {"id": 2, "letter_id": 3, "start": 4, "end": 6, "quote": BODIES[3][4:6], "text": "言い換えを",
                  "author_id": 3, "created_at": now()}]
    chain.add(REVIEWER, "return", 3, sha(BODIES[3]))
    chain.add(REVIEWER, "comment", 3)
    # 4 承認済み (unsigned approval by a reviewer without a key), a second version, an accepted high finding
    letter(4, "approved")["version"] = 3
    version(4, 1, EDITED[4] + BODIES[4], False, "create")
    version(4, 2, BODIES[4], True, "edit")
    chain.add(WRITER, "submit", 4, sha(BODIES[4]))
    marks.append({"id": 2, "letter_id": 4, "finding_key": high_key(BODIES[4]), "kind": "accepted",
                  "reason": "ご家族も知っている同室の方です", "user_id": 3, "created_at": now()})
    chain.add(REVIEWER, "accept_finding", 4, sha(BODIES[4]), detail="pii.person")
    approve(4, REVIEWER, 2)
    letters[-1]["high_count"] = 1
    # 5 送付済み: approved and exported
    letter(5, "exported")
    version(5, 1, BODIES[5], True, "create")
    chain.add(WRITER, "submit", 5, sha(BODIES[5]))
    approve(5, REVIEWER, 1)
    file_sha = sha("docx bytes of letter 5")
    export = {"id": 1, "letter_id": 5, "file_sha": file_sha, "body_sha": sha(BODIES[5]), "file_name": "松浦様_5月.docx",
              "user_id": 2, "created_at": now()}
    if r >= 7:
        export |= {"status": "written", "path": "C:/手紙/松浦様_5月.docx", "owner": "pc-1:4242",
                   "audit_count": len(chain.rows), "audit_hash": chain.rows[-1]["hash"]}
    exports.append(export)
    chain.add(WRITER, "export", 5, sha(BODIES[5]), detail=f"file {file_sha}")
    # 6 承認後に変更: the approval voided, back to 下書き with a second version
    letter(6, "draft")["body"] = BODIES[6] + EDITED[6]
    letters[-1]["version"] = 2
    version(6, 1, BODIES[6], True, "create")
    chain.add(WRITER, "submit", 6, sha(BODIES[6]))
    approve(6, REVIEWER, 1)
    approvals[-1]["voided_at"] = now()
    version(6, 2, BODIES[6] + EDITED[6], False, "edit_after_approval")
    if r >= 4:  # 7 made from the sent letter 5 (「この手紙をもとに新しく作成」)
        letter(7, "draft")["derived_from_id"] = 5
        version(7, 1, BODIES[7], False, "derive")
    if r >= 5:  # 8 承認済み with a signed approval: leaves after the upgrade without another approval
        letter(8, "approved")
        version(8, 1, BODIES[8], True, "create")
        chain.add(WRITER, "submit", 8, sha(BODIES[8]))
        approve(8, SIGNER, 1)
    if r >= 7:  # an export that failed (no file, no 'export' entry)
        exports.append({"id": 2, "letter_id": 8, "file_sha": "", "body_sha": sha(BODIES[8]), "file_name": "x.docx",
                        "user_id": 2, "created_at": now(), "status": "failed", "path": "C:/手紙/x.docx",
                        "owner": "pc-2:99", "audit_count": len(chain.rows), "audit_hash": chain.rows[-1]["hash"]})
        chain.add("（システム）", "export_failed", 8, detail="export 2: interrupted, no file")

    def put(name: str, rows: list[dict], json_columns: tuple[str, ...] = ()) -> None:
        if rows:
            cols = [c for c in rows[0] if c not in json_columns]
            conn.execute(table(name, *cols, json_columns=json_columns, rows=rows).insert(), rows)

    put("users", users)
    put("user_keys", keys)
    put("letters", letters, ("fields", "context"))
    put("letter_versions", versions)
    put("marks", marks)
    put("comments", comments)
    put("approvals", approvals)
    put("exports", exports)
    put("audit_log", chain.rows)
    put("audit_head", [{"id": 1, "last_id": chain.rows[-1]["id"], "last_hash": chain.rows[-1]["hash"]}])
    put("recovery_slots", [{"slot": "pc-1:win-1", "owner": "pc-1:1234", "user_id": 2, "letter_id": 1,
                            "template_id": TEMPLATE, "fields": {}, "body": BODIES[1] + "書きかけ",
                            "marks": {}, "saved_at": now()}], ("fields", "marks"))
    put("facility_settings", [{"key": "facility", "value": {"name": "介護老人保健施設 さくら苑"}},
                              {"key": "policy", "value": "always"}], ("value",))
    if conn.dialect.name == "postgresql":  # ids were given explicitly: move the sequences past them
        for name in ("users", "letters", "letter_versions", "marks", "comments", "approvals", "exports",
                     "audit_log", *(("user_keys",) if r >= 5 else ())):
            conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                 f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"))


# what must survive the upgrade: per table, its rows' key columns
KEY_COLUMNS = {
    "users": ("id", "name", "password_hash", "roles", "active"),
    "letters": ("id", "status", "body", "template_id", "writer_id"),
    "letter_versions": ("id", "letter_id", "number", "body_sha", "submitted"),
    "marks": ("id", "letter_id", "finding_key", "kind", "reason"),
    "comments": ("id", "letter_id", "start", "end", "quote", "text"),
    "approvals": ("id", "letter_id", "body_sha", "approver_id", "voided_at"),
    "exports": ("id", "letter_id", "file_sha", "body_sha", "file_name"),
    "audit_log": ("id", "at", "actor", "action", "letter_id", "text_hash", "detail", "prev_hash", "hash"),
    "audit_head": ("id", "last_id", "last_hash"),
    "recovery_slots": ("slot", "letter_id", "body"),
    "facility_settings": ("key",),
    "user_keys": ("id", "user_id", "public_key", "registered_entry_id"),
    "drafts": ("id", "body"),
    "autosave": ("slot", "body"),
}


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every table's rows (key columns, in key order) as plain values."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            out = {}
            for name, cols in KEY_COLUMNS.items():
                if name in tables:
                    quoted = ", ".join(f'"{c}"' for c in cols)
                    out[name] = [tuple(row) for row in conn.execute(sa.text(
                        f"SELECT {quoted} FROM {name} ORDER BY {quoted.split(',')[0]}"))]
            return out
    finally:
        engine.dispose()
