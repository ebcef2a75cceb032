"""Malformed records published straight to ``wa.commands`` between valid sends of a running
session: each lands in ``wa.dlq`` with its coordinates and the error, and every valid command
behind them runs once."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import pytest

from connectors.whatsapp import message_id_for
from schemas.codec import MAGIC, AvroCodec
from schemas.topics import COMMANDS, DLQ
from tests.chaos.support import Fleet, Sent, send_envelope, tally
from tests.e2e.support import Pipeline
from tests.streams.support import TopicReader, publish
from wastream.settings import Settings

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(180)]

codec = AvroCodec()
VALID = 12


def _malformed(session_id: str) -> dict[str, bytes]:
    return {
        "random bytes": os.urandom(200),
        "a wrong schema": codec.encode(
            "MessageRevoked",
            {
                "session_id": session_id,
                "tenant_id": "tenant-e2e",
                "message_id": "m",
                "chat": "c@c.us",
                "at": 1,
            },
        ),
        "a huge record": MAGIC + codec.fingerprint("CommandEnvelope") + os.urandom(1_500_000),
    }


async def test_malformed_records_go_to_the_dlq_and_valid_ones_run(
    pipeline: Pipeline, fleet: Fleet, e2e_settings: Settings, chaos_report: Callable[..., str]
) -> None:
    linked = fleet.sessions[0]
    key = linked.session_id.encode()
    dead = TopicReader(e2e_settings, DLQ)
    try:
        bad = _malformed(linked.session_id)
        sends = [send_envelope(linked, f"between bad records {i}") for i in range(VALID)]
        records: list[tuple[bytes | None, bytes]] = []
        for i, envelope in enumerate(sends):
            records.append((key, codec.encode("CommandEnvelope", envelope)))
            if i % 4 == 0 and bad:
                records.append((key, bad.pop(next(iter(bad)))))
        published_at = time.monotonic()
        publish(e2e_settings, COMMANDS, records)

        letters = await dead.wait_for(
            lambda v: isinstance(v, tuple) and v[0] == "DeadLetter" and v[1]["key"] == key,
            count=3,
            timeout_s=60,
        )
        sent = [
            Sent(str(e["command_id"]), linked.peer, (message_id_for(str(e["command_id"])),))
            for e in sends
        ]
        counts = await tally(pipeline, sent, timeout_s=90)
        settled_s = time.monotonic() - published_at
        await dead.settle(1.0)
        letters = [v for *_, v in dead.records if isinstance(v, tuple) and v[1]["key"] == key]
        chaos_report(
            "malformed",
            sent=len(records),
            accepted=len(records),
            completed=counts.completed + len(letters),
            duplicated=counts.duplicated,
            lost=counts.lost + (3 - len(letters)),
            recover_s=settled_s,
            dead_letters=len(letters),
            valid=len(sends),
        )
        assert len(letters) == 3, letters
        assert sorted(letter[1]["error_type"] for letter in letters) == [
            "DecodeError",
            "DecodeError",
            "UnknownSchemaError",
        ]
        for letter in letters:
            assert letter[1]["topic"] == COMMANDS
            assert letter[1]["offset"] >= 0
            assert letter[1]["error"]
        assert counts.lost == 0, counts.problems
        assert counts.duplicated == 0, counts.problems
        assert counts.outcomes == {"DONE": len(sends)}, counts.problems
    finally:
        dead.close()
