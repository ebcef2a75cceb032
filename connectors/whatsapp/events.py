"""What a session's page reports, as Python events (the bridge's reports, parsed once here).

Each event is a frozen dataclass; consumers dispatch on the class (or its name) and read
attributes. Times are epoch milliseconds.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AckChanged",
    "GroupChanged",
    "MessageIn",
    "MessageSent",
    "PageEvent",
    "Reaction",
    "Revoked",
    "StateChanged",
    "parse_bridge_event",
]

log = logging.getLogger(__name__)


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True, slots=True)
class StateChanged:
    """The session's state (a ``wastream.v1.SessionState`` symbol) changed, or a new QR or
    pairing code came while it waits to be linked.

    ``code`` names the cause of a ``FAILED`` (``MODULE_MISSING``, ``PAGE_CRASHED``, …);
    ``wa_state`` is the page's own socket state and ``version`` WhatsApp Web's build.
    """

    state: str
    qr: str | None = None
    pairing_code: str | None = None
    me: str | None = None
    reason: str | None = None
    code: str | None = None
    wa_state: str | None = None
    version: str | None = None
    at: int = field(default_factory=_now_ms)


@dataclass(frozen=True, slots=True)
class MessageIn:
    """A message that appeared in a chat: incoming, or sent by the account from another device.

    ``record`` has the fields of ``wastream.v1.MessageReceived`` but the session and tenant.
    """

    record: dict[str, Any]
    at: int = field(default_factory=_now_ms)

    @property
    def message_id(self) -> str:
        return str(self.record["message_id"])


@dataclass(frozen=True, slots=True)
class MessageSent:
    """A message this session's page sent (the connector's own sends); same ``record`` shape."""

    record: dict[str, Any]
    at: int = field(default_factory=_now_ms)

    @property
    def message_id(self) -> str:
        return str(self.record["message_id"])


@dataclass(frozen=True, slots=True)
class AckChanged:
    """An outgoing message's ack: -1 error, 0 pending, 1 server, 2 delivered, 3 read, 4 played."""

    message_id: str
    chat: str
    ack: int
    at: int = field(default_factory=_now_ms)


@dataclass(frozen=True, slots=True)
class Revoked:
    """A message was deleted for everyone."""

    message_id: str
    chat: str
    sender: str | None = None
    at: int = field(default_factory=_now_ms)


@dataclass(frozen=True, slots=True)
class Reaction:
    """A reaction to a message (``emoji`` empty when it was taken back)."""

    message_id: str
    chat: str
    sender: str
    emoji: str
    at: int = field(default_factory=_now_ms)


@dataclass(frozen=True, slots=True)
class GroupChanged:
    """A group changed; ``kind`` is a ``wastream.v1.GroupEventKind`` symbol."""

    kind: str
    group: str
    actor: str | None = None
    participants: tuple[str, ...] = ()
    subject: str | None = None
    description: str | None = None
    at: int = field(default_factory=_now_ms)


PageEvent = StateChanged | MessageIn | MessageSent | AckChanged | Revoked | Reaction | GroupChanged


def _opt(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _at(data: dict[str, Any]) -> int:
    value = data.get("at")
    return int(value) if isinstance(value, int | float) and value > 0 else _now_ms()


def parse_bridge_event(data: Any) -> PageEvent | None:
    """The event of one bridge report (``{type, …}``), or None for reports that are not events
    (``state`` reports are parsed by the session, which keeps the state machine)."""
    if not isinstance(data, dict):
        return None
    kind = data.get("type")
    try:
        if kind == "msg":
            record = dict(data["record"])
            return (
                MessageSent(record, _at(data))
                if data.get("local")
                else MessageIn(record, _at(data))
            )
        if kind == "ack":
            return AckChanged(
                str(data["message_id"]), str(data["chat"]), int(data["ack"]), _at(data)
            )
        if kind == "revoke":
            return Revoked(
                str(data["message_id"]), str(data["chat"]), _opt(data.get("sender")), _at(data)
            )
        if kind == "reaction":
            return Reaction(
                str(data["message_id"]),
                str(data["chat"]),
                str(data.get("sender") or ""),
                str(data.get("emoji") or ""),
                _at(data),
            )
        if kind == "group":
            return GroupChanged(
                str(data["kind"]),
                str(data["group"]),
                _opt(data.get("actor")),
                tuple(str(p) for p in data.get("participants") or ()),
                _opt(data.get("subject")),
                _opt(data.get("description")),
                _at(data),
            )
    except (KeyError, TypeError, ValueError) as exc:
        log.warning("malformed %s report from the page: %s", kind, exc)
    return None
