"""Signing keys on their own: a sealed key opens only with its password, signatures bind exact bytes, and the
approval's canonical bytes are stable and unambiguous."""

from __future__ import annotations

import json

import pytest

from desktop_app.core import signing
from desktop_app.core.accounts import Actor

PASSWORD = "sakura-kiku-7391-umi"


def test_a_sealed_key_opens_with_its_password_and_signs_verifiably():
    private, public, sealed = signing.new_sealed_key(PASSWORD)
    opened = signing.unseal(sealed, PASSWORD)
    assert signing.public_text(opened) == public
    sig = signing.sign(opened, b"approval bytes")
    assert signing.verify(public, b"approval bytes", sig)
    assert not signing.verify(public, b"approval bytes!", sig)
    assert not signing.verify(public, b"approval bytes", None)
    assert not signing.verify(public, b"approval bytes", "not base64 at all")
    other = signing.public_text(signing.Ed25519PrivateKey.generate())
    assert not signing.verify(other, b"approval bytes", sig)


def test_a_wrong_password_or_a_changed_blob_is_a_clear_error():
    _private, _public, sealed = signing.new_sealed_key(PASSWORD)
    with pytest.raises(signing.WrongPassword) as info:
        signing.unseal(sealed, "sakura-kiku-7391-umj")
    assert "パスワードが違う" in str(info.value)
    blob = json.loads(sealed)
    blob["ct"] = blob["ct"][:-4] + ("AAAA" if blob["ct"][-4:] != "AAAA" else "BBBB")
    with pytest.raises(signing.WrongPassword):
        signing.unseal(json.dumps(blob), PASSWORD)
    with pytest.raises(signing.WrongPassword):
        signing.unseal("{not json", PASSWORD)


def test_the_seal_keeps_its_salt_and_cost_so_a_blob_made_with_other_parameters_still_opens(monkeypatch):
    private = signing.Ed25519PrivateKey.generate()
    sealed = signing.seal(private, PASSWORD, signing.KdfParams(time_cost=2, memory_cost=2048, parallelism=1))
    blob = json.loads(sealed)
    assert (blob["kdf"], blob["t"], blob["m"], blob["p"]) == ("argon2id", 2, 2048, 1) and len(blob["salt"]) >= 20
    monkeypatch.setattr(signing, "KDF", signing.KdfParams(time_cost=1, memory_cost=1024, parallelism=1))
    assert signing.public_text(signing.unseal(sealed, PASSWORD)) == signing.public_text(private)
    # the same key sealed twice gives two different blobs (fresh salt and nonce)
    assert signing.seal(private, PASSWORD) != signing.seal(private, PASSWORD)


def test_approval_bytes_are_stable_and_every_field_counts():
    fields = dict(letter_id=7, version=2, body_sha="a" * 64, template_id="monthly_report", context_sha="b" * 64,
                  approver_id=3, approver_name="確認 花子", signed_at="2031-04-01T09:00:00.000000")
    base = signing.approval_bytes(**fields)
    assert base == signing.approval_bytes(**fields)
    assert json.loads(base.decode("utf-8"))["approver"] == "確認 花子"
    for name, other in (("letter_id", 8), ("version", 3), ("body_sha", "c" * 64), ("template_id", "thanks"),
                        ("context_sha", "d" * 64), ("approver_id", 4), ("approver_name", "確認 花"),
                        ("signed_at", "2031-04-01T09:00:00.000001")):
        assert signing.approval_bytes(**{**fields, name: other}) != base, name
    # an audit entry's signature can never pass for an approval's
    assert not signing.entry_bytes("a" * 64).startswith(b"{")


def test_an_actor_never_shows_its_key():
    private = signing.Ed25519PrivateKey.generate()
    actor = Actor(1, "確認 花子", frozenset({"reviewer"}), key_id=5, signing_key=private)
    assert "signing_key" not in repr(actor) and "Ed25519" not in repr(actor) and "key_id" not in repr(actor)
    assert actor == Actor(1, "確認 花子", frozenset({"reviewer"}))
