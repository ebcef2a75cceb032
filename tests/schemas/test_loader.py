"""The .avsc files: the contract's shape, and their resolution into self-contained schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastavro import parse_schema
from fastavro.schema import to_parsing_canonical_form

from schemas.exceptions import SchemaError
from schemas.loader import default_schema_dir, read_named_types, resolve, wire_form
from tests.schemas.samples import AVRO_DIR

NAMESPACE = "wastream.v1"

ENUMS = {
    "PairingMethod": ["QR", "CODE"],
    "MediaKind": ["IMAGE", "VIDEO", "AUDIO", "DOCUMENT"],
    "ParticipantAction": ["ADD", "REMOVE", "PROMOTE", "DEMOTE"],
    "ScrapeKind": ["CHATS", "CONTACTS", "GROUP_MEMBERS", "MESSAGES"],
    "Outcome": ["DONE", "FAILED", "EXPIRED", "REJECTED", "DUPLICATE"],
    "SessionState": [
        "STARTING",
        "SCAN_QR",
        "PAIRING_CODE",
        "AUTHENTICATED",
        "READY",
        "DISCONNECTED",
        "CONFLICT",
        "STOPPED",
        "LOGGED_OUT",
        "FAILED",
        "BANNED",
    ],
    "DesiredState": ["RUNNING", "STOPPED"],
    "MessageAck": ["ERROR", "PENDING", "SERVER", "DELIVERED", "READ", "PLAYED"],
    "GroupEventKind": [
        "CREATED",
        "JOINED",
        "PARTICIPANTS_ADDED",
        "PARTICIPANTS_REMOVED",
        "PROMOTED",
        "DEMOTED",
        "SUBJECT_CHANGED",
        "DESCRIPTION_CHANGED",
        "LEFT",
    ],
}

COMMANDS = [
    "StartSession",
    "StopSession",
    "LogoutSession",
    "SendMessage",
    "SendMedia",
    "SendReaction",
    "MarkRead",
    "CheckNumbers",
    "CreateGroup",
    "UpdateGroupParticipants",
    "UpdateGroupInfo",
    "GetGroupInvite",
    "LeaveGroup",
    "Broadcast",
    "Scrape",
]

_SCRAPED = ["session_id", "tenant_id", "command_id", "seq"]

#: Every record's fields, in order, as the contract lists them.
RECORD_FIELDS = {
    "MediaSource": ["kind", "mimetype", "filename", "url", "data"],
    "MediaInfo": ["mimetype", "filename", "size"],
    "StartSession": ["pairing", "phone"],
    "StopSession": [],
    "LogoutSession": [],
    "SendMessage": ["to", "text", "reply_to", "mentions"],
    "SendMedia": ["to", "media", "caption", "reply_to", "mentions"],
    "SendReaction": ["message_id", "emoji"],
    "MarkRead": ["chat"],
    "CheckNumbers": ["numbers"],
    "CreateGroup": ["subject", "participants"],
    "UpdateGroupParticipants": ["group", "action", "participants"],
    "UpdateGroupInfo": ["group", "subject", "description"],
    "GetGroupInvite": ["group"],
    "LeaveGroup": ["group"],
    "Broadcast": ["recipients", "text", "media", "caption", "pace_ms"],
    "Scrape": ["kind", "chat", "since", "limit"],
    "CommandEnvelope": [
        "command_id",
        "session_id",
        "tenant_id",
        "issued_at",
        "expires_at",
        "attempt",
        "trace_id",
        "source",
        "payload",
    ],
    "CommandResult": [
        "command_id",
        "session_id",
        "tenant_id",
        "outcome",
        "error_code",
        "detail",
        "issued_at",
        "completed_at",
        "attempts",
        "trace_id",
        "output",
    ],
    "SessionEvent": [
        "session_id",
        "tenant_id",
        "state",
        "previous",
        "at",
        "qr",
        "pairing_code",
        "me",
        "reason",
        "worker",
    ],
    "MessageReceived": [
        "session_id",
        "tenant_id",
        "message_id",
        "chat",
        "sender",
        "from_me",
        "type",
        "body",
        "caption",
        "media",
        "quoted_id",
        "mentions",
        "is_group",
        "timestamp",
    ],
    "MessageStatus": ["session_id", "tenant_id", "message_id", "chat", "command_id", "ack", "at"],
    "MessageRevoked": ["session_id", "tenant_id", "message_id", "chat", "at"],
    "ReactionReceived": ["session_id", "tenant_id", "message_id", "chat", "sender", "emoji", "at"],
    "GroupEvent": [
        "session_id",
        "tenant_id",
        "group",
        "kind",
        "actor",
        "participants",
        "subject",
        "description",
        "at",
    ],
    "ScrapedChat": [*_SCRAPED, "chat", "name", "is_group", "unread", "last_message_at"],
    "ScrapedContact": [*_SCRAPED, "jid", "name", "pushname", "is_my_contact", "is_business"],
    "ScrapedGroupMember": [*_SCRAPED, "group", "jid", "is_admin", "is_super_admin"],
    "ScrapedMessage": [
        *_SCRAPED,
        "message_id",
        "chat",
        "sender",
        "from_me",
        "type",
        "body",
        "timestamp",
    ],
    "DeadLetter": [
        "topic",
        "partition",
        "offset",
        "key",
        "value",
        "error",
        "error_type",
        "attempts",
        "failed_at",
        "worker",
    ],
    "VaultBackup": ["session_id", "version", "key_id", "nonce", "ciphertext", "created_at"],
    "SessionSnapshot": [
        "session_id",
        "tenant_id",
        "state",
        "desired",
        "worker",
        "me",
        "pairing",
        "phone",
        "qr",
        "pairing_code",
        "vault_version",
        "counters",
        "last_error",
        "updated_at",
    ],
}

TIMESTAMP_FIELDS = {
    "at",
    "issued_at",
    "expires_at",
    "completed_at",
    "timestamp",
    "since",
    "last_message_at",
    "failed_at",
    "created_at",
    "updated_at",
}


def files() -> dict[str, dict[str, Any]]:
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(AVRO_DIR.glob("*.avsc"))
    }


def test_one_file_per_named_type_named_by_full_name() -> None:
    schemas = files()
    assert {schema["name"] for schema in schemas.values()} == set(ENUMS) | set(RECORD_FIELDS)
    for file_name, schema in schemas.items():
        assert schema["namespace"] == NAMESPACE
        assert file_name == f"{NAMESPACE}.{schema['name']}.avsc"


def test_every_type_has_a_doc() -> None:
    for schema in files().values():
        assert len(schema.get("doc", "")) > 10, schema["name"]


@pytest.mark.parametrize("name", sorted(ENUMS))
def test_enum_symbols(name: str) -> None:
    schema = json.loads((AVRO_DIR / f"{NAMESPACE}.{name}.avsc").read_text(encoding="utf-8"))
    assert schema["type"] == "enum"
    assert schema["symbols"] == ENUMS[name]


@pytest.mark.parametrize("name", sorted(RECORD_FIELDS))
def test_record_fields(name: str) -> None:
    schema = json.loads((AVRO_DIR / f"{NAMESPACE}.{name}.avsc").read_text(encoding="utf-8"))
    assert schema["type"] == "record"
    assert [field["name"] for field in schema["fields"]] == RECORD_FIELDS[name]


def test_the_payload_union_lists_every_command_in_order() -> None:
    envelope = files()[f"{NAMESPACE}.CommandEnvelope.avsc"]
    payload = next(field for field in envelope["fields"] if field["name"] == "payload")
    assert payload["type"] == COMMANDS


def test_timestamps_are_timestamp_millis_longs() -> None:
    millis = {"type": "long", "logicalType": "timestamp-millis"}
    seen = 0
    for schema in files().values():
        for field in schema.get("fields", []):
            if field["name"] in TIMESTAMP_FIELDS:
                seen += 1
                assert field["type"] in (millis, ["null", millis]), (schema["name"], field)
    assert seen == 16


def test_optional_fields_default_to_null_and_collections_to_empty() -> None:
    for schema in files().values():
        for field in schema.get("fields", []):
            kind = field["type"]
            if isinstance(kind, list):
                assert kind[0] == "null" or field["name"] == "payload"
                assert field.get("default", "absent") is None or field["name"] == "payload"
            elif isinstance(kind, dict) and kind["type"] == "array":
                assert field["default"] == [], (schema["name"], field["name"])
            elif isinstance(kind, dict) and kind["type"] == "map":
                assert field["default"] == {}, (schema["name"], field["name"])


def test_default_dir_is_the_package_data() -> None:
    assert default_schema_dir() == AVRO_DIR
    assert len(read_named_types()) == len(ENUMS) + len(RECORD_FIELDS)


def test_resolved_schemas_define_each_named_type_once() -> None:
    types = read_named_types()
    for name in RECORD_FIELDS:
        canonical = to_parsing_canonical_form(resolve(f"{NAMESPACE}.{name}", types))
        # Self-contained: parses on its own, with no other schema known.
        parse_schema(json.loads(canonical))
        definitions: list[str] = []

        def collect(node: Any, found: list[str] = definitions) -> None:
            if isinstance(node, dict):
                if node.get("type") in ("record", "enum"):
                    found.append(node["name"])
                for value in node.values():
                    collect(value)
            elif isinstance(node, list):
                for item in node:
                    collect(item)

        collect(json.loads(canonical))
        assert len(definitions) == len(set(definitions)), (name, definitions)


def test_the_envelope_defines_media_source_once_and_refers_to_it_after() -> None:
    canonical = to_parsing_canonical_form(
        resolve(f"{NAMESPACE}.CommandEnvelope", read_named_types())
    )
    assert canonical.count('"name":"wastream.v1.MediaSource","type":"record"') == 1
    assert '"type":["null","wastream.v1.MediaSource"]' in canonical  # Broadcast.media


def test_wire_form_keeps_the_encoding_and_drops_names_and_logical_types() -> None:
    resolved = resolve(f"{NAMESPACE}.Scrape", read_named_types())
    wire = wire_form(resolved)
    assert wire["name"] == "Scrape"
    assert "namespace" not in wire
    assert "doc" not in wire
    assert wire["fields"][0]["type"]["name"] == "ScrapeKind"
    assert wire["fields"][2]["type"] == ["null", {"type": "long"}]
    assert not any(key.startswith("__") for key in wire)


def test_resolve_errors(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="is not a valid Avro schema"):
        resolve("t.A", {"t.A": {"type": "record", "name": "A", "namespace": "t", "fields": 3}})


def test_non_avsc_files_are_ignored(tmp_path: Path) -> None:
    enum = {"type": "enum", "name": "E", "namespace": "t", "symbols": ["A"]}
    (tmp_path / "e.avsc").write_text(json.dumps(enum), encoding="utf-8")
    (tmp_path / "README.md").write_text("not a schema", encoding="utf-8")
    assert list(read_named_types(tmp_path)) == ["t.E"]
