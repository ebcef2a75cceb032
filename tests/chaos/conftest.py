"""Fixtures of the fault tests: the end-to-end fixtures (stack, sandbox, gateway app, topic
readers, worker subprocesses) plus a shared fleet — one worker and a few linked sessions — that
the scenarios fault in turn, and the ``RESULT chaos-…`` lines printed at the end of the run."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from tests.chaos.support import RESULTS, Fleet, Linked, Report
from tests.e2e.conftest import (  # the fixtures of the end-to-end tests, shared as they are
    gateway_http,
    phone,
    pipeline,
    redis_client,
    sandbox,
    start_worker,
    topics,
)
from tests.e2e.support import Pipeline, Worker
from tests.streams.support import new_id
from wastream.settings import Settings
from wastream.stack import LocalStack

__all__ = [
    "chaos_report",
    "e2e_settings",
    "fleet",
    "gateway_http",
    "phone",
    "pipeline",
    "redis_client",
    "sandbox",
    "start_worker",
    "topics",
]

#: Sessions linked up front and shared by the scenarios (each a browser on the worker).
FLEET_SESSIONS = 4
#: Disconnects of a READY session the workers allow within the window before it ends FAILED.
FLAP_LIMIT = 3
#: The environment of every worker of the fleet (besides the end-to-end defaults).
WORKER_ENV = {"WASTREAM_SESSION_FLAP_LIMIT": str(FLAP_LIMIT)}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if RESULTS:
        terminalreporter.section("chaos results")
        for line in RESULTS:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def e2e_settings(stack: LocalStack) -> Settings:
    """The gateway's settings: no rate limit in the way, and a short publish timeout so that a
    Kafka outage answers 503 in bounded time."""
    return stack.settings.model_copy(
        update={
            "rate_tenant_per_s": 100_000.0,
            "rate_tenant_burst": 100_000,
            "rate_session_per_s": 100_000.0,
            "rate_session_burst": 100_000,
            "publish_timeout_s": 2.0,
        }
    )


@pytest.fixture
def chaos_report() -> Report:
    """Records one ``RESULT chaos-<scenario> …`` line (printed in the terminal summary)."""
    return Report()


@pytest.fixture(scope="session")
async def fleet(pipeline: Pipeline, start_worker: Callable[..., Worker]) -> AsyncIterator[Fleet]:
    worker = start_worker("chaos-w1", **WORKER_ENV)
    await worker.wait_log("Worker ready", timeout_s=120)
    linked: list[Linked] = []
    for n in range(FLEET_SESSIONS):
        me = await pipeline.account(f"Chaos {n}")
        peer = await pipeline.account(f"Peer {n}")
        linked.append(Linked(new_id(f"chaos{n}"), me, peer))
    await asyncio.gather(*(pipeline.link(s.session_id, s.me, timeout_s=120) for s in linked))
    shared = Fleet(worker, linked, start_worker, WORKER_ENV)
    yield shared
    shared.worker.stop()
