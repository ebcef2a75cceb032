"""kill -9 of a worker whose later records finished while an earlier one still runs: the
committed offset never passes the record in flight (DESIGN.md, faust-streaming issue 606)."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer, TopicPartition

from tests.streams.support import WorkerProcess, publish
from wastream.settings import Settings
from wastream.stack.topics import ensure_topics

HARNESS = Path(__file__).with_name("ack_harness.py")
QUICK = 19


def _committed(settings: Settings, group: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap, "group.id": group})
    try:
        (tp,) = consumer.committed([TopicPartition(topic, 0)], timeout=10)
        return int(tp.offset)  # negative: nothing committed
    finally:
        consumer.close()


async def _run_and_kill(settings: Settings, workdir: Path, mode: str) -> int:
    topic = f"kill9-{uuid.uuid4().hex[:8]}"
    group = f"kill9-{mode}-{uuid.uuid4().hex[:8]}"
    ensure_topics(settings.kafka_bootstrap, [topic], partitions=1)
    # Offset 0 takes a minute; offsets 1..19 finish at once.
    publish(settings, topic, [(b"k", b"60000")] + [(b"k", b"0")] * QUICK)
    done = workdir / "done.txt"
    worker = WorkerProcess(settings, workdir)
    script = (
        f"import runpy, sys; sys.argv = [{str(HARNESS)!r}, {settings.kafka_bootstrap!r}, "
        f"{topic!r}, {group!r}, {mode!r}, {str(done)!r}]; "
        f"runpy.run_path({str(HARNESS)!r}, run_name='__main__')"
    )
    worker.start(script)
    try:
        deadline = time.monotonic() + 90
        while not (done.exists() and len(done.read_text().split()) >= QUICK):
            assert worker.process is not None
            assert worker.process.poll() is None, worker.log()
            assert time.monotonic() < deadline, worker.log()[-3000:]
            await asyncio.sleep(0.2)
        assert "0" not in done.read_text().split()
        await asyncio.sleep(2.0)  # ten commit intervals: whatever Faust would commit, it has
    finally:
        worker.kill()
    return _committed(settings, group, topic)


async def test_kill9_never_commits_past_the_record_in_flight(
    stream_settings: Settings, tmp_path: Path
) -> None:
    committed = await _run_and_kill(stream_settings, tmp_path / "ordered", "ordered")
    assert committed <= 0, f"committed {committed} while offset 0 was still running"


async def test_kill9_with_direct_acks_loses_the_record_in_flight(
    stream_settings: Settings, tmp_path: Path
) -> None:
    """The same run acking as records finish: Faust commits past offset 0 (why acks.py exists)."""
    committed = await _run_and_kill(stream_settings, tmp_path / "direct", "direct")
    assert committed == QUICK + 1
