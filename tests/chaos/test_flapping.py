"""A session whose socket keeps dropping: it reconnects up to the flap limit, then ends FAILED
once instead of looping, and commands for it then fail at once with a specific code."""

from __future__ import annotations

import time

import pytest

from tests.chaos.conftest import FLAP_LIMIT
from tests.chaos.support import (
    Fleet,
    Linked,
    Report,
    Sent,
    publish_sends,
    send_envelope,
    states_since,
    tally,
    wait_state,
)
from tests.e2e.support import Pipeline
from tests.streams.support import new_id
from wastream.settings import Settings

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(240)]

DOWN_MS = 300


async def test_a_flapping_session_ends_failed_instead_of_looping(
    pipeline: Pipeline, fleet: Fleet, e2e_settings: Settings, chaos_report: Report
) -> None:
    me = await pipeline.account("Flapping")
    peer = await pipeline.account("Flap peer")
    linked = Linked(new_id("flap"), me, peer)
    await pipeline.link(linked.session_id, me, timeout_s=90)
    await pipeline.topics.sessions.settle(0.5)
    start = len(pipeline.topics.sessions.records)
    started_at = time.monotonic()
    # Up to the limit, each drop is a DISCONNECTED → READY round trip.
    for n in range(1, FLAP_LIMIT + 1):
        assert await pipeline.phone.disconnect(me, down_ms=DOWN_MS), "no device was connected"
        await wait_state(pipeline, start, linked.session_id, "READY", n, timeout_s=60)
    # One more: FAILED, once, and no reconnect after it.
    assert await pipeline.phone.disconnect(me, down_ms=DOWN_MS)
    failed = await pipeline.topics.session_event(linked.session_id, "FAILED", timeout_s=60)
    failed_s = time.monotonic() - started_at
    assert f"disconnected {FLAP_LIMIT + 1} times" in (failed["reason"] or ""), failed
    await pipeline.topics.sessions.settle(5.0)
    states = states_since(pipeline, start, linked.session_id)
    assert states.count("FAILED") == 1, states
    assert states[-1] == "FAILED", states
    assert states.count("READY") == FLAP_LIMIT, states

    later = send_envelope(linked, "after failing")
    publish_sends(e2e_settings, [later])
    counts = await tally(pipeline, [Sent(str(later["command_id"]), peer, ())], timeout_s=30)
    result = await pipeline.topics.result(str(later["command_id"]))
    chaos_report.counted(
        "flapping",
        counts,
        sent=1,
        recover_s=failed_s,
        drops=FLAP_LIMIT + 1,
        events=len(states),
    )
    assert (result["outcome"], result["error_code"]) == ("FAILED", "SESSION_FAILED"), result
    assert counts.duplicated == 0, counts.problems
    assert counts.lost == 0, counts.problems
    assert not [m for m in await pipeline.inbox(peer) if m["text"] == "after failing"]
    # Stopped, so that the workers of later scenarios do not start it again.
    await pipeline.done(linked.path("/stop"), {})
