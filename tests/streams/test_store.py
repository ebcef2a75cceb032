"""The Redis table store: rows and changelog offsets in Redis, read back by the next owner."""

from __future__ import annotations

import uuid
from typing import Any

import faust
import redis
from faust.types import TP

from streams.store import RedisStore, table_index_key, table_offsets_key, table_row_key
from wastream.partitioning import partition_for
from wastream.settings import Settings


def _table(settings: Settings, name: str, app_id: str = "store-test") -> Any:
    app = faust.App(
        app_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        store=settings.redis_url,
        topic_partitions=4,
        autodiscover=False,
        web_enabled=False,
    )
    return app.Table(name, partitions=4, key_type=bytes, value_type=bytes)


def test_the_store_is_registered_for_redis_urls(stream_settings: Settings) -> None:
    table = _table(stream_settings, f"t{uuid.uuid4().hex[:8]}")
    assert isinstance(table.data, RedisStore)


def test_set_get_delete_write_through_to_redis(stream_settings: Settings) -> None:
    name = f"t{uuid.uuid4().hex[:8]}"
    store = _table(stream_settings, name).data
    client = redis.Redis.from_url(stream_settings.redis_url)
    partition = partition_for(b"s1", 4)
    store[b"s1"] = b"one"
    assert store[b"s1"] == b"one"
    assert b"s1" in store
    assert len(store) == 1
    assert client.get(table_row_key(name, b"s1")) == b"one"
    assert client.smembers(table_index_key(name, partition)) == {b"s1"}
    store[b"s1"] = b"two"
    assert client.get(table_row_key(name, "s1")) == b"two"
    del store[b"s1"]
    assert b"s1" not in store
    assert client.get(table_row_key(name, b"s1")) is None
    assert client.smembers(table_index_key(name, partition)) == set()
    client.close()


async def test_a_new_owner_loads_rows_and_offsets_from_redis(stream_settings: Settings) -> None:
    name = f"t{uuid.uuid4().hex[:8]}"
    first = _table(stream_settings, name)
    store = first.data
    keys = [f"s{i}".encode() for i in range(12)]
    for key in keys:
        store[key] = b"v-" + key
    changelog = first.changelog_topic.get_topic_name()
    tps = {TP(changelog, p) for p in range(4)}
    for tp in tps:
        store.set_persisted_offset(tp, 40 + tp.partition)

    second = _table(stream_settings, name)
    other = second.data
    assert len(other) == 0
    assert other.persisted_offset(TP(changelog, 2)) == 42
    assert other.persisted_offset(TP(changelog + "-x", 2)) == 42  # by partition, per table
    owned = {tp for tp in tps if tp.partition in (0, 1)}
    await other.on_rebalance(owned, set(), owned)
    expected = {k for k in keys if partition_for(k, 4) in (0, 1)}
    assert set(other.keys()) == expected
    assert all(other[k] == b"v-" + k for k in expected)
    await other.on_rebalance(set(), {TP(changelog, 0)}, set())
    assert set(other.keys()) == {k for k in keys if partition_for(k, 4) == 1}
    client = redis.Redis.from_url(stream_settings.redis_url)
    assert client.hgetall(table_offsets_key(name)) == {
        str(p).encode(): str(40 + p).encode() for p in range(4)
    }
    client.close()


def test_rows_lost_by_redis_are_written_again(stream_settings: Settings) -> None:
    name = f"t{uuid.uuid4().hex[:8]}"
    store = _table(stream_settings, name).data
    client = redis.Redis.from_url(stream_settings.redis_url)
    keys = [f"s{i}".encode() for i in range(6)]
    for key in keys:
        store[key] = b"v-" + key
    assert store.keep_present() == 0  # Redis has everything: nothing to write again
    assert store.keep_present() == 0

    # Redis loses every key of the table, the worker's marker included (an empty restart).
    lost = list(client.scan_iter(match=f"*{name}*"))
    assert len(lost) > len(keys)
    client.delete(*lost)
    assert client.get(table_row_key(name, keys[0])) is None

    assert store.keep_present() == len(keys)
    for key in keys:
        assert client.get(table_row_key(name, key)) == b"v-" + key
        assert key in client.smembers(table_index_key(name, partition_for(key, 4)))
    assert store.keep_present() == 0
    client.close()
