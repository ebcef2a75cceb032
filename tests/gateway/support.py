"""Helpers of the gateway tests: apps served over ASGI, tokens, and reading ``wa.commands``."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from confluent_kafka import Consumer, KafkaException, TopicPartition

from gateway import create_app, mint_token
from schemas import AvroCodec
from schemas.exceptions import SchemaError
from schemas.topics import COMMANDS
from wastream.settings import Settings

__all__ = [
    "ALL_SCOPES",
    "CommandLog",
    "Record",
    "auth",
    "gateway_client",
    "new_session_id",
]

ALL_SCOPES = ("sessions:write", "sessions:read", "messages:send", "groups:write", "scrape:read")


def new_session_id(prefix: str = "s") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def auth(settings: Settings, tenant: str, scopes: Iterable[str] = ALL_SCOPES) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(settings, tenant, scopes)}"}


@asynccontextmanager
async def gateway_client(
    settings: Settings, *, lifespan: bool = True
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a fresh gateway app over ASGI; ``lifespan=False`` opens no Kafka or Redis."""
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        if lifespan:
            async with app.router.lifespan_context(app):
                yield client
        else:
            yield client


class Record:
    """One record read back from ``wa.commands``."""

    def __init__(self, partition: int, key: bytes, envelope: dict[str, Any]) -> None:
        self.partition = partition
        self.key = key
        self.envelope = envelope


class CommandLog:
    """Reads ``wa.commands`` from the end it had when created; finds records by command id."""

    def __init__(self, settings: Settings) -> None:
        self._codec = AvroCodec()
        self._consumer = Consumer(
            {
                "bootstrap.servers": settings.kafka_bootstrap,
                "group.id": f"gateway-tests-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "isolation.level": "read_committed",
            }
        )
        metadata = self._consumer.list_topics(COMMANDS, timeout=10)
        partitions = sorted(metadata.topics[COMMANDS].partitions)
        assignment = [
            TopicPartition(COMMANDS, partition, self._high_watermark(partition))
            for partition in partitions
        ]
        self._consumer.assign(assignment)
        self.records: dict[str, list[Record]] = {}

    def _high_watermark(self, partition: int) -> int:
        # Just after the topics were created, leadership may still be settling: retry a while.
        deadline = time.monotonic() + 30
        while True:
            try:
                _, high = self._consumer.get_watermark_offsets(
                    TopicPartition(COMMANDS, partition), timeout=10
                )
                return int(high)
            except KafkaException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def close(self) -> None:
        self._consumer.close()

    def _drain(self, timeout_s: float) -> None:
        for message in self._consumer.consume(num_messages=500, timeout=timeout_s):
            if message.error() is not None:
                continue
            value, key, partition = message.value(), message.key(), message.partition()
            assert value is not None
            assert key is not None
            assert partition is not None
            try:
                envelope = self._codec.decode_as("CommandEnvelope", value)
            except SchemaError:
                continue  # the topic is shared: other tests publish malformed records to it
            record = Record(partition, key, envelope)
            self.records.setdefault(envelope["command_id"], []).append(record)

    async def find(self, command_id: str, timeout_s: float = 15.0) -> list[Record]:
        """Every record of ``command_id`` read so far, waiting for the first one."""
        deadline = time.monotonic() + timeout_s
        while command_id not in self.records and time.monotonic() < deadline:
            await asyncio.to_thread(self._drain, 0.2)
        assert command_id in self.records, f"no record of {command_id} on {COMMANDS}"
        return self.records[command_id]

    async def settle(self, seconds: float = 1.0) -> None:
        """Read whatever arrives within ``seconds`` (to see late duplicates)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await asyncio.to_thread(self._drain, 0.2)
