"""Fixtures shared by every test: a real local stack (Kafka and Redis) on free ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers import stack_settings
from wastream.settings import Settings
from wastream.stack import LocalStack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """Kafka (KRaft) and Redis, started once for the test session, every topic created.

    ``stack.settings`` points at them; ``stack.kafka.stop()``/``start()`` restart the broker on
    the same ports and data.
    """
    local = LocalStack(stack_settings(tmp_path_factory.mktemp("stack")))
    local.start()
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture(scope="session")
def settings(stack: LocalStack) -> Settings:
    return stack.settings
