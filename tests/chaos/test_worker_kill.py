"""``kill -9`` of the worker in the middle of a 200-recipient broadcast and of a stream of 500
sends over 20 sessions: a fresh worker takes over (logins from the vault, no QR), and afterwards
every recipient has exactly one copy of the broadcast, every send is in its inbox once, and every
command has exactly one terminal result.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import pytest

from connectors.whatsapp import message_id_for
from tests.chaos.support import Fleet, Linked, Report, Sent, publish_sends, send_envelope, tally
from tests.e2e.support import Pipeline, kind_is
from tests.streams.support import envelope, new_id
from wastream.settings import Settings

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(900)]

RECIPIENTS = 200
SENDS = 500
#: Sessions the sends are spread over: the fleet's others plus sessions linked for this test.
SENDERS = 20


async def _senders(pipeline: Pipeline, fleet: Fleet) -> list[Linked]:
    """The fleet's sessions but the first, and new ones linked up to :data:`SENDERS`."""
    extra = [
        Linked(new_id(f"kill{n}"), await pipeline.account(f"K{n}"), await pipeline.account(f"P{n}"))
        for n in range(SENDERS - (len(fleet.sessions) - 1))
    ]
    for start in range(0, len(extra), 6):  # a few at a time: each is a browser starting
        batch = extra[start : start + 6]
        await asyncio.gather(*(pipeline.link(s.session_id, s.me, timeout_s=180) for s in batch))
    return [*fleet.sessions[1:], *extra]


async def test_worker_killed_mid_broadcast_and_mid_sends(
    pipeline: Pipeline, fleet: Fleet, e2e_settings: Settings, chaos_report: Report
) -> None:
    caster = fleet.sessions[0]
    senders = await _senders(pipeline, fleet)
    recipients = [await pipeline.account(f"R{i}") for i in range(RECIPIENTS)]
    broadcast = envelope(
        caster.session_id,
        "Broadcast",
        {"recipients": recipients, "text": "news", "media": None, "caption": None, "pace_ms": 0},
        tenant_id="tenant-e2e",
        ttl_ms=600_000,
    )
    bid = str(broadcast["command_id"])
    sends = [send_envelope(senders[i % len(senders)], f"stream {i}") for i in range(SENDS)]
    started = time.monotonic()
    publish_sends(e2e_settings, [broadcast, *sends])

    # Kill once a quarter of the sends has a result and the broadcast is under way.
    ids = {message_id_for(bid, i) for i in range(RECIPIENTS)}
    send_ids = {str(e["command_id"]) for e in sends}
    deadline = started + 120
    while True:
        await pipeline.topics.results.settle(0.3)
        stream_done = len(
            {
                v[1]["command_id"]
                for *_, v in pipeline.topics.results.records
                if kind_is("CommandResult")(v)
            }
            & send_ids
        )
        out = sum(1 for m in await pipeline.inbox(caster.me) if m["id"] in ids)
        if (stream_done >= SENDS // 4 and out > 0) or time.monotonic() > deadline:
            break
    before = len(pipeline.topics.sessions.records)
    killed_at = time.monotonic()
    worker = await fleet.replace_worker(kill=True)
    await worker.wait_log("Worker ready", timeout_s=120)

    sent = [
        Sent(
            str(e["command_id"]),
            senders[i % len(senders)].peer,
            (message_id_for(str(e["command_id"])),),
        )
        for i, e in enumerate(sends)
    ]
    counts = await tally(pipeline, sent, timeout_s=300)
    cast = await pipeline.topics.results.wait_for(
        kind_is("CommandResult", command_id=bid), timeout_s=120
    )
    recovered_s = time.monotonic() - killed_at
    await pipeline.topics.results.settle(1.0)
    cast = [
        v
        for *_, v in pipeline.topics.results.records
        if kind_is("CommandResult", command_id=bid)(v)
    ]
    copies: Counter[int] = Counter()
    for index, number in enumerate(recipients):
        inbox = await pipeline.inbox(number)
        copies[sum(1 for m in inbox if m["id"] == message_id_for(bid, index))] += 1
    states = [
        v[1]["state"]
        for *_, v in pipeline.topics.sessions.records[before:]
        if kind_is("SessionEvent")(v)
        and v[1]["session_id"] in {s.session_id for s in [caster, *senders]}
    ]
    chaos_report(
        "kill9-broadcast",
        sent=1,
        accepted=1,
        completed=min(len(cast), 1),
        duplicated=(1 if len(cast) > 1 else 0) + sum(n for c, n in copies.items() if c > 1),
        lost=(0 if cast else 1) + copies[0],
        recover_s=recovered_s,
        recipients=RECIPIENTS,
        out_at_kill=out,
        outcome=cast[0][1]["outcome"] if cast else "none",
    )
    chaos_report.counted(
        "kill9-sends",
        counts,
        sent=SENDS,
        recover_s=recovered_s,
        sessions=len(senders),
        done_at_kill=stream_done,
        run_s=round(time.monotonic() - started, 1),
    )
    assert 0 < out < RECIPIENTS, out
    assert SENDS // 4 <= stream_done < SENDS, stream_done
    assert len(cast) == 1, [v[1]["outcome"] for v in cast]
    assert cast[0][1]["outcome"] == "DONE", cast[0][1]
    assert copies == {1: RECIPIENTS}, copies
    assert counts.lost == 0, counts.problems[:10]
    assert counts.duplicated == 0, counts.problems[:10]
    assert counts.outcomes == {"DONE": SENDS}, counts.problems[:10]
    assert "SCAN_QR" not in states, states
