"""The audit log: append-only and hash-chained, so a changed or deleted row is detected. It records who
did what to which letter and the hash of the text, never the text itself (no personal data spreads)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from desktop_app.core import signatures
from desktop_app.core.audit_head import Head, LoggedTexts, check_texts, head, parse_expect
from desktop_app.core.db import Database
from desktop_app.core.db.models import AuditEntry, AuditHead, utcnow

GENESIS = "0" * 64
EMPTY_LOG = "no audit entries: 記録がありません（新しいデータベースか、記録がすべて消されています）"
CHAIN_LOCK_KEY = 0x6361726531  # PostgreSQL advisory lock held while one entry is appended

ACTIONS_JA = {
    "login": "ログイン", "login_failed": "ログイン失敗", "create": "作成", "edit": "編集", "submit": "確認依頼",
    "approve": "承認", "return": "差し戻し", "edit_after_approval": "承認後の編集（承認取消）", "export": "書き出し",
    "policy_change": "承認ルールの変更", "user_added": "職員の追加", "user_removed": "職員の利用停止",
    "user_roles_changed": "職員の役割の変更", "user_deactivated": "職員の利用停止", "user_reactivated": "職員の利用再開",
    "password_reset": "パスワードの再設定", "password_changed": "パスワードの変更",
    "facility_set": "施設情報の設定", "comment": "コメント", "accept_finding": "指摘の了承", "propose": "確認済みの提案", "withdraw": "確認済みの取り消し",
    "request_withdrawn": "確認依頼の取り下げ", "derive": "送付済みの手紙から作成",
    "retention_purge": "保存期間切れの削除", "retention_change": "保存期間の変更",
    "export_folder_change": "書き出し先フォルダーの変更", "key_registered": "署名の鍵の登録",
    "export_failed": "書き出しの失敗", "reapproval_needed": "再承認の依頼（署名のない承認）", "export_renamed": "書き出しの名前の修復", "export_unfinished": "書き出しの未完了",
}


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def now_text() -> str:
    return utcnow().isoformat(timespec="microseconds")


def _entry_hash(prev_hash: str, at: str, actor: str, action: str, letter_id: int | None,
                thash: str, detail: str) -> str:
    payload = "\x1f".join([prev_hash, at, actor, action,
                           "" if letter_id is None else str(letter_id), thash, detail])
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def append(s: Session, actor: str, action: str, letter_id: int | None = None, text_sha: str = "",
           detail: str = "", signer: Callable[[str], tuple[int, str]] | None = None) -> AuditEntry:
    """Add one entry inside the caller's transaction. The head row is locked (FOR UPDATE on PostgreSQL,
    the write lock on SQLite), so entries from several PCs form one chain. `signer(entry_hash)` gives the
    actor's (key id, signature) over the entry (core/signatures.py says which entries must have one)."""
    if s.get_bind().dialect.name == "postgresql":
        # also covers the very first entry, when there is no head row yet to lock
        s.execute(sql("SELECT pg_advisory_xact_lock(:k)"), {"k": CHAIN_LOCK_KEY})
    head = s.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, last_id=0, last_hash=GENESIS)
        s.add(head)
        s.flush()
    at = now_text()
    detail = detail[:500]
    h = _entry_hash(head.last_hash, at, actor, action, letter_id, text_sha, detail)
    entry = AuditEntry(at=at, actor=actor, action=action, letter_id=letter_id, text_hash=text_sha, detail=detail,
                       prev_hash=head.last_hash, hash=h)
    if signer is not None:
        entry.key_id, entry.signature = signer(h)
    s.add(entry)
    s.flush()
    head.last_id, head.last_hash = entry.id, h
    return entry


def head_in(s: Session) -> tuple[int, str]:
    """(number of entries, the newest entry's hash) as this transaction sees the chain: the entries up to
    the head row's last id (appends lock the head row, so every one of them is committed)."""
    row = s.get(AuditHead, 1)
    if row is None:
        return 0, GENESIS
    count = s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.id <= row.last_id)) or 0
    return int(count), row.last_hash


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    problem: str = ""


