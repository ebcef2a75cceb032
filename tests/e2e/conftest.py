"""Fixtures of the end-to-end tests: every part real and shared where that is safe — the stack
(Kafka, Redis), one embedded sandbox, the gateway app over ASGI, topic readers, and workers as
``python -m wastream.cli worker`` subprocesses driving headless Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from connectors.sandbox import PhoneClient, SandboxConfig, SandboxServer
from gateway import create_app, mint_token
from tests.e2e.support import Pipeline, Topics, Worker, worker_env
from wastream.settings import Settings
from wastream.stack import LocalStack

SANDBOX_CONFIG = SandboxConfig(
    qr_first_ttl_s=20.0,
    qr_ttl_s=8.0,
    qr_max_refs=4,
    pair_code_ttl_s=60.0,
    history_sync_count=20,
    messages_per_min=100_000,
    new_recipients_per_min=100_000,
    ban_s=2.0,
)
TENANT = "tenant-e2e"
SCOPES = ("sessions:write", "sessions:read", "messages:send", "groups:write", "scrape:read")


@pytest.fixture(scope="session")
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(SANDBOX_CONFIG) as server:
        yield server


@pytest.fixture(scope="session")
async def phone(sandbox: SandboxServer) -> AsyncIterator[PhoneClient]:
    client = PhoneClient(sandbox.url)
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def e2e_settings(stack: LocalStack) -> Settings:
    return stack.settings.model_copy(
        update={
            "rate_tenant_per_s": 100_000.0,
            "rate_tenant_burst": 100_000,
            "rate_session_per_s": 100_000.0,
            "rate_session_burst": 100_000,
            "publish_timeout_s": 10.0,
        }
    )


@pytest.fixture(scope="session")
async def gateway_http(e2e_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway app (``gateway.create_app``) served over ASGI, lifespan included."""
    app = create_app(e2e_settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://gateway") as client,
        app.router.lifespan_context(app),
    ):
        yield client


@pytest.fixture(scope="session")
def topics(stack: LocalStack) -> Iterator[Topics]:
    readers = Topics(stack.settings)
    yield readers
    readers.close()


@pytest.fixture(scope="session")
def pipeline(
    gateway_http: httpx.AsyncClient, e2e_settings: Settings, phone: PhoneClient, topics: Topics
) -> Pipeline:
    return Pipeline(gateway_http, mint_token(e2e_settings, TENANT, SCOPES), phone, topics)


@pytest.fixture(scope="session")
async def redis_client(stack: LocalStack) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(stack.settings.redis_url)
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def start_worker(
    stack: LocalStack, sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Worker]]:
    """Starts workers (each with its own profiles directory); stops them at the end."""
    root: Path = tmp_path_factory.mktemp("workers")
    started: list[Worker] = []

    def start(name: str, **env: str) -> Worker:
        worker = Worker(
            stack.settings,
            root / name,
            WASTREAM_WORKER_ID=name,
            **worker_env(sandbox.url, **env),
        )
        worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
