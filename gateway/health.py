"""``/healthz`` (the process answers) and ``/readyz`` (Kafka and Redis answer)."""

from __future__ import annotations

import asyncio

import orjson
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import Response

from gateway.services import Services
from gateway.state import GatewayState

__all__ = ["Readiness", "healthz"]

_REDIS_TIMEOUT_S = 1.0
_KAFKA_TIMEOUT_S = 1.0


async def healthz(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


class Readiness:
    """Checks Kafka (a metadata request, cached about a second) and Redis (PING)."""

    def __init__(self, state: GatewayState) -> None:
        self._state = state
        self._kafka_lock = asyncio.Lock()

    async def _kafka(self, services: Services) -> bool:
        async with self._kafka_lock:  # one metadata request at a time, the others reuse it
            return await asyncio.to_thread(services.publisher.metadata_ok, _KAFKA_TIMEOUT_S)

    async def _redis(self, services: Services) -> bool:
        try:
            async with asyncio.timeout(_REDIS_TIMEOUT_S):
                return bool(await services.redis.ping())
        except (RedisError, OSError, TimeoutError):
            return False

    async def endpoint(self, request: Request) -> Response:
        services = self._state.services
        if services is None:
            checks = {"kafka": False, "redis": False}
        else:
            kafka, redis = await asyncio.gather(self._kafka(services), self._redis(services))
            checks = {"kafka": kafka and services.publisher.available, "redis": redis}
        ready = all(checks.values())
        body = {"status": "ready" if ready else "unavailable", "checks": checks}
        return Response(
            orjson.dumps(body),
            status_code=200 if ready else 503,
            headers=None if ready else {"Retry-After": "1"},
            media_type="application/json",
        )
