"""Chromium killed under a session with commands in flight: the session restarts on its profile
(no QR) and every command completes once."""

from __future__ import annotations

import time

import pytest

from connectors.whatsapp import message_id_for
from tests.chaos.support import (
    Fleet,
    Report,
    Sent,
    kill_pids,
    publish_sends,
    send_envelope,
    tally,
    with_results,
)
from tests.e2e.support import Pipeline, browser_pids, kind_is
from wastream.settings import Settings

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(240)]

COMMANDS = 20


async def test_chromium_killed_with_commands_in_flight(
    pipeline: Pipeline, fleet: Fleet, e2e_settings: Settings, chaos_report: Report
) -> None:
    linked = fleet.sessions[-1]
    profile = (fleet.worker.workdir / "profiles" / linked.session_id).resolve()
    pids = browser_pids(profile)
    assert pids, "no Chromium runs the session"
    await pipeline.topics.sessions.settle(0.3)
    start = len(pipeline.topics.sessions.records)
    commands = [send_envelope(linked, f"in flight {i}") for i in range(COMMANDS)]
    publish_sends(e2e_settings, commands)
    # Kill once the first result is out: the next commands are running or queued.
    first = await pipeline.topics.result(str(commands[0]["command_id"]), timeout_s=60)
    kill_pids(pids)
    killed_at = time.monotonic()
    at_kill = len(with_results(pipeline, [str(e["command_id"]) for e in commands]))
    sent = [
        Sent(str(e["command_id"]), linked.peer, (message_id_for(str(e["command_id"])),))
        for e in commands
    ]
    counts = await tally(pipeline, sent, timeout_s=120)
    recovered_s = time.monotonic() - killed_at

    def events() -> list[str]:
        return [
            v[1]["state"]
            for *_, v in pipeline.topics.sessions.records[start:]
            if kind_is("SessionEvent", session_id=linked.session_id)(v)
        ]

    deadline = time.monotonic() + 60
    while not _restarted(events()) and time.monotonic() < deadline:
        await pipeline.topics.sessions.settle(0.3)
    await pipeline.topics.sessions.settle(1.0)
    seen = events()
    chaos_report.counted(
        "browser-kill",
        counts,
        sent=COMMANDS,
        recover_s=recovered_s,
        events=len(seen),
        done_at_kill=at_kill,
    )
    assert first["outcome"] == "DONE"
    assert at_kill < COMMANDS, "every command was done before the kill"
    assert _restarted(seen), seen
    assert "SCAN_QR" not in seen, seen
    assert counts.lost == 0, counts.problems
    assert counts.duplicated == 0, counts.problems
    assert counts.outcomes == {"DONE": COMMANDS}, counts.problems


def _restarted(states: list[str]) -> bool:
    return "DISCONNECTED" in states and "READY" in states[states.index("DISCONNECTED") :]
