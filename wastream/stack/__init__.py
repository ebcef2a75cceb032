"""The local stack: real Apache Kafka (one KRaft node) and Redis, run as child processes."""

from __future__ import annotations

from wastream.stack.exceptions import ServiceStartError, StackError
from wastream.stack.kafka import KafkaServer, kafka_reachable
from wastream.stack.local import LocalStack, ServiceStatus
from wastream.stack.ports import free_port
from wastream.stack.redis import RedisServer, redis_reachable

__all__ = [
    "KafkaServer",
    "LocalStack",
    "RedisServer",
    "ServiceStartError",
    "ServiceStatus",
    "StackError",
    "free_port",
    "kafka_reachable",
    "redis_reachable",
]
