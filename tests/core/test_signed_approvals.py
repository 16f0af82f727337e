"""Approvals and audit entries bound to a person (issue 21): a row written into the database by hand no
longer lets a letter out, a rewritten chain no longer reads as intact, and resets, password changes and
accounts from before the upgrade keep every honest signature valid. On SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select, text, update

from desktop_app.core import accounts, audit, signing
from desktop_app.core.context import CheckContext, Facility
from desktop_app.core.db.models import Approval, AuditEntry, AuditHead, Letter, User, UserKey
from desktop_app.core.errors import Refusal
from desktop_app.core.workflow import Services
from desktop_app.core.workflow.state import Status, context_sha, sha256
from tests.conftest import unguard
from tests.core.test_review import fake_checker, refused
from tests.test_cli_workflow import cli, staffed  # noqa: F401 (fixtures)

ADMIN_PW, WRITER_PW, REVIEWER_PW = "sakura-kiku-7391-umi", "kaede-momiji-2846-yama", "tsubaki-ume-5102-kawa"
BODY = "佐々木様\n秋の遠足で紅葉狩りに出かけ、笑顔で写真に納まっていらっしゃいました。\n"


def setup(db):
    svc = Services.open(db, fake_checker)
    admin = accounts.add_user(db, "園長 北村", ["admin"], ADMIN_PW, None)
    svc.admin.set_facility(Facility(name="養護老人ホーム しらかば荘"), admin)
    writer = accounts.add_user(db, "介護 西田", ["writer"], WRITER_PW, admin, must_change=False)
    reviewer = accounts.add_user(db, "主任 東山", ["reviewer"], REVIEWER_PW, admin, must_change=False)
    return svc, admin, writer, reviewer


def submitted(svc, writer) -> int:
    lid = svc.workflow.create(writer, "monthly_report", BODY, {"recipient_name": "佐々木 恵子"},
                              CheckContext(recipient="佐々木 恵子")).id
    svc.workflow.submit(writer, lid)
    return lid


def out_file(tmp_path):
    """The export's final path and its writer (Workflow.export writes to a temporary name, then renames)."""
    def write(body, target):
        target.write_text(body, encoding="utf-8")
    return tmp_path / "letter.txt", write


def forge(db, lid, approver_id, key_id=None, signature=None, version=1, signed_at="2031-05-01T08:00:00.000000"):
    """An approval row written straight into the database, the way a PC with the facility's database
    credentials could, and the letter moved to 承認済み."""
    with db.session() as s:
        letter = s.get(Letter, lid)
        s.add(Approval(letter_id=lid, body_sha=sha256(letter.body), template_id=letter.template_id,
                       context_sha=context_sha(letter.context), approver_id=approver_id, key_id=key_id,
                       signature=signature, version_number=version, signed_at=signed_at))
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE letters SET status = 'approved' WHERE id = :i"), {"i": lid})


def test_an_honest_approval_is_signed_and_lets_the_letter_out(db, tmp_path):
    svc, _admin, writer, reviewer = setup(db)
    lid = submitted(svc, writer)
    svc.workflow.approve(reviewer, lid)
    with db.session() as s:
        ap = s.execute(select(Approval).where(Approval.letter_id == lid)).scalar_one()
        assert ap.key_id == reviewer.key_id and ap.signature and ap.version_number == 1 and ap.signed_at
    svc.workflow.export(writer, lid, *out_file(tmp_path))
    assert svc.letters.get(lid).status == Status.EXPORTED
    with db.session() as s:  # every entry of a person is signed; failed logins never are
        rows = s.execute(select(AuditEntry)).scalars().all()
        assert all(r.signature and r.key_id for r in rows)
    result = audit.verify(db)
    assert result.ok, result.problem


def test_a_forged_approval_row_does_not_let_the_letter_out(db, tmp_path):
    svc, _admin, writer, reviewer = setup(db)
    lid = submitted(svc, writer)
    forge(db, lid, approver_id=writer.id)  # the writer as approver, no signature
    err = refused(Refusal.BAD_SIGNATURE, svc.workflow.export, writer, lid, *out_file(tmp_path))
    assert "署名がありません" in err.message
    assert not (tmp_path / "letter.txt").exists() and svc.letters.get(lid).status == Status.APPROVED


def clear_approvals(db) -> None:
    """The forger's next try starts from no approval (as the owner, past the append-only triggers)."""
    unguard(db)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM approvals"))


