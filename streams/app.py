"""The Faust app of the workers: topics, the sessions table, agents, timers and the crontab.

``create_app(settings)`` builds it (nothing happens at import). Values travel as raw bytes:
records are single-object Avro, decoded by :class:`schemas.codec.AvroCodec` inside the agents,
so that a record that does not decode becomes a dead letter instead of a crashed consumer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from typing import Any

import faust
from mode import Service

from connectors.whatsapp import BrowserPool
from schemas.topics import COMMANDS
from streams.connector import default_session_factory
from streams.lanes import Job
from streams.readers import SESSIONS_TABLE
from streams.runtime import WorkerRuntime
from streams.snapshots import SESSION_UPDATES, SessionUpdate, apply_update
from streams.store import RedisStore
from streams.types import SessionFactory
from wastream.settings import Settings

__all__ = ["APP_ID", "CHANGELOG_TOPIC", "WorkerApp", "create_app"]

log = logging.getLogger(__name__)

#: The Faust app id: the consumer group, and the prefix of the table's changelog topic.
APP_ID = "wastream"
#: The sessions table's changelog (Faust names it ``<app id>-<table>-changelog``).
CHANGELOG_TOPIC = f"{APP_ID}-{SESSIONS_TABLE}-changelog"


class WorkerApp(faust.App):
    """A ``faust.App`` that carries its worker's :class:`~streams.runtime.WorkerRuntime`."""

    runtime: WorkerRuntime


