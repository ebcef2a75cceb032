"""The auth vault: a session's login kept sealed in Redis, with every version copied to Kafka."""

from __future__ import annotations

import logging
from pathlib import Path

from connectors.vault.backup import KafkaVaultBackup
from connectors.vault.profile import pack_login, unpack_login
from connectors.vault.sealing import VaultKeys
from connectors.vault.store import RedisVaultStore

__all__ = ["AuthVault"]

log = logging.getLogger(__name__)


class AuthVault:
    """Saves and restores the login of a session's browser profile.

    ``keys`` seal and open the blobs; ``store`` is the fast copy (Redis, with a TTL);
    ``backup`` the durable one (the compacted ``wa.vault-backup`` topic), read only when Redis
    has lost a session's login.
    """

    def __init__(self, keys: VaultKeys, store: RedisVaultStore, backup: KafkaVaultBackup) -> None:
        self._keys = keys
        self._store = store
        self._backup = backup

    async def save(self, session_id: str, version: int, profile_dir: Path) -> bool:
        """Seal the profile's login as ``version``; False when a newer version is stored."""
        blob = self._keys.seal(session_id, version, pack_login(profile_dir))
        stored = await self._store.put(blob)
        if stored:
            await self._backup.put(blob)
        return stored

    async def restore(
        self, session_id: str, profile_dir: Path, *, known_login: bool = True
    ) -> int | None:
        """Unpack the newest login into ``profile_dir``; answers its version, or None.

        When Redis has no login, the backup topic is read only if ``known_login`` (the caller
        knows the session was linked): a session never linked costs no read of the topic.
        """
        blob = await self._store.get(session_id)
        if blob is None:
            if not known_login:
                return None
            blob = await self._backup.latest(session_id)
            if blob is None:
                return None
            log.info(
                "login of %s restored from the backup topic",
                session_id,
                extra={"session_id": session_id, "version": blob.version},
            )
            await self._store.put(blob)
        unpack_login(self._keys.open(blob), profile_dir)
        return blob.version

    async def delete(self, session_id: str) -> None:
        """Forget the login everywhere (logout)."""
        await self._store.delete(session_id)
        await self._backup.delete(session_id)
