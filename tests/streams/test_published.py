"""Looking up a command's result on ``wa.command-results`` (real Kafka), as a worker does before
publishing an outcome its predecessor stored but may have published already."""

from __future__ import annotations

import time
import uuid

from schemas.codec import AvroCodec
from schemas.topics import COMMAND_RESULTS
from streams.published import PublishedResults
from tests.streams.support import new_id, publish
from wastream.settings import Settings

codec = AvroCodec()


def _result(session_id: str, command_id: str, completed_at: int) -> dict[str, object]:
    return {
        "command_id": command_id,
        "session_id": session_id,
        "tenant_id": "t",
        "outcome": "DONE",
        "error_code": None,
        "detail": None,
        "issued_at": completed_at - 5,
        "completed_at": completed_at,
        "attempts": 1,
        "trace_id": "trace",
        "output": {},
    }


async def test_a_published_result_is_found_and_others_are_not(stream_settings: Settings) -> None:
    lookup = PublishedResults(
        stream_settings.kafka_bootstrap, codec, partitions=stream_settings.partitions
    )
    session = new_id("pub")
    now = int(time.time() * 1000)
    mine, other = str(uuid.uuid4()), str(uuid.uuid4())
    records = [
        (session.encode(), codec.encode("CommandResult", _result(session, str(uuid.uuid4()), now)))
        for _ in range(5)
    ]
    records.insert(
        2, (session.encode(), codec.encode("CommandResult", _result(session, mine, now)))
    )
    records.append((session.encode(), b"not avro at all"))
    publish(stream_settings, COMMAND_RESULTS, records)

    assert await lookup.contains(session, mine, now)
    assert not await lookup.contains(session, other, now)
    # Nothing was written after a moment well ahead of now: found without reading anything.
    assert not await lookup.contains(session, mine, now + 3_600_000)
