"""Phone numbers, JIDs and ids as the sandbox network spells them."""

from __future__ import annotations

import re
import secrets

from connectors.sandbox.exceptions import InvalidRequestError

__all__ = [
    "GROUP_SUFFIX",
    "USER_SUFFIX",
    "chat_of",
    "check_message_id",
    "conversation_key",
    "group_jid",
    "is_group",
    "new_group_jid",
    "new_message_id",
    "normalize_number",
    "number_of",
    "user_jid",
]

USER_SUFFIX = "@c.us"
GROUP_SUFFIX = "@g.us"
# ASCII digits only (``\d`` takes any Unicode digit), the whole string (``$`` passes a "\n").
_NUMBER = re.compile(r"[1-9][0-9]{4,14}")
_GROUP = re.compile(r"[0-9]{6,24}(-[0-9]{6,12})?@g\.us")
_MESSAGE_ID = re.compile(r"[A-Za-z0-9-]{1,128}")


def normalize_number(value: object, field: str = "number") -> str:
    """``+15550001111``, ``15550001111`` or ``15550001111@c.us`` → ``15550001111``."""
    if not isinstance(value, str):
        raise InvalidRequestError(f"{field} must be a string of digits", field=field)
    text = value.strip().removeprefix("+")
    for suffix in (USER_SUFFIX, "@s.whatsapp.net"):
        text = text.removesuffix(suffix)
    if not _NUMBER.fullmatch(text):
        raise InvalidRequestError(
            f"{field} must be a phone number in E.164 digits (5 to 15), got {value!r}",
            field=field,
        )
    return text


def group_jid(value: object, field: str = "group") -> str:
    if not isinstance(value, str) or not _GROUP.fullmatch(value.strip()):
        raise InvalidRequestError(f"{field} must be a group JID like 1203630000@g.us", field=field)
    return value.strip()


def is_group(jid: str) -> bool:
    return jid.endswith(GROUP_SUFFIX)


def chat_of(value: object, field: str = "chat") -> str:
    """A chat named by number or JID → a user number or a group JID."""
    if isinstance(value, str) and value.strip().endswith(GROUP_SUFFIX):
        return group_jid(value, field)
    return normalize_number(value, field)


def user_jid(number: str) -> str:
    return number + USER_SUFFIX


def number_of(jid: str) -> str:
    return jid.removesuffix(USER_SUFFIX)


def conversation_key(a: str, b: str) -> str:
    """The one conversation two accounts share, whoever speaks first."""
    return f"{a}:{b}" if a <= b else f"{b}:{a}"


def new_group_jid() -> str:
    return "120363" + "".join(secrets.choice("0123456789") for _ in range(12)) + GROUP_SUFFIX


def new_message_id() -> str:
    return "3EB0" + secrets.token_hex(8).upper()


def check_message_id(value: object, field: str = "id") -> str:
    if not isinstance(value, str) or not _MESSAGE_ID.fullmatch(value):
        raise InvalidRequestError(
            f"{field} must be 1 to 128 letters, digits or dashes", field=field
        )
    return value
