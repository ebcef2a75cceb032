"""The commands agent's work: decode, dead-letter, deduplicate, expire, execute with retries, and
publish exactly one terminal ``CommandResult`` per command before its offset may advance.

:meth:`CommandProcessor.accept` runs in the agent's loop and never waits on a browser: it tracks
the event for in-order acking (:mod:`streams.acks`) and queues the command on its session's lane
(:mod:`streams.lanes`). The lane stores the outcome in Redis (:mod:`streams.ledger`), publishes
the result, waits for Kafka's ack, and only then marks the event done.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from schemas.codec import AvroCodec
from schemas.exceptions import SchemaError
from schemas.topics import DLQ
from streams.acks import OrderedAcks, Ticket
from streams.connector import classify
from streams.exceptions import CommandFailure, PermanentFailure
from streams.execute import CommandExecutor
from streams.lanes import Job, SessionLanes
from streams.ledger import CommandLedger, StoredOutcome
from streams.metrics import WorkerMetrics
from streams.published import PublishedResults
from streams.publisher import Publisher
from streams.retry import Backoff
from wastream.partitioning import partition_for

__all__ = ["DLQ_VALUE_MAX_BYTES", "CommandProcessor"]

log = logging.getLogger(__name__)

#: Dead letters keep at most this much of the original value (the rest would not fit a record).
DLQ_VALUE_MAX_BYTES = 256 * 1024


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(slots=True)
class _Progress:
    """How far one command got, kept across the retries of a Redis or Kafka outage."""

    result: dict[str, Any] | None = None
    recorded: bool = False  # in the ledger
    published: bool = False  # on Kafka


class CommandProcessor:
    """Turns every record of ``wa.commands`` into one terminal result (or one dead letter)."""

    def __init__(
        self,
        *,
        codec: AvroCodec,
        publisher: Publisher,
        ledger: CommandLedger,
        executor: CommandExecutor,
        lanes: SessionLanes,
        metrics: WorkerMetrics,
        backoff: Backoff,
        partitions: int,
        worker_id: str,
        published: PublishedResults,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self._codec = codec
        self._publisher = publisher
        self._ledger = ledger
        self._executor = executor
        self._lanes = lanes
        self._metrics = metrics
        self._backoff = backoff
        self._partitions = partitions
        self._worker_id = worker_id
        self._published = published
        self._stopping = stopping
        self.acks: OrderedAcks[Any] = OrderedAcks(lambda event: event.ack())
        self._tasks: set[asyncio.Task[None]] = set()

    # -- the agent's side ----------------------------------------------------------------------

    def accept(self, event: Any) -> None:
        """Take one event of ``wa.commands``; returns at once."""
        message = event.message
        tp = message.tp
        ticket = self.acks.track(tp, message.offset, event)
        source = f"{tp.topic}:{tp.partition}:{message.offset}"
        try:
            envelope = self._codec.decode_as("CommandEnvelope", message.value)
        except SchemaError as exc:
            self._spawn(self._dead_letter(message, exc, ticket))
            return
        job = Job(run=lambda: self._handle(envelope, source, ticket), partition=tp)
        self._lanes.submit(envelope["session_id"], job)

    def revoke(self, tps: set[Any]) -> None:
        """Partitions went away: nothing of theirs is acked any more, queued work is dropped."""
        self.acks.revoke(tps)
        self._lanes.drop_pending(tps)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- one command -----------------------------------------------------------------------------

    async def _handle(self, envelope: dict[str, Any], source: str, ticket: Ticket[Any]) -> None:
        progress = _Progress()
        delay = 0.2
        while ticket.is_current and not ticket.is_done:
            try:
                await self._process(envelope, source, ticket, progress)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Redis or Kafka unavailable: hold the offset and try again from the step that
                # failed (a result already published is never published a second time).
                if self._stopping():
                    return
                log.warning(
                    "command %s held, retrying in %.1fs: %s",
                    envelope["command_id"],
                    delay,
                    exc,
                    extra={
                        "command_id": envelope["command_id"],
                        "session_id": envelope["session_id"],
                    },
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _process(
        self, envelope: dict[str, Any], source: str, ticket: Ticket[Any], progress: _Progress
    ) -> None:
        if progress.result is None:
            existing = await self._ledger.lookup(envelope["command_id"])
            if existing is not None:
                await self._seen_before(envelope, source, existing)
                ticket.done()
                return
            progress.result = await self._outcome(envelope, source)
        await self._finish(envelope, source, progress)
        ticket.done()

    async def _outcome(self, envelope: dict[str, Any], source: str) -> dict[str, Any]:
        _, tp_partition, _ = source.rsplit(":", 2)
        if partition_for(envelope["session_id"], self._partitions) != int(tp_partition):
            return self._result(
                envelope,
                "REJECTED",
                "WRONG_PARTITION",
                "the record's partition is not its session's: publish keyed by session_id "
                "with the murmur2 partitioner",
                attempts=0,
            )
        if _now_ms() >= envelope["expires_at"]:
            return self._result(
                envelope, "EXPIRED", "COMMAND_EXPIRED", "past expires_at; not executed", 0
            )
        return await self._execute(envelope)

    async def _execute(self, envelope: dict[str, Any]) -> dict[str, Any]:
        command_id = envelope["command_id"]
        first_run = await self._ledger.mark_started(command_id) and envelope["attempt"] <= 1
        attempts = 0
        while True:
            attempts += 1
            try:
                output = await self._executor.run(envelope, first_run=first_run and attempts == 1)
                return self._result(envelope, "DONE", None, None, attempts, output)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failure = classify(exc)
                if failure is None:
                    log.exception("command %s crashed", command_id)
                    failure = PermanentFailure("INTERNAL", f"{type(exc).__name__}: {exc}")
            if not self._retry(failure, attempts, envelope):
                return self._result(envelope, "FAILED", failure.code, failure.detail, attempts)
            self._metrics.retries.labels(failure.code).inc()
            await asyncio.sleep(self._backoff.delay(attempts))

    def _retry(self, failure: CommandFailure, attempts: int, envelope: dict[str, Any]) -> bool:
        return (
            failure.transient
            and attempts <= self._backoff.retries
            and not self._stopping()
            and _now_ms() < envelope["expires_at"]
        )

    async def _seen_before(
        self, envelope: dict[str, Any], source: str, existing: StoredOutcome
    ) -> None:
        if existing.source == source:
            # The same record again (a crash or a rebalance): its one result, if not on Kafka yet.
            # A worker killed between Kafka's ack and the ledger's note leaves it unmarked, so
            # the topic itself is asked first.
            result = existing.result
            if not existing.published and not await self._published.contains(
                result["session_id"], result["command_id"], int(result["completed_at"])
            ):
                await self._publisher.publish("CommandResult", result, key=result["session_id"])
            await self._ledger.mark_published(result["command_id"])
            return
        duplicate = self._result(
            envelope,
            "DUPLICATE",
            "DUPLICATE_COMMAND",
            f"command {envelope['command_id']} already ended {existing.result['outcome']} "
            f"(record {existing.source})",
            attempts=0,
            output={"original_outcome": str(existing.result["outcome"])},
        )
        await self._publisher.publish("CommandResult", duplicate, key=envelope["session_id"])
        self._count(envelope, duplicate)

    async def _finish(self, envelope: dict[str, Any], source: str, progress: _Progress) -> None:
        result = progress.result
        assert result is not None
        if not progress.recorded:
            existing = await self._ledger.record(result, source)
            if existing is not None:
                # Someone stored an outcome first (the previous owner of this partition).
                await self._seen_before(envelope, source, existing)
                return
            progress.recorded = True
        if not progress.published:
            await self._publisher.publish("CommandResult", result, key=result["session_id"])
            progress.published = True
            self._count(envelope, result)
            if result["outcome"] != "DONE":
                log.info(
                    "command %s (%s) of %s ended %s %s: %s",
                    result["command_id"],
                    envelope["payload"][0],
                    result["session_id"],
                    result["outcome"],
                    result["error_code"],
                    result["detail"],
                    extra={"command_id": result["command_id"], "session_id": result["session_id"]},
                )
        await self._ledger.mark_published(result["command_id"])

    def _count(self, envelope: dict[str, Any], result: dict[str, Any]) -> None:
        outcome = result["outcome"]
        self._metrics.commands.labels(envelope["payload"][0], outcome).inc()
        self._metrics.command_latency.labels(outcome).observe(
            max(0.0, (result["completed_at"] - result["issued_at"]) / 1000.0)
        )
        if result["error_code"]:
            self._metrics.errors.labels(result["error_code"]).inc()

    def _result(
        self,
        envelope: dict[str, Any],
        outcome: str,
        error_code: str | None,
        detail: str | None,
        attempts: int,
        output: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        return {
            "command_id": envelope["command_id"],
            "session_id": envelope["session_id"],
            "tenant_id": envelope["tenant_id"],
            "outcome": outcome,
            "error_code": error_code,
            "detail": detail,
            "issued_at": envelope["issued_at"],
            "completed_at": _now_ms(),
            "attempts": attempts,
            "trace_id": envelope["trace_id"],
            "output": output or {},
        }

    # -- dead letters ----------------------------------------------------------------------------

    async def _dead_letter(self, message: Any, exc: Exception, ticket: Ticket[Any]) -> None:
        value = bytes(message.value or b"")
        error = str(exc)
        if len(value) > DLQ_VALUE_MAX_BYTES:
            error += f" [value truncated from {len(value)} to {DLQ_VALUE_MAX_BYTES} bytes]"
            value = value[:DLQ_VALUE_MAX_BYTES]
        letter = {
            "topic": message.topic,
            "partition": message.partition,
            "offset": message.offset,
            "key": bytes(message.key) if message.key is not None else None,
            "value": value,
            "error": error,
            "error_type": type(exc).__name__,
            "attempts": 1,
            "failed_at": _now_ms(),
            "worker": self._worker_id,
        }
        log.warning(
            "dead letter %s[%s]@%s: %s", message.topic, message.partition, message.offset, error
        )
        await self._publisher.send_raw(DLQ, letter["key"], self._codec.encode("DeadLetter", letter))
        self._metrics.dead_letters.inc()
        ticket.done()

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
