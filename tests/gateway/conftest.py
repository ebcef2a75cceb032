"""Fixtures of the gateway tests: a gateway on the test stack and a reader of ``wa.commands``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.gateway.support import CommandLog, gateway_client
from wastream.settings import Settings, load_settings
from wastream.stack import LocalStack

_LAST_MODULE = "test_publisher_outage.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the Kafka outage module last: it stops and restarts the shared broker."""
    last = [item for item in items if item.path.name == _LAST_MODULE]
    if last:
        items[:] = [item for item in items if item.path.name != _LAST_MODULE] + last


@pytest.fixture(scope="session")
def gateway_settings(stack: LocalStack) -> Settings:
    """The stack's settings with rate limits high enough not to disturb other tests."""
    return stack.settings.model_copy(
        update={
            "rate_tenant_per_s": 100_000.0,
            "rate_tenant_burst": 100_000,
            "rate_session_per_s": 100_000.0,
            "rate_session_burst": 100_000,
            "publish_timeout_s": 5.0,
        }
    )


@pytest.fixture(scope="session")
async def client(gateway_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway on the test stack, served over ASGI, for the whole session."""
    async with gateway_client(gateway_settings) as client:
        yield client


@pytest.fixture(scope="session")
def offline_settings() -> Settings:
    """Settings pointing nowhere: for what the gateway answers before touching Kafka or Redis."""
    return load_settings(max_recipients=3, max_media_bytes=64, max_body_bytes=100_000)


@pytest.fixture(scope="session")
async def offline_client(offline_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway app without its lifespan: authentication and validation only."""
    async with gateway_client(offline_settings, lifespan=False) as client:
        yield client


@pytest.fixture(scope="session")
def command_log(stack: LocalStack) -> Iterator[CommandLog]:
    log = CommandLog(stack.settings)
    try:
        yield log
    finally:
        log.close()
