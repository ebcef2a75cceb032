"""The Kafka broker stopped for ~20 s under traffic: the gateway answers 503 (never 202 for a
record it could not store), the worker resumes when the broker is back, and every accepted
command ends with exactly one terminal result and its message once in the inbox."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.chaos.support import Fleet, Report, Traffic, tally, with_results
from tests.e2e.support import Pipeline
from wastream.stack import LocalStack

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(300)]

OUTAGE_S = 14.0  # plus the broker's restart: ~20 s without a broker


async def test_kafka_stopped_under_traffic(
    pipeline: Pipeline, fleet: Fleet, stack: LocalStack, chaos_report: Report
) -> None:
    traffic = Traffic(pipeline, fleet.sessions)
    traffic.start()
    await asyncio.sleep(3)
    before = traffic.statuses[202]
    stopped_at = time.monotonic()
    await asyncio.to_thread(stack.kafka.stop)
    await asyncio.sleep(OUTAGE_S)
    during = dict(traffic.statuses)
    await asyncio.to_thread(stack.kafka.start)
    restarted_at = time.monotonic()
    # Traffic goes on until the gateway accepts again, and a little longer.
    await traffic.wait_accepted_after(restarted_at, timeout_s=60)
    await asyncio.sleep(3)
    await traffic.stop()

    counts = await tally(pipeline, traffic.accepted, timeout_s=120)
    recovered_s = time.monotonic() - restarted_at
    refused_clean = [cid for cid, maybe in traffic.refused if cid and not maybe]
    stored_anyway = with_results(pipeline, refused_clean)
    chaos_report.counted(
        "kafka-outage",
        counts,
        sent=traffic.sent,
        recover_s=recovered_s,
        refused=len(traffic.refused),
        outage_s=round(restarted_at - stopped_at, 1),
    )
    assert before > 0, traffic.statuses
    assert traffic.statuses[503] > 0, during
    assert set(traffic.statuses) <= {202, 503}, traffic.statuses
    assert counts.lost == 0, counts.problems[:10]
    assert counts.duplicated == 0, counts.problems[:10]
    assert counts.outcomes == {"DONE": counts.accepted}, counts.problems[:10]
    assert stored_anyway == [], stored_anyway
    assert traffic.first_accepted_after(restarted_at) is not None
