"""Session leases in the test stack's Redis: one worker at a time opens a session."""

from __future__ import annotations

import asyncio
import time

import redis.asyncio as aioredis

from streams.leases import SessionLeases, lease_key
from tests.streams.support import new_id


async def test_a_lease_is_one_workers_until_given_back(redis_client: aioredis.Redis) -> None:
    session = new_id("lease")
    first = SessionLeases(redis_client, "w1", ttl_s=5.0)
    second = SessionLeases(redis_client, "w2", ttl_s=5.0)
    assert await first.take(session, wait_s=0) is None
    assert await first.take(session, wait_s=0) is None  # already its own
    started = time.monotonic()
    assert await second.take(session, wait_s=0.5) == "w1"
    assert time.monotonic() - started >= 0.5  # it waited
    await second.give_back(session)  # not its lease: nothing happens
    assert await redis_client.get(lease_key(session)) == b"w1"
    await first.give_back(session)
    assert await second.take(session, wait_s=0) is None
    assert await redis_client.get(lease_key(session)) == b"w2"


async def test_the_waiting_worker_takes_the_lease_as_soon_as_it_is_given_back(
    redis_client: aioredis.Redis,
) -> None:
    session = new_id("lease")
    first = SessionLeases(redis_client, "w1", ttl_s=5.0)
    second = SessionLeases(redis_client, "w2", ttl_s=5.0)
    await first.take(session, wait_s=0)
    waiting = asyncio.ensure_future(second.take(session, wait_s=5.0))
    await asyncio.sleep(0.3)
    assert not waiting.done()
    await first.give_back(session)
    assert await asyncio.wait_for(waiting, 2.0) is None


async def test_a_lease_not_renewed_lapses_and_renewing_keeps_it(
    redis_client: aioredis.Redis,
) -> None:
    kept, lapsed = new_id("lease"), new_id("lease")
    first = SessionLeases(redis_client, "w1", ttl_s=1.0)
    second = SessionLeases(redis_client, "w2", ttl_s=1.0)
    await first.take(kept, wait_s=0)
    await first.take(lapsed, wait_s=0)
    for _ in range(4):  # 1.6 s: past the TTL, renewed only for `kept`
        await asyncio.sleep(0.4)
        assert await first.renew([kept]) == []
    assert await second.take(lapsed, wait_s=0) is None  # the first worker's lapsed
    assert await second.take(kept, wait_s=0) == "w1"
    assert await second.renew([kept]) == [kept]  # held by another: reported, not taken
    assert await redis_client.delete(lease_key(kept)) == 1  # Redis lost it: renewing takes it
    assert await first.renew([kept]) == []
    assert await redis_client.get(lease_key(kept)) == b"w1"


async def test_a_lease_given_back_during_a_renewal_stays_given_back(
    redis_client: aioredis.Redis,
) -> None:
    # A renewal reads its sessions before their browsers closed; the last one's browser closes
    # while the renewal is at the first ones. Given back after the renewal, it stays free.
    sessions = [new_id("renewed") for _ in range(300)]
    leases = SessionLeases(redis_client, "w", ttl_s=5.0)
    for session in sessions:
        assert await leases.take(session, wait_s=0) is None
    renewal = asyncio.ensure_future(leases.renew(list(sessions)))
    await asyncio.sleep(0)  # the renewal is under way
    assert not renewal.done()
    await leases.give_back(sessions[-1])
    assert renewal.done()  # given back only after the renewal ended
    assert await renewal == []
    assert await redis_client.get(lease_key(sessions[-1])) is None
    assert await redis_client.get(lease_key(sessions[0])) == b"w"
