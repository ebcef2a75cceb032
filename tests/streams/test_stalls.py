"""Noticing a partition whose records never reach the commands agent (pure logic; the worker's
seek back is exercised by tests/chaos/test_two_workers.py)."""

from __future__ import annotations

from streams.stalls import StallWatch


def test_a_partition_is_stalled_once_records_wait_unseen_for_the_bound() -> None:
    watch = StallWatch(stall_s=10.0)
    assert not watch.stalled("p", highwater=42, seen=1, now=0.0)  # starts the clock
    assert not watch.stalled("p", highwater=42, seen=1, now=9.9)
    assert watch.stalled("p", highwater=42, seen=1, now=10.0)


def test_progress_or_nothing_to_read_is_no_stall() -> None:
    watch = StallWatch(stall_s=10.0)
    assert not watch.stalled("p", highwater=42, seen=1, now=0.0)
    assert not watch.stalled("p", highwater=42, seen=5, now=8.0)  # the agent got more: restart
    assert not watch.stalled("p", highwater=42, seen=5, now=17.9)
    assert watch.stalled("p", highwater=42, seen=5, now=18.0)
    assert not watch.stalled("q", highwater=6, seen=5, now=0.0)  # caught up
    assert not watch.stalled("q", highwater=6, seen=5, now=100.0)
    assert not watch.stalled("r", highwater=None, seen=-1, now=100.0)  # nothing known yet


def test_forgetting_restarts_the_clock() -> None:
    watch = StallWatch(stall_s=10.0)
    watch.stalled("p", highwater=42, seen=1, now=0.0)
    watch.forget("p")
    assert not watch.stalled("p", highwater=42, seen=1, now=15.0)
    assert watch.stalled("p", highwater=42, seen=1, now=25.0)
