"""Two workers, one killed with SIGKILL: its sessions resume on the other from the auth vault
(no QR) and the commands queued for them complete, none twice."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from connectors.whatsapp import message_id_for
from schemas.codec import AvroCodec
from schemas.topics import COMMANDS
from tests.e2e.support import Pipeline, Worker, kind_is
from tests.streams.support import envelope, new_id, publish
from wastream.settings import Settings

pytestmark = pytest.mark.timeout(360)

codec = AvroCodec()


def _send(session_id: str, to: str, text: str) -> dict[str, object]:
    return envelope(
        session_id,
        "SendMessage",
        {"to": to, "text": text, "reply_to": None, "mentions": []},
        tenant_id="tenant-e2e",
    )


async def test_killing_a_worker_moves_its_sessions_to_the_other(
    pipeline: Pipeline, start_worker: Callable[..., Worker], e2e_settings: Settings
) -> None:
    workers = {name: start_worker(name) for name in ("e2e-fa", "e2e-fb")}
    for worker in workers.values():
        await worker.wait_log("Worker ready", timeout_s=120)
    try:
        me = await pipeline.account("Moved")
        peer = await pipeline.account("Friend")
        sid = new_id("move")
        await pipeline.link(sid, me, timeout_s=150)
        owner = (await pipeline.topics.session_event(sid, "READY"))["worker"]
        survivor = next(name for name in workers if name != owner)
        before_kill = len(pipeline.topics.sessions.records)

        early = [_send(sid, peer, f"early-{i}") for i in range(3)]
        late = [_send(sid, peer, f"late-{i}") for i in range(3)]
        records = [(sid.encode(), codec.encode("CommandEnvelope", e)) for e in early]
        publish(e2e_settings, COMMANDS, records)
        await asyncio.sleep(0.3)  # some of them run on the owner, some may be in flight
        workers[owner].kill()
        killed_at = time.monotonic()
        records = [(sid.encode(), codec.encode("CommandEnvelope", e)) for e in late]
        publish(e2e_settings, COMMANDS, records)

        for command in early + late:
            result = await pipeline.topics.result(str(command["command_id"]), timeout_s=120)
            assert result["outcome"] == "DONE", (result["error_code"], result["detail"])
        recovered_s = time.monotonic() - killed_at
        moved = await pipeline.topics.sessions.wait_for(
            kind_is("SessionEvent", session_id=sid, state="READY", worker=survivor),
            timeout_s=30,
        )
        assert moved, workers[survivor].log()[-3000:]
        after = [
            v[1]["state"]
            for *_, v in pipeline.topics.sessions.records[before_kill:]
            if v[1]["session_id"] == sid
        ]
        assert "SCAN_QR" not in after, after

        inbox = await pipeline.inbox(peer)
        for command in early + late:
            command_id = str(command["command_id"])
            copies = [m for m in inbox if m["id"] == message_id_for(command_id)]
            assert len(copies) == 1, (command_id, copies)
            outcomes = [r["outcome"] for r in await pipeline.topics.results_of(command_id, 0.3)]
            assert outcomes == ["DONE"], (command_id, outcomes)
        assert recovered_s < 90
    finally:
        for worker in workers.values():
            worker.stop()
