from __future__ import annotations

import dataclasses

import pytest

import connectors.vault
from connectors.vault import VaultIntegrityError, VaultKeyError, VaultKeys


def test_public_surface() -> None:
    assert sorted(connectors.vault.__all__) == [
        "AuthVault",
        "KafkaVaultBackup",
        "LOGIN_PARTS",
        "RedisVaultStore",
        "SealedBlob",
        "VaultError",
        "VaultIntegrityError",
        "VaultKeyError",
        "VaultKeys",
        "pack_login",
        "unpack_login",
    ]


def test_seal_and_open_round_trip() -> None:
    keys = VaultKeys(VaultKeys.generate("k1"))
    data = b"indexeddb" * 1000
    blob = keys.seal("alice", 3, data)
    assert blob.key_id == "k1"
    assert len(blob.nonce) == 12
    assert len(blob.ciphertext) < len(data)  # compressed before encryption
    assert keys.open(blob) == data


def test_each_seal_uses_a_new_nonce() -> None:
    keys = VaultKeys(VaultKeys.generate())
    assert keys.seal("a", 1, b"x").nonce != keys.seal("a", 1, b"x").nonce


@pytest.mark.parametrize(
    "change", [{"session_id": "mallory"}, {"version": 4}, {"ciphertext": b"\x00" * 40}]
)
def test_a_blob_moved_to_another_session_or_version_fails(change: dict[str, object]) -> None:
    keys = VaultKeys(VaultKeys.generate())
    blob = dataclasses.replace(keys.seal("alice", 3, b"secret"), **change)  # type: ignore[arg-type]
    with pytest.raises(VaultIntegrityError):
        keys.open(blob)


def test_rotation_keeps_old_blobs_readable() -> None:
    old = VaultKeys.generate("k1")
    blob = VaultKeys(old).seal("alice", 1, b"login")
    rotated = VaultKeys(f"{VaultKeys.generate('k2')},{old}")
    assert rotated.current_key_id == "k2"
    assert rotated.open(blob) == b"login"
    assert rotated.seal("alice", 2, b"login").key_id == "k2"


def test_a_blob_of_an_unknown_key_names_it() -> None:
    blob = VaultKeys(VaultKeys.generate("gone")).seal("alice", 1, b"x")
    with pytest.raises(VaultKeyError, match="gone"):
        VaultKeys(VaultKeys.generate("k1")).open(blob)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "WASTREAM_VAULT_KEYS"),
        ("k1", "kid:base64key"),
        ("k1:not base64!", "base64"),
        ("k1:AAAA", "32"),
    ],
)
def test_bad_key_specs_refuse_with_a_clear_message(spec: str, message: str) -> None:
    with pytest.raises(VaultKeyError, match=message):
        VaultKeys(spec)


def test_a_repeated_key_id_is_refused() -> None:
    key = VaultKeys.generate("k1")
    with pytest.raises(VaultKeyError, match="twice"):
        VaultKeys(f"{key},{key}")
