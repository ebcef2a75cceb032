"""The local stack against the real processes it starts."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import redis
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._config import ConfigResource

from schemas.topics import ALL_TOPICS, COMPACTED_TOPICS
from tests.helpers import stack_settings
from wastream.stack import LocalStack, ServiceStartError, StackError, kafka_reachable
from wastream.stack.topics import ensure_topics


def test_every_topic_exists_with_the_configured_partitions(stack: LocalStack) -> None:
    admin = AdminClient({"bootstrap.servers": stack.settings.kafka_bootstrap})
    topics = admin.list_topics(timeout=10).topics
    for name in ALL_TOPICS:
        assert name in topics, name
        assert len(topics[name].partitions) == stack.settings.partitions
    resources = [ConfigResource(ConfigResource.Type.TOPIC, name) for name in COMPACTED_TOPICS]
    for future in admin.describe_configs(resources).values():
        assert future.result(timeout=10)["cleanup.policy"].value == "compact"


def test_creating_topics_again_is_a_no_op(stack: LocalStack) -> None:
    assert stack.create_topics() == []


def test_a_different_partition_count_is_refused(stack: LocalStack) -> None:
    with pytest.raises(StackError, match="partitions"):
        ensure_topics(stack.settings.kafka_bootstrap, ALL_TOPICS[:1], partitions=3)


def test_status_reports_both_services_ready(stack: LocalStack) -> None:
    statuses = {status.name: status for status in stack.status()}
    assert statuses["kafka"].ready
    assert statuses["redis"].ready
    assert statuses["kafka"].pid is not None


def test_redis_answers(stack: LocalStack) -> None:
    client = redis.Redis.from_url(stack.settings.redis_url)
    try:
        assert client.ping()
    finally:
        client.close()


def test_stop_and_start_keep_the_data(tmp_path: Path) -> None:
    local = LocalStack(stack_settings(tmp_path, partitions=2))
    local.start()
    try:
        bootstrap = local.settings.kafka_bootstrap
        local.stop()
        assert not kafka_reachable(bootstrap, 1.0)
        assert all(not status.running for status in local.status())
        local.start()
        admin = AdminClient({"bootstrap.servers": bootstrap})
        assert set(ALL_TOPICS) <= set(admin.list_topics(timeout=10).topics)
        assert local.create_topics() == []
    finally:
        local.stop()


def test_a_failed_start_shows_the_log_tail(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        local = LocalStack(stack_settings(tmp_path, redis_port=port))
        with pytest.raises(ServiceStartError) as info:
            local.start()
    message = str(info.value)
    assert "redis" in message
    assert "last lines" in message
    assert not local.redis.running()
