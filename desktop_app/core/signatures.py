"""Which key may sign what: the rules that bind approvals and audit entries to a person.

- A public key counts only once an audit entry registers it: the entry's text hash is the key's
  fingerprint (signing.fingerprint), and the entry is signed. Registered by
  (a) an administrator's act on that person (職員の追加, パスワードの再設定), signed with the administrator's key;
  (b) the person's first key itself: the facility's first administrator, and an account from before signing
      keys existed, which gets its key at its next login (「署名の鍵の登録」);
  (c) another key of the same person: the new key made when a person replaces a password an administrator
      gave them (the administrator knew that password, so the key sealed under it is not kept).
- Every entry of a person from their first key's registration on is signed with one of their keys, registered
  no later than the entry and not yet replaced (by a reset) when it was written. Failed logins are never
  signed (the key is sealed under the password that did not match).
- An approval holds only with a signature over signing.approval_bytes(...) under a registered key of the
  approver.

What signatures cannot show: entries and approvals from before the upgrade, and a database rolled back as a
whole (keys, signatures and all) to a state without keys; an outside copy of the chain's head catches that.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.core import signing
from desktop_app.core.db.models import Approval, AuditEntry, Letter, User, UserKey

UNSIGNED_ACTIONS = frozenset({"login_failed"})
ADMIN_REGISTRATIONS = frozenset({"user_added", "password_reset"})


@dataclass(frozen=True)
class _Key:
    id: int
    user_id: int
    public_key: str
    registered_entry_id: int | None
    replaced_entry_id: int | None


def _registration_problem(key: _Key, entry, signer: _Key | None, first_key_id: int | None) -> str:
    """Why `entry` does not register `key` ("" when it does). `signer` is the key that signed the entry,
    already checked against the entry's hash."""
    if entry is None or entry.text_hash != signing.fingerprint(key.public_key):
        return "署名の鍵の登録記録が見つからないか、別の鍵を指しています"
    if signer is None:
        return "署名の鍵の登録記録に署名がありません"
    if signer.id == key.id:
        return "" if key.id == first_key_id else "自分の鍵で自分を登録できるのは最初の鍵だけです"
    if signer.user_id == key.user_id:
        return ""  # a person's next key, registered with their earlier one
    if entry.action not in ADMIN_REGISTRATIONS:
        return "署名の鍵が管理者の操作で登録されていません"
    return ""


class EntrySignatures:
    """The signature rules for `audit.verify`'s walk, with every key and account read once."""

    def __init__(self, con) -> None:
        self.keys = {r.id: _Key(r.id, r.user_id, r.public_key, r.registered_entry_id, r.replaced_entry_id)
                     for r in con.execute(select(UserKey.id, UserKey.user_id, UserKey.public_key,
                                                 UserKey.registered_entry_id, UserKey.replaced_entry_id))}
        self.names = dict(con.execute(select(User.id, User.name)).all())
        self.by_name = {n: i for i, n in self.names.items()}
        self.first_key: dict[int, int] = {}
        for k in sorted(self.keys.values(), key=lambda k: k.id):
            self.first_key.setdefault(k.user_id, k.id)
        self.by_entry: dict[int, list[_Key]] = {}
        for k in self.keys.values():
            if k.registered_entry_id is not None:
                self.by_entry.setdefault(k.registered_entry_id, []).append(k)

    def signed_from(self, user_id: int) -> int | None:
        """The entry from which on this person's entries must be signed: their first key's registration."""
        first = self.keys.get(self.first_key.get(user_id, -1))
        return first.registered_entry_id if first is not None else None

    def problem(self, r) -> str:
        """Why the entry row `r` (id, actor, action, text_hash, hash, key_id, signature) breaks the signature
        rules, or ""."""
        signer = None
        if r.signature or r.key_id is not None:
            signer = self.keys.get(r.key_id)
            if signer is None:
                return "登録されていない鍵で署名されています"
            if self.names.get(signer.user_id) != r.actor:
                return "署名した職員と記録の職員名が一致しません（記録の書き換え）"
            if not signing.verify(signer.public_key, signing.entry_bytes(r.hash), r.signature):
                return "記録の署名が一致しません（記録の書き換え）"
            if signer.registered_entry_id is None or signer.registered_entry_id > r.id:
                return "登録される前の鍵で署名されています"
            if signer.replaced_entry_id is not None and r.id > signer.replaced_entry_id:
                return "パスワードの再設定で置き換えられた鍵で署名されています"
        elif r.action not in UNSIGNED_ACTIONS:
            uid = self.by_name.get(r.actor)
            start = self.signed_from(uid) if uid is not None else None
            if start is not None and r.id >= start:
                return "職員の記録に署名がありません（記録の書き換え）"
        for key in self.by_entry.get(r.id, ()):
            why = _registration_problem(key, r, signer, self.first_key.get(key.user_id))
            if why:
                return why
        return ""


def approval_problem(s: Session, ap: Approval, letter: Letter) -> str:
    """Why the export gate must not honour `ap` ("" when its signature binds it to its approver): no
    signature, a key that is not the approver's registered key, or a signature that does not cover exactly
    this letter, version, text, template, context, approver and time."""
    if not ap.signature or ap.key_id is None or ap.approver_id is None:
        return "この承認には確認者の署名がありません。確認者にもう一度承認してもらってください。"
    key = s.get(UserKey, ap.key_id)
    approver = s.get(User, ap.approver_id)
    if key is None or approver is None or key.user_id != approver.id:
        return "承認の署名が、承認した職員に登録された鍵のものではありません。確認者にもう一度承認してもらってください。"
    if "reviewer" not in approver.role_set or approver.id in (letter.writer_id, letter.last_editor_id):
        return "この承認は確認者本人以外（作成者など）のものです。別の確認者に承認してもらってください。"
    data = signing.approval_bytes(letter.id, ap.version_number or 0, ap.body_sha, ap.template_id, ap.context_sha,
                                  approver.id, approver.name, ap.signed_at or "")
    if not signing.verify(key.public_key, data, ap.signature):
        return "承認の署名が正しくありません（承認の記録が書き換えられています）。確認者にもう一度承認してもらってください。"
    entry = s.get(AuditEntry, key.registered_entry_id) if key.registered_entry_id is not None else None
    signer = None
    if entry is not None and entry.key_id is not None:
        row = s.get(UserKey, entry.key_id)
        if row is not None and signing.verify(row.public_key, signing.entry_bytes(entry.hash), entry.signature):
            signer = _Key(row.id, row.user_id, row.public_key, row.registered_entry_id, row.replaced_entry_id)
    first = s.scalar(select(UserKey.id).where(UserKey.user_id == approver.id).order_by(UserKey.id).limit(1))
    if _registration_problem(_Key(key.id, key.user_id, key.public_key, key.registered_entry_id,
                                  key.replaced_entry_id), entry, signer, first):
        return "承認に使われた鍵の登録が確かめられません。確認者にもう一度承認してもらってください。"
    return ""
