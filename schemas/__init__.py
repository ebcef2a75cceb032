"""The Avro contract of wastream: the schemas of every command, event and state record, the
single-object codec, and the topics that carry them."""

from __future__ import annotations

from schemas.codec import HEADER_SIZE, MAGIC, AvroCodec, Decoded
from schemas.exceptions import DecodeError, EncodeError, SchemaError, UnknownSchemaError
from schemas.topics import (
    ALL_TOPICS,
    COMMAND_RESULTS,
    COMMANDS,
    COMPACTED_TOPICS,
    DLQ,
    GROUP_EVENTS,
    MESSAGE_EVENTS,
    RECORD_TOPIC,
    SCRAPE_RESULTS,
    SESSION_EVENTS,
    TOPIC_RECORDS,
    VAULT_BACKUP,
)

__all__ = [
    "ALL_TOPICS",
    "COMMANDS",
    "COMMAND_RESULTS",
    "COMPACTED_TOPICS",
    "DLQ",
    "GROUP_EVENTS",
    "HEADER_SIZE",
    "MAGIC",
    "MESSAGE_EVENTS",
    "RECORD_TOPIC",
    "SCRAPE_RESULTS",
    "SESSION_EVENTS",
    "TOPIC_RECORDS",
    "VAULT_BACKUP",
    "AvroCodec",
    "DecodeError",
    "Decoded",
    "EncodeError",
    "SchemaError",
    "UnknownSchemaError",
]
