"""Errors of the WhatsApp Web connector.

Every operation of :class:`~connectors.whatsapp.session.WhatsAppSession` fails with one of two
kinds, each carrying a specific ``code`` (the command result's error code) and a ``detail``::

    WastreamError
    └── WhatsAppError
        ├── PermanentError      retrying cannot help (NOT_ON_WHATSAPP, NOT_GROUP_ADMIN, BANNED,
        │   │                   MODULE_MISSING, INVALID_RECIPIENT, MESSAGE_NOT_FOUND, …)
        │   └── MediaError      media refused (MEDIA_TOO_LARGE, MEDIA_TYPE, MEDIA_URL_FORBIDDEN, …)
        └── TransientError      a retry may succeed (PAGE_CRASHED, TIMEOUT, NOT_READY,
                                NOT_CONNECTED, …)
"""

from __future__ import annotations

from typing import Final

from wastream.exceptions import WastreamError

__all__ = ["Codes", "MediaError", "PermanentError", "TransientError", "WhatsAppError"]


class Codes:
    """The error codes the connector raises (the page's bridge reports the same names)."""

    NOT_ON_WHATSAPP: Final = "NOT_ON_WHATSAPP"
    NOT_GROUP_ADMIN: Final = "NOT_GROUP_ADMIN"
    NOT_GROUP_PARTICIPANT: Final = "NOT_GROUP_PARTICIPANT"
    BANNED: Final = "BANNED"
    MODULE_MISSING: Final = "MODULE_MISSING"
    WHATSAPP_NOT_LOADED: Final = "WHATSAPP_NOT_LOADED"
    INVALID_RECIPIENT: Final = "INVALID_RECIPIENT"
    INVALID_REQUEST: Final = "INVALID_REQUEST"
    MESSAGE_NOT_FOUND: Final = "MESSAGE_NOT_FOUND"
    NOT_FOUND: Final = "NOT_FOUND"
    LOGGED_OUT: Final = "LOGGED_OUT"
    PAGE_CRASHED: Final = "PAGE_CRASHED"
    PAGE_RELOADED: Final = "PAGE_RELOADED"
    PAGE_ERROR: Final = "PAGE_ERROR"
    PAGE_LOAD_FAILED: Final = "PAGE_LOAD_FAILED"
    BROWSER_LAUNCH_FAILED: Final = "BROWSER_LAUNCH_FAILED"
    TIMEOUT: Final = "TIMEOUT"
    NOT_READY: Final = "NOT_READY"
    NOT_CONNECTED: Final = "NOT_CONNECTED"
    SESSION_CLOSED: Final = "SESSION_CLOSED"
    MEDIA_TOO_LARGE: Final = "MEDIA_TOO_LARGE"
    MEDIA_TYPE: Final = "MEDIA_TYPE"
    MEDIA_URL_FORBIDDEN: Final = "MEDIA_URL_FORBIDDEN"
    MEDIA_FETCH_FAILED: Final = "MEDIA_FETCH_FAILED"
    MEDIA_INVALID: Final = "MEDIA_INVALID"


class WhatsAppError(WastreamError):
    """Root of the connector's errors: ``code`` names what went wrong, ``detail`` says more."""

    transient = False

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class PermanentError(WhatsAppError):
    """The operation cannot succeed as asked; retrying will not help."""


class TransientError(WhatsAppError):
    """The operation failed for now (a crash, a timeout, a dropped socket); a retry may work."""

    transient = True


class MediaError(PermanentError):
    """The media to send was refused (size, type, or where it comes from)."""
