"""The session supervisor taking over sessions (a unit test: the browser sessions are fakes
that fail to open as told; the real ones are exercised by tests/e2e and tests/chaos)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from streams.exceptions import PermanentFailure
from streams.metrics import WorkerMetrics
from streams.retry import Backoff
from streams.supervisor import SessionSupervisor
from streams.types import EventSink

PARTITIONS = 4


class FakeSession:
    """Opens, or fails to, as its factory says; nothing else is used here."""

    def __init__(self, outcome: BaseException | None) -> None:
        self._outcome = outcome
        self.state = "STARTING"
        self.me: str | None = None
        self.closed = False

    async def open(self, pairing: str = "QR", phone: str | None = None) -> None:
        if self._outcome is not None:
            raise self._outcome

    async def close(self) -> None:
        self.closed = True


class Factory:
    """Sessions whose first ``failures`` opens raise ``error``."""

    def __init__(self, failures: int, error: BaseException) -> None:
        self.failures = failures
        self.error = error
        self.opened: list[FakeSession] = []

    def __call__(self, session_id: str, *, profile_dir: Path, on_event: EventSink) -> Any:
        outcome = self.error if len(self.opened) < self.failures else None
        session = FakeSession(outcome)
        self.opened.append(session)
        return session


class Vault:
    async def save(self, session_id: str, version: int, profile_dir: Path) -> bool:
        return True

    async def restore(
        self, session_id: str, profile_dir: Path, *, known_login: bool = True
    ) -> int | None:
        return 7

    async def delete(self, session_id: str) -> None:
        return None


def _supervisor(factory: Factory, tmp_path: Path, published: list[str]) -> SessionSupervisor:
    snapshot = {
        "session_id": "moved",
        "tenant_id": "t",
        "desired": "RUNNING",
        "pairing": "QR",
        "phone": None,
        "me": "1@c.us",
        "vault_version": 7,
    }

    async def update(session_id: str, tenant_id: str, **changes: Any) -> None:
        return None

    async def publish_state(running: Any, state: str, previous: Any, **fields: Any) -> None:
        published.append(state)

    async def on_page_event(running: Any, event: Any) -> None:
        return None

    return SessionSupervisor(
        worker_id="w",
        factory=factory,
        vault=Vault(),
        profiles_dir=tmp_path,
        update=update,
        publish_state=publish_state,
        on_page_event=on_page_event,
        snapshot=lambda sid: snapshot if sid == "moved" else None,
        all_snapshots=lambda: [snapshot],
        partitions=PARTITIONS,
        owned=lambda: set(range(PARTITIONS)),
        metrics=WorkerMetrics(),
        open_timeout_s=5.0,
        restart_limit=3,
        restart_backoff=Backoff(3, 0.01, 0.02),
    )


async def _settle(supervisor: SessionSupervisor) -> None:
    for _ in range(200):
        if not supervisor._tasks:
            return
        await asyncio.sleep(0.01)
    pytest.fail("the supervisor's tasks did not finish")


async def test_a_session_that_failed_to_resume_is_tried_again(tmp_path: Path) -> None:
    factory = Factory(failures=2, error=TimeoutError("slow browser"))
    published: list[str] = []
    supervisor = _supervisor(factory, tmp_path, published)
    await supervisor.reconcile()
    await _settle(supervisor)
    assert len(factory.opened) == 3
    assert "moved" in supervisor.sessions
    assert published == ["STARTING", "FAILED", "STARTING", "FAILED", "STARTING"]
    assert [s.closed for s in factory.opened] == [True, True, False]


async def test_resuming_gives_up_past_the_restart_limit(tmp_path: Path) -> None:
    factory = Factory(failures=100, error=TimeoutError("never starts"))
    supervisor = _supervisor(factory, tmp_path, [])
    await supervisor.reconcile()
    await _settle(supervisor)
    assert len(factory.opened) == 4  # the first attempt and three retries
    assert "moved" not in supervisor.sessions


async def test_a_permanent_failure_is_not_retried(tmp_path: Path) -> None:
    factory = Factory(failures=100, error=RuntimeError("no such profile"))
    supervisor = _supervisor(factory, tmp_path, [])
    with pytest.raises(PermanentFailure):
        await supervisor.start("moved", "t")
    await supervisor.reconcile()
    await _settle(supervisor)
    assert len(factory.opened) == 2  # the start above, and one resume attempt
