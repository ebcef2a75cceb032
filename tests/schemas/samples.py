"""Valid datums of every record of the contract, minimal and with every field set."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

AVRO_DIR = Path(__file__).resolve().parents[2] / "schemas" / "avro"

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z in epoch milliseconds
JID = "4915112345678@c.us"
GROUP = "120363025246125486@g.us"
MESSAGE_ID = "true_4915112345678@c.us_3EB0C431D5A7E2F1"

#: Every command, in the order of the envelope's payload union: (minimal, every field set).
COMMANDS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "StartSession": ({}, {"pairing": "CODE", "phone": "4915112345678"}),
    "StopSession": ({}, {}),
    "LogoutSession": ({}, {}),
    "SendMessage": (
        {"to": "4915112345678", "text": "hello"},
        {"to": JID, "text": "hi @4915112345678", "reply_to": MESSAGE_ID, "mentions": [JID]},
    ),
    "SendMedia": (
        {"to": JID, "media": {"kind": "DOCUMENT", "url": "https://example.org/a.pdf"}},
        {
            "to": GROUP,
            "media": {
                "kind": "IMAGE",
                "mimetype": "image/png",
                "filename": "chart.png",
                "url": None,
                "data": b"\x89PNG\r\n\x1a\n\x00\x00",
            },
            "caption": "the chart",
            "reply_to": MESSAGE_ID,
            "mentions": [JID, "4915100000000@c.us"],
        },
    ),
    "SendReaction": (
        {"message_id": MESSAGE_ID, "emoji": ""},
        {"message_id": MESSAGE_ID, "emoji": "👍"},
    ),
    "MarkRead": ({"chat": JID}, {"chat": GROUP}),
    "CheckNumbers": ({"numbers": []}, {"numbers": ["4915112345678", "14155550123"]}),
    "CreateGroup": (
        {"subject": "team", "participants": []},
        {"subject": "Team 🚀", "participants": [JID, "14155550123"]},
    ),
    "UpdateGroupParticipants": (
        {"group": GROUP, "action": "ADD", "participants": [JID]},
        {"group": GROUP, "action": "DEMOTE", "participants": [JID, "14155550123@c.us"]},
    ),
    "UpdateGroupInfo": (
        {"group": GROUP},
        {"group": GROUP, "subject": "New name", "description": "line one\nline two"},
    ),
    "GetGroupInvite": ({"group": GROUP}, {"group": GROUP}),
    "LeaveGroup": ({"group": GROUP}, {"group": GROUP}),
    "Broadcast": (
        {"recipients": []},
        {
            "recipients": [JID, "14155550123"],
            "text": None,
            "media": {
                "kind": "VIDEO",
                "mimetype": "video/mp4",
                "filename": None,
                "url": "https://example.org/v.mp4",
                "data": None,
            },
            "caption": "watch",
            "pace_ms": 2500,
        },
    ),
    "Scrape": (
        {"kind": "CHATS"},
        {"kind": "MESSAGES", "chat": JID, "since": T0 - 86_400_000, "limit": 500},
    ),
}

ENVELOPE_FIELDS: dict[str, Any] = {
    "command_id": "0b9f3c1e-6a55-4c1b-9a39-7d0f1d2c9e11",
    "session_id": "sales-01",
    "tenant_id": "acme",
    "issued_at": T0,
    "expires_at": T0 + 60_000,
    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
    "source": "gateway",
}
_SCRAPED: dict[str, Any] = {"session_id": "sales-01", "tenant_id": "acme", "command_id": "c-7"}

#: Every record that is not a command: (minimal, every field set).
RECORDS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "MediaSource": (
        {"kind": "AUDIO"},
        {
            "kind": "AUDIO",
            "mimetype": "audio/ogg; codecs=opus",
            "filename": "note.ogg",
            "url": None,
            "data": b"OggS",
        },
    ),
    "MediaInfo": (
        {"mimetype": "image/jpeg"},
        {"mimetype": "application/pdf", "filename": "invoice.pdf", "size": 123_456},
    ),
    "CommandEnvelope": (
        {**ENVELOPE_FIELDS, "payload": ("StopSession", {})},
        {**ENVELOPE_FIELDS, "attempt": 3, "payload": ("SendMessage", COMMANDS["SendMessage"][1])},
    ),
    "CommandResult": (
        {
            "command_id": "c-1",
            "session_id": "sales-01",
            "tenant_id": "acme",
            "outcome": "DONE",
            "issued_at": T0,
            "completed_at": T0 + 850,
            "attempts": 1,
            "trace_id": "t-1",
        },
        {
            "command_id": "c-2",
            "session_id": "sales-01",
            "tenant_id": "acme",
            "outcome": "FAILED",
            "error_code": "not_on_whatsapp",
            "detail": "14155550123 has no WhatsApp account",
            "issued_at": T0,
            "completed_at": T0 + 1_200,
            "attempts": 3,
            "trace_id": "t-2",
            "output": {"4915112345678": JID, "14155550123": ""},
        },
    ),
    "SessionEvent": (
        {"session_id": "sales-01", "tenant_id": "acme", "state": "STARTING", "at": T0},
        {
            "session_id": "sales-01",
            "tenant_id": "acme",
            "state": "SCAN_QR",
            "previous": "STARTING",
            "at": T0,
            "qr": "2@AbCdEf==,XyZ=,QwE=,1",
            "pairing_code": "ABCD-EFGH",
            "me": JID,
            "reason": "qr refreshed",
            "worker": "worker-0",
        },
    ),
    "MessageReceived": (
        {
            "session_id": "sales-01",
            "tenant_id": "acme",
            "message_id": MESSAGE_ID,
            "chat": JID,
            "sender": JID,
            "from_me": False,
            "type": "chat",
            "is_group": False,
            "timestamp": T0,
        },
        {
            "session_id": "sales-01",
            "tenant_id": "acme",
            "message_id": MESSAGE_ID,
            "chat": GROUP,
            "sender": JID,
            "from_me": True,
            "type": "image",
            "body": None,
            "caption": "look",
            "media": {"mimetype": "image/jpeg", "filename": None, "size": 48_213},
            "quoted_id": "false_120363025246125486@g.us_ABC",
            "mentions": [JID],
            "is_group": True,
            "timestamp": T0,
        },
    ),
    "MessageStatus": (
        {
            "session_id": "sales-01",
            "tenant_id": "acme",
            "message_id": MESSAGE_ID,
            "chat": JID,
            "ack": "SERVER",
            "at": T0,
        },
        {
            "session_id": "sales-01",
            "tenant_id": "acme",
            "message_id": MESSAGE_ID,
            "chat": JID,
            "command_id": "c-1",
            "ack": "PLAYED",
            "at": T0,
        },
    ),
    "MessageRevoked": (
        {"session_id": "s", "tenant_id": "t", "message_id": MESSAGE_ID, "chat": JID, "at": T0},
        {"session_id": "s", "tenant_id": "t", "message_id": MESSAGE_ID, "chat": GROUP, "at": 0},
    ),
    "ReactionReceived": (
        {
            "session_id": "s",
            "tenant_id": "t",
            "message_id": MESSAGE_ID,
            "chat": JID,
            "sender": JID,
            "emoji": "",
            "at": T0,
        },
        {
            "session_id": "s",
            "tenant_id": "t",
            "message_id": MESSAGE_ID,
            "chat": GROUP,
            "sender": JID,
            "emoji": "❤️",
            "at": T0,
        },
    ),
    "GroupEvent": (
        {"session_id": "s", "tenant_id": "t", "group": GROUP, "kind": "LEFT", "at": T0},
        {
            "session_id": "s",
            "tenant_id": "t",
            "group": GROUP,
            "kind": "PARTICIPANTS_ADDED",
            "actor": JID,
            "participants": [JID, "14155550123@c.us"],
            "subject": "Team",
            "description": "desc",
            "at": T0,
        },
    ),
    "ScrapedChat": (
        {**_SCRAPED, "seq": 0, "chat": JID, "is_group": False, "unread": 0},
        {
            **_SCRAPED,
            "seq": 41,
            "chat": GROUP,
            "name": "Team",
            "is_group": True,
            "unread": 7,
            "last_message_at": T0,
        },
    ),
    "ScrapedContact": (
        {**_SCRAPED, "seq": 0, "jid": JID, "is_my_contact": False, "is_business": False},
        {
            **_SCRAPED,
            "seq": 2,
            "jid": JID,
            "name": "Alice",
            "pushname": "Ali 🌸",
            "is_my_contact": True,
            "is_business": True,
        },
    ),
    "ScrapedGroupMember": (
        {
            **_SCRAPED,
            "seq": 0,
            "group": GROUP,
            "jid": JID,
            "is_admin": False,
            "is_super_admin": False,
        },
        {
            **_SCRAPED,
            "seq": 9,
            "group": GROUP,
            "jid": JID,
            "is_admin": True,
            "is_super_admin": True,
        },
    ),
    "ScrapedMessage": (
        {
            **_SCRAPED,
            "seq": 0,
            "message_id": MESSAGE_ID,
            "chat": JID,
            "sender": JID,
            "from_me": False,
            "type": "chat",
            "timestamp": T0,
        },
        {
            **_SCRAPED,
            "seq": 3,
            "message_id": MESSAGE_ID,
            "chat": JID,
            "sender": JID,
            "from_me": True,
            "type": "chat",
            "body": "old message",
            "timestamp": T0 - 1,
        },
    ),
    "DeadLetter": (
        {
            "topic": "wa.commands",
            "partition": 0,
            "offset": 0,
            "value": b"",
            "error": "bad magic",
            "error_type": "DecodeError",
            "attempts": 1,
            "failed_at": T0,
        },
        {
            "topic": "wa.commands",
            "partition": 11,
            "offset": 2**63 - 1,
            "key": b"sales-01",
            "value": b"\xc3\x01garbage",
            "error": "truncated",
            "error_type": "DecodeError",
            "attempts": 5,
            "failed_at": T0,
            "worker": "worker-1",
        },
    ),
    "VaultBackup": (
        {
            "session_id": "s",
            "version": 1,
            "key_id": "k1",
            "nonce": b"\x00" * 12,
            "ciphertext": b"",
            "created_at": T0,
        },
        {
            "session_id": "sales-01",
            "version": 2**40,
            "key_id": "2026-01",
            "nonce": bytes(range(12)),
            "ciphertext": bytes(range(256)) * 4,
            "created_at": T0,
        },
    ),
    "SessionSnapshot": (
        {
            "session_id": "s",
            "tenant_id": "t",
            "state": "STOPPED",
            "desired": "STOPPED",
            "pairing": "QR",
            "updated_at": T0,
        },
        {
            "session_id": "sales-01",
            "tenant_id": "acme",
            "state": "READY",
            "desired": "RUNNING",
            "worker": "worker-0",
            "me": JID,
            "pairing": "CODE",
            "phone": "4915112345678",
            "qr": None,
            "pairing_code": "ABCD-EFGH",
            "vault_version": 12,
            "counters": {"sent": 10, "received": 2**40, "failed": 0},
            "last_error": "navigation timeout",
            "updated_at": T0,
        },
    ),
}

#: Every record: (minimal, every field set).
ALL_RECORDS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {**COMMANDS, **RECORDS}


@functools.cache
def defaults(name: str) -> dict[str, Any]:
    """Record *name*'s field defaults, read from its .avsc file itself."""
    schema = json.loads((AVRO_DIR / f"wastream.v1.{name}.avsc").read_text(encoding="utf-8"))
    return {field["name"]: field["default"] for field in schema["fields"] if "default" in field}


def with_defaults(name: str, datum: dict[str, Any]) -> dict[str, Any]:
    """*datum* as decoding gives it back: every absent field with its schema default."""
    full = {**copy.deepcopy(defaults(name)), **datum}
    payload = full.get("payload")
    if name == "CommandEnvelope" and isinstance(payload, tuple):
        full["payload"] = (payload[0], with_defaults(payload[0], payload[1]))
    if isinstance(full.get("media"), dict):
        media_record = "MediaInfo" if name == "MessageReceived" else "MediaSource"
        full["media"] = with_defaults(media_record, full["media"])
    return full
