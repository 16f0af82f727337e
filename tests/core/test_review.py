"""The review workflow through the core API, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading

import pytest
from sqlalchemy import text

from desktop_app.core import accounts, audit
from desktop_app.core.context import CheckContext, Facility
from desktop_app.core.db import DatabaseUnavailable, open_database
from desktop_app.core.errors import Refusal, WorkflowRefused
from desktop_app.core.findings import Finding, Severity
from desktop_app.core.workflow import Services
from desktop_app.core.workflow.state import CHANGED_ANCHOR, Status, anchor, inline_diff

HIGH_WORD = "第三者花子"  # the fake checker reports this as a high finding, "注意語" as a medium one


def fake_checker(body, context):
    out = []
    for word, sev in ((HIGH_WORD, Severity.HIGH), ("注意語", Severity.MEDIUM)):
        pos = body.find(word)
        while pos >= 0:
            out.append(Finding(pos, pos + len(word), word, "pii.person" if sev == Severity.HIGH else "risk.ambiguous",
                               sev, "msg", "why"))
            pos = body.find(word, pos + 1)
    return out


@pytest.fixture
def svc(db):
    return Services.open(db, fake_checker)


@pytest.fixture
def people(db, svc):
    admin = accounts.add_user(db, "施設長", ["admin", "reviewer"], "admin-pass-kiku-4827", None)
    svc.admin.set_facility(Facility(name="特別養護老人ホーム テスト苑"), admin)
    writer = accounts.add_user(db, "作成 太郎", ["writer"], "writer-pass-kiku-4827", admin)
    reviewer = accounts.add_user(db, "確認 花子", ["reviewer"], "review-pass-kiku-4827", admin)
    both = accounts.add_user(db, "兼務 次郎", ["writer", "reviewer"], "both-pass1", admin)
    return {"admin": admin, "writer": writer, "reviewer": reviewer, "both": both}


def refused(reason: Refusal, fn, *args, **kwargs) -> WorkflowRefused:
    with pytest.raises(WorkflowRefused) as info:
        fn(*args, **kwargs)
    assert info.value.reason == reason, info.value.message
    return info.value


def write_letter(svc, people, body="山田様\n今月もお元気に過ごされました。\n") -> int:
    return svc.workflow.create(people["writer"], "monthly_report", body, {"recipient_name": "山田 一郎"},
                               CheckContext(recipient="山田 一郎")).id


def test_whole_workflow_draft_to_exported(svc, people, tmp_path, db):
    lid = write_letter(svc, people)
    assert svc.letters.get(lid).status == Status.DRAFT
    assert svc.workflow.submit(people["writer"], lid).status == Status.SUBMITTED
    assert [q.id for q in svc.letters.queue()] == [lid]
    view = svc.workflow.approve(people["reviewer"], lid)
    assert view.status == Status.APPROVED and view.approval_valid and view.approved_by == "確認 花子"
    out = tmp_path / "letter.txt"

    def write(body, target):
        target.write_text(body, encoding="utf-8")

    path, digest = svc.workflow.export(people["writer"], lid, out, write)
    assert path == out and len(digest) == 64
    assert svc.letters.get(lid).status == Status.EXPORTED
    actions = [e.action for e in audit.entries(db, lid)]
    assert actions == ["create", "submit", "approve", "export"]
    assert audit.verify(db).ok


def test_nobody_approves_a_letter_they_wrote_or_last_edited(svc, people):
    lid = svc.workflow.create(people["both"], "monthly_report", "本文です。\n").id
    svc.workflow.submit(people["both"], lid)
    refused(Refusal.SELF_APPROVAL, svc.workflow.approve, people["both"], lid)
    # a reviewer who also writes edits someone else's letter: now they are its last editor
    lid2 = write_letter(svc, people)
    v = svc.letters.get(lid2)
    svc.workflow.save(people["both"], lid2, v.body + "追記。\n", v.version)
    svc.workflow.submit(people["writer"], lid2)
    refused(Refusal.SELF_APPROVAL, svc.workflow.approve, people["both"], lid2)
    assert svc.workflow.approve(people["reviewer"], lid2).status == Status.APPROVED


def test_writer_role_cannot_approve_and_reviewer_needs_submitted_state(svc, people):
    lid = write_letter(svc, people)
    refused(Refusal.MISSING_ROLE, svc.workflow.approve, people["writer"], lid)
    refused(Refusal.WRONG_STATE, svc.workflow.approve, people["reviewer"], lid)


def test_an_edit_after_approval_voids_it_and_is_recorded(svc, people, db, tmp_path):
    lid = write_letter(svc, people)
    svc.workflow.submit(people["writer"], lid)
    svc.workflow.approve(people["reviewer"], lid)
    v = svc.letters.get(lid)
    after = svc.workflow.save(people["writer"], lid, v.body + "追伸です。\n", v.version)
    assert after.status == Status.DRAFT and not after.approval_valid
    assert "edit_after_approval" in [e.action for e in audit.entries(db, lid)]
    e = refused(Refusal.STALE_APPROVAL, svc.workflow.export, people["writer"], lid, tmp_path / "x", lambda body, target: None)
    assert "無効" in e.message


def test_export_without_approval_is_refused_under_the_default_policy(svc, people, tmp_path):
    lid = write_letter(svc, people)
    written = []
    refused(Refusal.NOT_APPROVED, svc.workflow.export, people["writer"], lid, tmp_path / "x", lambda body, target: written.append(body))
    assert written == []  # nothing was written


def test_policy_when_findings_lets_clean_letters_out_and_is_audited(svc, people, db, tmp_path):
    refused(Refusal.MISSING_ROLE, svc.admin.set_policy, "when_findings", people["writer"])
    svc.admin.set_policy("when_findings", people["admin"])
    assert svc.admin.policy() == "when_findings"
    clean = write_letter(svc, people)
    out = tmp_path / "clean.txt"
    svc.workflow.export(people["writer"], clean, out, lambda body, target: target.write_text(body, encoding="utf-8"))
    warned = write_letter(svc, people, "本文に注意語があります。\n")
    refused(Refusal.NOT_APPROVED, svc.workflow.export, people["writer"], warned, out, lambda body, target: None)
    assert any(e.action == "policy_change" and e.detail == "always -> when_findings" for e in audit.entries(db))


def test_high_finding_needs_the_reviewers_own_acceptance(svc, people, tmp_path):
    lid = write_letter(svc, people, f"本文に{HIGH_WORD}様のお名前があります。\n")
    svc.workflow.propose(people["writer"], lid, f"pii.person\t{HIGH_WORD}", "ご本人の旧姓です")
    assert svc.letters.get(lid).proposals == {f"pii.person\t{HIGH_WORD}": "ご本人の旧姓です"}
    refused(Refusal.MISSING_ROLE, svc.workflow.approve, people["writer"], lid, accept={f"pii.person\t{HIGH_WORD}": "問題なし"})
    svc.workflow.submit(people["writer"], lid)
    e = refused(Refusal.HIGH_NOT_ACCEPTED, svc.workflow.approve, people["reviewer"], lid)
    assert [f.text for f in e.details["findings"]] == [HIGH_WORD]
    refused(Refusal.HIGH_NOT_ACCEPTED, svc.workflow.export, people["writer"], lid, tmp_path / "x", lambda body, target: None)
    view = svc.workflow.approve(people["reviewer"], lid, accept_reason="ご本人の旧姓であることを電話で確認済み")
    assert view.status == Status.APPROVED
    assert view.accepted[f"pii.person\t{HIGH_WORD}"] == "ご本人の旧姓であることを電話で確認済み"


def test_return_with_comments_reanchors_after_edits(svc, people):
    body = "山田様\n来月の面会日は十日です。\nよろしくお願いします。\n"
    lid = write_letter(svc, people, body)
    svc.workflow.submit(people["writer"], lid)
    start = body.index("十日")
    svc.workflow.return_letter(people["reviewer"], lid, "日付を確認してください",
                      ranges=[(start, start + 2, "曜日も書いてください"),
                              (body.index("よろしく"), body.index("よろしく") + 4, "結びの言葉を丁寧に")])
    view = svc.letters.get(lid)
    assert view.status == Status.RETURNED
    ranged = [c for c in view.comments if c.quote]
    assert [(c.start, c.end) for c in ranged] == [(start, start + 2), (body.index("よろしく"), body.index("よろしく") + 4)]
    new_body = "山田 一郎様\n来月の面会日は十日（水）です。\n何卒お願い申し上げます。\n"
    svc.workflow.save(people["writer"], lid, new_body, view.version)
    moved = [c for c in svc.letters.get(lid).comments if c.quote]
    assert (moved[0].start, moved[0].end) == (new_body.index("十日"), new_body.index("十日") + 2)
    assert moved[1].anchor_lost and CHANGED_ANCHOR == "該当箇所が変更されました"
    # the writer resubmits; the reviewer sees what changed since the version they returned
    svc.workflow.submit(people["writer"], svc.letters.get(lid).id)
    v = svc.letters.get(lid)
    assert v.previous_submitted == body
    ops = inline_diff(v.previous_submitted, v.body)
    assert ("insert", "（水）") in ops


def test_anchor_picks_the_nearest_occurrence():
    assert anchor("あいうあいう", 3, 5, "あい") == (3, 5)
    assert anchor("xあいうあいう", 3, 5, "あい") == (4, 6)
    assert anchor("かきく", 0, 2, "あい") is None


def test_two_pcs_saving_the_same_draft_lose_nothing(svc, people):
    lid = write_letter(svc, people)
    v = svc.letters.get(lid)
    svc.workflow.save(people["writer"], lid, v.body + "PC1の追記\n", v.version)
    e = refused(Refusal.CONFLICT, svc.workflow.save, people["writer"], lid, v.body + "PC2の追記\n", v.version)
    assert "新しい下書き" in e.message
    assert "PC1の追記" in svc.letters.get(lid).body
    # the second PC keeps its text by saving it as a new letter
    copy = svc.workflow.create(people["writer"], "monthly_report", v.body + "PC2の追記\n")
    assert "PC2の追記" in svc.letters.get(copy.id).body


def test_concurrent_saves_from_threads_leave_one_winner(svc, people):
    lid = write_letter(svc, people)
    v = svc.letters.get(lid)
    results: list[str] = []

    def save(tag):
        try:
            svc.workflow.save(people["writer"], lid, v.body + tag, v.version)
            results.append("ok")
        except WorkflowRefused as exc:
            results.append(exc.reason.value)

    threads = [threading.Thread(target=save, args=(f"{i}\n",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 1 and results.count("conflict") == 3, results
    assert svc.letters.get(lid).version == v.version + 1


def test_wrong_password_is_refused_recorded_and_locks_after_five(db, people):
    refused(Refusal.WRONG_PASSWORD, accounts.authenticate, db, "作成 太郎", "nope")
    for _ in range(4):
        refused(Refusal.WRONG_PASSWORD, accounts.authenticate, db, "作成 太郎", "nope")
    e = refused(Refusal.LOCKED, accounts.authenticate, db, "作成 太郎", "writer-pass-kiku-4827")
    assert e.details["wait_seconds"] > 25
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=31)
    assert accounts.authenticate(db, "作成 太郎", "writer-pass-kiku-4827", now=later).name == "作成 太郎"
    failures = [e for e in audit.entries(db) if e.action == "login_failed"]
    assert len(failures) == 5
    refused(Refusal.WRONG_PASSWORD, accounts.authenticate, db, "いない人", "x")


def test_passwords_are_stored_only_as_argon2id(db, people):
    with db.session() as s:
        hashes = [h for (h,) in s.execute(text("SELECT password_hash FROM users"))]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any("writer-pass-kiku-4827" in h for h in hashes)


def test_first_user_must_be_admin_and_later_ones_need_an_admin(db):
    refused(Refusal.SETUP_REQUIRED, accounts.add_user, db, "a", ["writer"], "password1-kiku-4827", None)
    admin = accounts.add_user(db, "a", ["admin"], "password1-kiku-4827", None)
    refused(Refusal.MISSING_ROLE, accounts.add_user, db, "b", ["writer"], "password1-kiku-4827", None)
    w = accounts.add_user(db, "b", ["writer"], "password1-kiku-4827", admin)
    refused(Refusal.MISSING_ROLE, accounts.add_user, db, "c", ["writer"], "password1-kiku-4827", w)
    refused(Refusal.BAD_INPUT, accounts.add_user, db, "b", ["writer"], "password1-kiku-4827", admin)
    refused(Refusal.BAD_INPUT, accounts.add_user, db, "d", ["writer"], "short", admin)


def test_no_letter_before_facility_and_administrator_exist(db):
    svc = Services.open(db, fake_checker)
    assert svc.admin.setup_needed()
    admin = accounts.add_user(db, "a", ["admin", "writer"], "password1-kiku-4827", None)
    refused(Refusal.SETUP_REQUIRED, svc.workflow.create, admin, "monthly_report", "x")
    svc.admin.set_facility(Facility(name="テスト苑"), admin)
    assert not svc.admin.setup_needed()
    assert svc.workflow.create(admin, "monthly_report", "x").status == Status.DRAFT


@pytest.mark.parametrize("change", ["update", "delete_middle", "delete_last"])
def test_a_changed_or_deleted_audit_row_is_detected(svc, people, db, change):
    lid = write_letter(svc, people)
    svc.workflow.submit(people["writer"], lid)
    entries = list(audit.entries(db))
    target = entries[len(entries) // 2]
    with db.engine.begin() as con:  # as the owner: past the append-only triggers of migration 0006
        if db.backend == "postgresql":
            con.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        else:
            for (name,) in con.execute(text("SELECT name FROM sqlite_master WHERE type='trigger' "
                                            "AND tbl_name='audit_log'")).all():
                con.execute(text(f"DROP TRIGGER {name}"))
        if change == "update":
            con.execute(text("UPDATE audit_log SET actor='誰か' WHERE id=:i"), {"i": target.id})
        elif change == "delete_middle":
            con.execute(text("DELETE FROM audit_log WHERE id=:i"), {"i": target.id})
        else:
            con.execute(text("DELETE FROM audit_log WHERE id=:i"), {"i": entries[-1].id})
    result = audit.verify(db)
    assert not result.ok
    expected = {"update": target.id, "delete_middle": entries[len(entries) // 2 + 1].id, "delete_last": entries[-1].id}
    assert result.broken_id == expected[change]


def test_audit_log_holds_no_letter_text(svc, people, db):
    secret = "認知症の山田花子様"
    lid = write_letter(svc, people, f"{secret}のご様子です。\n")
    svc.workflow.submit(people["writer"], lid)
    with db.session() as s:
        rows = s.execute(text("SELECT actor, action, detail, text_hash FROM audit_log")).all()
    assert rows and not any(secret in " ".join(str(x) for x in r) for r in rows)


# ---- database files that cannot be used -----------------------------------------------------------
def test_corrupt_sqlite_file_is_reported_not_raised(tmp_path):
    path = tmp_path / "careletter.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(DatabaseUnavailable) as info:
        open_database(f"sqlite:///{path}")
    assert info.value.reason == "corrupt" and "壊れて" in str(info.value)


def test_locked_sqlite_file_is_reported(tmp_path):
    path = tmp_path / "careletter.sqlite3"
    open_database(f"sqlite:///{path}").dispose()
    con = sqlite3.connect(str(path))
    con.execute("PRAGMA locking_mode=EXCLUSIVE")
    con.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseUnavailable) as info:
            import desktop_app.core.db as dbmod

            dbmod._sqlite_check(path)  # the same first step open_database takes, without its 5 s wait loop
        assert info.value.reason == "locked"
    finally:
        con.rollback()
        con.close()


def test_database_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "careletter.sqlite3"
    open_database(f"sqlite:///{path}").dispose()
    con = sqlite3.connect(str(path))
    con.execute("UPDATE alembic_version SET version_num='9999_future'")
    con.commit()
    con.close()
    with pytest.raises(DatabaseUnavailable) as info:
        open_database(f"sqlite:///{path}")
    assert info.value.reason == "newer_schema" and "新しい版" in str(info.value)


def test_unreachable_postgresql_is_reported():
    with pytest.raises(DatabaseUnavailable) as info:
        open_database("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert info.value.reason == "unreachable"


def test_old_drafts_database_is_migrated_not_lost(tmp_path):
    legacy = tmp_path / "drafts.sqlite3"
    con = sqlite3.connect(str(legacy))
    con.executescript("""
        CREATE TABLE drafts (id INTEGER PRIMARY KEY AUTOINCREMENT, template_id TEXT NOT NULL, fields TEXT NOT NULL,
            body TEXT NOT NULL, reviewed TEXT NOT NULL DEFAULT '{}', updated_at TEXT NOT NULL);
        CREATE TABLE autosave (slot INTEGER PRIMARY KEY CHECK (slot = 1), draft_id INTEGER, template_id TEXT NOT NULL,
            fields TEXT NOT NULL, body TEXT NOT NULL, reviewed TEXT NOT NULL DEFAULT '{}', saved_at TEXT NOT NULL);
    """)
    con.execute("INSERT INTO drafts (template_id, fields, body, reviewed, updated_at) VALUES (?,?,?,?,?)",
                ("incident_report", '{"resident_name": "佐藤 ハル"}', "佐藤様の転倒のご報告です。",
                 '{"pii.person\\t佐藤": "ご本人"}', "2026-10-01T09:30:00"))
    con.execute("INSERT INTO autosave VALUES (1, 1, 'incident_report', '{}', '書きかけの本文', '{}', '2026-10-01T10:00:00')")
    con.commit()
    con.close()
    db = open_database(f"sqlite:///{tmp_path / 'careletter.sqlite3'}")
    svc = Services.open(db, fake_checker)
    letters = svc.letters.list()
    assert len(letters) == 1 and letters[0].status == Status.DRAFT
    view = svc.letters.get(letters[0].id)
    assert view.body == "佐藤様の転倒のご報告です。" and view.fields == {"resident_name": "佐藤 ハル"}
    assert view.proposals == {"pii.person\t佐藤": "ご本人"}
    from desktop_app.core.db.models import RecoverySlot

    with db.session() as s:
        slot = s.get(RecoverySlot, "legacy")
        assert slot is not None and slot.body == "書きかけの本文"
    assert legacy.exists()  # the old file is kept as it was
    db.dispose()


def test_sqlite_files_are_private_and_backed_up(tmp_path):
    import os
    import stat

    from desktop_app.core.db import list_backups

    path = tmp_path / "data" / "careletter.sqlite3"
    path.parent.mkdir(mode=0o700)  # the data folder is made by config.data_dir(); --db never makes a folder
    for _ in range(5):
        open_database(f"sqlite:///{path}").dispose()
    if os.name != "nt":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE((path.parent / "backups").stat().st_mode) == 0o700
    backups = list_backups(path)
    assert len(backups) == 1  # one a day, however often it is opened


def test_letters_past_the_retention_period_are_deleted_and_only_hashes_remain(svc, people, db):
    import datetime as dt

    refused(Refusal.MISSING_ROLE, svc.admin.set_retention_days, 30, people["writer"])
    svc.admin.set_retention_days(30, people["admin"])
    old = write_letter(svc, people, "古い下書きの本文です。\n")
    waiting = write_letter(svc, people, "確認待ちの本文です。\n")
    svc.workflow.submit(people["writer"], waiting)
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=31)
    assert svc.admin.purge_expired(now=later) == 1  # the letter awaiting review is kept
    assert [s.id for s in svc.letters.list()] == [waiting]
    purge = [e for e in audit.entries(db) if e.action == "retention_purge"]
    assert [e.letter_id for e in purge] == [old] and len(purge[0].text_hash) == 64
    assert audit.verify(db).ok


def test_head_revision_constant_is_alembics_head_and_an_up_to_date_database_skips_alembic(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from desktop_app.core.db import HEAD_REVISION, MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_heads() == [HEAD_REVISION]
    url = f"sqlite:///{tmp_path / 'careletter.sqlite3'}"
    open_database(url).engine.dispose()  # created and migrated
    probe = ("import sys; from desktop_app.core.db import open_database; "
             f"db = open_database({url!r}); print('alembic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_a_letter_waiting_for_review_is_not_edited_and_proposals_are_the_writers(svc, people, db):
    lid = write_letter(svc, people, f"本文に{HIGH_WORD}様のお名前があります。\n")
    key = f"pii.person\t{HIGH_WORD}"
    refused(Refusal.MISSING_ROLE, svc.workflow.propose, people["reviewer"], lid, key, "私が見ました")
    svc.workflow.propose(people["writer"], lid, key, "ご本人の旧姓です")
    refused(Refusal.MISSING_ROLE, svc.workflow.withdraw, people["reviewer"], lid, key)
    svc.workflow.withdraw(people["writer"], lid, key)
    assert svc.letters.get(lid).proposals == {}
    assert [e.action for e in audit.entries(db, lid)][-2:] == ["propose", "withdraw"]
    view = svc.workflow.submit(people["writer"], lid)
    # the reviewer reads exactly what was submitted: a save now would take it out of the queue unseen
    refused(Refusal.WRONG_STATE, svc.workflow.save, people["writer"], lid, "書き換え\n", view.version)
    assert svc.letters.get(lid).status == Status.SUBMITTED
