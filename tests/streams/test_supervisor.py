"""The session supervisor taking over sessions (a unit test: the browser sessions are fakes
that fail to open as told; the real ones are exercised by tests/e2e and tests/chaos)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from streams.exceptions import PermanentFailure
from streams.leases import SessionLeases, lease_key
from streams.metrics import WorkerMetrics
from streams.retry import Backoff
from streams.supervisor import SessionSupervisor
from streams.types import EventSink

PARTITIONS = 4


class FakeSession:
    """Opens, or fails to, as its factory says; nothing else is used here."""

    def __init__(self, outcome: BaseException | None, close_s: float = 0.0) -> None:
        self._outcome = outcome
        self._close_s = close_s
        self.state = "STARTING"
        self.me: str | None = None
        self.closed = False
        self.logged_out = False

    async def open(self, pairing: str = "QR", phone: str | None = None) -> None:
        if self._outcome is not None:
            raise self._outcome

    async def close(self) -> None:
        await asyncio.sleep(self._close_s)
        self.closed = True

    async def logout(self) -> None:
        await asyncio.sleep(self._close_s)
        self.logged_out = True


class Factory:
    """Sessions whose first ``failures`` opens raise ``error``."""

    def __init__(self, failures: int, error: BaseException, close_s: float = 0.0) -> None:
        self.failures = failures
        self.error = error
        self.close_s = close_s
        self.opened: list[FakeSession] = []

    def __call__(self, session_id: str, *, profile_dir: Path, on_event: EventSink) -> Any:
        outcome = self.error if len(self.opened) < self.failures else None
        session = FakeSession(outcome, self.close_s)
        self.opened.append(session)
        return session


class Vault:
    def __init__(self, save_s: float = 0.0) -> None:
        self.save_s = save_s
        self.saved: list[str] = []

    async def save(self, session_id: str, version: int, profile_dir: Path) -> bool:
        await asyncio.sleep(self.save_s)
        self.saved.append(session_id)
        return True

    async def restore(
        self, session_id: str, profile_dir: Path, *, known_login: bool = True
    ) -> int | None:
        return 7

    async def delete(self, session_id: str) -> None:
        return None


@pytest.fixture
async def leases(redis_client: aioredis.Redis) -> AsyncIterator[SessionLeases]:
    """The supervisor's leases, in the test stack's Redis; nobody holds ``moved`` at first."""
    await redis_client.delete(lease_key("moved"))
    yield SessionLeases(redis_client, "w", ttl_s=5.0)
    await redis_client.delete(lease_key("moved"))


def _supervisor(
    factory: Factory,
    tmp_path: Path,
    published: list[str],
    leases: SessionLeases,
    owned: set[int] | None = None,
    vault: Vault | None = None,
) -> SessionSupervisor:
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
        vault=vault or Vault(),
        leases=leases,
        profiles_dir=tmp_path,
        update=update,
        publish_state=publish_state,
        on_page_event=on_page_event,
        snapshot=lambda sid: snapshot if sid == "moved" else None,
        all_snapshots=lambda: [snapshot],
        partitions=PARTITIONS,
        owned=lambda: set(range(PARTITIONS)) if owned is None else owned,
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


async def test_a_session_that_failed_to_resume_is_tried_again(
    tmp_path: Path, leases: SessionLeases
) -> None:
    factory = Factory(failures=2, error=TimeoutError("slow browser"))
    published: list[str] = []
    supervisor = _supervisor(factory, tmp_path, published, leases)
    await supervisor.reconcile()
    await _settle(supervisor)
    assert len(factory.opened) == 3
    assert "moved" in supervisor.sessions
    assert published == ["STARTING", "FAILED", "STARTING", "FAILED", "STARTING"]
    assert [s.closed for s in factory.opened] == [True, True, False]


async def test_resuming_gives_up_past_the_restart_limit(
    tmp_path: Path, leases: SessionLeases
) -> None:
    factory = Factory(failures=100, error=TimeoutError("never starts"))
    supervisor = _supervisor(factory, tmp_path, [], leases)
    await supervisor.reconcile()
    await _settle(supervisor)
    assert len(factory.opened) == 4  # the first attempt and three retries
    assert "moved" not in supervisor.sessions


async def test_a_permanent_failure_is_not_retried(tmp_path: Path, leases: SessionLeases) -> None:
    factory = Factory(failures=100, error=RuntimeError("no such profile"))
    supervisor = _supervisor(factory, tmp_path, [], leases)
    with pytest.raises(PermanentFailure):
        await supervisor.start("moved", "t")
    await supervisor.reconcile()
    await _settle(supervisor)
    assert len(factory.opened) == 2  # the start above, and one resume attempt


async def test_a_session_opens_once_the_worker_that_had_it_gives_it_back(
    tmp_path: Path, leases: SessionLeases, redis_client: aioredis.Redis
) -> None:
    other = SessionLeases(redis_client, "other", ttl_s=5.0)
    assert await other.take("moved", wait_s=0) is None  # still open on the old owner
    factory = Factory(failures=0, error=RuntimeError("unused"))
    supervisor = _supervisor(factory, tmp_path, [], leases)
    await supervisor.reconcile()
    await asyncio.sleep(0.6)
    assert factory.opened == []  # waits for the lease
    await other.give_back("moved")
    await _settle(supervisor)
    assert len(factory.opened) == 1
    assert await redis_client.get(lease_key("moved")) == b"w"
    await supervisor.stop("moved", "t", reason="test")
    assert await redis_client.get(lease_key("moved")) is None  # closed: given back


@pytest.fixture
async def short_leases(redis_client: aioredis.Redis) -> SessionLeases:
    """Leases of 0.6 s, shorter than the slow logouts and closes of the tests using them."""
    await redis_client.delete(lease_key("moved"))
    return SessionLeases(redis_client, "w", ttl_s=0.6)


@contextlib.asynccontextmanager
async def _renewing(supervisor: SessionSupervisor) -> AsyncIterator[None]:
    """The worker's lease renewal timer, every 0.2 s."""

    async def renew() -> None:
        while True:
            await supervisor.renew_leases()
            await asyncio.sleep(0.2)

    renewer = asyncio.create_task(renew())
    try:
        yield
    finally:
        renewer.cancel()


