"""A worker taking over replays only the changelog tail past the offset persisted in Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import redis.asyncio as aioredis

from schemas.codec import AvroCodec
from schemas.topics import COMMAND_RESULTS, COMMANDS
from streams.app import APP_ID
from streams.readers import SESSIONS_TABLE, read_session, session_key
from streams.store import table_offsets_key
from tests.streams.support import TopicReader, WorkerProcess, envelope, new_id, publish
from wastream.partitioning import partition_for
from wastream.settings import Settings

codec = AvroCodec()
CHANGELOG = f"{APP_ID}-{SESSIONS_TABLE}-changelog"


def _same_partition_ids(partitions: int) -> tuple[str, str, int]:
    first = new_id("old")
    target = partition_for(first, partitions)
    while True:
        second = new_id("new")
        if partition_for(second, partitions) == target:
            return first, second, target


async def _stop_sessions(settings: Settings, results: TopicReader, *sessions: str) -> None:
    commands = [envelope(session, "StopSession", {}) for session in sessions]
    publish(
        settings,
        COMMANDS,
        [(str(c["session_id"]).encode(), codec.encode("CommandEnvelope", c)) for c in commands],
    )
    ids = {c["command_id"] for c in commands}
    done = await results.wait_for(
        lambda v: v[0] == "CommandResult" and v[1]["command_id"] in ids, count=len(ids)
    )
    assert sorted(v[1]["outcome"] for v in done) == ["DONE"] * len(ids)


async def _wait_state(client: aioredis.Redis, session: str, state: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        snapshot = await read_session(client, codec, session)
        if snapshot is not None and snapshot["state"] == state:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{session} never reached {state}")


async def test_second_worker_replays_only_the_tail(
    stream_settings: Settings,
    start_worker: Callable[..., WorkerProcess],
    redis_client: aioredis.Redis,
) -> None:
    results = TopicReader(stream_settings, COMMAND_RESULTS)
    old, new, partition = _same_partition_ids(stream_settings.partitions)
    first = start_worker("w-first")
    await first.wait_log("Worker ready", timeout_s=90)
    await _stop_sessions(stream_settings, results, old)
    await _wait_state(redis_client, old, "STOPPED")
    await _stop_sessions(stream_settings, results, new)
    await _stop_sessions(stream_settings, results, new)
    await _wait_state(redis_client, new, "STOPPED")
    await asyncio.sleep(1.0)  # the last changelog acks persist their offsets
    assert first.stop() == 0

    changelog = TopicReader(stream_settings, CHANGELOG, from_beginning=True)
    await changelog.settle(2.0)
    mine = [(o, k) for p, o, k, _ in changelog.records if p == partition]
    changelog.close()
    last_offset = max(o for o, _ in mine)
    persisted = await redis_client.hget(table_offsets_key(SESSIONS_TABLE), str(partition))
    assert persisted is not None
    assert int(persisted) == last_offset
    old_offsets = [o for o, k in mine if k == old.encode()]
    new_offsets = [o for o, k in mine if k == new.encode()]
    assert max(old_offsets) < min(new_offsets)
    expected_new = await redis_client.get(session_key(new))

    # Lose both rows; persist an offset between them: only the newer one is in the tail.
    await redis_client.delete(session_key(old), session_key(new))
    await redis_client.hset(
        table_offsets_key(SESSIONS_TABLE), str(partition), str(min(new_offsets))
    )
    second = start_worker("w-second")
    await second.wait_log("Worker ready", timeout_s=90)
    restored = None
    for _ in range(150):
        restored = await redis_client.get(session_key(new))
        if restored is not None:
            break
        await asyncio.sleep(0.2)
    assert restored == expected_new
    assert await redis_client.get(session_key(old)) is None
    results.close()
