"""One browser per session across the workers: a lease in Redis, held while the session's
browser is open.

When a partition moves, its old owner snapshots each session's login and closes the browser
while the new owner starts the same sessions. Without a lease both browsers would hold the same
linked device for a moment (WhatsApp answers with a conflict, and one logs the other out), and
the new owner could restore a login older than the snapshot under way. So a worker takes a
session's lease before it restores the login and opens the browser, and gives it back once the
browser is closed; the other worker waits for it meanwhile. A worker renews its leases every
third of ``ttl_s``, until the browser is closed (a slow snapshot or close included), so the
lease of a killed worker lapses within ``ttl_s``
(``WASTREAM_SESSION_LEASE_S``), well before the consumer group hands its partitions on.

Key layout: ``wastream:session-lease:{session_id}`` holds the worker id, with a TTL.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from redis.asyncio import Redis

__all__ = ["SessionLeases", "lease_key"]

log = logging.getLogger(__name__)

# Take or renew: free, or already ours -> ours for another TTL (1); another worker's -> 0.
_TAKE = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
_GIVE_BACK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_POLL_S = 0.25


def lease_key(session_id: str) -> str:
    return f"wastream:session-lease:{session_id}"


class SessionLeases:
    """The leases of one worker (``worker_id``); each lasts ``ttl_s`` unless renewed."""

    def __init__(self, client: Redis, worker_id: str, ttl_s: float) -> None:
        self._client = client
        self.worker_id = worker_id
        self.ttl_s = ttl_s
        self._ttl_ms = max(1, int(ttl_s * 1000))
        self._take = client.register_script(_TAKE)
        self._give_back = client.register_script(_GIVE_BACK)
        # A renewal takes a lapsed lease again; one under way when a browser closes must not
        # take the lease back after it was given back, so the two do not overlap.
        self._renewing = asyncio.Lock()

    async def take(self, session_id: str, wait_s: float) -> str | None:
        """Take the session's lease, waiting up to ``wait_s`` for another worker to give it
        back or for its lease to lapse: None once taken, else the worker that still holds it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        key = lease_key(session_id)
        waited = False
        while True:
            if await self._take(keys=[key], args=[self.worker_id, self._ttl_ms]) == 1:
                if waited:
                    log.info("took the lease of session %s", session_id)
                return None
            if loop.time() >= deadline:
                holder = await self._client.get(key)
                return holder.decode() if isinstance(holder, bytes) else holder or "another worker"
            if not waited:
                log.info("session %s is still open on another worker; waiting", session_id)
                waited = True
            await asyncio.sleep(_POLL_S)

    async def give_back(self, session_id: str) -> None:
        """Give the lease back (if it is still this worker's), after any renewal under way."""
        async with self._renewing:
            await self._give_back(keys=[lease_key(session_id)], args=[self.worker_id])

    async def renew(self, session_ids: Iterable[str]) -> list[str]:
        """Renew this worker's leases (taking again any Redis lost); answers the sessions whose
        lease another worker holds. ``session_ids`` is read as the renewal goes: a lazy
        iterable can leave out a session whose browser closed meanwhile."""
        lost = []
        async with self._renewing:
            for session_id in session_ids:
                taken = await self._take(
                    keys=[lease_key(session_id)], args=[self.worker_id, self._ttl_ms]
                )
                if taken != 1:
                    lost.append(session_id)
        return lost
