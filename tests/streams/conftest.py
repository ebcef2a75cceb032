"""Fixtures of the stream processor tests: workers as subprocesses on the test stack."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from tests.streams.support import WorkerProcess
from wastream.settings import Settings
from wastream.stack import LocalStack


@pytest.fixture
def start_worker(stack: LocalStack, tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Starts workers (``streams.worker.run`` in subprocesses); stops them after the test."""
    started: list[WorkerProcess] = []

    def start(name: str = "w1", **env: str) -> WorkerProcess:
        worker = WorkerProcess(stack.settings, tmp_path / name, WASTREAM_WORKER_ID=name, **env)
        worker.start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
async def redis_client(stack: LocalStack) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(stack.settings.redis_url)
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def stream_settings(stack: LocalStack) -> Settings:
    return stack.settings
