"""From a validated request body to the Avro command of the contract, in its envelope.

Payloads are ``(record name, datum)`` tuples, the union notation of
:class:`schemas.codec.AvroCodec`; the datums carry exactly the fields of the request (enums
upper-cased to the Avro symbols).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from typing import Any

from gateway.bodies import (
    BroadcastBody,
    CheckNumbersBody,
    CommandBody,
    CreateGroupBody,
    CreateSessionBody,
    GroupInfoBody,
    MediaBody,
    MessageBody,
    ParticipantsBody,
    ReactionBody,
    ReadBody,
    ScrapeBody,
)

__all__ = [
    "Payload",
    "broadcast",
    "check_numbers",
    "create_group",
    "envelope",
    "get_group_invite",
    "leave_group",
    "logout_session",
    "mark_read",
    "new_command_id",
    "scrape",
    "send",
    "send_reaction",
    "start_session",
    "stop_session",
    "trace_id_from",
    "update_group_info",
    "update_group_participants",
]

Payload = tuple[str, dict[str, Any]]

SOURCE = "gateway"

_TRACEPARENT = re.compile(r"[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}")
_TRACE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class _RandomPool:
    """Random bytes drawn from the OS in blocks: one system call per 256 ids, not one per id."""

    __slots__ = ("_block", "_offset")

    def __init__(self) -> None:
        self._block = b""
        self._offset = 0

    def take(self, size: int) -> bytes:
        if self._offset + size > len(self._block):
            self._block = os.urandom(4096)
            self._offset = 0
        start = self._offset
        self._offset = start + size
        return self._block[start : start + size]


_RANDOM = _RandomPool()


def new_command_id() -> str:
    """A random (version 4) UUID."""
    raw = bytearray(_RANDOM.take(16))
    raw[6] = raw[6] & 0x0F | 0x40
    raw[8] = raw[8] & 0x3F | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def trace_id_from(headers: Mapping[str, str]) -> str:
    """The W3C ``traceparent`` trace id, else a sane ``X-Trace-Id``, else a new id."""
    traceparent = headers.get("traceparent")
    if traceparent:
        match = _TRACEPARENT.fullmatch(traceparent.strip().lower())
        if match is not None and match.group(1) != "0" * 32:
            return match.group(1)
    given = headers.get("x-trace-id")
    if given and _TRACE_ID.fullmatch(given):
        return given
    return _RANDOM.take(16).hex()


def envelope(
    payload: Payload,
    *,
    command_id: str,
    session_id: str,
    tenant_id: str,
    trace_id: str,
    ttl_s: int,
    body: CommandBody | None = None,
) -> dict[str, Any]:
    """The ``CommandEnvelope`` datum; the body's ``ttl_s`` may shorten ``ttl_s``."""
    if body is not None and body.ttl_s is not None:
        ttl_s = min(ttl_s, body.ttl_s)
    issued_at = time.time_ns() // 1_000_000
    return {
        "command_id": command_id,
        "session_id": session_id,
        "tenant_id": tenant_id,
        "issued_at": issued_at,
        "expires_at": issued_at + ttl_s * 1000,
        "attempt": 1,
        "trace_id": trace_id,
        "source": SOURCE,
        "payload": payload,
    }


def _media(media: MediaBody) -> dict[str, Any]:
    return {
        "kind": media.kind.upper(),
        "mimetype": media.mimetype,
        "filename": media.filename,
        "url": media.url,
        "data": media.data,
    }


def start_session(body: CreateSessionBody) -> Payload:
    return "StartSession", {"pairing": body.pairing.upper(), "phone": body.phone}


def stop_session(body: CommandBody) -> Payload:
    return "StopSession", {}


def logout_session(body: CommandBody) -> Payload:
    return "LogoutSession", {}


def send(body: MessageBody) -> Payload:
    """``SendMessage`` for text, ``SendMedia`` for media."""
    if body.media is not None:
        return "SendMedia", {
            "to": body.to,
            "media": _media(body.media),
            "caption": body.caption,
            "reply_to": body.reply_to,
            "mentions": list(body.mentions),
        }
    return "SendMessage", {
        "to": body.to,
        "text": body.text,
        "reply_to": body.reply_to,
        "mentions": list(body.mentions),
    }


def send_reaction(body: ReactionBody) -> Payload:
    return "SendReaction", {"message_id": body.message_id, "emoji": body.emoji}


def mark_read(body: ReadBody) -> Payload:
    return "MarkRead", {"chat": body.chat}


def check_numbers(body: CheckNumbersBody) -> Payload:
    return "CheckNumbers", {"numbers": list(body.numbers)}


def create_group(body: CreateGroupBody) -> Payload:
    return "CreateGroup", {"subject": body.subject, "participants": list(body.participants)}


def update_group_participants(body: ParticipantsBody, group: str) -> Payload:
    return "UpdateGroupParticipants", {
        "group": group,
        "action": body.action.upper(),
        "participants": list(body.participants),
    }


def update_group_info(body: GroupInfoBody, group: str) -> Payload:
    return "UpdateGroupInfo", {
        "group": group,
        "subject": body.subject,
        "description": body.description,
    }


def get_group_invite(body: CommandBody, group: str) -> Payload:
    return "GetGroupInvite", {"group": group}


def leave_group(body: CommandBody, group: str) -> Payload:
    return "LeaveGroup", {"group": group}


def broadcast(body: BroadcastBody) -> Payload:
    return "Broadcast", {
        "recipients": list(body.recipients),
        "text": body.text,
        "media": None if body.media is None else _media(body.media),
        "caption": body.caption,
        "pace_ms": body.pace_ms,
    }


def scrape(body: ScrapeBody) -> Payload:
    return "Scrape", {
        "kind": body.kind.upper(),
        "chat": body.chat,
        "since": body.since,
        "limit": body.limit,
    }