async def test_a_lease_is_renewed_until_a_slow_close_is_done(
    tmp_path: Path, redis_client: aioredis.Redis, short_leases: SessionLeases
) -> None:
    # The lease lasts 0.6 s; saving the login takes 0.7 s and closing the browser 0.8 s:
    # renewed meanwhile, it holds.
    owned = set(range(PARTITIONS))
    factory = Factory(failures=0, error=RuntimeError("unused"), close_s=0.8)
    vault = Vault(save_s=0.7)
    supervisor = _supervisor(factory, tmp_path, [], short_leases, owned, vault)
    running = await supervisor.start("moved", "t")
    running.state = "READY"  # linked: its login is saved before the browser closes
    assert await redis_client.get(lease_key("moved")) == b"w"

    async with _renewing(supervisor):
        owned.clear()  # the partition moved
        release = asyncio.create_task(supervisor.reconcile())
        await asyncio.sleep(1.0)
        assert not release.done()  # still closing, past the lease's lifetime
        assert "moved" not in supervisor.sessions
        assert await redis_client.get(lease_key("moved")) == b"w"
        await release
        assert vault.saved == ["moved"]
        assert factory.opened[0].closed
        assert await redis_client.get(lease_key("moved")) is None  # given back once closed
        await asyncio.sleep(0.5)
        assert await redis_client.get(lease_key("moved")) is None  # and not renewed again


async def test_a_lease_is_renewed_while_the_session_logs_out(
    tmp_path: Path, redis_client: aioredis.Redis, short_leases: SessionLeases
) -> None:
    factory = Factory(failures=0, error=RuntimeError("unused"), close_s=0.8)
    supervisor = _supervisor(factory, tmp_path, [], short_leases)
    (await supervisor.start("moved", "t")).state = "READY"

    async with _renewing(supervisor):
        # logging out (0.8 s), then closing (0.8 s): past the lease's 0.6 s, and renewed
        logout = asyncio.create_task(supervisor.logout("moved", "t"))
        session = factory.opened[0]
        seen = []
        while not logout.done():
            holder = await redis_client.get(lease_key("moved"))
            if not session.closed:  # the lease is given back once the browser is closed
                seen.append(holder)
            await asyncio.sleep(0.05)
        assert len(seen) > 20
        assert set(seen) == {b"w"}
        await logout
        assert session.logged_out
        assert session.closed
        assert await redis_client.get(lease_key("moved")) is None
        await asyncio.sleep(0.5)
        assert await redis_client.get(lease_key("moved")) is None
