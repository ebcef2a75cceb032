"""The topics of the pipeline and the records they carry."""

from __future__ import annotations

from schemas import AvroCodec, topics
from tests.schemas.samples import COMMANDS


def test_the_topics_of_the_design() -> None:
    assert topics.ALL_TOPICS == (
        "wa.commands",
        "wa.command-results",
        "wa.session-events",
        "wa.message-events",
        "wa.group-events",
        "wa.scrape-results",
        "wa.dlq",
        "wa.vault-backup",
    )
    assert len(set(topics.ALL_TOPICS)) == len(topics.ALL_TOPICS)


def test_only_the_vault_backup_is_compacted() -> None:
    compacted = topics.COMPACTED_TOPICS
    assert compacted == {topics.VAULT_BACKUP}
    assert topics.VAULT_BACKUP == "wa.vault-backup"


def test_every_topic_carries_known_records(codec: AvroCodec) -> None:
    assert set(topics.TOPIC_RECORDS) == set(topics.ALL_TOPICS)
    for records in topics.TOPIC_RECORDS.values():
        assert records
        assert set(records) <= set(codec.names)


def test_every_published_record_has_exactly_one_topic(codec: AvroCodec) -> None:
    not_published = {*COMMANDS, "MediaSource", "MediaInfo", "SessionSnapshot"}
    published = set(codec.names) - not_published
    assert set(topics.RECORD_TOPIC) == published
    carried = [name for records in topics.TOPIC_RECORDS.values() for name in records]
    assert len(carried) == len(set(carried))
    for topic, records in topics.TOPIC_RECORDS.items():
        for name in records:
            assert topics.RECORD_TOPIC[name] == topic


def test_records_by_topic() -> None:
    assert topics.TOPIC_RECORDS[topics.COMMANDS] == ("CommandEnvelope",)
    assert topics.TOPIC_RECORDS[topics.MESSAGE_EVENTS] == (
        "MessageReceived",
        "MessageStatus",
        "MessageRevoked",
        "ReactionReceived",
    )
    assert topics.RECORD_TOPIC["ScrapedGroupMember"] == topics.SCRAPE_RESULTS
    assert topics.RECORD_TOPIC["DeadLetter"] == topics.DLQ


def test_mappings_are_read_only() -> None:
    assert not hasattr(topics.TOPIC_RECORDS, "__setitem__")
    assert not hasattr(topics.RECORD_TOPIC, "__setitem__")
