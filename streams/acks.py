"""Acknowledging consumed events strictly in offset order, per partition.

Faust commits the highest offset of the first run of consecutive acked offsets, and skips its gap
check while nothing was committed yet (faust-streaming issue 606): acking offset 6 while 5 still
runs may commit 7, and a crash then loses 5. Sessions run in parallel, so commands of one
partition finish out of order; :class:`OrderedAcks` holds every finished event until each earlier
event of its partition has finished, then releases them in order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["OrderedAcks", "Ticket"]

T = TypeVar("T")


@dataclass(eq=False, slots=True)
class _Entry(Generic[T]):
    offset: int
    item: T
    done: bool = False


@dataclass(eq=False, slots=True)
class _Lane(Generic[T]):
    """One partition's events in offset order, since the last assignment."""

    entries: deque[_Entry[T]] = field(default_factory=deque)
    last_tracked: int = -1
    last_released: int = -1


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
    them). ``revoke`` forgets partitions: their pending items are never acked (Kafka redelivers
    them to the next owner) and tickets still out for them become no-ops.
    """

    def __init__(self, ack: Callable[[T], object]) -> None:
        self._ack = ack
        self._lanes: dict[Hashable, _Lane[T]] = {}

    def track(self, partition: Hashable, offset: int, item: T) -> Ticket[T]:
        lane = self._lanes.get(partition)
        if lane is None or offset <= lane.last_tracked:
            # A first event, or a rewind (the consumer seeked back): what was held is
            # redelivered, so the old lane is forgotten rather than acked.
            lane = self._lanes[partition] = _Lane()
        lane.last_tracked = offset
        entry = _Entry(offset, item)
        lane.entries.append(entry)
        return Ticket(self, partition, lane, entry)

    def revoke(self, partitions: Iterable[Hashable]) -> None:
        for partition in partitions:
            self._lanes.pop(partition, None)

    def pending(self, partition: Hashable) -> int:
        """Events tracked on ``partition`` and not yet released."""
        lane = self._lanes.get(partition)
        return len(lane.entries) if lane is not None else 0

    def last_released(self, partition: Hashable) -> int | None:
        """The highest offset released on ``partition`` since its assignment."""
        lane = self._lanes.get(partition)
        if lane is None or lane.last_released < 0:
            return None
        return lane.last_released

    def partitions(self) -> list[Hashable]:
        return list(self._lanes)

    def _release(self, partition: Hashable, lane: _Lane[T]) -> int:
        if self._lanes.get(partition) is not lane:
            return 0
        released = 0
        entries = lane.entries
        while entries and entries[0].done:
            entry = entries.popleft()
            lane.last_released = entry.offset
            self._ack(entry.item)
            released += 1
        return released
