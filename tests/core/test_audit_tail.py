"""The audit log against someone who can write the database: direct SQL on the log, the approvals and the
exports is refused (migration 0006); a cut-off tail, a rewritten chain, an old copy put back are found
against a head kept outside (`--expect`, `audit anchor`); a rewritten letter text is found by verify
itself. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from desktop_app.cli import main
from desktop_app.core import accounts, audit
from desktop_app.core.audit_head import BadExpect, anchor, parse_expect
from desktop_app.core.context import CheckContext, Facility
from desktop_app.core.db.models import AuditEntry
from desktop_app.core.workflow import Services
from tests.conftest import unguard

ADMIN_PW, WRITER_PW, REVIEWER_PW = "sakura-kiku-7391-umi", "momiji-kaede-2846-yama", "tsubaki-ran-5520-kawa"
BODY = "中村様\n先週は秋の遠足で紅葉狩りに出かけ、皆さまと温かいお茶を楽しまれました。\n"


def _quiet(_body, _context):
    return []


@pytest.fixture
def day(db, tmp_path):
    """A facility's ordinary day: a letter created, edited, submitted, approved and exported."""
    svc = Services.open(db, _quiet)
    admin = accounts.add_user(db, "施設長", ["admin", "reviewer"], ADMIN_PW, None)
    svc.admin.set_facility(Facility(name="ケアハウス ひだまり"), admin)
    writer = accounts.add_user(db, "介護 花子", ["writer"], WRITER_PW, admin)
    reviewer = accounts.add_user(db, "主任 健太", ["reviewer"], REVIEWER_PW, admin)
    letter = svc.workflow.create(writer, "monthly_report", BODY, {"recipient_name": "中村 和夫"},
                                 CheckContext(recipient="中村 和夫"))
    svc.workflow.save(writer, letter.id, BODY + "来月もよろしくお願いいたします。\n", letter.version)
    svc.workflow.submit(writer, letter.id)
    svc.workflow.approve(reviewer, letter.id)

    def write(body: str, target: Path) -> None:
        target.write_text(body, encoding="utf-8")

    svc.workflow.export(writer, letter.id, tmp_path / "sent.txt", write)
    return {"svc": svc, "letter": letter.id, "admin": admin, "reviewer": reviewer}


def _sql(db, statement: str, **params) -> None:
    with db.engine.begin() as con:
        con.execute(text(statement), params)


def _entry_hash(prev, r) -> str:
    payload = "\x1f".join([prev, r.at, r.actor, r.action, "" if r.letter_id is None else str(r.letter_id),
                           r.text_hash, r.detail])
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def test_an_empty_log_is_a_finding(db):
    result = audit.verify(db)
    assert not result.ok and result.checked == 0 and "記録がありません" in result.problem
    assert tuple(audit.head(db)) == (0, "")


def test_direct_sql_on_the_records_is_refused(db, day):
    n = audit.head(db).count
    for statement in ("DELETE FROM audit_log WHERE id > 3", "UPDATE audit_log SET actor = '施設長'",
                      "DELETE FROM approvals", "UPDATE approvals SET approver_id = NULL",
                      "UPDATE approvals SET voided_at = NULL", "DELETE FROM exports",
                      "UPDATE exports SET file_sha = 'x'", "DELETE FROM letters"):
        with pytest.raises(DBAPIError):
            _sql(db, statement)
    assert audit.head(db).count == n and audit.verify(db).ok


def test_the_normal_day_and_the_retention_purge_still_work(db, day):
    svc = day["svc"]
    h = audit.head(db)
    assert audit.verify(db, expect=h).ok
    assert svc.admin.purge_expired(now=dt.datetime.now() + dt.timedelta(days=4000)) == 1
    result = audit.verify(db, expect=h)  # the purged letter's records are gone; the log only grew
    assert result.ok and result.checked == h.count + 1
    with db.engine.connect() as con:
        assert con.execute(text("SELECT count(*) FROM approvals")).scalar() == 0
        assert con.execute(text("SELECT count(*) FROM purge_token")).scalar() == 0


def test_a_cut_off_tail_is_found_only_against_a_kept_head(db, day, tmp_path):
    kept = audit.head(db)
    anchor_file = tmp_path / "anchor.json"
    anchor(db, anchor_file)
    data = json.loads(anchor_file.read_text(encoding="utf-8"))
    assert (data["count"], data["hash"], data["facility"]) == (kept.count, kept.hash, "ケアハウス ひだまり")
    unguard(db)
    with db.engine.begin() as con:  # the last 3 entries gone, the head row moved back
        ids = con.execute(text("SELECT id FROM audit_log ORDER BY id DESC LIMIT 4")).scalars().all()
        con.execute(text("DELETE FROM audit_log WHERE id > :last"), {"last": ids[3]})
        last_hash = con.execute(text("SELECT hash FROM audit_log WHERE id = :i"), {"i": ids[3]}).scalar()
        con.execute(text("UPDATE audit_head SET last_id = :i, last_hash = :h"), {"i": ids[3], "h": last_hash})
        con.execute(text("DELETE FROM exports"))  # and the export they recorded
        con.execute(text("UPDATE letters SET status = 'approved'"))
    assert audit.verify(db).ok  # the chain alone cannot tell
    for expect in (kept, str(kept), str(anchor_file)):
        result = audit.verify(db, expect=expect)
        assert not result.ok and "削除" in result.problem


