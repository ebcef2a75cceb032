"""The connector as the stream processors see it: one browser session, and its page events.

``connectors.whatsapp.WhatsAppSession`` satisfies :class:`BrowserSession` (built by
:func:`streams.connector.default_session_factory`); the Protocol keeps the supervisor and the
executor to the operations they use, and lets a test hand the worker sessions of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Literal, Protocol

from connectors.whatsapp import events

__all__ = [
    "BrowserSession",
    "EventSink",
    "PageEvent",
    "SessionFactory",
    "Vault",
]

#: A page event (``connectors.whatsapp.events``: StateChanged, MessageIn, MessageSent,
#: AckChanged, Revoked, Reaction, GroupChanged).
PageEvent = events.PageEvent

EventSink = Callable[[PageEvent], Awaitable[None]]


class BrowserSession(Protocol):
    """One WhatsApp Web session in Chromium (see the connector's ``WhatsAppSession``)."""

    async def open(
        self, pairing: Literal["QR", "CODE"] = "QR", phone: str | None = None
    ) -> None: ...

    async def close(self) -> None: ...

    async def logout(self) -> None: ...

    @property
    def state(self) -> str: ...

    @property
    def me(self) -> str | None: ...

    async def send_text(
        self, to: str, text: str, *, message_id: str, reply_to: str | None, mentions: list[str]
    ) -> str: ...

    async def send_media(
        self,
        to: str,
        media: dict[str, Any],
        *,
        caption: str | None,
        message_id: str,
        reply_to: str | None,
        mentions: list[str],
    ) -> str: ...

    async def react(self, message_id: str, emoji: str) -> None: ...

    async def mark_read(self, chat: str) -> None: ...

    async def check_numbers(self, numbers: list[str]) -> dict[str, str]: ...

    async def create_group(self, subject: str, participants: list[str]) -> str: ...

    async def update_participants(
        self, group: str, action: str, participants: list[str]
    ) -> dict[str, str]: ...

    async def update_group_info(
        self, group: str, subject: str | None, description: str | None
    ) -> None: ...

    async def group_invite(self, group: str) -> str: ...

    async def leave_group(self, group: str) -> None: ...

    async def list_chats(self) -> list[dict[str, Any]]: ...

    async def list_contacts(self) -> list[dict[str, Any]]: ...

    async def group_members(self, group: str) -> list[dict[str, Any]]: ...

    def history(
        self, chat: str, *, since_ms: int | None, limit: int | None
    ) -> AsyncIterator[list[dict[str, Any]]]: ...

    async def has_message(self, chat: str, message_id: str) -> bool: ...


class SessionFactory(Protocol):
    """Builds a session on its profile directory; it reports through ``on_event``."""

    def __call__(
        self, session_id: str, *, profile_dir: Path, on_event: EventSink
    ) -> BrowserSession: ...


class Vault(Protocol):
    """What the supervisor uses of ``connectors.vault.AuthVault``."""

    async def save(self, session_id: str, version: int, profile_dir: Path) -> bool: ...

    async def restore(
        self, session_id: str, profile_dir: Path, *, known_login: bool = True
    ) -> int | None: ...

    async def delete(self, session_id: str) -> None: ...
