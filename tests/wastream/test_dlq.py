"""``wastream dlq`` against the real broker."""

from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from schemas.codec import AvroCodec
from schemas.topics import DLQ
from wastream.cli import main
from wastream.dlq import DlqError, read_dead_letters, replay
from wastream.settings import Settings


def _dead_letter(settings: Settings, topic: str, value: bytes, error: str = "bad bytes") -> None:
    record = {
        "topic": topic,
        "partition": 0,
        "offset": 41,
        "key": b"session-1",
        "value": value,
        "error": error,
        "error_type": "DecodeError",
        "attempts": 1,
        "failed_at": int(time.time() * 1000),
        "worker": "test",
    }
    producer = Producer({"bootstrap.servers": settings.kafka_bootstrap})
    producer.produce(DLQ, key=b"session-1", value=AvroCodec().encode("DeadLetter", record))
    assert producer.flush(10) == 0


def _scratch_topic(settings: Settings) -> str:
    name = f"scratch-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap})
    admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)])[name].result(10)
    return name


def test_list_and_replay_a_dead_letter(
    settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _scratch_topic(settings)
    value = f"original-{uuid.uuid4()}".encode()
    _dead_letter(settings, target, value)

    mine = [e for e in read_dead_letters(settings.kafka_bootstrap, AvroCodec())
            if e.letter.get("value") == value]  # fmt: skip
    assert len(mine) == 1
    assert mine[0].letter["topic"] == target

    monkeypatch.setenv("WASTREAM_KAFKA_BOOTSTRAP", settings.kafka_bootstrap)
    assert main(["dlq", "list"]) == 0
    listed = capsys.readouterr().out
    assert mine[0].ref in listed
    assert f"{target}[0]@41" in listed

    assert main(["dlq", "replay", mine[0].ref]) == 0
    assert f"replayed {mine[0].ref}" in capsys.readouterr().out

    consumer = Consumer(
        {"bootstrap.servers": settings.kafka_bootstrap, "group.id": "t", "log_level": 0}
    )
    try:
        consumer.assign([TopicPartition(target, 0, 0)])
        message = consumer.poll(10)
        assert message is not None
        assert message.error() is None
        assert message.key() == b"session-1"
        assert message.value() == value
    finally:
        consumer.close()


def test_unknown_refs_and_truncated_letters_are_refused(
    settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WASTREAM_KAFKA_BOOTSTRAP", settings.kafka_bootstrap)
    assert main(["dlq", "replay", "99:99999"]) == 2
    assert "no dead letter 99:99999" in capsys.readouterr().err

    value = f"cut-{uuid.uuid4()}".encode()
    _dead_letter(settings, "wa.commands", value, error="huge [value truncated from 9 to 4 bytes]")
    entry = next(e for e in read_dead_letters(settings.kafka_bootstrap, AvroCodec())
                 if e.letter.get("value") == value)  # fmt: skip
    with pytest.raises(DlqError, match="truncated"):
        replay(settings.kafka_bootstrap, [entry])
