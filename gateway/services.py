"""What the gateway holds open while it runs: the codec, the Kafka publisher, the Redis client
and what is built on them. Opened by the app's lifespan, closed when it ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from gateway.admission import ADMIT_LUA, Admission
from gateway.idempotency import IdempotencyStore
from gateway.publisher import KafkaPublisher
from gateway.ratelimit import RateLimits
from gateway.scriptlink import ScriptLink
from gateway.sessions import SessionStateReader
from schemas.codec import AvroCodec
from wastream.settings import Settings

__all__ = ["Services", "open_services"]


@dataclass(frozen=True, slots=True)
class Services:
    codec: AvroCodec
    publisher: KafkaPublisher
    redis: Redis
    admission: Admission
    idempotency: IdempotencyStore
    reader: SessionStateReader


def _redis_client(settings: Settings) -> Redis:
    # Short timeouts and a single quick retry: a Redis outage must answer 503 fast, not hang.
    return Redis.from_url(
        settings.redis_url,
        decode_responses=True,
        socket_connect_timeout=1.0,
        socket_timeout=2.0,
        retry=Retry(ExponentialBackoff(cap=0.05, base=0.01), 1),
    )


@asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Open every resource of the gateway; close them on exit (queued records are flushed)."""
    codec = AvroCodec()
    redis = _redis_client(settings)
    # The same bounds as the client's: an outage answers 503 fast, never a hang.
    link = ScriptLink(
        settings.redis_url,
        ADMIT_LUA,
        connect_timeout_s=1.0,
        reply_timeout_s=2.0,
        client_name="wastream-gateway-admission",
    )
    publisher = KafkaPublisher(settings)
    publisher.start()
    # A claim must outlive the longest publish, so a duplicate never publishes beside it.
    pending_ttl_ms = int((settings.publish_timeout_s + 5.0) * 2000)
    reader = SessionStateReader(redis, codec)
    try:
        yield Services(
            codec=codec,
            publisher=publisher,
            redis=redis,
            admission=Admission(link, RateLimits.from_settings(settings), pending_ttl_ms),
            idempotency=IdempotencyStore(redis, settings.idempotency_ttl_s),
            reader=reader,
        )
    finally:
        try:
            await publisher.close(timeout_s=settings.publish_timeout_s)
        finally:
            await link.close()
            await reader.aclose()
            await redis.aclose()