def test_a_rewritten_chain_is_found_against_a_kept_head(db, day):
    kept = audit.head(db)
    unguard(db)
    with db.session() as s:  # the approver renamed and every later hash recomputed: no key is needed
        rows = s.query(AuditEntry).order_by(AuditEntry.id).all()
        prev = audit.GENESIS
        for r in rows:
            if r.action == "approve":
                r.actor = "施設長"
            r.prev_hash, r.hash = prev, _entry_hash(prev, r)
            prev = r.hash
        s.execute(text("UPDATE audit_head SET last_hash = :h"), {"h": prev})
    # the approver's entry is signed with the approver's key: the rename is found by itself now (signing)
    alone = audit.verify(db)
    assert not alone.ok and "署名" in alone.problem
    result = audit.verify(db, expect=kept)
    assert not result.ok and "書き換え" in result.problem


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the PostgreSQL form: the cut-off tail above
def test_an_old_copy_put_back_is_found_against_a_kept_head(db_url, tmp_path, db, day):
    path = Path(db.engine.url.database)
    db.dispose()
    shutil.copy2(path, tmp_path / "old.sqlite3")
    day["svc"].admin.set_retention_days(400, day["admin"])  # one more act after the copy
    kept = audit.head(db)
    db.dispose()
    shutil.copy2(tmp_path / "old.sqlite3", path)
    for side in ("-wal", "-shm"):
        Path(str(path) + side).unlink(missing_ok=True)
    assert audit.verify(db).ok
    result = audit.verify(db, expect=kept)
    assert not result.ok and "削除" in result.problem


@pytest.mark.parametrize("tamper", [
    "UPDATE letters SET body = '中村様\n特に変わりはありません。\n'",
    "UPDATE letter_versions SET body = '中村様\n別の文面です。\n', "
    "body_sha = '" + hashlib.sha256("中村様\n別の文面です。\n".encode()).hexdigest() + "'",
    "UPDATE letter_versions SET body = '中村様\n別の文面です。\n'",
    "UPDATE exports SET body_sha = '" + "ab" * 32 + "'",
])
def test_a_rewritten_text_is_found_by_verify_itself(db, day, tamper):
    assert audit.verify(db).ok
    unguard(db)
    _sql(db, tamper)
    result = audit.verify(db)
    assert not result.ok and f"手紙 {day['letter']}" in result.problem


def test_bad_expect_values_are_refused(tmp_path):
    with pytest.raises(BadExpect):
        parse_expect("12:zz")
    with pytest.raises(BadExpect):
        parse_expect(str(tmp_path / "missing.json"))
    (tmp_path / "other.json").write_text('{"count": 1}', encoding="utf-8")
    with pytest.raises(BadExpect):
        parse_expect(str(tmp_path / "other.json"))
    assert parse_expect("3:" + "A" * 64) == (3, "a" * 64)


def test_cli_head_anchor_and_verify_with_their_exit_codes(db_url, db, day, tmp_path, capsys):
    def cli(*argv):
        code = main(["--db", db_url, *argv])
        return code, capsys.readouterr().out

    code, out = cli("audit", "head")
    kept = out.strip()
    assert code == 0 and kept == str(audit.head(db))
    code, out = cli("audit", "anchor", "--out", str(tmp_path / "today.json"))
    assert code == 0 and (tmp_path / "today.json").exists()
    assert cli("audit", "verify", "--expect", kept)[0] == 0
    assert cli("audit", "verify", "--expect", str(tmp_path / "today.json"))[0] == 0
    assert cli("audit", "verify", "--expect", "12:not-a-hash")[0] == 2
    assert cli("audit", "verify", "--expect", f"{int(kept.split(':')[0]) + 5}:{kept.split(':')[1]}")[0] == 1


def test_cli_verify_on_an_empty_database_says_so(tmp_path, capsys):
    from desktop_app.core.db import open_database

    url = f"sqlite:///{(tmp_path / 'new.sqlite3').as_posix()}"
    open_database(url, backup=False).dispose()  # a database with no entry yet
    code = main(["--db", url, "audit", "verify"])
    out = capsys.readouterr().out
    assert code == 1 and "記録がありません" in out and "intact" not in out
    # a mistyped path is not a new, empty (and so "intact") database: nothing is created
    code = main(["--db", f"sqlite:///{(tmp_path / 'typo.sqlite3').as_posix()}", "audit", "verify"])
    assert code == 2 and not (tmp_path / "typo.sqlite3").exists()
