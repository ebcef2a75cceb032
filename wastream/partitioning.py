"""Session affinity: which partition a session id's records land on.

Kafka's Java clients, aiokafka (and so Faust) hash keys with murmur2; librdkafka does the same
with ``partitioner=murmur2_random``. Every producer of wastream uses that hash, so one session's
commands, events and vault copies share a partition number on every topic.
"""

from __future__ import annotations

from aiokafka.partitioner import murmur2

__all__ = ["PRODUCER_PARTITIONER", "partition_for"]

PRODUCER_PARTITIONER = "murmur2_random"


def partition_for(key: str | bytes, partitions: int) -> int:
    data = key.encode() if isinstance(key, str) else key
    return int(murmur2(data) & 0x7FFFFFFF) % partitions
