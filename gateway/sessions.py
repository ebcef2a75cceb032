"""Session ownership, and the read side of session state.

A session id belongs to the tenant that first created it (``POST /v1/sessions`` claims it in
Redis, once and for good): only that tenant may command it (another tenant gets 403, creating it
again from another tenant 409), and commanding a session never created answers 404. The check
is a Lua fragment run inside the admission script of :mod:`gateway.admission`.

:class:`SessionStateReader` answers the read endpoints. Session snapshots and command results
are written to Redis by the workers' sessions table; until that table exists the reader finds
nothing and the endpoints answer 404 saying so.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

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
    """Reads what the workers publish about sessions and commands (not written yet: None)."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def session(self, session_id: str) -> dict[str, Any] | None:
        """The session's latest snapshot (``SessionSnapshot`` fields), if a worker wrote one."""
        return None

    async def command(self, tenant: str, command_id: str) -> dict[str, Any] | None:
        """The command's terminal result (``CommandResult`` fields), if a worker wrote one."""
        return None
