"""Helpers of the fault tests: the shared fleet, traffic through the gateway, the tally of what
was accepted against what reached the result topic and the inboxes, and the RESULT lines."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.whatsapp import message_id_for
from schemas.codec import AvroCodec
from schemas.topics import COMMANDS
from tests.e2e.support import Pipeline, Worker, kind_is
from tests.streams.support import envelope, publish
from wastream.settings import Settings

__all__ = [
    "RESULTS",
    "Fleet",
    "Linked",
    "Report",
    "Sent",
    "Tally",
    "Traffic",
    "kill_pids",
    "publish_sends",
    "send_envelope",
    "states_since",
    "tally",
    "wait_state",
    "with_results",
]

#: Every ``RESULT chaos-…`` line of the run, in order.
RESULTS: list[str] = []
TERMINAL = frozenset({"DONE", "FAILED", "EXPIRED", "REJECTED", "DUPLICATE"})
TENANT = "tenant-e2e"


@dataclass
class Linked:
    session_id: str
    me: str
    peer: str

    def path(self, suffix: str = "") -> str:
        return f"/v1/sessions/{self.session_id}{suffix}"


@dataclass
class Fleet:
    """The worker the scenarios share (replaced when one kills it) and its linked sessions."""

    worker: Worker
    sessions: list[Linked]
    start_worker: Callable[..., Worker]
    worker_env: dict[str, str] = field(default_factory=dict)
    generation: int = 1

    async def replace_worker(self, *, kill: bool) -> Worker:
        """Kill -9 (or stop) the worker and start a fresh one with a profiles directory of its
        own, so every login comes back from the vault."""
        if kill:
            self.worker.kill()
        else:
            self.worker.stop()
        self.generation += 1
        self.worker = self.start_worker(f"chaos-w{self.generation}", **self.worker_env)
        return self.worker


class Report:
    """Records a RESULT line: ``report("kafka-outage", sent=…, …)``."""

    def __call__(
        self,
        scenario: str,
        *,
        sent: int,
        accepted: int,
        completed: int,
        duplicated: int,
        lost: int,
        recover_s: float,
        **extra: object,
    ) -> str:
        figures = " ".join(f"{k}={v}" for k, v in extra.items())
        line = (
            f"RESULT chaos-{scenario} sent={sent} accepted={accepted} completed={completed} "
            f"duplicated={duplicated} lost={lost} recover_s={recover_s:.1f}"
            + (f" {figures}" if figures else "")
        )
        RESULTS.append(line)
        return line

    def counted(
        self, scenario: str, counts: Tally, *, sent: int, recover_s: float, **extra: object
    ) -> str:
        """A RESULT line whose accepted, completed, duplicated and lost come from ``counts``."""
        return self(
            scenario,
            sent=sent,
            accepted=counts.accepted,
            completed=counts.completed,
            duplicated=counts.duplicated,
            lost=counts.lost,
            recover_s=recover_s,
            **extra,
        )


@dataclass
class Sent:
    """A send command and where its message must land."""

    command_id: str
    to: str  # the recipient's number
    message_ids: tuple[str, ...]


@dataclass
class Tally:
    accepted: int = 0
    completed: int = 0  # commands with a terminal result
    duplicated: int = 0  # commands with more than one result or more than one copy of a message
    lost: int = 0  # accepted commands without a result, or a DONE without its messages
    outcomes: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


async def tally(
    pipeline: Pipeline, sent: Sequence[Sent], timeout_s: float = 120.0, settle_s: float = 2.0
) -> Tally:
    """Wait until every command of ``sent`` has a result (or ``timeout_s``), let the topic
    settle, then count results per command and copies of each message in the inboxes."""
    results = pipeline.topics.results
    wanted = {s.command_id for s in sent}

    def by_command() -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        for *_, value in results.records:
            if isinstance(value, tuple) and value[0] == "CommandResult":
                record = value[1]
                if record["command_id"] in wanted and record["outcome"] in TERMINAL:
                    found.setdefault(record["command_id"], []).append(record)
        return found

    deadline = time.monotonic() + timeout_s
    while len(by_command()) < len(wanted) and time.monotonic() < deadline:
        await results.settle(0.5)
    await results.settle(settle_s)
    found = by_command()
    inboxes: dict[str, list[dict[str, Any]]] = {}
    for number in {s.to for s in sent}:
        inboxes[number] = await pipeline.inbox(number)
    copies: dict[str, Counter[str]] = {
        n: Counter(m["id"] for m in inbox) for n, inbox in inboxes.items()
    }
    out = Tally(accepted=len(sent))
    for s in sent:
        records = found.get(s.command_id, [])
        if not records:
            out.lost += 1
            out.problems.append(f"{s.command_id}: no result")
            continue
        out.completed += 1
        out.outcomes.update(r["outcome"] for r in records)
        counts = [copies[s.to][m] for m in s.message_ids]
        if len(records) > 1 or any(c > 1 for c in counts):
            out.duplicated += 1
            out.problems.append(
                f"{s.command_id}: {[r['outcome'] for r in records]} copies {counts}"
            )
        if records[0]["outcome"] == "DONE" and any(c == 0 for c in counts):
            out.lost += 1
            out.problems.append(f"{s.command_id}: DONE but copies {counts}")
        elif records[0]["outcome"] != "DONE":
            out.problems.append(
                f"{s.command_id}: {records[0]['outcome']} {records[0]['error_code']} "
                f"{records[0]['detail']}"
            )
    return out


def states_since(pipeline: Pipeline, start: int, session_id: str) -> list[str]:
    """The states of the session's events read since record ``start`` of the sessions topic."""
    return [
        v[1]["state"]
        for *_, v in pipeline.topics.sessions.records[start:]
        if kind_is("SessionEvent", session_id=session_id)(v)
    ]


