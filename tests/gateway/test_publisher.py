"""The publisher: configuration that keeps its promises, and acknowledged publishing."""

from __future__ import annotations

import pytest

from gateway import commands
from gateway.exceptions import PublishError
from gateway.publisher import KafkaPublisher
from schemas import AvroCodec
from tests.gateway.support import CommandLog
from wastream.settings import Settings, load_settings


def test_producer_settings_align_with_the_gateway_wait() -> None:
    publisher = KafkaPublisher(load_settings(publish_timeout_s=2.5, gateway_linger_ms=3))
    config = publisher._config
    assert config["enable.idempotence"] is True
    assert config["acks"] == "all"
    assert config["partitioner"] == "murmur2_random"
    assert config["linger.ms"] == 3
    # the producer gives up on a record no later than the gateway does: no late writes
    assert config["message.timeout.ms"] == 2500
    assert config["request.timeout.ms"] <= config["message.timeout.ms"]


async def test_publish_before_start_fails_cleanly() -> None:
    with pytest.raises(PublishError) as caught:
        await KafkaPublisher(load_settings()).publish(b"k", b"v")
    assert caught.value.possibly_stored is False


async def test_publish_returns_once_acknowledged(
    gateway_settings: Settings, command_log: CommandLog
) -> None:
    codec = AvroCodec()
    publisher = KafkaPublisher(gateway_settings)
    publisher.start()
    try:
        command_id = commands.new_command_id()
        record = commands.envelope(
            ("StopSession", {}),
            command_id=command_id,
            session_id="pub-1",
            tenant_id="acme",
            trace_id="t",
            ttl_s=60,
        )
        await publisher.publish(b"pub-1", codec.encode("CommandEnvelope", record))
        assert publisher.available
        assert publisher.metadata_ok()
    finally:
        await publisher.close()
    (stored,) = await command_log.find(command_id)
    assert stored.envelope["payload"] == ("StopSession", {})
