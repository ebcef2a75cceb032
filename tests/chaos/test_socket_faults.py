"""The sandbox drops a session's socket, then bans an account past its limits: the session
reports DISCONNECTED → READY and BANNED, a command queued during the drop completes once, and
neither fault starts a storm of retries or events."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from connectors.sandbox import PhoneClient
from connectors.whatsapp import message_id_for
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
from tests.e2e.support import Pipeline, kind_is
from tests.streams.support import new_id
from wastream.settings import Settings

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(240)]

DOWN_MS = 3000
#: Events of one session a single fault may cause at most (more would be a retry storm).
MAX_EVENTS = 6


async def test_a_dropped_socket_reconnects_once(
    pipeline: Pipeline, fleet: Fleet, e2e_settings: Settings, chaos_report: Report
) -> None:
    linked = fleet.sessions[0]
    await pipeline.topics.sessions.settle(0.5)
    start = len(pipeline.topics.sessions.records)
    dropped = await pipeline.phone.disconnect(linked.me, down_ms=DOWN_MS)
    dropped_at = time.monotonic()
    assert dropped, "no device was connected"
    queued = [send_envelope(linked, f"during drop {i}") for i in range(3)]
    publish_sends(e2e_settings, queued)
    down = await pipeline.topics.sessions.wait_for(
        lambda v: kind_is("SessionEvent", session_id=linked.session_id, state="DISCONNECTED")(v),
        timeout_s=30,
    )
    assert down, states_since(pipeline, start, linked.session_id)
    await wait_state(pipeline, start, linked.session_id, "READY", 1, timeout_s=60)
    recovered_s = time.monotonic() - dropped_at
    sent = [Sent(str(e["command_id"]), linked.peer, ()) for e in queued]
    counts = await tally(pipeline, _with_ids(sent), timeout_s=60)
    await pipeline.topics.sessions.settle(3.0)  # anything more would be a storm
    events = states_since(pipeline, start, linked.session_id)
    chaos_report.counted(
        "socket-drop",
        counts,
        sent=len(queued),
        recover_s=recovered_s,
        events=len(events),
    )
    assert events.index("DISCONNECTED") < events.index("READY"), events
    assert len(events) <= MAX_EVENTS, events
    assert counts.lost == 0, counts.problems
    assert counts.duplicated == 0, counts.problems
    assert counts.outcomes == {"DONE": len(queued)}, counts.problems


def _with_ids(sent: list[Sent]) -> list[Sent]:
    return [Sent(s.command_id, s.to, (message_id_for(s.command_id),)) for s in sent]


@pytest.fixture
async def strict_limits(phone: PhoneClient) -> AsyncIterator[dict[str, float | int]]:
    """The sandbox's limits lowered for one test (they are the sandbox's, every account's)."""
    previous: dict[str, float | int] = await phone.call("GET", "/phone/limits")
    await phone.set_limits(messages_per_min=3, new_recipients_per_min=0, ban_s=60)
    try:
        yield previous
    finally:
        await phone.set_limits(**previous)


async def test_an_account_past_its_limits_is_banned_without_a_storm(
    pipeline: Pipeline,
    fleet: Fleet,
    e2e_settings: Settings,
    strict_limits: dict[str, float | int],
    chaos_report: Report,
) -> None:
    # A session of its own: a banned session stays banned.
    me = await pipeline.account("Banned")
    peer = await pipeline.account("Witness")
    linked = Linked(new_id("ban"), me, peer)
    await pipeline.link(linked.session_id, me, timeout_s=90)
    await pipeline.topics.sessions.settle(0.5)
    start = len(pipeline.topics.sessions.records)
    commands = [send_envelope(linked, f"spam {i}") for i in range(6)]
    published_at = time.monotonic()
    publish_sends(e2e_settings, commands)
    banned = await pipeline.topics.session_event(linked.session_id, "BANNED", timeout_s=60)
    banned_s = time.monotonic() - published_at
    counts = await tally(
        pipeline, _with_ids([Sent(str(e["command_id"]), peer, ()) for e in commands])
    )
    await pipeline.topics.sessions.settle(5.0)
    events = states_since(pipeline, start, linked.session_id)
    inbox = await pipeline.inbox(peer)
    chaos_report.counted(
        "ban",
        counts,
        sent=len(commands),
        recover_s=banned_s,
        done=counts.outcomes["DONE"],
        failed=counts.outcomes["FAILED"],
        events=len(events),
        delivered=len(inbox),
    )
    assert banned["state"] == "BANNED"
    assert events.count("BANNED") == 1, events
    assert len(events) <= MAX_EVENTS, events
    assert counts.completed == len(commands), counts.problems
    assert counts.duplicated == 0, counts.problems
    assert counts.outcomes["DONE"] == 3, counts.problems
    assert counts.outcomes["FAILED"] == len(commands) - 3, counts.problems
    assert len(inbox) == 3, inbox
    # Stopped, so that the workers of later scenarios do not start it again.
    await pipeline.done(linked.path("/stop"), {})
