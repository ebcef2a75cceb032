"""A Faust table store kept in Redis, so that the gateway reads table rows with one ``GET`` and a
worker taking over a partition replays only the changelog tail.

Registered as the ``redis`` (and ``rediss``) store through the ``faust.stores`` entry point:
a table whose store URL is the Redis URL (``redis://host:port/db``) lands here.

Redis key layout (every key wastream's workers write; ``{table}`` is the Faust table name, the
sessions table is ``sessions``)::

    wastream:table:{table}:{key}            STRING  the row's value bytes, as on the changelog
                                                    (sessions: an Avro SessionSnapshot, single-
                                                    object encoded; see streams.readers)
    wastream:table:{table}:index:{p}        SET     the keys of changelog partition p
    wastream:table:{table}:offsets          HASH    changelog partition -> last offset stored
    wastream:table-writer:{table}:{worker}  STRING  "1" while the worker runs, TTL (see below)
    wastream:command:{command_id}           STRING  JSON terminal result (streams.ledger), TTL
    wastream:command-published:{command_id} STRING  "1" once the result is on Kafka, TTL
    wastream:command-started:{command_id}   STRING  set when execution first began, TTL
    wastream:broadcast:{command_id}         HASH    recipient index -> message id sent, TTL
    wastream:session-lease:{session_id}     STRING  the worker whose browser has the session
                                                    open (streams.leases), TTL

Rows are written through to Redis when set and kept in memory for the partitions this worker
owns (reads never leave the process). The persisted offset advances when Kafka acknowledges the
changelog record; recovery seeks there, so a new owner replays only what Redis may have missed.
Standby replicas are pointless with a shared store and are refused. A write Redis refuses is kept
and retried with the next write, the changelog still carrying it.

Redis may lose its data (a restart without persistence, a failover to an empty replica, a
flush). Each worker renews a marker key every few seconds (:meth:`RedisStore.keep_present`);
when the marker is gone, the worker writes every row it holds again, so the gateway finds the
running sessions without waiting for their next change. The lost offsets only make the next
owner of a partition replay more of the changelog.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import redis
from faust.stores.base import SerializedStore
from faust.streams import current_event
from faust.types import TP, EventT
from redis.exceptions import RedisError

from streams.keys import (
    TABLE_PREFIX,
    table_index_key,
    table_offsets_key,
    table_row_key,
    table_writer_key,
)
from wastream.partitioning import partition_for

__all__ = ["TABLE_PREFIX", "RedisStore", "table_index_key", "table_offsets_key", "table_row_key"]

log = logging.getLogger(__name__)

#: Lifetime of a worker's marker key; :meth:`RedisStore.keep_present` must run more often.
MARKER_TTL_S = 30


class RedisStore(SerializedStore[Any, Any]):
    """Table rows in Redis, cached in memory for the partitions this worker owns."""

    def __init__(self, url: Any, app: Any, table: Any, **kwargs: Any) -> None:
        super().__init__(url, app, table, **kwargs)
        self.client = redis.Redis.from_url(str(url), socket_timeout=5.0, socket_connect_timeout=5.0)
        self._rows: dict[int, dict[bytes, bytes]] = {}
        self._partition_of: dict[bytes, int] = {}
        self._unsaved: dict[bytes, tuple[int, bytes | None]] = {}
        self._marker = table_writer_key(self.table_name, uuid.uuid4().hex)
        self._marked = False
        # The marker's client answers fast when Redis is away: the check runs on the event loop.
        self._probe = redis.Redis.from_url(str(url), socket_timeout=1.0, socket_connect_timeout=1.0)

    # -- the key/value surface Faust's SerializedStore builds on --------------------------------

    def _get(self, key: bytes) -> bytes | None:
        partition = self._partition_of.get(key)
        if partition is None:
            return None
        return self._rows.get(partition, {}).get(key)

    def _set(self, key: bytes, value: bytes | None) -> None:
        self._write([(self._partition_for(key), key, value)])

    def _del(self, key: bytes) -> None:
        partition = self._partition_of.get(key)
        self._write([(partition if partition is not None else self._partition_for(key), key, None)])

    def _iterkeys(self) -> Iterator[bytes]:
        for rows in list(self._rows.values()):
            yield from list(rows)

    def _itervalues(self) -> Iterator[bytes | None]:
        for rows in list(self._rows.values()):
            yield from list(rows.values())

    def _iteritems(self) -> Iterator[tuple[bytes, bytes]]:
        for rows in list(self._rows.values()):
            yield from list(rows.items())

    def _size(self) -> int:
        return sum(len(rows) for rows in self._rows.values())

    def _contains(self, key: bytes) -> bool:
        return self._get(key) is not None

    def _clear(self) -> None:
        # Only the cache: Redis is shared with the gateway and with the partitions' next owners.
        self._rows.clear()
        self._partition_of.clear()

    # -- changelog offsets and recovery ---------------------------------------------------------

    def persisted_offset(self, tp: TP) -> int | None:
        raw = self.client.hget(table_offsets_key(self.table_name), str(tp.partition))
        return int(raw) if raw is not None else None

    def set_persisted_offset(self, tp: TP, offset: int) -> None:
        try:
            self.client.hset(table_offsets_key(self.table_name), str(tp.partition), str(offset))
        except RedisError as exc:
            # Harmless: recovery then replays from an earlier offset.
            log.warning("cannot persist changelog offset %s[%s]: %s", tp.topic, tp.partition, exc)

    async def need_active_standby_for(self, tp: TP) -> bool:
        return False

    def reset_state(self) -> None:
        """Nothing local to remove: the rows live in Redis, shared with the next owner."""

    async def backup_partition(
        self, tp: TP | int, flush: bool = True, purge: bool = False, keep: int = 1
    ) -> None:
        """Redis is the copy; there is nothing to back up."""

    def restore_backup(self, tp: TP | int, latest: bool = True, backup_id: int = 0) -> None:
        """Redis is the copy; there is nothing to restore."""

    def apply_changelog_batch(
        self,
        batch: Iterable[EventT[Any]],
        to_key: Callable[[Any], Any],
        to_value: Callable[[Any], Any],
    ) -> None:
        writes: list[tuple[int, bytes, bytes | None]] = []
        offsets: dict[TP, int] = {}
        for event in batch:
            message = event.message
            if message.key is None:
                raise TypeError(f"changelog record without a key: {message}")
            writes.append((message.partition, message.key, message.value))
            offsets[message.tp] = max(message.offset, offsets.get(message.tp, -1))
        if writes:
            self._write(writes)
        for tp, offset in offsets.items():
            self.set_persisted_offset(tp, offset)

    async def on_rebalance(
        self,
        assigned: set[TP],
        revoked: set[TP],
        newly_assigned: set[TP],
        generation_id: int = 0,
    ) -> None:
        topics = self.table.changelog_topic.topics
        for tp in revoked:
            if tp.topic in topics:
                self._forget(tp.partition)
        for tp in assigned:
            if tp.topic in topics and tp.partition not in self._rows:
                self._load(tp.partition)

    def keep_present(self) -> int:
        """Renew this worker's marker; when Redis lost it (and so every row), write every row
        held here again. Also retries rows a failed write left unsaved. Answers how many rows
        were written again after a loss."""
        try:
            previous = self._probe.set(self._marker, b"1", ex=MARKER_TTL_S, get=True)
        except RedisError as exc:
            log.warning("table %s: Redis unavailable: %s", self.table_name, exc)
            return 0
        rewritten = 0
        if previous is None and self._marked:
            for partition, rows in self._rows.items():
                for key, value in rows.items():
                    if key not in self._unsaved:
                        self._unsaved[key] = (partition, value)
                        rewritten += 1
            log.warning(
                "table %s: Redis lost its rows; writing %d rows again", self.table_name, rewritten
            )
        self._marked = True
        if self._unsaved:
            self._flush()
        return rewritten

    # -- internals --------------------------------------------------------------------------------

    def _partition_for(self, key: bytes) -> int:
        event = current_event()
        if event is not None and event.message.partition is not None:
            return int(event.message.partition)
        known = self._partition_of.get(key)
        if known is not None:
            return known
        return partition_for(key, self.app.conf.topic_partitions)

    def _forget(self, partition: int) -> None:
        rows = self._rows.pop(partition, {})
        for key in rows:
            self._partition_of.pop(key, None)

    def _load(self, partition: int) -> None:
        rows: dict[bytes, bytes] = {}
        try:
            members: set[bytes] = self.client.smembers(  # type: ignore[assignment]
                table_index_key(self.table_name, partition)
            )
            keys = sorted(members)
            if keys:
                values: list[bytes | None] = self.client.mget(  # type: ignore[assignment]
                    [table_row_key(self.table_name, k) for k in keys]
                )
                rows = {k: v for k, v in zip(keys, values, strict=True) if v is not None}
        except RedisError as exc:
            # Recovery then replays the partition's whole changelog into the cache.
            log.warning("cannot load table %s[%s] from Redis: %s", self.table_name, partition, exc)
            self.client.hdel(table_offsets_key(self.table_name), str(partition))
        self._rows[partition] = rows
        for key in rows:
            self._partition_of[key] = partition

    def _write(self, writes: list[tuple[int, bytes, bytes | None]]) -> None:
        for partition, key, value in writes:
            rows = self._rows.setdefault(partition, {})
            if value is None:
                rows.pop(key, None)
                self._partition_of.pop(key, None)
            else:
                rows[key] = value
                self._partition_of[key] = partition
            self._unsaved[key] = (partition, value)
        self._flush()

    def _flush(self) -> None:
        pending = dict(self._unsaved)
        pipe = self.client.pipeline(transaction=False)
        for key, (partition, value) in pending.items():
            row = table_row_key(self.table_name, key)
            index = table_index_key(self.table_name, partition)
            if value is None:
                pipe.delete(row)
                pipe.srem(index, key)
            else:
                pipe.set(row, value)
                pipe.sadd(index, key)
        try:
            pipe.execute()
        except RedisError as exc:
            log.warning(
                "table %s: %d rows not yet in Redis: %s", self.table_name, len(pending), exc
            )
            return
        for key, entry in pending.items():
            if self._unsaved.get(key) == entry:
                del self._unsaved[key]
