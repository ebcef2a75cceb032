"""The admission script's own Redis connection, against the test stack's Redis."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from redis.asyncio import Redis

from gateway.exceptions import BackendUnavailableError
from gateway.scriptlink import ScriptLink, bulk
from wastream.settings import Settings
from wastream.stack import free_port

# Echoes its keys and arguments, or fails, or keeps Redis busy, as its first argument asks.
ECHO = """
if ARGV[1] == 'fail' then return redis.error_reply('ERR asked to fail') end
if ARGV[1] == 'slow' then
  local t = redis.call('TIME')
  local until_us = tonumber(t[1]) * 1000000 + tonumber(t[2]) + 300000
  repeat t = redis.call('TIME') until tonumber(t[1]) * 1000000 + tonumber(t[2]) > until_us
end
if ARGV[1] == 'set' then redis.call('SET', KEYS[1], ARGV[2]) end
return table.concat(KEYS, ',') .. '|' .. table.concat(ARGV, ',')
"""


def _packed(keys: list[str], args: list[str]) -> tuple[int, int, bytes]:
    return len(keys), len(keys) + len(args), b"".join(bulk(item) for item in keys + args)


@pytest.fixture
async def redis(gateway_settings: Settings) -> AsyncIterator[Redis]:
    client = Redis.from_url(gateway_settings.redis_url, decode_responses=True)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def link(gateway_settings: Settings) -> AsyncIterator[ScriptLink]:
    link = ScriptLink(gateway_settings.redis_url, ECHO)
    try:
        yield link
    finally:
        await link.close()


def _with_db(url: str, db: int, userinfo: str = "") -> str:
    parts = urlsplit(url)
    netloc = f"{userinfo}@{parts.hostname}:{parts.port}" if userinfo else parts.netloc
    return urlunsplit((parts.scheme, netloc, f"/{db}", "", ""))


async def test_runs_the_script_with_keys_and_arguments(link: ScriptLink) -> None:
    keys, items, packed = _packed(["k1", "ключ"], ["echo", "", "émoji 🙂", "x" * 10_000])
    assert await link.run(keys, items, packed) == f"k1,ключ|echo,,émoji 🙂,{'x' * 10_000}"


async def test_pipelined_calls_get_their_own_replies(link: ScriptLink) -> None:
    calls = [_packed([f"k{n}"], ["echo", str(n)]) for n in range(200)]
    replies = await asyncio.gather(*(link.run(*call) for call in calls))
    assert replies == [f"k{n}|echo,{n}" for n in range(200)]


async def test_survives_a_flushed_script_cache(link: ScriptLink, redis: Redis) -> None:
    assert await link.run(*_packed(["a"], ["echo"])) == "a|echo"
    await redis.script_flush()
    assert await link.run(*_packed(["b"], ["echo"])) == "b|echo"
    assert await link.run(*_packed(["c"], ["echo"])) == "c|echo"


async def test_a_script_error_is_a_backend_error(link: ScriptLink) -> None:
    with pytest.raises(BackendUnavailableError, match="asked to fail"):
        await link.run(*_packed(["a"], ["fail"]))
    assert await link.run(*_packed(["a"], ["echo"])) == "a|echo"


async def test_reconnects_after_the_connection_is_killed(
    gateway_settings: Settings, redis: Redis
) -> None:
    name = f"link-{uuid.uuid4().hex[:8]}"
    link = ScriptLink(gateway_settings.redis_url, ECHO, client_name=name)
    try:
        assert await link.run(*_packed(["a"], ["echo"])) == "a|echo"
        (client,) = [c for c in await redis.client_list() if c["name"] == name]
        await redis.client_kill_filter(_id=client["id"])
        await asyncio.sleep(0.1)
        assert await link.run(*_packed(["b"], ["echo"])) == "b|echo"
        assert [c["name"] for c in await redis.client_list()].count(name) == 1
    finally:
        await link.close()


async def test_a_late_reply_fails_the_call_and_not_the_next(gateway_settings: Settings) -> None:
    link = ScriptLink(gateway_settings.redis_url, ECHO, reply_timeout_s=0.05)
    try:
        started = time.monotonic()
        with pytest.raises(BackendUnavailableError, match="no reply within"):
            await link.run(*_packed(["a"], ["slow"]))
        assert time.monotonic() - started < 0.25
        await asyncio.sleep(0.3)  # the script ends; its reply must not answer the next call
        assert await link.run(*_packed(["b"], ["echo"])) == "b|echo"
    finally:
        await link.close()


async def test_nothing_listening_fails_fast() -> None:
    link = ScriptLink(f"redis://127.0.0.1:{free_port()}/0", ECHO, connect_timeout_s=1.0)
    started = time.monotonic()
    with pytest.raises(BackendUnavailableError, match="cannot connect"):
        await link.run(*_packed(["a"], ["echo"]))
    assert time.monotonic() - started < 1.5


async def test_selects_the_database_of_the_url(gateway_settings: Settings, redis: Redis) -> None:
    key = f"scriptlink-db-{uuid.uuid4().hex}"
    link = ScriptLink(_with_db(gateway_settings.redis_url, 3), ECHO)
    try:
        await link.run(*_packed([key], ["set", "here"]))
    finally:
        await link.close()
    assert await redis.get(key) is None
    other = Redis.from_url(_with_db(gateway_settings.redis_url, 3), decode_responses=True)
    try:
        assert await other.get(key) == "here"
        await other.delete(key)
    finally:
        await other.aclose()


async def test_authenticates_as_the_url_user(gateway_settings: Settings, redis: Redis) -> None:
    user = f"link-{uuid.uuid4().hex[:8]}"
    await redis.acl_setuser(
        user, enabled=True, passwords=["+s3cret"], keys=["*"], commands=["+@all"]
    )
    try:
        link = ScriptLink(_with_db(gateway_settings.redis_url, 0, f"{user}:s3cret"), ECHO)
        try:
            assert await link.run(*_packed(["a"], ["echo"])) == "a|echo"
        finally:
            await link.close()
        wrong = ScriptLink(_with_db(gateway_settings.redis_url, 0, f"{user}:wrong"), ECHO)
        with pytest.raises(BackendUnavailableError, match="WRONGPASS"):
            await wrong.run(*_packed(["a"], ["echo"]))
    finally:
        await redis.acl_deluser(user)
