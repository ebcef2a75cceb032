"""Acknowledging consumed events strictly in offset order, per partition, and never past a record
the agent did not get.

Faust commits the highest offset of the first run of consecutive acked offsets, and skips its gap
check while nothing was committed yet (faust-streaming issue 606): acking offset 6 while 5 still
runs may commit 7, and a crash then loses 5. Sessions run in parallel, so commands of one
partition finish out of order; :class:`OrderedAcks` holds every finished event until each earlier
event of its partition has finished, then releases them in order.

Faust also drops records now and then: around a rebalance its fetcher marks a record read that
never reached the agent, and its head-of-queue check lets one missing record through (committed
31, acked 32 and on: it commits past 31). So a lane also holds its acks until it knows that no
record before them is missing: a lane's first offset must be the partition's committed offset
(:meth:`OrderedAcks.verify`, from the broker), and offsets must follow one another. A hole either
way is read again (:meth:`OrderedAcks.reread`); a hole still there on the second read is offsets
that hold no record (a transaction marker, compaction), and is passed over.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["OrderedAcks", "Ticket"]

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(eq=False, slots=True)
class _Entry(Generic[T]):
    offset: int
    item: T
    done: bool = False


@dataclass(eq=False, slots=True)
class _Lane(Generic[T]):
    """One partition's events in offset order, since the last assignment or rewind."""

    first: int
    entries: deque[_Entry[T]] = field(default_factory=deque)
    last_tracked: int = -1
    last_released: int = -1
    #: ``first`` is known to be where the partition's unread records begin.
    confirmed: bool = False
    #: The first offset missing between two tracked ones and the one tracked after it; nothing
    #: from the hole on is released.
    hole: tuple[int, int] | None = None
    #: The consumer was sent back to this offset: the lane ends at the rewind to come.
    reread_from: int | None = None


class Ticket(Generic[T]):
    """One tracked event; :meth:`done` once its outcome is durable."""

    __slots__ = ("_entry", "_lane", "_owner", "partition")

    def __init__(
        self, owner: OrderedAcks[T], partition: Hashable, lane: _Lane[T], entry: _Entry[T]
    ) -> None:
        self._owner = owner
        self._lane = lane
        self._entry = entry
        self.partition = partition

    @property
    def offset(self) -> int:
        return self._entry.offset

    @property
    def is_done(self) -> bool:
        return self._entry.done

    @property
    def is_current(self) -> bool:
        """False once its partition was revoked: its ack would be dropped."""
        return self._owner._lanes.get(self.partition) is self._lane

    def done(self) -> int:
        """Mark the event finished; answers how many events this released (0 when held)."""
        if self._entry.done:
            return 0
        self._entry.done = True
        return self._owner._release(self.partition, self._lane)


class OrderedAcks(Generic[T]):
    """Releases tracked items to ``ack`` in offset order per partition.

    ``track`` must see a partition's offsets in increasing order (the order Kafka delivers
    them); a lower offset is a rewind. ``revoke`` forgets partitions: their pending items are
    never acked (Kafka redelivers them to the next owner) and tickets still out for them become
    no-ops. Nothing of a lane is released before :meth:`verify` confirms where it starts.
    """

    def __init__(self, ack: Callable[[T], object]) -> None:
        self._ack = ack
        self._lanes: dict[Hashable, _Lane[T]] = {}

    def track(self, partition: Hashable, offset: int, item: T) -> Ticket[T]:
        lane = self._lanes.get(partition)
        if lane is None:
            lane = self._start(partition, offset, None)
        elif offset <= lane.last_tracked:
            if self._repeats(lane, offset):
                # Records from ``offset`` come again (Faust redelivers the last one it handed
                # over after its own seek): the lane goes on, their first copies are not acked.
                while lane.entries and lane.entries[-1].offset >= offset:
                    lane.entries.pop()
                lane.hole = None
            else:
                # A rewind before the lane (the consumer seeked back): what was held is
                # redelivered, so the old lane is forgotten rather than acked.
                lane = self._start(partition, offset, lane)
        elif offset > lane.last_tracked + 1 and lane.hole is None and lane.reread_from is None:
            lane.hole = (lane.last_tracked + 1, offset)
        lane.last_tracked = offset
        entry = _Entry(offset, item)
        lane.entries.append(entry)
        return Ticket(self, partition, lane, entry)

    def verify(self, partition: Hashable, committed: int) -> tuple[int, int] | None:
        """Check ``partition`` against the broker's ``committed`` offset: answers ``(missing,
        next)`` when records from offset ``missing`` up to the tracked ``next`` never reached
        the agent (read the partition again from ``missing``), else None."""
        lane = self._lanes.get(partition)
        if lane is None or lane.reread_from is not None:
            return None
        if not lane.confirmed:
            if committed < lane.first:
                return committed, lane.first
            lane.confirmed = True
            self._release(partition, lane)
        return lane.hole

    def reread(self, partition: Hashable, offset: int) -> None:
        """The consumer of ``partition`` was sent back to ``offset``."""
        lane = self._lanes.get(partition)
        if lane is None:
            self._lanes[partition] = _Lane(offset, last_tracked=offset - 1, confirmed=True)
        elif offset <= lane.last_tracked:
            lane.reread_from = offset  # events still to come past it are stale: held, not acked
        # else the lane goes on from ``offset`` as it is

    def revoke(self, partitions: Iterable[Hashable]) -> None:
        for partition in partitions:
            self._lanes.pop(partition, None)

    def pending(self, partition: Hashable) -> int:
        """Events tracked on ``partition`` and not yet released (0 while it is read again)."""
        lane = self._lanes.get(partition)
        if lane is None or lane.reread_from is not None:
            return 0
        return len(lane.entries)

    def last_released(self, partition: Hashable) -> int | None:
        """The highest offset released on ``partition`` since its assignment."""
        lane = self._lanes.get(partition)
        if lane is None or lane.last_released < 0:
            return None
        return lane.last_released

    def partitions(self) -> list[Hashable]:
        return list(self._lanes)

    def _start(self, partition: Hashable, offset: int, previous: _Lane[T] | None) -> _Lane[T]:
        lane = self._lanes[partition] = _Lane(offset)
        log.debug("partition %s: tracking from offset %d", partition, offset)
        if previous is not None and previous.reread_from is not None:
            # The read we asked for: its first offset is where the partition resumes.
            lane.confirmed = True
            if offset > previous.reread_from:
                log.info(
                    "partition %s: offsets %d to %d hold no record; going on from %d",
                    partition,
                    previous.reread_from,
                    offset - 1,
                    offset,
                )
        return lane

    @staticmethod
    def _repeats(lane: _Lane[T], offset: int) -> bool:
        """Whether a rewind to ``offset`` repeats records this lane got, all of them since its
        first (so nothing before ``offset`` is missing)."""
        if lane.reread_from is not None or offset < lane.first:
            return False
        return lane.hole is None or offset <= lane.hole[0]

    def _release(self, partition: Hashable, lane: _Lane[T]) -> int:
        if self._lanes.get(partition) is not lane or not lane.confirmed:
            return 0
        if lane.reread_from is not None:
            return 0
        released = 0
        entries = lane.entries
        hole = lane.hole[0] if lane.hole is not None else None
        while entries and entries[0].done and (hole is None or entries[0].offset < hole):
            entry = entries.popleft()
            lane.last_released = entry.offset
            self._ack(entry.item)
            released += 1
        return released
