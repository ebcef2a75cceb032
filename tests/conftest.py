"""Fixtures shared by every test: a real local stack (Kafka and Redis) on free ports."""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator

import pytest

from tests.helpers import stack_settings
from tests.streams.support import WorkerProcess
from wastream.settings import Settings
from wastream.stack import LocalStack

_STARTED_AT = pytest.StashKey[float]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.stash[_STARTED_AT] = time.time()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test's report carries, for every worker that ran during it, its warnings and
    errors first (short, so a truncated CI log still shows them), then its log's tail."""
    report = yield
    if report.when != "call" or not report.failed:
        return report
    since = item.stash.get(_STARTED_AT, 0.0)
    logs = [
        (worker.log_path.parent.name, worker.log_path.read_text(errors="replace"))
        for worker in WorkerProcess.instances
        if worker.log_path.exists() and worker.log_path.stat().st_mtime >= since
    ]
    for name, text in logs:
        alerts = [line for line in text.splitlines() if " WARNING " in line or " ERROR " in line]
        if alerts:
            report.sections.append((f"worker warnings {name}", "\n".join(alerts[-30:])))
    for name, text in logs:
        report.sections.append((f"worker log {name}", text[-6000:]))
    return report


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
