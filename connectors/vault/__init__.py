"""The auth vault: WhatsApp Web logins sealed (AES-256-GCM) in Redis and backed up to Kafka."""

from __future__ import annotations

from connectors.vault.backup import KafkaVaultBackup
from connectors.vault.exceptions import VaultError, VaultIntegrityError, VaultKeyError
from connectors.vault.profile import LOGIN_PARTS, pack_login, unpack_login
from connectors.vault.sealing import SealedBlob, VaultKeys
from connectors.vault.store import RedisVaultStore
from connectors.vault.vault import AuthVault

__all__ = [
    "LOGIN_PARTS",
    "AuthVault",
    "KafkaVaultBackup",
    "RedisVaultStore",
    "SealedBlob",
    "VaultError",
    "VaultIntegrityError",
    "VaultKeyError",
    "VaultKeys",
    "pack_login",
    "unpack_login",
]
