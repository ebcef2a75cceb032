"""Per-session send pacing: a token bucket with jitter, so sends never come at a machine's rhythm.

A session may send ``burst`` messages back to back, then one every ``60 / rate_per_min``
seconds; each send waits a further random ``0..jitter * interval``. ``rate_per_min = 0`` turns
pacing off (benchmarks). Defaults (``WASTREAM_SEND_RATE_PER_MIN``, ``WASTREAM_SEND_BURST``,
``WASTREAM_SEND_JITTER``): 20 a minute, bursts of 3, 30 % jitter.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable

__all__ = ["Pacer", "TokenBucket"]


class TokenBucket:
    """One session's bucket; :meth:`reserve` answers how long to wait before sending."""

    def __init__(
        self,
        rate_per_min: float,
        burst: int,
        jitter: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.interval = 60.0 / rate_per_min if rate_per_min > 0 else 0.0
        self.burst = max(1, burst)
        self.jitter = jitter
        self._clock = clock
        self._rng = rng or random.Random()
        self._tokens = float(self.burst)
        self._updated = clock()

    @property
    def enabled(self) -> bool:
        return self.interval > 0

    def reserve(self) -> float:
        """Take one token; answers the seconds to wait before using it."""
        if not self.enabled:
            return 0.0
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) / self.interval)
        self._updated = now
        self._tokens -= 1.0
        wait = -self._tokens * self.interval if self._tokens < 0 else 0.0
        return wait + self._rng.uniform(0.0, self.jitter * self.interval)


class Pacer:
    """Buckets by session id; ``await pacer.wait(session_id)`` before every send."""

    def __init__(
        self,
        rate_per_min: float,
        burst: int,
        jitter: float,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._rate = rate_per_min
        self._burst = burst
        self._jitter = jitter
        self._sleep = sleep
        self._buckets: dict[str, TokenBucket] = {}

    @property
    def enabled(self) -> bool:
        return self._rate > 0

    async def wait(self, session_id: str) -> float:
        if not self.enabled:
            return 0.0
        bucket = self._buckets.get(session_id)
        if bucket is None:
            bucket = self._buckets[session_id] = TokenBucket(self._rate, self._burst, self._jitter)
        delay = bucket.reserve()
        if delay > 0:
            await self._sleep(delay)
        return delay

    async def wait_fixed(self, pace_ms: int, jitter: float | None = None) -> float:
        """A broadcast's own pace: ``pace_ms`` plus jitter."""
        base = pace_ms / 1000.0
        delay = base + random.uniform(0.0, (self._jitter if jitter is None else jitter) * base)
        if delay > 0:
            await self._sleep(delay)
        return delay

    def forget(self, session_id: str) -> None:
        self._buckets.pop(session_id, None)
