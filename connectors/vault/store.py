"""The vault's Redis side: one hash per session, written only by a newer version, with a TTL."""

from __future__ import annotations

from typing import cast

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from connectors.vault.exceptions import VaultError
from connectors.vault.sealing import SealedBlob

__all__ = ["RedisVaultStore"]

# Monotonic versions: an older version never overwrites a newer one, even when two workers
# race during a partition move.
_PUT_IF_NEWER = """
local current = redis.call('HGET', KEYS[1], 'version')
if current and tonumber(current) >= tonumber(ARGV[1]) then
  return tonumber(current)
end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'key_id', ARGV[2], 'nonce', ARGV[3],
           'ciphertext', ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 0
"""


class RedisVaultStore:
    """Sealed logins in Redis under ``<prefix><session_id>``, kept ``ttl_s`` after each write."""

    def __init__(self, client: aioredis.Redis, *, ttl_s: int, prefix: str = "wa:vault:") -> None:
        self._client = client
        self._ttl_s = ttl_s
        self._prefix = prefix
        self._put = client.register_script(_PUT_IF_NEWER)

    def _key(self, session_id: str) -> str:
        return self._prefix + session_id

    async def put(self, blob: SealedBlob) -> bool:
        """Store ``blob``; False when Redis already holds this or a newer version."""
        try:
            newer = await self._put(
                keys=[self._key(blob.session_id)],
                args=[blob.version, blob.key_id, blob.nonce, blob.ciphertext, self._ttl_s],
            )
        except RedisError as exc:
            raise VaultError(f"cannot store the login of {blob.session_id}: {exc}") from exc
        return int(cast(int, newer)) == 0

    async def get(self, session_id: str) -> SealedBlob | None:
        try:
            fields = cast(
                dict[bytes, bytes],
                await self._client.hgetall(self._key(session_id)),
            )
        except RedisError as exc:
            raise VaultError(f"cannot read the login of {session_id}: {exc}") from exc
        if not fields:
            return None
        return SealedBlob(
            session_id=session_id,
            version=int(fields[b"version"]),
            key_id=fields[b"key_id"].decode(),
            nonce=fields[b"nonce"],
            ciphertext=fields[b"ciphertext"],
        )

    async def delete(self, session_id: str) -> None:
        try:
            await self._client.delete(self._key(session_id))
        except RedisError as exc:
            raise VaultError(f"cannot delete the login of {session_id}: {exc}") from exc
