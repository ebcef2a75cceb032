"""One lane per session: its jobs run one after another, lanes run side by side.

A job is an ``async`` callable; submitting never waits, so a long browser operation of one
session holds neither the agent's loop nor any other session.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass

__all__ = ["Job", "SessionLanes"]

log = logging.getLogger(__name__)


@dataclass(eq=False, slots=True)
class Job:
    run: Callable[[], Awaitable[None]]
    #: The Kafka partition whose record the job works for (None: not from a record).
    partition: Hashable | None = None


class _Lane:
    __slots__ = ("jobs", "task")

    def __init__(self) -> None:
        self.jobs: deque[Job] = deque()
        self.task: asyncio.Task[None] | None = None


class SessionLanes:
    """Runs each session's jobs in submission order, in a task per busy session."""

    def __init__(self) -> None:
        self._lanes: dict[str, _Lane] = {}

    def submit(self, session_id: str, job: Job) -> None:
        lane = self._lanes.get(session_id)
        if lane is None:
            lane = self._lanes[session_id] = _Lane()
        lane.jobs.append(job)
        if lane.task is None:
            lane.task = asyncio.create_task(
                self._drain(session_id, lane), name=f"lane:{session_id}"
            )

    def queued(self, session_id: str) -> int:
        lane = self._lanes.get(session_id)
        return len(lane.jobs) if lane is not None else 0

    def drop_pending(self, partitions: Iterable[Hashable]) -> int:
        """Forget queued (not started) jobs of ``partitions``: Kafka redelivers their records."""
        wanted = set(partitions)
        dropped = 0
        for lane in self._lanes.values():
            keep = deque(job for job in lane.jobs if job.partition not in wanted)
            dropped += len(lane.jobs) - len(keep)
            lane.jobs = keep
        return dropped

    async def close(self) -> None:
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
        for lane in self._lanes.values():
            lane.jobs.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._lanes.clear()

    async def _drain(self, session_id: str, lane: _Lane) -> None:
        try:
            while lane.jobs:
                job = lane.jobs.popleft()
                try:
                    await job.run()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("job of session %s failed", session_id)
        finally:
            lane.task = None
            if not lane.jobs and self._lanes.get(session_id) is lane:
                del self._lanes[session_id]
