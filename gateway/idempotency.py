"""``Idempotency-Key``: the same key from the same tenant, within ``WASTREAM_IDEMPOTENCY_TTL_S``,
answers the same ``command_id`` and publishes one record.

A key's Redis value is ``<state>|<command_id>|<request hash>``:

- ``P`` pending: claimed atomically (in the admission script) before publishing; it lapses
  after ``pending_ttl_ms`` should the gateway die mid-publish. A duplicate arriving meanwhile
  waits for the outcome, then gets the same answer or a 409.
- ``D`` done: Kafka acknowledged the record; replays answer its ``command_id``.
- ``F`` failed: the publish failed. The claim is released, but the ``command_id`` is kept, so
  the retry publishes under the same id: if the failed attempt's record was stored after all,
  the workers see one command twice and execute it once.

The request hash (method, path, body) makes reusing a key for a different request a 422.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.exceptions import BackendUnavailableError
from gateway.problems import Problem

__all__ = [
    "IDEMPOTENCY_KEY_SCHEMA",
    "IDEMPOTENCY_LUA",
    "IdempotencyClaim",
    "IdempotencyStore",
    "parse_idempotency_key",
]

_KEY = re.compile(r"[\x21-\x7e]{1,255}")

# The header's JSON Schema in the OpenAPI document: exactly what parse_idempotency_key accepts.
IDEMPOTENCY_KEY_SCHEMA: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": 255,
    "pattern": f"^{_KEY.pattern}$",
}

# idem_held(key, hash) -> code or nil, the held command id (or nil), the key's remaining ms.
IDEMPOTENCY_LUA = """
local function idem_held(key, hash)
  local held = redis.call('GET', key)
  if not held then return nil, nil, 0 end
  local state, held_cid, held_hash = string.match(held, '^(%u)|([^|]*)|(.*)$')
  if held_hash ~= hash then return 'mismatch', held_cid, 0 end
  if state == 'D' then return 'replay', held_cid, 0 end
  if state == 'P' then return 'busy', held_cid, redis.call('PTTL', key) end
  return nil, held_cid, 0
end
"""


class IdempotencyClaim:
    """One request's key (scoped by tenant) and the hash of what it asks."""

    __slots__ = ("key", "request_hash")

    def __init__(self, tenant: str, key: str, method: str, path: str, body: bytes) -> None:
        self.key = f"wastream:idem:{tenant}:{key}"
        digest = hashlib.blake2b(digest_size=16)
        digest.update(method.encode())
        digest.update(b"\0")
        digest.update(path.encode())
        digest.update(b"\0")
        digest.update(body)
        self.request_hash = digest.hexdigest()


def parse_idempotency_key(value: str | None) -> str | None:
    """The header's key, None when absent; a 422 problem when malformed."""
    if value is None:
        return None
    if _KEY.fullmatch(value) is None:
        raise Problem(
            422,
            "an Idempotency-Key is 1 to 255 visible ASCII characters",
            field="Idempotency-Key",
        )
    return value


class IdempotencyStore:
    """Records the outcome of a claimed key (``ttl_s``: how long a done key holds)."""

    def __init__(self, redis: Redis, ttl_s: int) -> None:
        self._redis = redis
        self._ttl_s = ttl_s

    async def complete(self, claim: IdempotencyClaim, command_id: str) -> None:
        await self._set(claim, "D", command_id)

    async def fail(self, claim: IdempotencyClaim, command_id: str) -> None:
        await self._set(claim, "F", command_id)

    async def _set(self, claim: IdempotencyClaim, state: str, command_id: str) -> None:
        try:
            await self._redis.set(
                claim.key, f"{state}|{command_id}|{claim.request_hash}", ex=self._ttl_s
            )
        except (RedisError, OSError) as exc:
            raise BackendUnavailableError(f"Redis: {exc}") from exc
