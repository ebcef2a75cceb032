"""The Kafka topics of the pipeline and the records each carries.

Every topic is keyed by ``session_id`` and has the same partition count, so that one worker owns
all records of a session (see DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = [
    "ALL_TOPICS",
    "COMMANDS",
    "COMMAND_RESULTS",
    "COMPACTED_TOPICS",
    "DLQ",
    "GROUP_EVENTS",
    "MESSAGE_EVENTS",
    "RECORD_TOPIC",
    "SCRAPE_RESULTS",
    "SESSION_EVENTS",
    "TOPIC_RECORDS",
    "VAULT_BACKUP",
]

COMMANDS = "wa.commands"
COMMAND_RESULTS = "wa.command-results"
SESSION_EVENTS = "wa.session-events"
MESSAGE_EVENTS = "wa.message-events"
GROUP_EVENTS = "wa.group-events"
SCRAPE_RESULTS = "wa.scrape-results"
DLQ = "wa.dlq"
VAULT_BACKUP = "wa.vault-backup"

#: Every topic, in pipeline order (commands in, results and events out, then the side topics).
ALL_TOPICS: tuple[str, ...] = (
    COMMANDS,
    COMMAND_RESULTS,
    SESSION_EVENTS,
    MESSAGE_EVENTS,
    GROUP_EVENTS,
    SCRAPE_RESULTS,
    DLQ,
    VAULT_BACKUP,
)

#: Topics created with ``cleanup.policy=compact``: only the latest record per key matters.
COMPACTED_TOPICS: frozenset[str] = frozenset({VAULT_BACKUP})

#: The short names of the records each topic carries (every value single-object encoded).
TOPIC_RECORDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        COMMANDS: ("CommandEnvelope",),
        COMMAND_RESULTS: ("CommandResult",),
        SESSION_EVENTS: ("SessionEvent",),
        MESSAGE_EVENTS: ("MessageReceived", "MessageStatus", "MessageRevoked", "ReactionReceived"),
        GROUP_EVENTS: ("GroupEvent",),
        SCRAPE_RESULTS: ("ScrapedChat", "ScrapedContact", "ScrapedGroupMember", "ScrapedMessage"),
        DLQ: ("DeadLetter",),
        VAULT_BACKUP: ("VaultBackup",),
    }
)

#: The topic each record is published to (the inverse of TOPIC_RECORDS).
RECORD_TOPIC: Mapping[str, str] = MappingProxyType(
    {record: topic for topic, records in TOPIC_RECORDS.items() for record in records}
)
