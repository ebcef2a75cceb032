"""Two workers, one killed with SIGKILL: a second worker joins the fleet's (sessions whose
partitions it takes move to it through the vault), then one of the two is killed with sends in
flight. Its sessions resume on the other without a QR, the queued commands complete, none twice.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

import pytest

from connectors.whatsapp import message_id_for
from tests.chaos.support import Fleet, Report, Sent, publish_sends, send_envelope, tally
from tests.e2e.support import Pipeline, Worker, kind_is
from wastream.settings import Settings

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(300)]

PER_SESSION = 10


def _worker_of(pipeline: Pipeline, start: int, session_id: str) -> str | None:
    """The worker of the session's latest READY event since ``start``."""
    ready = [
        v[1]["worker"]
        for *_, v in pipeline.topics.sessions.records[start:]
        if kind_is("SessionEvent", session_id=session_id, state="READY")(v)
    ]
    return str(ready[-1]) if ready else None


def _logged_at(log: str, text: str) -> datetime:
    """When a worker's (last) log line containing ``text`` was written."""
    line = [line for line in log.splitlines() if text in line][-1]
    return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")


async def _owners_after_join(
    pipeline: Pipeline, fleet: Fleet, first: Worker, second: Worker, logged: int, start: int
) -> dict[str, str]:
    """Each fleet session's worker once the join's rebalance settled: the first worker logs the
    sessions it let go, and each of those must be READY on the second, its browser opened there
    only once the first had closed its own (the session's lease, streams.leases)."""
    first_id, second_id = first.env["WASTREAM_WORKER_ID"], second.env["WASTREAM_WORKER_ID"]
    await asyncio.sleep(3.0)  # the rebalance: the first worker lets go of the moved sessions
    released = first.log()[logged:]
    moved = {
        s.session_id for s in fleet.sessions if f"releasing session {s.session_id}" in released
    }
    deadline = time.monotonic() + 120
    while any(_worker_of(pipeline, start, sid) != second_id for sid in moved):
        assert time.monotonic() < deadline, (moved, second.log()[-3000:])
        await pipeline.topics.sessions.settle(0.5)
    released = first.log()[logged:]
    for session_id in moved:  # one browser at a time: opened once the first closed it
        closed = _logged_at(released, f"closed the browser of session {session_id}")
        opened = _logged_at(second.log(), f"starting session {session_id}")
        assert opened >= closed, (session_id, closed, opened)
    return {s.session_id: second_id if s.session_id in moved else first_id for s in fleet.sessions}


async def test_one_of_two_workers_killed(
    pipeline: Pipeline, fleet: Fleet, e2e_settings: Settings, chaos_report: Report
) -> None:
    first = fleet.worker
    await pipeline.topics.sessions.settle(0.3)
    joined = len(pipeline.topics.sessions.records)
    logged = len(first.log())
    fleet.generation += 1
    second = fleet.start_worker(f"chaos-w{fleet.generation}", **fleet.worker_env)
    workers: dict[str, Worker] = {w.env["WASTREAM_WORKER_ID"]: w for w in (first, second)}
    await second.wait_log("Worker ready", timeout_s=120)
    owners = await _owners_after_join(pipeline, fleet, first, second, logged, joined)
    victim = owners[fleet.sessions[0].session_id]
    survivor = next(name for name in workers if name != victim)
    moved = [sid for sid, owner in owners.items() if owner == victim]

    early = [send_envelope(s, f"early {i}") for s in fleet.sessions for i in range(PER_SESSION)]
    late = [send_envelope(s, f"late {i}") for s in fleet.sessions for i in range(PER_SESSION)]
    publish_sends(e2e_settings, early)
    await asyncio.sleep(0.3)  # some run on the victim, some are in flight there
    before = len(pipeline.topics.sessions.records)
    workers[victim].kill()
    killed_at = time.monotonic()
    publish_sends(e2e_settings, late)

    peers = {s.session_id: s.peer for s in fleet.sessions}
    sent = [
        Sent(
            str(e["command_id"]),
            peers[str(e["session_id"])],
            (message_id_for(str(e["command_id"])),),
        )
        for e in early + late
    ]
    counts = await tally(pipeline, sent, timeout_s=180)
    recovered_s = time.monotonic() - killed_at
    await pipeline.topics.sessions.settle(1.0)
    resumed = {sid: _worker_of(pipeline, before, sid) for sid in moved}
    after: list[Any] = [
        v[1]["state"]
        for *_, v in pipeline.topics.sessions.records[before:]
        if kind_is("SessionEvent")(v) and v[1]["session_id"] in peers
    ]
    fleet.worker = workers[survivor]
    chaos_report.counted(
        "two-workers",
        counts,
        sent=len(sent),
        recover_s=recovered_s,
        moved_sessions=len(moved),
    )
    assert counts.lost == 0, counts.problems[:10]
    assert counts.duplicated == 0, counts.problems[:10]
    assert counts.outcomes == {"DONE": len(sent)}, counts.problems[:10]
    assert resumed == dict.fromkeys(moved, survivor), resumed
    assert "SCAN_QR" not in after, after