def test_forged_rows_with_signatures_are_refused_too(db, tmp_path):
    svc, _admin, writer, reviewer = setup(db)
    lid = submitted(svc, writer)
    with db.session() as s:
        letter = s.get(Letter, lid)
        fields = (lid, 1, sha256(letter.body), letter.template_id, context_sha(letter.context))
    when = "2031-05-01T08:00:00.000000"
    # 1. the writer signs as approver with their own (real, registered) key: a self-approval
    own = signing.sign(writer.signing_key, signing.approval_bytes(*fields, writer.id, writer.name, when))
    forge(db, lid, writer.id, writer.key_id, own, signed_at=when)
    refused(Refusal.BAD_SIGNATURE, svc.workflow.export, writer, lid, *out_file(tmp_path))
    # 2. the reviewer named as approver, signed with the writer's key
    clear_approvals(db)
    sig = signing.sign(writer.signing_key, signing.approval_bytes(*fields, reviewer.id, reviewer.name, when))
    forge(db, lid, reviewer.id, writer.key_id, sig, signed_at=when)
    err = refused(Refusal.BAD_SIGNATURE, svc.workflow.export, writer, lid, *out_file(tmp_path))
    assert "登録された鍵" in err.message
    # 3. the reviewer's key id with a signature made by a key nobody registered
    clear_approvals(db)
    stray = signing.Ed25519PrivateKey.generate()
    sig = signing.sign(stray, signing.approval_bytes(*fields, reviewer.id, reviewer.name, when))
    forge(db, lid, reviewer.id, reviewer.key_id, sig, signed_at=when)
    err = refused(Refusal.BAD_SIGNATURE, svc.workflow.export, writer, lid, *out_file(tmp_path))
    assert "正しくありません" in err.message
    # 4. a key slipped into user_keys for the reviewer, with no signed entry registering it
    clear_approvals(db)
    with db.session() as s:
        row = UserKey(user_id=reviewer.id, public_key=signing.public_text(stray), registered_entry_id=1)
        s.add(row)
        s.flush()
        stray_id = row.id
    forge(db, lid, reviewer.id, stray_id, sig, signed_at=when)
    err = refused(Refusal.BAD_SIGNATURE, svc.workflow.export, writer, lid, *out_file(tmp_path))
    assert "鍵の登録" in err.message
    assert not (tmp_path / "letter.txt").exists()


def test_a_signed_approval_moved_to_another_letter_is_refused(db, tmp_path):
    svc, _admin, writer, reviewer = setup(db)
    first = submitted(svc, writer)
    svc.workflow.approve(reviewer, first)
    second = submitted(svc, writer)  # the same text: same body, template and context hashes
    unguard(db)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE approvals SET letter_id = :b WHERE letter_id = :a"), {"a": first, "b": second})
        conn.execute(text("UPDATE letters SET status = 'approved' WHERE id = :b"), {"b": second})
    refused(Refusal.BAD_SIGNATURE, svc.workflow.export, writer, second, *out_file(tmp_path))


def rewrite_chain(db, entry_id: int, **changes) -> None:
    """Change one entry and recompute every hash from it on, as someone with write access and no key can
    (the owner, past the append-only triggers)."""
    unguard(db)
    with db.session() as s:
        prev = audit.GENESIS
        for e in s.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars():
            if e.id == entry_id:
                for k, v in changes.items():
                    setattr(e, k, v)
            e.prev_hash = prev
            e.hash = audit._entry_hash(prev, e.at, e.actor, e.action, e.letter_id, e.text_hash, e.detail)
            prev = e.hash
            last = e.id
        s.execute(update(AuditHead).where(AuditHead.id == 1).values(last_id=last, last_hash=prev))


def approve_entry(db, lid) -> int:
    with db.session() as s:
        return s.scalar(select(AuditEntry.id).where(AuditEntry.letter_id == lid, AuditEntry.action == "approve"))


def test_renaming_the_approver_and_recomputing_the_chain_is_found(db):
    svc, admin, writer, reviewer = setup(db)
    lid = submitted(svc, writer)
    svc.workflow.approve(reviewer, lid)
    svc.workflow.create(writer, "monthly_report", "後の手紙です。", {}, CheckContext())  # entries after it
    assert audit.verify(db).ok
    eid = approve_entry(db, lid)
    rewrite_chain(db, eid, actor=admin.name)
    result = audit.verify(db)
    assert not result.ok and result.broken_id == eid and "署名" in result.problem
    # removing the signature as well does not help: the person's entries must be signed
    rewrite_chain(db, eid, key_id=None, signature=None)
    result = audit.verify(db)
    assert not result.ok and result.broken_id == eid and "署名がありません" in result.problem


def test_a_changed_detail_with_a_recomputed_chain_is_found_by_the_later_signatures(db):
    svc, admin, writer, reviewer = setup(db)
    lid = submitted(svc, writer)
    svc.workflow.approve(reviewer, lid)
    with db.session() as s:
        first_login = s.scalar(select(AuditEntry.id).where(AuditEntry.action == "user_added").order_by(AuditEntry.id))
    rewrite_chain(db, first_login, detail="園長 北村 (admin reviewer)")
    result = audit.verify(db)
    assert not result.ok and result.broken_id == first_login


