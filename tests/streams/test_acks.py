"""The ordered-ack tracker: finished events are released strictly in offset order, and never past
a record the agent did not get."""

from __future__ import annotations

import logging

import pytest

from streams.acks import OrderedAcks


def test_out_of_order_finishes_are_held_until_the_gap_closes() -> None:
    acked: list[int] = []
    acks: OrderedAcks[int] = OrderedAcks(acked.append)
    tickets = [acks.track("p0", offset, offset) for offset in range(5, 10)]
    assert acks.verify("p0", 5) is None
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


def test_nothing_is_released_before_the_start_is_verified() -> None:
    acked: list[int] = []
    acks: OrderedAcks[int] = OrderedAcks(acked.append)
    first = acks.track(0, 3, 3)
    assert first.done() == 0  # where the partition starts is not known yet
    assert acks.pending(0) == 1
    assert acks.verify(0, 3) is None  # the broker's committed offset is the first one got
    assert acked == [3]
    acks.track(0, 4, 4).done()
    assert acked == [3, 4]


def test_partitions_are_independent() -> None:
    acked: list[str] = []
    acks: OrderedAcks[str] = OrderedAcks(acked.append)
    a0 = acks.track(0, 10, "a0")
    b0 = acks.track(1, 3, "b0")
    a1 = acks.track(0, 11, "a1")
    acks.verify(0, 10)
    acks.verify(1, 3)
    a1.done()
    b0.done()
    assert acked == ["b0"]
    a0.done()
    assert acked == ["b0", "a0", "a1"]


def test_done_twice_counts_once() -> None:
    acked: list[int] = []
    acks: OrderedAcks[int] = OrderedAcks(acked.append)
    ticket = acks.track(0, 1, 1)
    acks.verify(0, 1)
    assert ticket.done() == 1
    assert ticket.done() == 0
    assert acked == [1]


def test_revoked_partition_acks_nothing_any_more() -> None:
    acked: list[int] = []
    acks: OrderedAcks[int] = OrderedAcks(acked.append)
    first = acks.track(0, 1, 1)
    second = acks.track(0, 2, 2)
    acks.verify(0, 1)
    second.done()
    acks.revoke([0])
    assert not first.is_current
    assert first.done() == 0
    assert acked == []
    # Redelivered after the rebalance: tracked afresh, verified again, acked in order.
    again = acks.track(0, 1, 1)
    assert again.is_current
    again.done()
    assert acked == []
    acks.verify(0, 1)
    assert acked == [1]


def test_a_rewind_forgets_what_was_held() -> None:
    acked: list[int] = []
    acks: OrderedAcks[int] = OrderedAcks(acked.append)
    stale = acks.track(0, 7, 7)
    acks.track(0, 8, 8).done()
    acks.verify(0, 7)
    fresh = acks.track(0, 7, 7)  # the consumer seeked back: 7 and 8 come again
    stale.done()
    acks.verify(0, 7)
    assert acked == []
    fresh.done()
    assert acked == [7]


def test_a_record_missing_at_the_head_is_read_again_and_nothing_passes_it() -> None:
    acked: list[int] = []
    acks: OrderedAcks[int] = OrderedAcks(acked.append)
    # Committed 31, but the agent's first record is 32: 31 was dropped on the way.
    for offset in (32, 33):
        acks.track("p", offset, offset).done()
    assert acks.verify("p", 31) == (31, 32)
    assert acked == []
    acks.reread("p", 31)
    assert acks.pending("p") == 0  # the old lane waits for the read asked for
    stale = acks.track("p", 34, 34)  # fetched before the seek: runs, but is never acked
    assert stale.done() == 0
    assert acks.verify("p", 31) is None  # no second seek while the first is under way
    for offset in (31, 32, 33, 34):
        acks.track("p", offset, offset).done()
    assert acked == [31, 32, 33, 34]


def test_a_hole_between_records_holds_what_follows_and_is_read_again() -> None:
    acked: list[int] = []
    acks: OrderedAcks[int] = OrderedAcks(acked.append)
    for offset in (5, 6, 8, 9):  # 7 never came
        acks.track("p", offset, offset).done()
    assert acks.verify("p", 5) == (7, 8)
    assert acked == [5, 6]
    acks.reread("p", 7)
    for offset in (7, 8, 9):
        acks.track("p", offset, offset).done()
    assert acked == [5, 6, 7, 8, 9]
    assert acks.verify("p", 10) is None


def test_a_hole_still_there_when_read_again_holds_no_record(
    caplog: pytest.LogCaptureFixture,
) -> None:
    acked: list[int] = []
    acks: OrderedAcks[int] = OrderedAcks(acked.append)
    for offset in (5, 8):  # 6 and 7: a transaction's commit marker, say
        acks.track("p", offset, offset).done()
    assert acks.verify("p", 5) == (6, 8)
    acks.reread("p", 6)
    with caplog.at_level(logging.INFO, logger="streams.acks"):
        acks.track("p", 8, 8).done()
    assert "offsets 6 to 7 hold no record" in caplog.text
    assert acked == [5, 8]
    assert acks.verify("p", 6) is None


def test_a_stalled_partition_read_again_continues_its_lane() -> None:
    acked: list[int] = []
    acks: OrderedAcks[int] = OrderedAcks(acked.append)
    acks.reread("p", 40)  # nothing tracked since the assignment; the broker says 40
    acks.track("p", 40, 40).done()
    assert acked == [40]
    acks.reread("p", 41)  # the lane has everything up to 40: it just goes on
    acks.track("p", 41, 41).done()
    assert acked == [40, 41]


def test_records_delivered_again_within_the_lane_are_no_hole() -> None:
    # Faust hands over its last record again after seeking to the committed offset.
    acked: list[int] = []
    acks: OrderedAcks[int] = OrderedAcks(acked.append)
    first = [acks.track("p", offset, offset) for offset in range(7, 11)]
    again = acks.track("p", 10, 10)
    assert acks.verify("p", 7) is None
    for ticket in first:
        ticket.done()
    assert acked == [7, 8, 9]  # the first copy of 10 is not acked; its second copy is
    again.done()
    assert acked == [7, 8, 9, 10]
    acks.track("p", 11, 11).done()
    assert acked == [7, 8, 9, 10, 11]
