"""The one place the stream processors meet ``connectors.whatsapp``: building sessions on the
worker's shared browser driver, the message ids and keys of sends, and error translation."""

from __future__ import annotations

import asyncio
from pathlib import Path

from connectors.whatsapp import (
    BrowserPool,
    MessageKey,
    PermanentError,
    TransientError,
    WhatsAppSession,
    chat_jid,
    message_id_for,
    parse_key,
)
from streams.exceptions import CommandFailure, PermanentFailure, TransientFailure
from streams.types import BrowserSession, EventSink, SessionFactory
from wastream.settings import Settings

__all__ = [
    "browser_pids",
    "classify",
    "default_session_factory",
    "hex_id",
    "message_id_for",
    "sent_key",
]


def default_session_factory(settings: Settings, pool: BrowserPool) -> SessionFactory:
    """Sessions of ``WhatsAppSession`` on ``settings.worker_session_url``, all launched through
    ``pool`` (one Playwright driver per worker: a session start does not pay for a driver)."""

    def build(session_id: str, *, profile_dir: Path, on_event: EventSink) -> BrowserSession:
        return WhatsAppSession(
            session_id,
            profile_dir=profile_dir.resolve(),
            url=settings.worker_session_url,
            browser=pool,
            on_event=on_event,
            settings=settings,
        )

    return build


def hex_id(message_id: str) -> str:
    """The bare WhatsApp id of a message id given bare or as a serialized key."""
    if "_" not in message_id:
        return message_id
    try:
        return parse_key(message_id).id
    except PermanentError:
        return message_id


def sent_key(to: str, message_id: str, me: str | None) -> str:
    """The serialized key of this account's message ``message_id`` to ``to`` — what the page
    answers for a fresh send (group messages carry the sender as participant)."""
    try:
        chat = chat_jid(to)
    except PermanentError:
        return message_id
    participant = me if chat.endswith("@g.us") and me else None
    return str(MessageKey(True, chat, message_id, participant))


def classify(exc: BaseException) -> CommandFailure | None:
    """The connector's ``PermanentError``/``TransientError`` (and timeouts) as command failures;
    None for anything else (a bug: the caller fails the command with ``INTERNAL``)."""
    if isinstance(exc, CommandFailure):
        return exc
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return TransientFailure("TIMEOUT", str(exc) or "the browser operation timed out")
    if isinstance(exc, TransientError):
        return TransientFailure(exc.code, exc.detail or str(exc))
    if isinstance(exc, PermanentError):
        return PermanentFailure(exc.code, exc.detail or str(exc))
    return None


def browser_pids(session: BrowserSession) -> list[int]:
    """The pids of the session's Chromium processes (empty for sessions that are not the
    connector's)."""
    if isinstance(session, WhatsAppSession):
        return session.browser_pids()
    return []