def verify(db: Database, batch: int = 5000, expect: Head | str | None = None) -> VerifyResult:
    """Walk the chain in id order: each entry's hash must match its fields and the previous entry's hash,
    and the last one must be the head (a deleted newest row is caught there). Then, in turn: the head kept
    outside (`expect`, COUNT:HASH or an anchor file) must still be in the log at its place; every stored
    text must match the log. An empty log is a finding too: a log emptied completely looks just like one."""
    if isinstance(expect, str):
        expect = parse_expect(expect)  # BadExpect: the caller's input (CLI exit 2)
    logged = LoggedTexts()
    with db.session(write=False) as s:
        con = s.connection()  # plain rows: 100,000 ORM objects would cost more than the hashing
        result = _verify_chain(s, con, batch, expect, logged)
        if result.ok:
            text_problem = check_texts(con, logged)
            if text_problem is not None:
                result = VerifyResult(False, result.checked, None, text_problem.problem)
    return result


def _verify_chain(s: Session, con, batch: int, expect: Head | None, logged: LoggedTexts) -> VerifyResult:
    prev = GENESIS
    checked = 0
    last_id = 0
    expected_seen = expect is None
    head_row = s.get(AuditHead, 1)
    cols = (AuditEntry.id, AuditEntry.at, AuditEntry.actor, AuditEntry.action, AuditEntry.letter_id,
            AuditEntry.text_hash, AuditEntry.detail, AuditEntry.prev_hash, AuditEntry.hash,
            AuditEntry.key_id, AuditEntry.signature)
    signed = signatures.EntrySignatures(con)
    after = 0
    while True:
        rows = con.execute(select(*cols).where(AuditEntry.id > after).order_by(AuditEntry.id).limit(batch)).all()
        if not rows:
            break
        for r in rows:
            if r.prev_hash != prev:
                return VerifyResult(False, checked, r.id, "前の記録とのつながりが切れています（記録の削除または改ざん）")
            if _entry_hash(r.prev_hash, r.at, r.actor, r.action, r.letter_id, r.text_hash, r.detail) != r.hash:
                return VerifyResult(False, checked, r.id, "記録の内容が書き換えられています")
            if problem := signed.problem(r):
                return VerifyResult(False, checked, r.id, problem)
            prev = r.hash
            last_id = r.id
            checked += 1
            logged.add(r.action, r.letter_id, r.text_hash, r.detail)
            if expect is not None and checked == expect.count:
                if r.hash != expect.hash:
                    return VerifyResult(False, checked, r.id, f"控えの先頭（{expect.count}件目）と違います："
                                        "それまでの記録が書き換えられています")
                expected_seen = True
        after = rows[-1].id
    if head_row is None:
        if checked:
            return VerifyResult(False, checked, last_id, "記録の先頭情報がありません")
    elif head_row.last_id != last_id or head_row.last_hash != prev:
        return VerifyResult(False, checked, head_row.last_id or last_id, "最新の記録が削除されています")
    if not expected_seen:
        return VerifyResult(False, checked, None, f"控えの先頭は{expect.count}件目ですが、記録は{checked}件しかありません："
                            "最新の記録が削除されています")
    if checked == 0:
        return VerifyResult(False, 0, None, EMPTY_LOG)
    return VerifyResult(True, checked)


__all__ = ["GENESIS", "Head", "append", "entries", "head", "text_hash", "verify"]


def entries(db: Database, letter_id: int | None = None) -> Iterator[AuditEntry]:
    with db.session(write=False) as s:
        q = select(AuditEntry).order_by(AuditEntry.id)
        if letter_id is not None:
            q = q.where(AuditEntry.letter_id == letter_id)
        yield from s.execute(q).scalars().all()
