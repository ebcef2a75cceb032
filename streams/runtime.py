"""Everything one worker holds besides the Faust app: clients, the supervisor, the processor."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Iterator
from typing import Any

from confluent_kafka import Consumer, KafkaException, TopicPartition
from redis.asyncio import Redis

from connectors.vault import AuthVault, KafkaVaultBackup, RedisVaultStore, VaultKeyError, VaultKeys
from schemas.codec import AvroCodec
from schemas.topics import COMMANDS, VAULT_BACKUP
from streams.commands import CommandProcessor
from streams.execute import CommandExecutor
from streams.lanes import SessionLanes
from streams.leases import SessionLeases
from streams.ledger import CommandLedger
from streams.metrics import WorkerMetrics
from streams.pacing import Pacer
from streams.page_events import PageEventPublisher
from streams.published import PublishedResults
from streams.publisher import Publisher
from streams.retry import Backoff
from streams.snapshots import SESSION_UPDATES, SessionUpdate
from streams.stalls import StallWatch
from streams.supervisor import SessionSupervisor
from streams.types import SessionFactory
from wastream.exceptions import ConfigurationError
from wastream.settings import Settings

__all__ = ["WorkerRuntime", "worker_name"]

log = logging.getLogger(__name__)


def worker_name(settings: Settings) -> str:
    return settings.worker_id or f"{socket.gethostname()}-{os.getpid()}"


class WorkerRuntime:
    """Builds and holds the worker's parts; ``app`` is the Faust app they run in.

    Nothing here connects anywhere until used: Redis and Kafka clients connect lazily.
    """

    def __init__(self, app: Any, settings: Settings, session_factory: SessionFactory) -> None:
        self.app = app
        self.settings = settings
        self.worker_id = worker_name(settings)
        try:
            keys = VaultKeys(settings.vault_keys)
        except VaultKeyError as exc:
            raise ConfigurationError(
                f"the worker cannot start without an auth vault key: {exc}"
            ) from exc
        self.codec = AvroCodec()
        self.metrics = WorkerMetrics()
        self.redis = Redis.from_url(settings.redis_url)
        self.backup = KafkaVaultBackup(
            settings.kafka_bootstrap, self.codec, topic=VAULT_BACKUP, partitions=settings.partitions
        )
        self.vault = AuthVault(
            keys, RedisVaultStore(self.redis, ttl_s=settings.vault_ttl_s), self.backup
        )
        self.stopping = False
        self.publisher = Publisher(lambda: app.producer, self.codec, stopping=lambda: self.stopping)
        self.ledger = CommandLedger(self.redis, settings.result_ttl_s)
        self.lanes = SessionLanes()
        self.pacer = Pacer(settings.send_rate_per_min, settings.send_burst, settings.send_jitter)
        self.page_events = PageEventPublisher(
            self.publisher, self.update, self.metrics, self.worker_id
        )
        self.snapshot_of: Callable[[str], dict[str, Any] | None] = lambda _sid: None
        self.all_snapshots: Callable[[], Iterator[dict[str, Any]]] = lambda: iter(())
        self.supervisor = SessionSupervisor(
            worker_id=self.worker_id,
            factory=session_factory,
            vault=self.vault,
            leases=SessionLeases(self.redis, self.worker_id, settings.session_lease_s),
            profiles_dir=settings.worker_profiles_dir,
            update=self.update,
            publish_state=self.page_events.publish_state,
            on_page_event=self.page_events.on_page_event,
            snapshot=lambda sid: self.snapshot_of(sid),
            all_snapshots=lambda: self.all_snapshots(),
            partitions=settings.partitions,
            owned=self.owned_partitions,
            metrics=self.metrics,
            open_timeout_s=settings.session_start_timeout_s,
            restart_limit=settings.session_restart_limit,
            restart_window_s=settings.session_restart_window_s,
            flap_limit=settings.session_flap_limit,
            open_concurrency=settings.session_open_concurrency,
            restart_backoff=Backoff(
                settings.session_restart_limit,
                settings.session_restart_backoff_s,
                settings.retry_backoff_max_s,
            ),
        )
        self.executor = CommandExecutor(
            supervisor=self.supervisor,
            pacer=self.pacer,
            publisher=self.publisher,
            page_events=self.page_events,
            redis=self.redis,
            update=self.update,
            metrics=self.metrics,
            timeout_s=settings.command_timeout_s,
            progress_ttl_s=settings.result_ttl_s,
            history_limit=settings.scrape_page_limit,
            ready_wait_s=settings.session_start_timeout_s,
        )
        self.stalls = StallWatch(settings.worker_stall_s)
        self._offsets: Consumer | None = None  # reads committed and end offsets (stalls)
        self.processor = CommandProcessor(
            codec=self.codec,
            publisher=self.publisher,
            ledger=self.ledger,
            executor=self.executor,
            lanes=self.lanes,
            metrics=self.metrics,
            backoff=Backoff(
                settings.command_retries, settings.retry_backoff_s, settings.retry_backoff_max_s
            ),
            partitions=settings.partitions,
            worker_id=self.worker_id,
            published=PublishedResults(
                settings.kafka_bootstrap, self.codec, partitions=settings.partitions
            ),
            stopping=lambda: self.stopping,
        )

    async def update(
        self,
        session_id: str,
        tenant_id: str,
        *,
        set: dict[str, Any] | None = None,
        incr: dict[str, int] | None = None,
    ) -> None:
        """Send a snapshot change to the sessions table (through its co-partitioned topic)."""
        update = SessionUpdate(
            session_id, tenant_id, set=set or {}, incr=incr or {}, origin=self.worker_id
        )
        await self.publisher.send_raw(SESSION_UPDATES, session_id.encode(), update.dumps())

    def owned_partitions(self) -> set[int]:
        try:
            assignment = self.app.consumer.assignment()
        except Exception:
            return set()
        return {tp.partition for tp in assignment if tp.topic == COMMANDS}

    def sample_lag(self) -> None:
        consumer = self.app.consumer
        for tp in consumer.assignment():
            if tp.topic != COMMANDS:
                continue
            label = str(tp.partition)
            pending = self.processor.acks.pending(tp)
            self.metrics.inflight.labels(label).set(pending)
            try:
                highwater = consumer.highwater(tp)
            except Exception:
                continue
            released = self.processor.acks.last_released(tp)
            if highwater is not None and released is not None:
                self.metrics.consumer_lag.labels(label).set(max(0, highwater - released - 1))
            else:
                self.metrics.consumer_lag.labels(label).set(pending)

    async def rereads(self, now: float) -> list[tuple[Any, int, str]]:
        """``(tp, offset, why)`` of the partitions of ``wa.commands`` to read again from
        ``offset``: records before a tracked event never reached the agent
        (:meth:`streams.acks.OrderedAcks.verify`), or records wait past the committed offset, the
        agent holds none of them, and the offset has not moved for ``WASTREAM_WORKER_STALL_S``
        (:mod:`streams.stalls`). The broker answers for the offsets, not the consumer's own
        bookkeeping."""
        if self.app.rebalancing:
            return []
        assigned = [tp for tp in self.app.consumer.assignment() if tp.topic == COMMANDS]
        if not assigned:
            return []
        offsets = await asyncio.to_thread(self._broker_offsets, [tp.partition for tp in assigned])
        acks = self.processor.acks
        found = []
        for tp in assigned:
            if tp.partition not in offsets:
                continue
            committed, end = offsets[tp.partition]
            missing = acks.verify(tp, committed)
            if missing is not None:
                self.stalls.forget(tp)
                first, got = missing
                found.append((tp, first, f"offsets {first} to {got - 1} never reached the agent"))
            elif acks.pending(tp):
                self.stalls.forget(tp)  # in flight: commands under way hold the offset
            elif self.stalls.stalled(tp, end, committed - 1, now):
                self.stalls.forget(tp)
                found.append(
                    (tp, committed, f"offsets {committed} to {end - 1} never reach the agent")
                )
        return found

    def _broker_offsets(self, partitions: list[int]) -> dict[int, tuple[int, int]]:
        """Partition -> (the group's committed offset, or the log start; the end offset)."""
        if self._offsets is None:
            self._offsets = Consumer(
                {
                    "bootstrap.servers": self.settings.kafka_bootstrap,
                    "group.id": self.app.conf.id,
                    "enable.auto.commit": False,
                }
            )
        consumer = self._offsets
        out: dict[int, tuple[int, int]] = {}
        try:
            committed = consumer.committed(
                [TopicPartition(COMMANDS, p) for p in partitions], timeout=5.0
            )
            for tp in committed:
                low, high = consumer.get_watermark_offsets(
                    TopicPartition(COMMANDS, tp.partition), timeout=5.0, cached=False
                )
                out[tp.partition] = (tp.offset if tp.offset >= 0 else low, high)
        except KafkaException as exc:
            log.warning("cannot read the offsets of %s: %s", COMMANDS, exc)
        return out

    async def close(self) -> None:
        self.stopping = True
        await self.processor.close()
        await self.lanes.close()
        await self.supervisor.close()
        self.backup.close()
        if self._offsets is not None:
            self._offsets.close()
        await self.redis.aclose()
