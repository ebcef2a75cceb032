"""The WhatsApp Web connector: sessions in headless Chromium driven through an injected bridge.

``bridge.js`` is the one file that knows WhatsApp Web's internal names; everything here speaks
wastream's terms (session states, message records, error codes).
"""

from __future__ import annotations

from connectors.whatsapp.browser import BrowserPool, default_pool
from connectors.whatsapp.events import (
    AckChanged,
    GroupChanged,
    MessageIn,
    MessageSent,
    PageEvent,
    Reaction,
    Revoked,
    StateChanged,
)
from connectors.whatsapp.exceptions import (
    Codes,
    MediaError,
    PermanentError,
    TransientError,
    WhatsAppError,
)
from connectors.whatsapp.ids import MessageKey, chat_jid, message_id_for, parse_key
from connectors.whatsapp.media import Media, load_media
from connectors.whatsapp.processes import ProcessUsage, browser_pid, usage
from connectors.whatsapp.session import WhatsAppSession

__all__ = [
    "AckChanged",
    "BrowserPool",
    "Codes",
    "GroupChanged",
    "Media",
    "MediaError",
    "MessageIn",
    "MessageKey",
    "MessageSent",
    "PageEvent",
    "PermanentError",
    "ProcessUsage",
    "Reaction",
    "Revoked",
    "StateChanged",
    "TransientError",
    "WhatsAppError",
    "WhatsAppSession",
    "browser_pid",
    "chat_jid",
    "default_pool",
    "load_media",
    "message_id_for",
    "parse_key",
    "usage",
]
