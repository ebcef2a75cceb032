"""Session ownership, and the read side of session state.

A session id belongs to the tenant that first created it (``POST /v1/sessions`` claims it in
Redis, once and for good): only that tenant may command it (another tenant gets 403, creating it
again from another tenant 409), and commanding a session never created answers 404. The check
is a Lua fragment run inside the admission script of :mod:`gateway.admission`. A claim Redis
lost is restored from the session's snapshot in the workers' sessions table, which names the
tenant and is rebuilt from its changelog (:meth:`SessionStateReader.restore_owner`).

:class:`SessionStateReader` answers the read endpoints with one Redis read each: the session
snapshots the workers' sessions table keeps in Redis, and the terminal command results of their
ledger (key layout in :mod:`streams.store`; :mod:`streams.readers` imports no Faust).
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import ConnectionPool, Redis

from schemas.codec import AvroCodec
from streams.readers import read_command_result, read_session

__all__ = ["OWNERSHIP_LUA", "SessionStateReader", "owner_key"]

# owner_check(owner_key, tenant, mode) -> owner (or false), refusal code (or nil).
OWNERSHIP_LUA = """
local function owner_check(key, tenant, mode)
  local owner = redis.call('GET', key)
  if mode == 'create' then
    if owner and owner ~= tenant then return owner, 'taken' end
  elseif not owner then
    return owner, 'unknown'
  elseif owner ~= tenant then
    return owner, 'forbidden'
  end
  return owner, nil
end
"""


def owner_key(session_id: str) -> str:
    return f"wastream:session-owner:{session_id}"


class SessionStateReader:
    """Reads what the workers publish about sessions and commands."""

    def __init__(self, redis: Redis, codec: AvroCodec | None = None) -> None:
        # snapshots are Avro bytes: a client of the same server that does not decode replies
        pool = redis.connection_pool
        kwargs = {**pool.connection_kwargs, "decode_responses": False}
        self._redis = Redis(
            connection_pool=ConnectionPool(connection_class=pool.connection_class, **kwargs)
        )
        self._codec = codec if codec is not None else AvroCodec()

    async def aclose(self) -> None:
        await self._redis.aclose(close_connection_pool=True)

    async def session(self, session_id: str) -> dict[str, Any] | None:
        """The session's latest snapshot (``SessionSnapshot`` fields), if a worker wrote one."""
        return await read_session(self._redis, self._codec, session_id)

    async def restore_owner(self, session_id: str) -> bool:
        """Claim ``session_id`` again for the tenant its snapshot names, when Redis lost the
        claim (a restart without persistence, a flush) but the workers' sessions table still
        knows the session. Answers whether a claim now exists."""
        snapshot = await self.session(session_id)
        if snapshot is None or not snapshot["tenant_id"]:
            return False
        await self._redis.set(owner_key(session_id), snapshot["tenant_id"], nx=True)
        return True

    async def command(self, tenant: str, command_id: str) -> dict[str, Any] | None:
        """The command's terminal result (``CommandResult`` fields), if a worker wrote one and
        it is the tenant's own (another tenant's command is as unknown as a missing one)."""
        result = await read_command_result(self._redis, command_id)
        if result is None or result.get("tenant_id") != tenant:
            return None
        return result
