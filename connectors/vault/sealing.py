"""Sealing a login: compressed, then AES-256-GCM with a key id and bound associated data."""

from __future__ import annotations

import base64
import binascii
import os
import zlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from connectors.vault.exceptions import VaultIntegrityError, VaultKeyError

__all__ = ["SealedBlob", "VaultKeys"]

_NONCE_BYTES = 12


@dataclass(frozen=True)
class SealedBlob:
    """One encrypted version of a session's login."""

    session_id: str
    version: int
    key_id: str
    nonce: bytes
    ciphertext: bytes


def _associated_data(session_id: str, version: int) -> bytes:
    # binds a blob to its session and version: a blob copied under another session id, or
    # replayed as another version, fails to decrypt
    return f"wastream-vault/v1\x00{session_id}\x00{version}".encode()


class VaultKeys:
    """The vault's AES-256 keys by key id; the first one encrypts, every one decrypts.

    ``spec`` is ``WASTREAM_VAULT_KEYS``: ``kid:base64key[,kid:base64key…]`` with 32-byte keys.
    Rotating is putting a new key first and keeping the old ones until every blob was
    re-sealed (each new version is sealed with the first key).
    """

    def __init__(self, spec: str) -> None:
        keys: dict[str, AESGCM] = {}
        for item in (part.strip() for part in spec.split(",")):
            if not item:
                continue
            key_id, sep, encoded = item.partition(":")
            if not sep or not key_id:
                raise VaultKeyError(f"vault key {key_id or item[:8]!r}: expected `kid:base64key`")
            try:
                raw = base64.b64decode(encoded, validate=True)
            except binascii.Error as exc:
                raise VaultKeyError(f"vault key {key_id!r} is not valid base64") from exc
            if len(raw) != 32:
                raise VaultKeyError(f"vault key {key_id!r} has {len(raw)} bytes, expected 32")
            if key_id in keys:
                raise VaultKeyError(f"vault key id {key_id!r} appears twice")
            keys[key_id] = AESGCM(raw)
        if not keys:
            raise VaultKeyError(
                "no auth vault key: set WASTREAM_VAULT_KEYS to `kid:base64(32 random bytes)`, "
                'e.g. `k1:$(python -c "import os,base64;print(base64.b64encode(os.urandom(32))'
                '.decode())")`'
            )
        self._keys = keys
        self.current_key_id = next(iter(keys))

    @staticmethod
    def generate(key_id: str = "k1") -> str:
        """A new ``kid:base64key`` spec with a random key."""
        return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"

    def seal(self, session_id: str, version: int, plaintext: bytes) -> SealedBlob:
        nonce = os.urandom(_NONCE_BYTES)
        cipher = self._keys[self.current_key_id]
        ciphertext = cipher.encrypt(
            nonce, zlib.compress(plaintext, 6), _associated_data(session_id, version)
        )
        return SealedBlob(session_id, version, self.current_key_id, nonce, ciphertext)

    def open(self, blob: SealedBlob) -> bytes:
        cipher = self._keys.get(blob.key_id)
        if cipher is None:
            raise VaultKeyError(
                f"the login of {blob.session_id} is sealed with key {blob.key_id!r}, "
                "which WASTREAM_VAULT_KEYS does not hold"
            )
        try:
            compressed = cipher.decrypt(
                blob.nonce, blob.ciphertext, _associated_data(blob.session_id, blob.version)
            )
        except InvalidTag as exc:
            raise VaultIntegrityError(
                f"the login of {blob.session_id} (version {blob.version}) failed authentication"
            ) from exc
        try:
            return zlib.decompress(compressed)
        except zlib.error as exc:
            raise VaultIntegrityError(f"the login of {blob.session_id} is corrupt") from exc
