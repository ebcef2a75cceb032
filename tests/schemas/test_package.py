"""The public surface of the schemas package."""

from __future__ import annotations

import schemas


def test_public_surface() -> None:
    assert sorted(schemas.__all__) == [
        "ALL_TOPICS",
        "AvroCodec",
        "COMMANDS",
        "COMMAND_RESULTS",
        "COMPACTED_TOPICS",
        "DLQ",
        "DecodeError",
        "Decoded",
        "EncodeError",
        "GROUP_EVENTS",
        "HEADER_SIZE",
        "MAGIC",
        "MESSAGE_EVENTS",
        "RECORD_TOPIC",
        "SCRAPE_RESULTS",
        "SESSION_EVENTS",
        "SchemaError",
        "TOPIC_RECORDS",
        "UnknownSchemaError",
        "VAULT_BACKUP",
    ]
    for name in schemas.__all__:
        assert getattr(schemas, name) is not None


def test_submodules_declare_their_surface() -> None:
    from schemas import checker, codec, exceptions, loader, topics

    for module in (checker, codec, exceptions, loader, topics):
        for name in module.__all__:
            assert hasattr(module, name), (module.__name__, name)
