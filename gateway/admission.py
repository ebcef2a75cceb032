"""Admission of a request in one atomic Redis script: session ownership, the idempotency key,
both rate limits, and the claims that follow (a new session's owner, a pending key).

Concurrent requests share round trips: admissions queued while the script call is in flight go
together in the next call (one ``EVALSHA`` for many requests, each judged in arrival order), so
Redis costs a request a fraction of a round trip under load and exactly one when idle. One call
at a time keeps the batches large. The script runs on a connection of its own
(:class:`gateway.scriptlink.ScriptLink`), loaded once and called by its SHA; each request's keys
and arguments are encoded to RESP once, as it is queued.
"""

from __future__ import annotations

import asyncio
from typing import Literal, NamedTuple

from gateway.exceptions import BackendUnavailableError
from gateway.idempotency import IDEMPOTENCY_LUA, IdempotencyClaim
from gateway.ratelimit import GCRA_LUA, RateLimits, session_rate_key, tenant_rate_key
from gateway.scriptlink import ScriptLink, bulk
from gateway.sessions import OWNERSHIP_LUA, owner_key

__all__ = ["ADMIT_LUA", "Admission", "Mode", "Verdict"]

Mode = Literal["create", "command", "read"]

_MAX_BATCH = 256
_MAX_CALLS_IN_FLIGHT = 1

# KEYS: per request 4 keys (owner, tenant rate, session rate, idempotency key).
# ARGV: tenant interval, tenant tolerance, session interval, session tolerance (microseconds),
#       pending idempotency claim TTL (ms), then per request: mode, tenant, request hash ('' when
#       no key), candidate command id.
# Returns one string, a line per request: "code command_id retry_after_ms"; codes: ok, replay,
# busy, mismatch, unknown, forbidden, taken, limited. (One flat string parses far faster than
# nested arrays on the client side.)
ADMIT_LUA = (
    OWNERSHIP_LUA
    + IDEMPOTENCY_LUA
    + GCRA_LUA
    + """
local function admit(k, a, now, limits, pending_ttl)
  local owner_k, tenant_k, session_k, idem_k = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4]
  local mode, tenant, hash, cid = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  local owner, refusal = owner_check(owner_k, tenant, mode)
  if refusal then return refusal .. ' - 0' end
  if mode == 'read' then return 'ok - 0' end
  if hash ~= '' then
    local code, held_cid, wait = idem_held(idem_k, hash)
    if code then return code .. ' ' .. held_cid .. ' ' .. wait end
    if held_cid then cid = held_cid end
  end
  local tenant_tat, tenant_wait = gcra(tenant_k, limits[1], limits[2], now)
  local session_tat, session_wait = gcra(session_k, limits[3], limits[4], now)
  local wait = math.max(tenant_wait, session_wait)
  if wait > 0 then return 'limited - ' .. string.format('%d', math.ceil(wait / 1000)) end
  gcra_store(tenant_k, tenant_tat, now)
  gcra_store(session_k, session_tat, now)
  if mode == 'create' and not owner then redis.call('SET', owner_k, tenant) end
  if hash ~= '' then
    redis.call('SET', idem_k, 'P|' .. cid .. '|' .. hash, 'PX', pending_ttl)
  end
  return 'ok ' .. cid .. ' 0'
end

local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local limits = {tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])}
local pending_ttl = tonumber(ARGV[5])
local verdicts = {}
for i = 0, #KEYS / 4 - 1 do
  verdicts[i + 1] = admit(i * 4, 5 + i * 4, now, limits, pending_ttl)
end
return table.concat(verdicts, '\\n')
"""
)


class Verdict(NamedTuple):
    """``code`` (see the script), the ``command_id`` to use or replay, and a wait in ms."""

    code: str
    command_id: str
    retry_after_ms: int


# A request's four keys and its four arguments, as RESP bulk strings, and its verdict to come.
_Item = tuple[bytes, bytes, "asyncio.Future[Verdict]"]
_MODES = {mode: bulk(mode) for mode in ("create", "command", "read")}
_NO_HASH = bulk("")


class Admission:
    """Judges requests against Redis; ``pending_ttl_ms`` bounds an unfinished idempotency claim.

    ``link`` runs :data:`ADMIT_LUA`. Made inside the running event loop it serves (the app's
    lifespan).
    """

    def __init__(self, link: ScriptLink, limits: RateLimits, pending_ttl_ms: int) -> None:
        # Looked up once: asyncio.get_running_loop() costs a getpid() system call each time.
        self._loop = asyncio.get_running_loop()
        self._link = link
        self._head = b"".join(bulk(str(value)) for value in [*limits.script_args(), pending_ttl_ms])
        self._head_items = len(limits.script_args()) + 1
        self._queue: list[_Item] = []
        self._calls_in_flight = 0
        self._flush_scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def check(
        self,
        mode: Mode,
        tenant: str,
        session_id: str,
        command_id: str = "",
        claim: IdempotencyClaim | None = None,
    ) -> Verdict:
        """The verdict on one request (BackendUnavailableError when Redis does not answer)."""
        loop = self._loop
        future: asyncio.Future[Verdict] = loop.create_future()
        owner = bulk(owner_key(session_id))
        keys = b"%b%b%b%b" % (
            owner,
            bulk(tenant_rate_key(tenant)),
            bulk(session_rate_key(session_id)),
            bulk(claim.key) if claim is not None else owner,
        )
        args = b"%b%b%b%b" % (
            _MODES[mode],
            bulk(tenant),
            bulk(claim.request_hash) if claim is not None else _NO_HASH,
            bulk(command_id),
        )
        self._queue.append((keys, args, future))
        if not self._flush_scheduled and self._calls_in_flight < _MAX_CALLS_IN_FLIGHT:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self._flush_scheduled = False
        if not self._queue or self._calls_in_flight >= _MAX_CALLS_IN_FLIGHT:
            return
        batch = self._queue[:_MAX_BATCH]
        del self._queue[:_MAX_BATCH]
        self._calls_in_flight += 1
        task = self._loop.create_task(self._call(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _call(self, batch: list[_Item]) -> None:
        count = len(batch)
        packed = (
            b"".join([item[0] for item in batch])
            + self._head
            + b"".join([item[1] for item in batch])
        )
        try:
            reply = await self._link.run(4 * count, 8 * count + self._head_items, packed)
            lines = reply.split("\n")
            if len(lines) != count:
                raise BackendUnavailableError(
                    f"Redis: {len(lines)} verdicts for {count} requests: {reply[:200]!r}"
                )
        except BackendUnavailableError as exc:
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(exc)
        else:
            for (_, _, future), line in zip(batch, lines, strict=True):
                if not future.done():
                    code, command_id, wait_ms = line.split(" ")
                    future.set_result(Verdict(code, command_id, int(wait_ms)))
        finally:
            self._calls_in_flight -= 1
            if self._queue and not self._flush_scheduled:
                self._flush_scheduled = True
                self._loop.call_soon(self._flush)
