"""Fixtures of the connector tests: a sandbox and a Playwright driver per module, sessions in
real headless Chromium on profile directories of their own, linked through the phone API."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.sandbox import PhoneClient, SandboxConfig, SandboxServer
from connectors.whatsapp import BrowserPool, PageEvent, StateChanged, WhatsAppSession
from wastream.settings import Settings, load_settings

SANDBOX_CONFIG = SandboxConfig(
    qr_first_ttl_s=30.0,
    qr_ttl_s=10.0,
    qr_max_refs=3,
    pair_code_ttl_s=60.0,
    history_sync_count=20,
    messages_per_min=100_000,
    new_recipients_per_min=100_000,
    ban_s=2.0,
)
_numbers = itertools.count(15_552_000_000 + (int(time.time()) % 10_000) * 1000)


def connector_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "media_allow_private": True,
        "page_timeout_s": 15.0,
        "page_ready_timeout_s": 20.0,
        "page_check_interval_s": 30.0,
        "log_json": False,
    }
    values.update(overrides)
    return load_settings(**values)


class Recorder:
    """Collects a session's events; ``await wait(predicate)`` for one to come."""

    def __init__(self) -> None:
        self.events: list[PageEvent] = []
        self._changed = asyncio.Event()

    async def __call__(self, event: PageEvent) -> None:
        self.events.append(event)
        self._changed.set()
        self._changed = asyncio.Event()

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def states(self) -> list[str]:
        return [e.state for e in self.of(StateChanged)]

    async def wait(self, predicate: Callable[[Any], bool], timeout_s: float = 15.0) -> Any:
        async with asyncio.timeout(timeout_s):
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                await self._changed.wait()

    async def wait_state(self, state: str, timeout_s: float = 15.0) -> StateChanged:
        event: StateChanged = await self.wait(
            lambda e: isinstance(e, StateChanged) and e.state == state, timeout_s
        )
        return event


class Sessions:
    """Builds sessions (closed at the end of the test or module) and accounts."""

    def __init__(
        self, sandbox: SandboxServer, phone: PhoneClient, pool: BrowserPool, root: Path
    ) -> None:
        self.sandbox = sandbox
        self.phone = phone
        self.pool = pool
        self.root = root
        self.opened: list[WhatsAppSession] = []
        self._ids = itertools.count()

    async def account(self, name: str = "User") -> str:
        number = str(next(_numbers))
        await self.phone.create_account(number, name)
        return number

    def new(
        self,
        *,
        profile: Path | None = None,
        settings: Settings | None = None,
        query: str = "",
        init_scripts: tuple[str, ...] = (),
    ) -> tuple[WhatsAppSession, Recorder]:
        index = next(self._ids)
        recorder = Recorder()
        session = WhatsAppSession(
            f"s{index}",
            profile_dir=profile or self.root / f"profile-{index}",
            url=f"{self.sandbox.url}/{query}",
            browser=self.pool,
            on_event=recorder,
            settings=settings or connector_settings(),
            init_scripts=init_scripts,
        )
        self.opened.append(session)
        return session, recorder

    async def linked(
        self, name: str = "User", *, settings: Settings | None = None
    ) -> tuple[str, WhatsAppSession, Recorder]:
        """A new account and a READY session linked to it by QR."""
        number = await self.account(name)
        session, recorder = self.new(settings=settings)
        await session.open()
        assert session.qr is not None
        await self.phone.link(number, session.qr)
        await recorder.wait_state("READY")
        return number, session, recorder

    async def close(self) -> None:
        for session in self.opened:
            await session.close()


@pytest.fixture(scope="module")
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(SANDBOX_CONFIG) as server:
        yield server


@pytest.fixture(scope="module")
async def phone(sandbox: SandboxServer) -> AsyncIterator[PhoneClient]:
    client = PhoneClient(sandbox.url)
    yield client
    await client.aclose()


@pytest.fixture(scope="module")
async def pool() -> AsyncIterator[BrowserPool]:
    async with BrowserPool(connector_settings()) as shared:
        yield shared


@pytest.fixture(scope="module")
async def module_sessions(
    sandbox: SandboxServer,
    phone: PhoneClient,
    pool: BrowserPool,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Sessions]:
    sessions = Sessions(sandbox, phone, pool, tmp_path_factory.mktemp("profiles"))
    yield sessions
    await sessions.close()


@pytest.fixture
async def sessions(
    sandbox: SandboxServer, phone: PhoneClient, pool: BrowserPool, tmp_path: Path
) -> AsyncIterator[Sessions]:
    made = Sessions(sandbox, phone, pool, tmp_path)
    yield made
    await made.close()
