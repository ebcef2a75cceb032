"""Terminal outcomes of commands, by command id, in Redis: what makes every command end in exactly
one ``CommandResult`` however often it is delivered.

A result is stored with ``SET NX`` (first writer wins) before it is published, together with the
coordinates of the record that produced it; ``published`` is marked once Kafka acknowledged it.
Seeing a command id again then tells a redelivery of the same record (republish the stored result
if it never reached Kafka, else nothing) from a second publication (answer ``DUPLICATE``).
Key layout: see :mod:`streams.store`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from redis.asyncio import Redis

__all__ = [
    "CommandLedger",
    "StoredOutcome",
    "broadcast_key",
    "command_key",
    "published_key",
    "started_key",
]


def command_key(command_id: str) -> str:
    return f"wastream:command:{command_id}"


def published_key(command_id: str) -> str:
    return f"wastream:command-published:{command_id}"


def started_key(command_id: str) -> str:
    return f"wastream:command-started:{command_id}"


def broadcast_key(command_id: str) -> str:
    return f"wastream:broadcast:{command_id}"


@dataclass(frozen=True, slots=True)
class StoredOutcome:
    """A command's stored terminal result (``CommandResult`` fields) and where it came from."""

    result: dict[str, Any]
    source: str
    published: bool


class CommandLedger:
    """Reads and writes terminal outcomes; entries live ``ttl_s`` (the dedup window)."""

    def __init__(self, client: Redis, ttl_s: int) -> None:
        self._client = client
        self._ttl_ms = ttl_s * 1000

    async def lookup(self, command_id: str) -> StoredOutcome | None:
        raw, published = await self._client.mget(
            [command_key(command_id), published_key(command_id)]
        )
        if raw is None:
            return None
        return _outcome(raw, published is not None)

    async def record(self, result: dict[str, Any], source: str) -> StoredOutcome | None:
        """Store ``result`` unless one is stored already; answers the one already stored."""
        command_id = result["command_id"]
        body = orjson.dumps({**result, "source": source})
        stored = await self._client.set(command_key(command_id), body, nx=True, px=self._ttl_ms)
        if stored:
            return None
        existing = await self.lookup(command_id)
        if existing is None:  # expired in between: take the slot
            await self._client.set(command_key(command_id), body, px=self._ttl_ms)
        return existing

    async def mark_published(self, command_id: str) -> None:
        await self._client.set(published_key(command_id), b"1", px=self._ttl_ms)

    async def mark_started(self, command_id: str) -> bool:
        """Note that execution begins; False when it had begun before (a crash or a retry)."""
        first = await self._client.set(started_key(command_id), b"1", nx=True, px=self._ttl_ms)
        return bool(first)


def _outcome(raw: bytes | str, published: bool) -> StoredOutcome:
    data = orjson.loads(raw)  # orjson takes str and bytes alike
    source = str(data.pop("source", ""))
    return StoredOutcome(result=data, source=source, published=published)
