"""Partitions of ``wa.commands`` whose records the consumer fetched but never handed over.

Under some rebalances (a worker taking over a partition while its recovery resumes the flow),
Faust's consumer advances past records it drops before they reach the agent; nothing acks them,
but nothing fetches them again either until the next rebalance (faust-streaming issue 629
describes the family). :class:`StallWatch` notices a partition whose committed offset stays
behind its end for ``stall_s`` seconds while the worker holds none of its records; the worker
then seeks it back to the committed offset, and the records come again. Records seen twice are
harmless: the command ledger answers for a command already run. (A dropped record followed by
ones the agent got is noticed sooner, by :class:`streams.acks.OrderedAcks`.)
"""

from __future__ import annotations

from collections.abc import Hashable

__all__ = ["StallWatch"]


class StallWatch:
    """Remembers, per partition, since when records have been waiting that the agent never got."""

    def __init__(self, stall_s: float) -> None:
        self.stall_s = stall_s
        self._waiting: dict[Hashable, tuple[int, float]] = {}  # partition -> (seen, since)

    def stalled(self, partition: Hashable, highwater: int | None, seen: int, now: float) -> bool:
        """True when ``partition`` holds records after offset ``seen`` (the committed offset
        minus one) and ``seen`` has not moved for ``stall_s`` seconds."""
        if highwater is None or highwater <= seen + 1:
            self._waiting.pop(partition, None)
            return False
        previous = self._waiting.get(partition)
        if previous is None or previous[0] != seen:
            self._waiting[partition] = (seen, now)
            return False
        return now - previous[1] >= self.stall_s

    def forget(self, partition: Hashable) -> None:
        self._waiting.pop(partition, None)
