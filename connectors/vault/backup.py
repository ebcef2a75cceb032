"""The vault's Kafka side: each sealed version copied to the compacted ``wa.vault-backup``."""

from __future__ import annotations

import asyncio
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)

from connectors.vault.exceptions import VaultError
from connectors.vault.sealing import SealedBlob
from schemas.codec import AvroCodec
from wastream.partitioning import PRODUCER_PARTITIONER, partition_for

__all__ = ["KafkaVaultBackup"]


class KafkaVaultBackup:
    """Copies of sealed logins on a compacted topic, keyed by session id.

    When Redis has lost a session's login, :meth:`latest` reads the session's partition to its
    end and answers the newest copy; a tombstone (logout) hides every earlier one.
    """

    def __init__(
        self,
        bootstrap: str,
        codec: AvroCodec,
        *,
        topic: str,
        partitions: int,
        timeout_s: float = 10.0,
    ) -> None:
        self._bootstrap = bootstrap
        self._codec = codec
        self._topic = topic
        self._partitions = partitions
        self._timeout_s = timeout_s
        self._producer = Producer(
            {
                "bootstrap.servers": bootstrap,
                "enable.idempotence": True,
                "acks": "all",
                "partitioner": PRODUCER_PARTITIONER,
                "message.max.bytes": 16 * 1024 * 1024,
                "compression.type": "none",
            }
        )

    def _send(self, key: str, value: bytes | None) -> None:
        outcome: list[KafkaError | None] = []

        def delivered(error: KafkaError | None, _message: Any) -> None:
            outcome.append(error)

        try:
            self._producer.produce(
                self._topic,
                key=key.encode(),
                value=value,
                partition=partition_for(key, self._partitions),
                on_delivery=delivered,
            )
        except (KafkaException, BufferError) as exc:
            raise VaultError(f"cannot back up the login of {key}: {exc}") from exc
        self._producer.flush(self._timeout_s)
        if not outcome:
            raise VaultError(f"the backup of the login of {key} was not acknowledged in time")
        if outcome[0] is not None:
            raise VaultError(f"the backup of the login of {key} failed: {outcome[0]}")

    async def put(self, blob: SealedBlob) -> None:
        value = self._codec.encode(
            "VaultBackup",
            {
                "session_id": blob.session_id,
                "version": blob.version,
                "key_id": blob.key_id,
                "nonce": blob.nonce,
                "ciphertext": blob.ciphertext,
                "created_at": _now_ms(),
            },
        )
        await asyncio.to_thread(self._send, blob.session_id, value)

    async def delete(self, session_id: str) -> None:
        await asyncio.to_thread(self._send, session_id, None)

    def _read_latest(self, session_id: str) -> SealedBlob | None:
        partition = partition_for(session_id, self._partitions)
        consumer = Consumer(
            {
                "bootstrap.servers": self._bootstrap,
                "group.id": "wastream-vault-restore",
                "enable.auto.commit": False,
                "enable.partition.eof": True,
            }
        )
        key = session_id.encode()
        latest: SealedBlob | None = None
        try:
            offsets = consumer.get_watermark_offsets(
                TopicPartition(self._topic, partition), timeout=self._timeout_s
            )
            if offsets is None:
                raise VaultError(f"no offsets for {self._topic}[{partition}]")
            low, high = offsets
            if low is None or high is None or high <= low:
                return None
            consumer.assign([TopicPartition(self._topic, partition, OFFSET_BEGINNING)])
            while True:
                message = consumer.poll(self._timeout_s)
                if message is None:
                    raise VaultError(f"reading {self._topic}[{partition}] timed out")
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        break
                    raise VaultError(f"reading {self._topic}[{partition}] failed: {error}")
                if message.key() == key:
                    value = message.value()
                    latest = None if value is None else self._blob(value)
                offset = message.offset()
                if offset is not None and offset >= high - 1:
                    break
        except KafkaException as exc:
            raise VaultError(f"cannot read the backup of {session_id}: {exc}") from exc
        finally:
            consumer.close()
        return latest

    def _blob(self, value: bytes) -> SealedBlob:
        record = self._codec.decode_as("VaultBackup", value)
        return SealedBlob(
            session_id=record["session_id"],
            version=record["version"],
            key_id=record["key_id"],
            nonce=record["nonce"],
            ciphertext=record["ciphertext"],
        )

    async def latest(self, session_id: str) -> SealedBlob | None:
        return await asyncio.to_thread(self._read_latest, session_id)

    def close(self) -> None:
        self._producer.flush(self._timeout_s)


def _now_ms() -> int:
    import time

    return int(time.time() * 1000)
