"""The worker against real Kafka and Redis: results, dead letters, expiry, unknown sessions,
duplicates, the sessions table in Redis, metrics. Commands here need no browser."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable

import httpx
import redis.asyncio as aioredis

from schemas.codec import MAGIC, AvroCodec
from schemas.topics import COMMAND_RESULTS, COMMANDS, DLQ, SESSION_EVENTS
from streams.readers import read_command_result, read_session
from tests.streams.support import TopicReader, WorkerProcess, envelope, new_id, publish
from wastream.settings import Settings

codec = AvroCodec()


def _encoded(env: dict[str, object]) -> tuple[bytes, bytes]:
    return str(env["session_id"]).encode(), codec.encode("CommandEnvelope", env)


def _result_of(command_id: str) -> Callable[[object], bool]:
    def match(value: object) -> bool:
        return (
            isinstance(value, tuple)
            and value[0] == "CommandResult"
            and value[1]["command_id"] == command_id
        )

    return match


async def test_commands_end_in_one_result_each(
    stream_settings: Settings,
    start_worker: Callable[..., WorkerProcess],
    redis_client: aioredis.Redis,
) -> None:
    results = TopicReader(stream_settings, COMMAND_RESULTS)
    dead = TopicReader(stream_settings, DLQ)
    worker = start_worker("w-commands")
    await worker.wait_log("Worker ready", timeout_s=90)

    session = new_id("sess")
    unknown = envelope(
        session, "SendMessage", {"to": "4915550001", "text": "hi", "reply_to": None, "mentions": []}
    )
    expired = envelope(
        session,
        "SendMessage",
        {"to": "4915550001", "text": "late", "reply_to": None, "mentions": []},
        issued_at=int(time.time() * 1000) - 120_000,
        ttl_ms=60_000,
    )
    twice = envelope(session, "CheckNumbers", {"numbers": ["4915550002"]})
    stop = envelope(session, "StopSession", {})
    key = session.encode()
    # Malformed records first, valid commands behind them on the same partition.
    random_bytes = os.urandom(64)
    wrong_schema = codec.encode(
        "MessageRevoked",
        {"session_id": session, "tenant_id": "t", "message_id": "m", "chat": "c@c.us", "at": 1},
    )
    huge = MAGIC + codec.fingerprint("CommandEnvelope") + os.urandom(900_000)
    publish(
        stream_settings,
        COMMANDS,
        [
            (key, random_bytes),
            (key, wrong_schema),
            (key, huge),
            _encoded(unknown),
            _encoded(expired),
            _encoded(twice),
            _encoded(twice),
            _encoded(stop),
        ],
    )

    letters = await dead.wait_for(
        lambda v: isinstance(v, tuple) and v[0] == "DeadLetter" and v[1]["key"] == key, count=3
    )
    assert len(letters) == 3
    by_type = sorted(letter[1]["error_type"] for letter in letters)
    assert by_type == ["DecodeError", "DecodeError", "UnknownSchemaError"]
    assert all(letter[1]["topic"] == COMMANDS for letter in letters)
    offsets = [letter[1]["offset"] for letter in letters]
    assert offsets == sorted(offsets)
    assert letters[0][1]["value"] == random_bytes
    assert "truncated" in letters[2][1]["error"]
    assert len(letters[2][1]["value"]) == 256 * 1024

    found = {}
    for command in (unknown, expired, stop):
        values = await results.wait_for(_result_of(str(command["command_id"])))
        assert len(values) == 1, values
        found[command["command_id"]] = values[0][1]
    assert found[unknown["command_id"]]["outcome"] == "FAILED"
    assert found[unknown["command_id"]]["error_code"] == "SESSION_NOT_RUNNING"
    assert found[expired["command_id"]]["outcome"] == "EXPIRED"
    assert found[expired["command_id"]]["attempts"] == 0
    assert found[stop["command_id"]]["outcome"] == "DONE"

    await results.wait_for(_result_of(str(twice["command_id"])), count=2)
    await results.settle(1.5)
    pair = [v for *_, v in results.records if _result_of(str(twice["command_id"]))(v)]
    outcomes = sorted(value[1]["outcome"] for value in pair)
    assert outcomes == ["DUPLICATE", "FAILED"], pair

    # The gateway's reads: one result per command id, the first outcome kept.
    stored = await read_command_result(redis_client, str(twice["command_id"]))
    assert stored is not None
    assert stored["outcome"] == "FAILED"
    assert stored["error_code"] == "SESSION_NOT_RUNNING"
    assert await read_command_result(redis_client, "no-such-command") is None

    # StopSession of a never-started session: desired STOPPED in the sessions table (Redis).
    deadline = time.monotonic() + 20
    snapshot = None
    while time.monotonic() < deadline:
        snapshot = await read_session(redis_client, codec, session)
        if snapshot is not None and snapshot["state"] == "STOPPED":
            break
        await asyncio.sleep(0.2)
    assert snapshot is not None
    assert snapshot["desired"] == "STOPPED"
    assert snapshot["state"] == "STOPPED"
    assert snapshot["tenant_id"] == "tenant-a"

    async with httpx.AsyncClient() as http:
        metrics = (await http.get(f"http://127.0.0.1:{worker.metrics_port}/metrics")).text
    assert 'wastream_worker_errors_total{code="SESSION_NOT_RUNNING"}' in metrics
    assert "wastream_worker_dead_letters_total 3.0" in metrics
    assert 'wastream_worker_commands_total{command="SendMessage",outcome="EXPIRED"} 1.0' in metrics
    results.close()
    dead.close()


async def test_session_events_topic_is_quiet_for_unknown_sessions(
    stream_settings: Settings, start_worker: Callable[..., WorkerProcess]
) -> None:
    """A command for an unknown session starts nothing (no SessionEvent)."""
    events = TopicReader(stream_settings, SESSION_EVENTS)
    results = TopicReader(stream_settings, COMMAND_RESULTS)
    worker = start_worker("w-quiet")
    await worker.wait_log("Worker ready", timeout_s=90)
    session = new_id("quiet")
    command = envelope(session, "MarkRead", {"chat": "4915550001@c.us"})
    publish(stream_settings, COMMANDS, [_encoded(command)])
    values = await results.wait_for(_result_of(str(command["command_id"])))
    assert values
    assert values[0][1]["error_code"] == "SESSION_NOT_RUNNING"
    await events.settle(1.0)
    assert not [v for *_, v in events.records if v[1]["session_id"] == session]
    events.close()
    results.close()
