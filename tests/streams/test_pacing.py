"""Send pacing: a token bucket with jitter, off at rate 0."""

from __future__ import annotations

import random

from streams.pacing import Pacer, TokenBucket
from streams.retry import Backoff


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_one_per_interval() -> None:
    clock = Clock()
    bucket = TokenBucket(60.0, 3, 0.0, clock=clock)  # one a second, bursts of 3
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.reserve() == 1.0
    assert bucket.reserve() == 2.0
    clock.now = 10.0  # the bucket refills, never past its burst
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.reserve() == 1.0


def test_jitter_adds_a_bounded_random_pause() -> None:
    clock = Clock()
    bucket = TokenBucket(60.0, 1, 0.5, clock=clock, rng=random.Random(7))
    first = bucket.reserve()
    assert 0.0 <= first <= 0.5
    waits = [bucket.reserve() for _ in range(20)]
    base = [float(n) for n in range(1, 21)]
    assert all(b <= w <= b + 0.5 for w, b in zip(waits, base, strict=True))
    assert len({round(w - b, 6) for w, b in zip(waits, base, strict=True)}) > 1


async def test_rate_zero_turns_pacing_off() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    pacer = Pacer(0.0, 1, 0.3, sleep=sleep)
    assert not pacer.enabled
    assert [await pacer.wait("s") for _ in range(5)] == [0.0] * 5
    assert slept == []


async def test_sessions_have_buckets_of_their_own() -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    pacer = Pacer(6.0, 1, 0.0, sleep=sleep)  # one every 10 s
    assert await pacer.wait("a") == 0.0
    assert await pacer.wait("b") == 0.0
    assert 9.9 < await pacer.wait("a") <= 10.0
    assert len(slept) == 1


def test_backoff_grows_exponentially_with_jitter_up_to_its_cap() -> None:
    backoff = Backoff(retries=5, base_s=0.5, cap_s=3.0)
    rng = random.Random(1)
    delays = [backoff.delay(n, rng) for n in range(1, 6)]
    ceilings = [0.5, 1.0, 2.0, 3.0, 3.0]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert backoff.attempts == 6
