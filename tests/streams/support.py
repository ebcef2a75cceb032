"""Helpers of the stream processor tests: a worker subprocess, a producer, topic readers."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from schemas.codec import AvroCodec
from wastream.partitioning import PRODUCER_PARTITIONER
from wastream.settings import Settings
from wastream.stack import free_port

__all__ = [
    "TEST_VAULT_KEYS",
    "TopicReader",
    "WorkerProcess",
    "envelope",
    "new_id",
    "publish",
]

ROOT = Path(__file__).resolve().parents[2]
TEST_VAULT_KEYS = "t1:" + base64.b64encode(bytes(range(32))).decode()

_RUN_WORKER = (
    "import sys\n"
    "from streams.worker import run\n"
    "from wastream.settings import load_settings\n"
    "sys.exit(run(load_settings()))\n"
)


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def envelope(
    session_id: str,
    kind: str,
    payload: dict[str, Any],
    *,
    command_id: str | None = None,
    ttl_ms: int = 60_000,
    issued_at: int | None = None,
    tenant_id: str = "tenant-a",
) -> dict[str, Any]:
    now = int(time.time() * 1000) if issued_at is None else issued_at
    return {
        "command_id": command_id or new_id("cmd"),
        "session_id": session_id,
        "tenant_id": tenant_id,
        "issued_at": now,
        "expires_at": now + ttl_ms,
        "attempt": 1,
        "trace_id": new_id("trace"),
        "source": "tests",
        "payload": (kind, payload),
    }


def publish(settings: Settings, topic: str, records: Sequence[tuple[bytes | None, bytes]]) -> None:
    """Publish ``(key, value)`` records in order and wait for every ack."""
    producer = Producer(
        {
            "bootstrap.servers": settings.kafka_bootstrap,
            "partitioner": PRODUCER_PARTITIONER,
            "enable.idempotence": True,
            "message.max.bytes": 2_000_000,
        }
    )
    errors: list[str] = []

    def delivered(err: Any, _msg: Any) -> None:
        if err is not None:
            errors.append(str(err))

    for key, value in records:
        producer.produce(topic, value=value, key=key, on_delivery=delivered)
    remaining = producer.flush(30)
    assert remaining == 0, errors
    assert not errors, errors


def _watermarks(consumer: Consumer, tp: TopicPartition) -> tuple[int, int]:
    """The partition's low and high offsets (leaders of new topics may still be elected)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            low, high = consumer.get_watermark_offsets(tp, timeout=10)
            return int(low), int(high)
        except KafkaException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


class TopicReader:
    """Reads a topic from its current end (or the beginning); decodes Avro values."""

    def __init__(self, settings: Settings, topic: str, *, from_beginning: bool = False) -> None:
        self.codec = AvroCodec()
        self.topic = topic
        self._consumer = Consumer(
            {
                "bootstrap.servers": settings.kafka_bootstrap,
                "group.id": f"stream-tests-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
            }
        )
        metadata = self._consumer.list_topics(topic, timeout=10)
        assignment = []
        for partition in sorted(metadata.topics[topic].partitions):
            low, high = _watermarks(self._consumer, TopicPartition(topic, partition))
            assignment.append(TopicPartition(topic, partition, low if from_beginning else high))
        self._consumer.assign(assignment)
        self.records: list[tuple[int, int, bytes | None, Any]] = []

    def close(self) -> None:
        self._consumer.close()

    def _drain(self, timeout_s: float) -> None:
        for message in self._consumer.consume(num_messages=500, timeout=timeout_s):
            if message.error() is not None:
                continue
            value = message.value()
            try:
                decoded: Any = self.codec.decode(value) if value is not None else None
            except Exception:
                decoded = value
            self.records.append(
                (message.partition() or 0, message.offset() or 0, message.key(), decoded)
            )

    async def wait_for(
        self, predicate: Callable[[Any], bool], count: int = 1, timeout_s: float = 60.0
    ) -> list[Any]:
        """The decoded values matching ``predicate``, once there are ``count`` of them."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = [value for *_, value in self.records if predicate(value)]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            await asyncio.to_thread(self._drain, 0.3)

    async def settle(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await asyncio.to_thread(self._drain, 0.3)


class WorkerProcess:
    """``streams.worker.run`` in a subprocess with the test stack's settings."""

    #: Every worker created in this test run (a failing test shows the logs of its workers).
    instances: ClassVar[list[WorkerProcess]] = []

    def __init__(self, settings: Settings, workdir: Path, **env: str) -> None:
        WorkerProcess.instances.append(self)
        self.settings = settings
        self.workdir = workdir
        self.metrics_port = free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "worker.log"
        self.env = {
            **os.environ,
            "WASTREAM_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
            "WASTREAM_REDIS_URL": settings.redis_url,
            "WASTREAM_PARTITIONS": str(settings.partitions),
            "WASTREAM_STATE_DIR": str(workdir / "state"),
            "WASTREAM_WORKER_PROFILES_DIR": str(workdir / "profiles"),
            "WASTREAM_WORKER_METRICS_PORT": str(self.metrics_port),
            "WASTREAM_VAULT_KEYS": TEST_VAULT_KEYS,
            "WASTREAM_LOG_JSON": "false",
            "WASTREAM_LOG_LEVEL": "INFO",
            "WASTREAM_RETRY_BACKOFF_S": "0.05",
            "WASTREAM_SEND_RATE_PER_MIN": "0",
            "PYTHONPATH": str(ROOT),
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, script: str = _RUN_WORKER) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def wait_log(self, text: str, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while text not in self.log():
            assert self.process is not None
            assert self.process.poll() is None, self.log()[-3000:]
            assert time.monotonic() < deadline, f"no {text!r} in worker log:\n{self.log()[-3000:]}"
            await asyncio.sleep(0.2)

    def stop(self, timeout_s: float = 30.0) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(10)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
