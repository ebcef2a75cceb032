"""Message ids, message keys and JIDs as the connector writes them."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from connectors.whatsapp.exceptions import Codes, PermanentError

__all__ = ["MessageKey", "chat_jid", "message_id_for", "parse_key", "user_jid"]

# ASCII digits: ``\d`` would also take the digits of other scripts (Arabic-Indic, fullwidth…).
_DIGITS = re.compile(r"[1-9][0-9]{4,19}")
# No "_": a serialized message key joins its parts with it (see MessageKey).
_JID = re.compile(r"[0-9A-Za-z][0-9A-Za-z.:-]{0,127}@(c\.us|g\.us|lid|broadcast|newsletter)")
_WEB_PREFIX = "3EB0"


def message_id_for(command_id: str, index: int = 0) -> str:
    """The WhatsApp message id of a command's ``index``-th send: 20 uppercase hex characters
    from SHA-256 of the command id, so a command run twice targets the same message.

    WhatsApp Web's own ids start with ``3EB0``; the derived ones do too, so they look like any
    message sent from a browser.
    """
    if index < 0:
        raise ValueError("index must not be negative")
    digest = hashlib.sha256(f"{command_id}\x00{index}".encode()).hexdigest()
    return (_WEB_PREFIX + digest[: 20 - len(_WEB_PREFIX)]).upper()


def chat_jid(recipient: str) -> str:
    """The chat JID of a recipient given as digits (E.164 without ``+``) or as a JID."""
    text = recipient.strip()
    if text.startswith("+"):
        text = text[1:]
    if _DIGITS.fullmatch(text):
        return f"{text}@c.us"
    if text.endswith("@s.whatsapp.net"):
        text = text[: -len("s.whatsapp.net")] + "c.us"
    if _JID.fullmatch(text):
        return text
    raise PermanentError(
        Codes.INVALID_RECIPIENT,
        f"{recipient!r} is neither a phone number (digits) nor a JID (<digits>@c.us, <id>@g.us)",
    )


def user_jid(recipient: str) -> str:
    """Like :func:`chat_jid`, for a person (a group JID is refused)."""
    jid = chat_jid(recipient)
    if not jid.endswith(("@c.us", "@lid")):
        raise PermanentError(Codes.INVALID_RECIPIENT, f"{recipient!r} is not a person's number")
    return jid


@dataclass(frozen=True, slots=True)
class MessageKey:
    """A message key; ``str()`` is WhatsApp's serialized form
    ``<true|false>_<remote jid>_<id>[_<participant jid>]``."""

    from_me: bool
    remote: str
    id: str
    participant: str | None = None

    def __str__(self) -> str:
        text = f"{'true' if self.from_me else 'false'}_{self.remote}_{self.id}"
        return f"{text}_{self.participant}" if self.participant else text


def parse_key(serialized: str) -> MessageKey:
    """Parse a serialized message key (see :class:`MessageKey`)."""
    parts = serialized.split("_")
    if len(parts) not in (3, 4) or parts[0] not in ("true", "false") or not parts[2]:
        raise PermanentError(
            Codes.INVALID_REQUEST, f"{serialized!r} is not a serialized WhatsApp message id"
        )
    remote = chat_jid(parts[1])
    participant = chat_jid(parts[3]) if len(parts) == 4 and parts[3] else None
    return MessageKey(parts[0] == "true", remote, parts[2], participant)
