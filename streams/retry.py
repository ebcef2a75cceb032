"""Bounded retries of transient failures: exponential backoff with jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["Backoff"]


@dataclass(frozen=True, slots=True)
class Backoff:
    """``retries`` retries after the first attempt; the n-th waits about ``base * 2^(n-1)``
    seconds (at most ``cap``), drawn uniformly from its upper half (``WASTREAM_COMMAND_RETRIES``,
    ``WASTREAM_RETRY_BACKOFF_S``, ``WASTREAM_RETRY_BACKOFF_MAX_S``)."""

    retries: int
    base_s: float
    cap_s: float

    def delay(self, retry: int, rng: random.Random | None = None) -> float:
        """The pause before retry number ``retry`` (1-based)."""
        ceiling = min(self.cap_s, self.base_s * (2 ** (retry - 1)))
        return (rng or random).uniform(ceiling / 2, ceiling)

    @property
    def attempts(self) -> int:
        return self.retries + 1
