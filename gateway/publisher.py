"""Publishing command records to Kafka, awaiting the broker's acknowledgement from asyncio.

The confluent-kafka producer is idempotent with ``acks=all`` and partitions by murmur2 of the
key, as the Java clients and aiokafka (the workers) do, so a session's records land where its
worker reads. The event loop itself serves the producer's callbacks (a non-blocking ``poll``
every millisecond while records await their reports, every 100 ms otherwise), so a delivery
report resolves its future directly: no thread, no cross-thread wake-up per record.

Timeouts are aligned: the producer's own ``message.timeout.ms`` equals
``WASTREAM_PUBLISH_TIMEOUT_S``, so every record gets its delivery report (success or failure)
within that time and the producer never sends a record after the gateway has answered 503 for
it. The gateway waits a little longer than that for the report, as a last guard. A record that
timed out while in flight may still have been written by the broker; the caller keeps its
``command_id`` for a retry (the workers execute a ``command_id`` once). While every broker is
down the publisher fails at once, without producing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from functools import partial
from typing import Any

import orjson
from confluent_kafka import KafkaError, KafkaException, Producer

from gateway.exceptions import PublishError
from schemas.topics import COMMANDS
from wastream.partitioning import PRODUCER_PARTITIONER
from wastream.settings import Settings

__all__ = ["KafkaPublisher"]

logger = logging.getLogger(__name__)

_REPORT_GRACE_S = 1.0
_BUSY_POLL_S = 0.001
_IDLE_POLL_S = 0.1


class KafkaPublisher:
    """Produces to one topic; :meth:`publish` returns once the broker acknowledged the record.

    ``settings.kafka_bootstrap`` says where Kafka is, ``settings.publish_timeout_s`` bounds the
    wait for an acknowledgement; ``topic`` defaults to ``wa.commands``.
    """

    def __init__(self, settings: Settings, topic: str = COMMANDS) -> None:
        self.topic = topic
        self._timeout_ms = max(1, int(settings.publish_timeout_s * 1000))
        self._config: dict[str, Any] = {
            "bootstrap.servers": settings.kafka_bootstrap,
            "client.id": "wastream-gateway",
            "enable.idempotence": True,
            "acks": "all",
            "linger.ms": settings.gateway_linger_ms,
            "partitioner": PRODUCER_PARTITIONER,
            "message.timeout.ms": self._timeout_ms,
            "request.timeout.ms": min(30_000, self._timeout_ms),
            "socket.connection.setup.timeout.ms": max(1000, self._timeout_ms),
            "reconnect.backoff.ms": 50,
            "reconnect.backoff.max.ms": 1000,
            "statistics.interval.ms": 1000,
            "error_cb": self._on_error,
            "stats_cb": self._on_stats,
            "logger": logging.getLogger("gateway.kafka"),
        }
        self._producer: Producer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tick: asyncio.TimerHandle | None = None
        self._busy = False
        # (deadline, future) of every record awaiting its report, in the order produced
        self._awaiting: deque[tuple[float, asyncio.Future[None]]] = deque()
        self._brokers_up = True
        self._fatal: KafkaError | None = None
        self._metadata_checked = (0.0, False)

    @property
    def available(self) -> bool:
        """False while every broker is known down or after a fatal producer error."""
        return self._brokers_up and self._fatal is None

    def start(self) -> None:
        """Create the producer and start serving its callbacks (inside the running loop)."""
        self._loop = asyncio.get_running_loop()
        self._producer = Producer(self._config)
        self._tick = self._loop.call_later(_IDLE_POLL_S, self._serve)

    async def close(self, timeout_s: float = 5.0) -> None:
        """Deliver what is queued (up to ``timeout_s``), then stop."""
        producer = self._producer
        if producer is None:
            return
        deadline = time.monotonic() + timeout_s
        while len(producer) and time.monotonic() < deadline:
            producer.poll(0)
            await asyncio.sleep(0.01)
        producer.poll(0)
        if self._tick is not None:
            self._tick.cancel()
        for _, future in self._awaiting:
            if not future.done():
                future.set_exception(
                    PublishError("the gateway stopped before Kafka answered", possibly_stored=True)
                )
        self._awaiting.clear()
        self._producer = None

    async def publish(self, key: bytes, value: bytes) -> None:
        """Produce ``value`` keyed by ``key``, wait for the acknowledgement; else PublishError."""
        producer = self._producer
        loop = self._loop
        if producer is None or loop is None:
            raise PublishError("the publisher is not started", possibly_stored=False)
        if self._fatal is not None:
            raise PublishError(f"the producer failed: {self._fatal.str()}", possibly_stored=False)
        if not self._brokers_up:
            raise PublishError("Kafka is unreachable", retry_after_s=2, possibly_stored=False)
        future: asyncio.Future[None] = loop.create_future()
        try:
            producer.produce(self.topic, value, key, on_delivery=partial(self._delivered, future))
        except BufferError as exc:
            raise PublishError(
                "the producer's queue is full", retry_after_s=1, possibly_stored=False
            ) from exc
        except KafkaException as exc:
            raise PublishError(f"Kafka refused the record: {exc}", possibly_stored=False) from exc
        self._awaiting.append((loop.time() + self._timeout_ms / 1000 + _REPORT_GRACE_S, future))
        if not self._busy:
            self._busy = True
            if self._tick is not None:
                self._tick.cancel()
            self._tick = loop.call_later(_BUSY_POLL_S, self._serve)
        await future

    def metadata_ok(self, timeout_s: float = 1.0, max_age_s: float = 1.0) -> bool:
        """Whether a metadata request lists the topic (blocking; cached for ``max_age_s``)."""
        checked_at, ok = self._metadata_checked
        now = time.monotonic()
        if now - checked_at < max_age_s:
            return ok
        producer = self._producer
        ok = False
        if producer is not None and self._fatal is None:
            try:
                metadata = producer.list_topics(self.topic, timeout=timeout_s)
                topic = metadata.topics.get(self.topic)
                ok = topic is not None and topic.error is None and bool(topic.partitions)
            except KafkaException:
                ok = False
        self._metadata_checked = (time.monotonic(), ok)
        return ok

    def _serve(self) -> None:
        producer = self._producer
        loop = self._loop
        if producer is None or loop is None:
            return
        producer.poll(0)
        awaiting = self._awaiting
        now = loop.time()
        while awaiting and (awaiting[0][1].done() or awaiting[0][0] <= now):
            _, future = awaiting.popleft()
            if not future.done():
                future.set_exception(
                    PublishError("no acknowledgement from Kafka in time", possibly_stored=True)
                )
        self._busy = bool(awaiting)
        self._tick = loop.call_later(_BUSY_POLL_S if self._busy else _IDLE_POLL_S, self._serve)

    def _delivered(
        self, future: asyncio.Future[None], error: KafkaError | None, _message: object
    ) -> None:
        if future.done():
            return
        if error is None:
            self._brokers_up = True
            future.set_result(None)
        else:
            future.set_exception(
                PublishError(
                    f"Kafka did not store the record: {error.str()}",
                    possibly_stored=error.code() == KafkaError._MSG_TIMED_OUT,
                )
            )

    def _on_error(self, error: KafkaError) -> None:
        if error.fatal():
            logger.error("the Kafka producer failed for good: %s", error.str())
            self._fatal = error
        elif error.code() == KafkaError._ALL_BROKERS_DOWN:
            logger.warning("every Kafka broker is down: %s", error.str())
            self._brokers_up = False
        else:
            logger.info("Kafka producer: %s", error.str())

    def _on_stats(self, stats_json: str) -> None:
        # Only the "all brokers down" error marks Kafka down; statistics notice its return.
        if self._brokers_up:
            return
        brokers = orjson.loads(stats_json).get("brokers", {})
        if any(broker.get("state") == "UP" for broker in brokers.values()):
            logger.info("a Kafka broker is reachable again")
            self._brokers_up = True
