"""``wastream dlq``: list the dead letters on ``wa.dlq`` and replay chosen ones."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)

from schemas.codec import AvroCodec
from schemas.exceptions import SchemaError
from schemas.topics import DLQ
from wastream.exceptions import WastreamError
from wastream.partitioning import PRODUCER_PARTITIONER

__all__ = ["DeadLetterEntry", "DlqError", "read_dead_letters", "replay"]


class DlqError(WastreamError):
    """The dead-letter topic could not be read, or a dead letter could not be replayed."""


@dataclass(frozen=True)
class DeadLetterEntry:
    """One record of ``wa.dlq``: where it sits there (``partition``, ``offset``) and what it holds
    (the decoded ``DeadLetter``: the original topic, partition, offset, key, value and error)."""

    partition: int
    offset: int
    letter: dict[str, Any]

    @property
    def ref(self) -> str:
        return f"{self.partition}:{self.offset}"


def read_dead_letters(
    bootstrap: str, codec: AvroCodec, *, timeout_s: float = 10.0
) -> list[DeadLetterEntry]:
    """Every dead letter on ``wa.dlq``, oldest first within each partition."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "wastream-dlq-reader",
            "enable.auto.commit": False,
            "log_level": 0,
        }
    )
    entries: list[DeadLetterEntry] = []
    try:
        metadata = consumer.list_topics(DLQ, timeout=timeout_s)
        topic = metadata.topics.get(DLQ)
        if topic is None or topic.error is not None:
            raise DlqError(f"topic {DLQ} is not there: {topic.error if topic else 'missing'}")
        for partition in sorted(topic.partitions):
            entries.extend(_read_partition(consumer, codec, partition, timeout_s))
    except KafkaException as exc:
        raise DlqError(f"cannot read {DLQ}: {exc}") from exc
    finally:
        consumer.close()
    return entries


def _read_partition(
    consumer: Consumer, codec: AvroCodec, partition: int, timeout_s: float
) -> list[DeadLetterEntry]:
    offsets = consumer.get_watermark_offsets(TopicPartition(DLQ, partition), timeout=timeout_s)
    if offsets is None:
        raise DlqError(f"no offsets for {DLQ}[{partition}]")
    low, high = offsets
    if low is None or high is None or high <= low:
        return []
    consumer.assign([TopicPartition(DLQ, partition, OFFSET_BEGINNING)])
    entries: list[DeadLetterEntry] = []
    while True:
        message = consumer.poll(timeout_s)
        if message is None:
            raise DlqError(f"reading {DLQ}[{partition}] timed out")
        error = message.error()
        if error is not None:
            raise DlqError(f"reading {DLQ}[{partition}] failed: {error}")
        offset = message.offset() or 0
        value = message.value()
        if value is not None:
            try:
                letter = codec.decode_as("DeadLetter", value)
            except SchemaError as exc:
                letter = {"error": f"undecodable dead letter: {exc}", "topic": None}
            entries.append(DeadLetterEntry(partition, offset, letter))
        if offset >= high - 1:
            return entries


def replay(
    bootstrap: str, entries: Iterable[DeadLetterEntry], *, timeout_s: float = 10.0
) -> list[str]:
    """Publish each entry's original key and value to its original topic; answers the refs.

    The record goes through the consumer again as if it had just been published: a command
    that still cannot be decoded lands in ``wa.dlq`` once more, one that can runs (and a
    command id already executed ends ``DUPLICATE``, never twice).
    """
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "partitioner": PRODUCER_PARTITIONER,
            "message.max.bytes": 32 * 1024 * 1024,
        }
    )
    failures: list[str] = []
    done: list[str] = []

    def delivered(ref: str) -> Any:
        def callback(error: KafkaError | None, _message: Any) -> None:
            (failures if error is not None else done).append(
                f"{ref}: {error}" if error is not None else ref
            )

        return callback

    for entry in entries:
        topic = entry.letter.get("topic")
        if not topic or entry.letter.get("value") is None:
            raise DlqError(f"dead letter {entry.ref} holds no original record to replay")
        if "truncated" in str(entry.letter.get("error", "")):
            raise DlqError(f"dead letter {entry.ref} kept only a truncated copy of its record")
        producer.produce(
            topic,
            key=entry.letter.get("key"),
            value=entry.letter["value"],
            on_delivery=delivered(entry.ref),
        )
    remaining = producer.flush(timeout_s)
    if remaining or failures:
        raise DlqError(
            "replay incomplete: "
            + ", ".join(failures or [f"{remaining} record(s) not acknowledged in time"])
        )
    return done
