"""Creating the platform's topics with the admin client; idempotent."""

from __future__ import annotations

import time
from collections.abc import Iterable

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from wastream.stack.exceptions import StackError

__all__ = ["ensure_topics", "wait_for_leaders"]


def ensure_topics(
    bootstrap: str,
    topics: Iterable[str],
    *,
    partitions: int,
    compacted: Iterable[str] = (),
    timeout_s: float = 30.0,
) -> list[str]:
    """Create each missing topic with ``partitions`` partitions; answers the names created.

    A topic that exists with another partition count is an error: session affinity needs every
    session topic to have the same count.
    """
    admin = AdminClient({"bootstrap.servers": bootstrap})
    compacted = set(compacted)
    wanted = list(topics)
    existing = admin.list_topics(timeout=timeout_s).topics
    for name in wanted:
        if name in existing and len(existing[name].partitions) != partitions:
            raise StackError(
                f"topic {name} has {len(existing[name].partitions)} partitions, "
                f"expected {partitions} (WASTREAM_PARTITIONS); session affinity needs the same "
                "count on every session topic"
            )
    new = [
        NewTopic(
            name,
            num_partitions=partitions,
            replication_factor=1,
            config={"cleanup.policy": "compact"} if name in compacted else {},
        )
        for name in wanted
        if name not in existing
    ]
    if not new:
        return []
    created: list[str] = []
    for name, future in admin.create_topics(new, operation_timeout=timeout_s).items():
        try:
            future.result(timeout=timeout_s)
            created.append(name)
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if isinstance(error, KafkaError) and error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                continue
            raise StackError(f"cannot create topic {name}: {exc}") from exc
    return created


def wait_for_leaders(bootstrap: str, topics: Iterable[str], *, timeout_s: float = 30.0) -> None:
    """Wait until every partition of ``topics`` answers an offsets request through its leader.

    A topic just created can still answer "not leader" for a moment; clients that start then
    would see spurious errors.
    """
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "wastream-stack-probe", "log_level": 0}
    )
    deadline = time.monotonic() + timeout_s
    try:
        for topic in topics:
            metadata = consumer.list_topics(topic, timeout=timeout_s).topics[topic]
            for partition in metadata.partitions:
                while True:
                    try:
                        consumer.get_watermark_offsets(
                            TopicPartition(topic, partition), timeout=5.0
                        )
                        break
                    except KafkaException as exc:
                        if time.monotonic() > deadline:
                            raise StackError(
                                f"{topic}[{partition}] has no leader after {timeout_s:.0f} s: {exc}"
                            ) from exc
                        time.sleep(0.1)
    finally:
        consumer.close()