def test_a_reset_gives_a_new_key_and_old_approvals_still_verify(db, tmp_path):
    svc, admin, writer, reviewer = setup(db)
    lid = submitted(svc, writer)
    svc.workflow.approve(reviewer, lid)
    accounts.reset_password(db, reviewer.name, "hinoki-sugi-6630-mori", admin)
    again = accounts.authenticate(db, reviewer.name, "hinoki-sugi-6630-mori")
    assert again.key_id != reviewer.key_id and again.must_change_password
    with db.session() as s:
        old = s.get(UserKey, reviewer.key_id)
        assert old.replaced_at is not None and old.replaced_entry_id is not None  # kept, marked replaced
    # the old Actor (a window left open before the reset) may no longer act: its key was replaced
    second = submitted(svc, writer)
    refused(Refusal.ACCOUNT_CHANGED, svc.workflow.approve, reviewer, second)
    # the approval made with the old key still lets its letter out, and the log is intact
    svc.workflow.export(writer, lid, *out_file(tmp_path))
    assert audit.verify(db).ok


def test_changing_a_password_keeps_signing_working(db, tmp_path):
    svc, admin, writer, _ = setup(db)
    fresh = accounts.add_user(db, "看護 南野", ["reviewer"], "kusunoki-7711-aoba", admin)  # must change
    first = accounts.authenticate(db, fresh.name, "kusunoki-7711-aoba")
    own = accounts.change_password(db, first, "kusunoki-7711-aoba", "shirakaba-4420-nami")
    # the administrator knew the first password, so its key is replaced by one only the person can open
    assert own.key_id != first.key_id and not own.must_change_password
    later = accounts.change_password(db, own, "shirakaba-4420-nami", "karamatsu-9035-sora")
    assert later.key_id == own.key_id  # an ordinary change re-seals the same key
    logged_in = accounts.authenticate(db, fresh.name, "karamatsu-9035-sora")
    assert logged_in.key_id == own.key_id
    refused(Refusal.WRONG_PASSWORD, accounts.authenticate, db, fresh.name, "shirakaba-4420-nami")
    lid = submitted(svc, writer)
    svc.workflow.approve(logged_in, lid)
    svc.workflow.export(writer, lid, *out_file(tmp_path))
    result = audit.verify(db)
    assert result.ok, result.problem


def test_an_account_from_before_the_upgrade_gets_its_key_at_its_next_login(db, tmp_path):
    svc, admin, writer, _ = setup(db)
    with db.session() as s:  # an account as the previous version left it: no key at all
        s.add(User(name="相談員 森下", password_hash=accounts._hasher.hash("nanohana-3318-hoshi"), roles="reviewer",
                   active=True, failed_logins=0, must_change_password=False))
    lid = submitted(svc, writer)
    actor = accounts.authenticate(db, "相談員 森下", "nanohana-3318-hoshi")
    assert actor.key_id is not None and actor.signing_key is not None
    with db.session() as s:
        user = s.execute(select(User).where(User.name == "相談員 森下")).scalar_one()
        assert user.key_id == actor.key_id and user.sealed_key
        actions = [(e.actor, e.action) for e in s.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()][-2:]
        assert actions == [("相談員 森下", "key_registered"), ("相談員 森下", "login")]
    assert accounts.authenticate(db, "相談員 森下", "nanohana-3318-hoshi").key_id == actor.key_id
    svc.workflow.approve(actor, lid)
    svc.workflow.export(writer, lid, *out_file(tmp_path))
    result = audit.verify(db)
    assert result.ok, result.problem


def test_cli_export_with_a_forged_approval_exits_3(cli, staffed, tmp_path, db_url):  # noqa: F811
    """The probe of issue 21 through the command line: a hand-written approval row, the writer as approver."""
    from desktop_app.core.db import open_database

    letter, ctx = staffed
    lid = cli("letters", "new", str(letter), "--template", "monthly_report", "--context", str(ctx), "--as", "kaori",
              "--password-stdin", stdin="kaori-pass1\n")[1].strip()
    assert cli("letters", "submit", lid, "--as", "kaori", "--password-stdin", stdin="kaori-pass1\n")[0] == 0
    database = open_database(db_url, backup=False)
    try:
        with database.session() as s:
            writer_id = s.scalar(select(User.id).where(User.name == "kaori"))
        forge(database, int(lid), approver_id=writer_id)
    finally:
        database.dispose()
    out_docx = tmp_path / "forged.docx"
    code, _, err = cli("letters", "export", lid, "--out", str(out_docx), "--as", "kaori", "--password-stdin",
                       stdin="kaori-pass1\n")
    # refused; and at the command's start the unsigned row was voided and the letter sent back to review
    assert code == 3 and "確認待ち" in err and not out_docx.exists()
    database = open_database(db_url, backup=False)
    try:
        with database.session(write=False) as s:
            assert s.scalar(select(Letter.status).where(Letter.id == int(lid))) == "submitted"
            assert s.scalar(select(Approval.voided_at).where(Approval.letter_id == int(lid))) is not None
        assert audit.verify(database).ok
    finally:
        database.dispose()
