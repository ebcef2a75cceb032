"""The ordered-ack tracker: finished events are released strictly in offset order."""

from __future__ import annotations

from streams.acks import OrderedAcks


def test_out_of_order_finishes_are_held_until_the_gap_closes() -> None:
    acked: list[int] = []
    acks: OrderedAcks[int] = OrderedAcks(acked.append)
    tickets = [acks.track("p0", offset, offset) for offset in range(5, 10)]
    assert tickets[1].done() == 0  # 6 done while 5 runs: nothing may be acked
    assert tickets[3].done() == 0
    assert acked == []
    assert acks.pending("p0") == 5
    assert tickets[0].done() == 2  # 5 releases 5 and 6, 7 still runs
    assert acked == [5, 6]
    assert tickets[2].done() == 2
    assert acked == [5, 6, 7, 8]
    assert acks.last_released("p0") == 8
    tickets[4].done()
    assert acked == [5, 6, 7, 8, 9]
    assert acks.pending("p0") == 0


def test_partitions_are_independent() -> None:
    acked: list[str] = []
    acks: OrderedAcks[str] = OrderedAcks(acked.append)
    a0 = acks.track(0, 10, "a0")
    b0 = acks.track(1, 3, "b0")
    a1 = acks.track(0, 11, "a1")
    a1.done()
    b0.done()
    assert acked == ["b0"]
    a0.done()
    assert acked == ["b0", "a0", "a1"]


def test_done_twice_counts_once() -> None:
    acked: list[int] = []
    acks: OrderedAcks[int] = OrderedAcks(acked.append)
    ticket = acks.track(0, 1, 1)
    assert ticket.done() == 1
    assert ticket.done() == 0
    assert acked == [1]


def test_revoked_partition_acks_nothing_any_more() -> None:
    acked: list[int] = []
    acks: OrderedAcks[int] = OrderedAcks(acked.append)
    first = acks.track(0, 1, 1)
    second = acks.track(0, 2, 2)
    second.done()
    acks.revoke([0])
    assert not first.is_current
    assert first.done() == 0
    assert acked == []
    # Redelivered after the rebalance: tracked afresh, acked in order.
    again = acks.track(0, 1, 1)
    assert again.is_current
    again.done()
    assert acked == [1]


def test_a_rewind_forgets_what_was_held() -> None:
    acked: list[int] = []
    acks: OrderedAcks[int] = OrderedAcks(acked.append)
    stale = acks.track(0, 7, 7)
    acks.track(0, 8, 8).done()
    fresh = acks.track(0, 7, 7)  # the consumer seeked back: 7 and 8 come again
    stale.done()
    assert acked == []
    fresh.done()
    assert acked == [7]
