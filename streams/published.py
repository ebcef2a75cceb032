"""Whether a command's result already reached ``wa.command-results``.

A worker may die after Kafka acknowledged a result and before the ledger noted it as published;
the partition's next owner then finds the outcome stored but not marked. Publishing it again
would give the command two results, so :class:`PublishedResults` first reads the result's
partition from shortly before the outcome was reached (``offsets_for_times``) to its end. It is
read only on that recovery path, never for a command running normally.
"""

from __future__ import annotations

import asyncio
import uuid

from confluent_kafka import OFFSET_END, Consumer, KafkaError, KafkaException, TopicPartition

from schemas.codec import AvroCodec
from schemas.exceptions import SchemaError
from schemas.topics import COMMAND_RESULTS
from streams.exceptions import StreamsError
from wastream.partitioning import partition_for

__all__ = ["PublishedResults"]

#: How much earlier than the outcome's ``completed_at`` the search starts: the record's
#: timestamp comes from the producing worker's clock, which may run behind this one's.
CLOCK_SKEW_MS = 60_000


class PublishedResults:
    """Looks up a command's result on its partition of ``wa.command-results``."""

    def __init__(
        self, bootstrap: str, codec: AvroCodec, *, partitions: int, timeout_s: float = 10.0
    ) -> None:
        self._bootstrap = bootstrap
        self._codec = codec
        self._partitions = partitions
        self._timeout_s = timeout_s

    async def contains(self, session_id: str, command_id: str, completed_at: int) -> bool:
        """True when a ``CommandResult`` of ``command_id`` is on the topic. Raises
        ``StreamsError`` when Kafka does not answer (the caller holds the command and retries)."""
        return await asyncio.to_thread(self._scan, session_id, command_id, completed_at)

    def _scan(self, session_id: str, command_id: str, completed_at: int) -> bool:
        partition = partition_for(session_id, self._partitions)
        consumer = Consumer(
            {
                "bootstrap.servers": self._bootstrap,
                "group.id": f"wastream-result-lookup-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "enable.partition.eof": True,
            }
        )
        try:
            since = TopicPartition(COMMAND_RESULTS, partition, completed_at - CLOCK_SKEW_MS)
            start = consumer.offsets_for_times([since], timeout=self._timeout_s)[0]
            if start.error is not None:
                raise StreamsError(f"cannot look up results: {start.error}")
            if start.offset < 0 or start.offset == OFFSET_END:
                return False  # nothing was written there since
            _, high = consumer.get_watermark_offsets(
                TopicPartition(COMMAND_RESULTS, partition), timeout=self._timeout_s
            )
            if start.offset >= high:
                return False
            consumer.assign([TopicPartition(COMMAND_RESULTS, partition, start.offset)])
            return self._find(consumer, command_id, high)
        except KafkaException as exc:
            raise StreamsError(f"cannot look up the result of {command_id}: {exc}") from exc
        finally:
            consumer.close()

    def _find(self, consumer: Consumer, command_id: str, high: int) -> bool:
        while True:
            message = consumer.poll(self._timeout_s)
            if message is None:
                raise StreamsError(f"reading {COMMAND_RESULTS} timed out")
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    return False
                raise StreamsError(f"reading {COMMAND_RESULTS} failed: {error}")
            value = message.value()
            if value is not None:
                try:
                    decoded = self._codec.decode(value)
                except SchemaError:
                    decoded = None
                if (
                    decoded is not None
                    and decoded.name == "CommandResult"
                    and decoded.record["command_id"] == command_id
                ):
                    return True
            offset = message.offset()
            if offset is not None and offset >= high - 1:
                return False
