"""What a session's page reports, as Avro events on the session, message and group topics.

Messages: what arrives, and what the account sends from its phone or another device
(``MessageIn``), is a ``MessageReceived`` (``from_me`` true for the account's own). What this
worker sends for a command (a ``MessageSent`` whose id a command noted first) is not: its
progress is the ``MessageStatus`` events of its acks, with the command id. A ``MessageSent`` no
command noted (the page sent it by itself) is published like the phone's, ``from_me`` true.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from connectors.whatsapp import AckChanged, GroupChanged, MessageIn, MessageSent, Reaction, Revoked
from streams.connector import hex_id
from streams.metrics import WorkerMetrics
from streams.publisher import Publisher
from streams.supervisor import RunningSession
from streams.types import PageEvent

__all__ = ["ACK_NAMES", "PageEventPublisher"]

log = logging.getLogger(__name__)

#: WhatsApp's ack numbers as MessageAck symbols.
ACK_NAMES = {-1: "ERROR", 0: "PENDING", 1: "SERVER", 2: "DELIVERED", 3: "READ", 4: "PLAYED"}
_GROUP_KINDS = {
    "CREATED",
    "JOINED",
    "PARTICIPANTS_ADDED",
    "PARTICIPANTS_REMOVED",
    "PROMOTED",
    "DEMOTED",
    "SUBJECT_CHANGED",
    "DESCRIPTION_CHANGED",
    "LEFT",
}
_SENT_IDS_KEPT = 10_000


def _now() -> int:
    return int(time.time() * 1000)


def _ack(value: Any) -> str:
    if isinstance(value, int):
        return ACK_NAMES.get(value, "ERROR")
    name = str(value).upper()
    return name if name in ACK_NAMES.values() else "ERROR"


class PageEventPublisher:
    """Publishes a running session's state changes and page events."""

    def __init__(
        self,
        publisher: Publisher,
        update: Callable[..., Awaitable[None]],
        metrics: WorkerMetrics,
        worker_id: str,
    ) -> None:
        self._publisher = publisher
        self._update = update
        self._metrics = metrics
        self._worker_id = worker_id

    async def publish_state(
        self,
        running: RunningSession,
        state: str,
        previous: str | None,
        *,
        reason: str | None = None,
        qr: str | None = None,
        pairing_code: str | None = None,
    ) -> None:
        await self._publisher.publish(
            "SessionEvent",
            {
                "session_id": running.session_id,
                "tenant_id": running.tenant_id,
                "state": state,
                "previous": previous if previous != state else None,
                "at": _now(),
                "qr": qr,
                "pairing_code": pairing_code,
                "me": running.me,
                "reason": reason,
                "worker": self._worker_id,
            },
            key=running.session_id,
        )

    @staticmethod
    def remember_sent(running: RunningSession, message_id: str, command_id: str) -> None:
        """Note a command's send before it goes out: its echo from the page is then known as the
        worker's own, and its acks carry the command id."""
        sent = running.sent_ids
        sent[hex_id(message_id)] = command_id
        if len(sent) > _SENT_IDS_KEPT:
            del sent[next(iter(sent))]

    async def on_page_event(self, running: RunningSession, event: PageEvent) -> None:
        base = {"session_id": running.session_id, "tenant_id": running.tenant_id}
        key = running.session_id
        if isinstance(event, MessageSent):
            # The page's own send: a command's (its progress is MessageStatus) or one the
            # page made for something else; only the latter is news to subscribers.
            if hex_id(event.message_id) in running.sent_ids:
                return
            record = {**event.record, "from_me": True}
            record.setdefault("mentions", [])
            record.setdefault("timestamp", _now())
            await self._publisher.publish("MessageReceived", {**record, **base}, key=key)
        elif isinstance(event, MessageIn):
            # Incoming, or the account's own message from the phone or another device
            # (``from_me``): both are messages that appeared in the session's chats.
            record = dict(event.record)
            record.setdefault("mentions", [])
            record.setdefault("timestamp", _now())
            await self._publisher.publish("MessageReceived", {**record, **base}, key=key)
            if not record.get("from_me"):
                self._metrics.messages_received.inc()
                await self._update(running.session_id, running.tenant_id, incr={"received": 1})
        elif isinstance(event, AckChanged):
            await self._publisher.publish(
                "MessageStatus",
                {
                    **base,
                    "message_id": event.message_id,
                    "chat": event.chat,
                    "command_id": running.sent_ids.get(hex_id(event.message_id)),
                    "ack": _ack(event.ack),
                    "at": event.at or _now(),
                },
                key=key,
            )
        elif isinstance(event, Revoked):
            await self._publisher.publish(
                "MessageRevoked",
                {
                    **base,
                    "message_id": event.message_id,
                    "chat": event.chat,
                    "at": event.at or _now(),
                },
                key=key,
            )
        elif isinstance(event, Reaction):
            await self._publisher.publish(
                "ReactionReceived",
                {
                    **base,
                    "message_id": event.message_id,
                    "chat": event.chat,
                    "sender": event.sender,
                    "emoji": event.emoji or "",
                    "at": event.at or _now(),
                },
                key=key,
            )
        elif isinstance(event, GroupChanged):
            group_kind = event.kind.upper()
            if group_kind not in _GROUP_KINDS:
                log.warning("unknown group change %s of %s", group_kind, running.session_id)
                return
            await self._publisher.publish(
                "GroupEvent",
                {
                    **base,
                    "group": event.group,
                    "kind": group_kind,
                    "actor": event.actor,
                    "participants": list(event.participants),
                    "subject": event.subject,
                    "description": event.description,
                    "at": event.at or _now(),
                },
                key=key,
            )
        else:
            log.debug("page event %s of %s ignored", type(event).__name__, running.session_id)
