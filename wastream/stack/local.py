"""The local stack: Kafka and Redis as child processes, topics created, data in the state dir."""

from __future__ import annotations

from dataclasses import dataclass

from wastream.settings import Settings
from wastream.stack.kafka import KafkaServer, kafka_reachable
from wastream.stack.redis import RedisServer, redis_reachable
from wastream.stack.topics import ensure_topics, wait_for_leaders

__all__ = ["LocalStack", "ServiceStatus"]


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    address: str
    pid: int | None
    running: bool
    ready: bool


class LocalStack:
    """Kafka (one KRaft node) and Redis on the ports of ``settings``, under its ``state_dir``.

    ``settings`` gives the ports (``kafka_port``, ``kafka_controller_port``, ``redis_port``),
    the partition count, the state and cache directories. :attr:`settings` is the same object
    with ``kafka_bootstrap`` and ``redis_url`` pointing at this stack.
    """

    def __init__(self, settings: Settings) -> None:
        root = settings.state_dir.resolve()
        logs = root / "logs"
        self.kafka = KafkaServer(
            data_dir=root / "kafka",
            log_dir=logs,
            cache_dir=settings.cache_dir,
            port=settings.kafka_port,
            controller_port=settings.kafka_controller_port,
            partitions=settings.partitions,
            heap=settings.kafka_heap,
        )
        self.redis = RedisServer(data_dir=root / "redis", log_dir=logs, port=settings.redis_port)
        self.settings = settings.model_copy(
            update={"kafka_bootstrap": self.kafka.bootstrap, "redis_url": self.redis.url}
        )

    def start(self) -> None:
        """Start what is not running, wait until ready, create the topics; stops all on failure."""
        try:
            if not self.redis.running():
                self.redis.start()
            if not self.kafka.running():
                self.kafka.start()
            self.create_topics()
        except BaseException:
            self.stop()
            raise

    def create_topics(self) -> list[str]:
        from schemas.topics import ALL_TOPICS, COMPACTED_TOPICS

        created = ensure_topics(
            self.kafka.bootstrap,
            ALL_TOPICS,
            partitions=self.settings.partitions,
            compacted=COMPACTED_TOPICS,
        )
        wait_for_leaders(self.kafka.bootstrap, ALL_TOPICS)
        return created

    def stop(self) -> None:
        """Stop every process of the stack, Kafka first (it may still write to nothing else)."""
        try:
            self.kafka.stop()
        finally:
            self.redis.stop()

    def status(self) -> list[ServiceStatus]:
        return [
            ServiceStatus(
                "kafka",
                self.kafka.bootstrap,
                self.kafka.process.pid,
                self.kafka.running(),
                self.kafka.running() and kafka_reachable(self.kafka.bootstrap),
            ),
            ServiceStatus(
                "redis",
                self.redis.url,
                self.redis.process.pid,
                self.redis.running(),
                self.redis.running() and redis_reachable(self.redis.url),
            ),
        ]
