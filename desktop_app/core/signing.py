"""Personal signing keys: approvals and audit entries bound to a person, not just to a row that anyone with
write access to the database could insert.

Each account has an Ed25519 key pair. The public key is registered in `user_keys` (by an administrator's
signed audit entry); the private key is kept only sealed, with ChaCha20-Poly1305 under a key that argon2id
derives from the person's password (random salt and the cost parameters stored with the sealed blob, so the
parameters can be raised later without breaking old blobs). Only someone who knows the password can sign.

This module is pure cryptography (no database, no Qt): the rules about which key may sign what live in
`core/signatures.py`."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass

from argon2 import DEFAULT_MEMORY_COST, DEFAULT_PARALLELISM, DEFAULT_TIME_COST
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

SEAL_VERSION = 1
_AAD = b"careletter sealed signing key v1"
_ENTRY_DOMAIN = b"careletter audit entry v1\x00"
_APPROVAL_DOMAIN = "careletter approval v1"


@dataclass(frozen=True)
class KdfParams:
    """argon2id cost; the library's defaults (tests lower them through `signing.KDF`)."""

    time_cost: int = DEFAULT_TIME_COST
    memory_cost: int = DEFAULT_MEMORY_COST
    parallelism: int = DEFAULT_PARALLELISM


KDF = KdfParams()


class WrongPassword(ValueError):
    """The sealed key did not open: a wrong password, or a blob that was changed."""

    def __init__(self) -> None:
        super().__init__("署名の鍵を開けませんでした。パスワードが違うか、鍵が壊れています。")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _derive(password: str, salt: bytes, t: int, m: int, p: int) -> bytes:
    # surrogatepass: the same bytes for any str the login can hand over (never cut or replaced)
    return hash_secret_raw(password.encode("utf-8", "surrogatepass"), salt, time_cost=t, memory_cost=m,
                           parallelism=p, hash_len=32, type=Type.ID)


def public_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The raw 32-byte public key, base64: what `user_keys.public_key` stores."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return _b64(pub.public_bytes(Encoding.Raw, PublicFormat.Raw))


def fingerprint(public_key: str) -> str:
    """SHA-256 of the raw public key (hex): how an audit entry names the key it registers."""
    return hashlib.sha256(_unb64(public_key)).hexdigest()


def seal(private: Ed25519PrivateKey, password: str, kdf: KdfParams | None = None) -> str:
    """The private key encrypted under the password, as one JSON text (users.sealed_key)."""
    kdf = kdf or KDF
    salt, nonce = os.urandom(16), os.urandom(12)
    key = _derive(password, salt, kdf.time_cost, kdf.memory_cost, kdf.parallelism)
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    ct = ChaCha20Poly1305(key).encrypt(nonce, raw, _AAD)
    return json.dumps({"v": SEAL_VERSION, "kdf": "argon2id", "t": kdf.time_cost, "m": kdf.memory_cost,
                       "p": kdf.parallelism, "salt": _b64(salt), "nonce": _b64(nonce), "ct": _b64(ct)},
                      sort_keys=True, separators=(",", ":"))


def new_sealed_key(password: str) -> tuple[Ed25519PrivateKey, str, str]:
    """A fresh key pair: (private key, public key text, sealed private key)."""
    private = Ed25519PrivateKey.generate()
    return private, public_text(private), seal(private, password)


def unseal(sealed: str, password: str) -> Ed25519PrivateKey:
    """Open a sealed key. A wrong password (or a changed blob) raises WrongPassword."""
    try:
        blob = json.loads(sealed)
        if blob.get("v") != SEAL_VERSION or blob.get("kdf") != "argon2id":
            raise WrongPassword()
        key = _derive(password, _unb64(blob["salt"]), int(blob["t"]), int(blob["m"]), int(blob["p"]))
        raw = ChaCha20Poly1305(key).decrypt(_unb64(blob["nonce"]), _unb64(blob["ct"]), _AAD)
        return Ed25519PrivateKey.from_private_bytes(raw)
    except (InvalidTag, ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, WrongPassword):
            raise
        raise WrongPassword() from None


def sign(private: Ed25519PrivateKey, data: bytes) -> str:
    return _b64(private.sign(data))


def verify(public_key: str, data: bytes, signature: str | None) -> bool:
    """True only for a well-formed signature of `data` under `public_key`; never raises."""
    if not signature or not public_key:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(_unb64(public_key)).verify(_unb64(signature), data)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def entry_bytes(entry_hash: str) -> bytes:
    """What an audit entry's signature covers: its chain hash (which covers every field and the previous
    entry), with a domain prefix so that no audit signature can pass as an approval's."""
    return _ENTRY_DOMAIN + entry_hash.encode("ascii")


def approval_bytes(letter_id: int, version: int, body_sha: str, template_id: str, context_sha: str,
                   approver_id: int, approver_name: str, signed_at: str) -> bytes:
    """The canonical bytes an approval signature covers: JSON with sorted keys, no whitespace and UTF-8
    text, so that the same approval always gives the same bytes and no two approvals give the same ones."""
    return json.dumps({"kind": _APPROVAL_DOMAIN, "letter_id": int(letter_id), "version": int(version),
                       "body_sha256": body_sha, "template_id": template_id, "context_sha256": context_sha,
                       "approver_id": int(approver_id), "approver": approver_name, "signed_at": signed_at},
                      sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