def create_app(settings: Settings, *, session_factory: SessionFactory | None = None) -> WorkerApp:
    """The worker's Faust app; its :class:`~streams.runtime.WorkerRuntime` is ``app.runtime``.

    Raises ``ConfigurationError`` when no vault key is configured.
    """
    partitions = settings.partitions
    app = WorkerApp(
        APP_ID,
        broker=[f"kafka://{host.strip()}" for host in settings.kafka_bootstrap.split(",")],
        store=settings.redis_url,
        topic_partitions=partitions,
        table_standby_replicas=0,
        # In-flight commands are held (ordered acks); a rebalance must not wait for them.
        stream_wait_empty=False,
        web_enabled=False,
        autodiscover=False,
        datadir=str(settings.state_dir / "worker"),
        consumer_auto_offset_reset="earliest",
        key_serializer="raw",
        value_serializer="raw",
        broker_commit_interval=1.0,
        broker_session_timeout=settings.worker_group_timeout_s,
        broker_heartbeat_interval=settings.worker_group_timeout_s / 6,
        producer_acks=-1,
    )
    # One Playwright driver for every session of the worker, up while the worker runs.
    browser_pool = BrowserPool(settings)
    runtime = WorkerRuntime(
        app, settings, session_factory or default_session_factory(settings, browser_pool)
    )
    app.runtime = runtime
    codec = runtime.codec

    commands = app.topic(COMMANDS, partitions=partitions, value_serializer="raw")
    updates = app.topic(
        SESSION_UPDATES, partitions=partitions, internal=True, value_serializer="raw"
    )
    sessions = app.Table(
        SESSIONS_TABLE,
        partitions=partitions,
        key_type=bytes,
        value_type=bytes,
    )

    def snapshot_of(session_id: str) -> dict[str, Any] | None:
        raw = sessions.get(session_id.encode())
        return codec.decode_as("SessionSnapshot", raw) if raw is not None else None

    def all_snapshots() -> Iterator[dict[str, Any]]:
        for raw in list(sessions.values()):
            if raw is not None:
                yield codec.decode_as("SessionSnapshot", raw)

    runtime.snapshot_of = snapshot_of
    runtime.all_snapshots = all_snapshots

    @app.agent(commands, name="commands", concurrency=1)
    async def commands_agent(stream: Any) -> None:
        async for event in stream.noack().events():
            runtime.processor.accept(event)

    @app.agent(updates, name="session-updates", concurrency=1)
    async def session_updates_agent(stream: Any) -> None:
        async for event in stream.events():
            try:
                update = SessionUpdate.loads(event.value)
            except Exception as exc:
                log.warning("bad session update at offset %s: %s", event.message.offset, exc)
                continue
            current = snapshot_of(update.session_id)
            sessions[update.session_id.encode()] = codec.encode(
                "SessionSnapshot", apply_update(current, update)
            )

    tasks: set[asyncio.Task[None]] = set()

    def spawn(coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    owned: set[int] = set()

    @app.on_partitions_revoked.connect
    async def on_revoked(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        revoked: set[Any] = args[0]
        # Faust rebalances eagerly: every partition is revoked and re-read from its committed
        # offset, so nothing held may be acked any more.
        runtime.processor.revoke({tp for tp in revoked if tp.topic == COMMANDS})

    @app.on_partitions_assigned.connect
    async def on_assigned(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        assigned: set[Any] = args[0]
        now = {tp.partition for tp in assigned if tp.topic == COMMANDS}
        lost = owned - now
        owned.clear()
        owned.update(now)
        if lost:
            spawn(runtime.supervisor.revoke_partitions(lost))

    @app.on_rebalance_complete.connect
    async def on_rebalance_complete(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        spawn(runtime.supervisor.reconcile())

    @app.timer(5.0)  # type: ignore[untyped-decorator]
    async def sample_metrics() -> None:
        await runtime.supervisor.sample_metrics()
        runtime.sample_lag()

    @app.timer(2.0)  # type: ignore[untyped-decorator]
    async def keep_table_in_redis() -> None:
        # After Redis lost its data, the rows held here are written again (streams.store).
        store = sessions.data
        if isinstance(store, RedisStore):
            store.keep_present()

    @app.timer(2.0)  # type: ignore[untyped-decorator]
    async def reread_missing_commands() -> None:
        # Records fetched but dropped before the agent got them are read again (streams.acks,
        # streams.stalls); nothing past them is committed meanwhile. Errors are logged and the
        # next tick tries again: a timer whose function raises stops for good.
        try:
            found = await runtime.rereads(time.monotonic())
        except Exception as exc:
            log.warning("cannot check the commands' partitions for records never read: %s", exc)
            return
        for tp, offset, why in found:
            log.warning(
                "%s[%s]: %s; reading again from offset %s", tp.topic, tp.partition, why, offset
            )
            runtime.processor.acks.reread(tp, offset)
            try:
                await app.consumer.seek(tp, offset)
            except Exception as exc:  # the stall check seeks again later
                log.warning("cannot seek %s[%s] to %s: %s", tp.topic, tp.partition, offset, exc)

    @app.timer(settings.session_lease_s / 3)  # type: ignore[untyped-decorator]
    async def renew_session_leases() -> None:
        await runtime.supervisor.renew_leases()

    @app.timer(settings.vault_snapshot_interval_s)  # type: ignore[untyped-decorator]
    async def snapshot_logins() -> None:
        await runtime.supervisor.snapshot_all()

    if settings.scrape_crontab:
        kinds = [k.strip().upper() for k in settings.scrape_crontab_kinds.split(",") if k.strip()]

        @app.crontab(settings.scrape_crontab)
        async def periodic_scrape() -> None:
            stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
            for running in list(runtime.supervisor.sessions.values()):
                if running.state != "READY":
                    continue
                for kind in kinds:
                    command_id = f"crontab-{stamp}-{kind.lower()}"

                    async def scrape(
                        running: Any = running, kind: str = kind, command_id: str = command_id
                    ) -> None:
                        try:
                            await runtime.executor.scrape(
                                running, command_id, kind, None, None, None
                            )
                        except Exception as exc:
                            log.warning("periodic scrape of %s failed: %s", running.session_id, exc)

                    runtime.lanes.submit(running.session_id, Job(run=scrape))

    @app.service
    class RuntimeCloser(Service):
        async def on_start(self) -> None:
            if session_factory is None:
                try:
                    await browser_pool.__aenter__()
                except Exception as exc:
                    log.warning("the Playwright driver did not start (yet): %s", exc)

        async def on_stop(self) -> None:
            for task in list(tasks):
                task.cancel()
            await runtime.close()
            if session_factory is None:
                await browser_pool.__aexit__(None, None, None)

    return app
