"""Publishing Avro records through the worker's Faust producer, waiting for Kafka's acks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any

from schemas.codec import AvroCodec
from schemas.topics import RECORD_TOPIC

__all__ = ["Publisher"]

log = logging.getLogger(__name__)


class Publisher:
    """Encodes a record, sends it keyed by session id to its topic and awaits the ack.

    ``producer`` is ``app.producer`` (read when sending: Faust builds it at startup). A send Kafka
    refuses is retried (every ``retry_s``, doubling up to 5 s) until it succeeds or ``stopping()``
    says the worker is going down; what is not acknowledged is never acked upstream either.
    """

    def __init__(
        self,
        producer: Callable[[], Any],
        codec: AvroCodec,
        *,
        stopping: Callable[[], bool] = lambda: False,
        retry_s: float = 0.2,
    ) -> None:
        self._producer = producer
        self.codec = codec
        self._stopping = stopping
        self._retry_s = retry_s

    async def publish(self, name: str, datum: Mapping[str, Any], *, key: str) -> None:
        await self.send_raw(RECORD_TOPIC[name], key.encode(), self.codec.encode(name, datum))

    async def send_raw(self, topic: str, key: bytes | None, value: bytes) -> None:
        delay = self._retry_s
        while True:
            try:
                await self._producer().send_and_wait(
                    topic, key, value, partition=None, timestamp=None, headers=None
                )
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._stopping():
                    raise
                log.warning("publish to %s failed, retrying in %.1fs: %s", topic, delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