async def wait_state(
    pipeline: Pipeline, start: int, session_id: str, state: str, count: int, timeout_s: float
) -> list[str]:
    """The session's states since record ``start`` once ``state`` is among them ``count``
    times; fails with the states seen after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while (states := states_since(pipeline, start, session_id)).count(state) < count:
        assert time.monotonic() < deadline, (state, count, states)
        await pipeline.topics.sessions.settle(0.3)
    return states


def with_results(pipeline: Pipeline, command_ids: Sequence[str]) -> list[str]:
    """Those of ``command_ids`` that have a result among the records read so far."""
    wanted = set(command_ids)
    return sorted(
        {
            value[1]["command_id"]
            for *_, value in pipeline.topics.results.records
            if isinstance(value, tuple)
            and value[0] == "CommandResult"
            and value[1]["command_id"] in wanted
        }
    )


def send_envelope(linked: Linked, text: str) -> dict[str, Any]:
    return envelope(
        linked.session_id,
        "SendMessage",
        {"to": linked.peer, "text": text, "reply_to": None, "mentions": []},
        tenant_id=TENANT,
        ttl_ms=600_000,
    )


def publish_sends(settings: Settings, envelopes: Sequence[dict[str, Any]]) -> None:
    codec = AvroCodec()
    publish(
        settings,
        COMMANDS,
        [(str(e["session_id"]).encode(), codec.encode("CommandEnvelope", e)) for e in envelopes],
    )


class Traffic:
    """Sends through the gateway round-robin over sessions, one every ``interval_s``, until
    stopped; keeps every answer."""

    def __init__(
        self, pipeline: Pipeline, sessions: Sequence[Linked], interval_s: float = 0.15
    ) -> None:
        self.pipeline = pipeline
        self.sessions = list(sessions)
        self.interval_s = interval_s
        self.accepted: list[Sent] = []
        self.refused: list[tuple[str | None, bool]] = []  # (command id, possibly stored)
        self.statuses: Counter[int] = Counter()
        self.answers: list[tuple[float, int]] = []  # (monotonic time, status)
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._answered = asyncio.Event()

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    async def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            linked = self.sessions[n % len(self.sessions)]
            n += 1
            body = {"to": linked.peer, "text": f"traffic {n}"}
            response = await self.pipeline.http.post(
                linked.path("/messages"), json=body, headers=self.pipeline.headers
            )
            self.statuses[response.status_code] += 1
            self.answers.append((time.monotonic(), response.status_code))
            self._answered.set()
            if response.status_code == 202:
                command_id = str(response.json()["command_id"])
                self.accepted.append(Sent(command_id, linked.peer, (message_id_for(command_id),)))
            else:
                problem = response.json()
                self.refused.append(
                    (problem.get("command_id"), bool(problem.get("possibly_stored", False)))
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval_s)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    def first_accepted_after(self, moment: float) -> float | None:
        return next((t for t, status in self.answers if t >= moment and status == 202), None)

    async def wait_accepted_after(self, moment: float, timeout_s: float) -> float | None:
        """The time of the first 202 answered after ``moment``, waiting up to ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while (found := self.first_accepted_after(moment)) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self._answered.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._answered.wait(), remaining)
        return found


def kill_pids(pids: Sequence[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
