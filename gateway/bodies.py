"""Request bodies of the command endpoints: strict pydantic models, unknown fields refused.

Validation takes a context ``{"max_recipients": int, "max_media_bytes": int}`` (from the
settings); the models also give the JSON Schemas of the OpenAPI document, the rules that tie
fields together (``oneOf``, ``if``/``then``) included. Every command body may carry ``ttl_s``,
which shortens the command's time to live (never lengthens it).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from gateway.problems import Problem
from gateway.validation import (
    GROUP_JID_SCHEMA,
    MEDIA_TOO_LARGE,
    SESSION_ID_SCHEMA,
    MediaData,
    Phone,
    Recipient,
    Text,
    User,
    check_session_id,
    integral,
)

__all__ = [
    "BODY_MODELS",
    "BroadcastBody",
    "CheckNumbersBody",
    "CommandBody",
    "CreateGroupBody",
    "CreateSessionBody",
    "EmptyBody",
    "GroupInfoBody",
    "MediaBody",
    "MessageBody",
    "ParticipantsBody",
    "ReactionBody",
    "ReadBody",
    "ScrapeBody",
]


def _session_id(value: str) -> str:
    try:
        return check_session_id(value)
    except Problem as exc:
        raise PydanticCustomError("session_id", exc.detail) from None


SessionId = Annotated[str, AfterValidator(_session_id), WithJsonSchema(SESSION_ID_SCHEMA)]
MessageId = Annotated[str, Field(min_length=1, max_length=256)]
Subject = Annotated[str, Field(min_length=1, max_length=100)]


def _check_count(values: list[str], info: ValidationInfo) -> list[str]:
    limit = (info.context or {}).get("max_recipients")
    if limit is not None and len(values) > limit:
        raise PydanticCustomError(
            "too_many",
            "at most {limit} entries are allowed, got {count}",
            {"limit": limit, "count": len(values)},
        )
    return values


# Patterns read the same by the models' regex engine and by ECMA-262, the dialect of JSON
# Schema: no \s or \w, which differ between the two (U+0085 is a space to one only, "é" a word
# character to one only). _SPACE is Unicode's White_Space, the models' \s.
_SPACE = r"\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_URL = rf"^https?://[^{_SPACE}/]+[^{_SPACE}]*$"
_MIMETYPE = r"^[A-Za-z0-9_.+-]+/[A-Za-z0-9_.+-]+$"


def _present(name: str, kind: str, *absent: str) -> dict[str, Any]:
    """The JSON Schema of an object whose ``name`` is a ``kind`` (given, not null) and whose
    ``absent`` fields are missing or null."""
    properties = {name: {"type": kind}} | {other: {"type": "null"} for other in absent}
    return {"required": [name], "properties": properties}


class CommandBody(BaseModel):
    """Fields every command body may carry."""

    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, val_json_bytes="base64", ser_json_bytes="base64"
    )

    ttl_s: int | None = Field(
        None, ge=1, description="seconds the command stays valid; shortens the default"
    )

    # Every integer field of every body, whichever model has it.
    _integers = field_validator(
        "ttl_s", "pace_ms", "since", "limit", mode="before", check_fields=False
    )(integral)


class EmptyBody(CommandBody):
    """A command without fields (stop, logout, group invite, leave group)."""


class CreateSessionBody(CommandBody):
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"required": ["pairing"], "properties": {"pairing": {"const": "code"}}},
            "then": _present("phone", "string"),
        }
    )

    session_id: SessionId
    pairing: Literal["qr", "code"] = "qr"
    phone: Phone | None = Field(None, description="the account's phone; required for 'code'")

    @model_validator(mode="after")
    def _phone_for_code(self) -> Self:
        if self.pairing == "code" and self.phone is None:
            raise PydanticCustomError(
                "missing_phone", "pairing 'code' needs the account's phone", {"field": "phone"}
            )
        return self


class MediaBody(BaseModel):
    """A media attachment: from a URL or inline (base64) bytes, exactly one of them."""

    model_config = ConfigDict(
        **CommandBody.model_config,
        json_schema_extra={
            "oneOf": [_present("url", "string", "data"), _present("data", "string", "url")]
        },
    )

    kind: Literal["image", "video", "audio", "document"]
    mimetype: str | None = Field(None, min_length=3, max_length=255, pattern=_MIMETYPE)
    filename: str | None = Field(None, min_length=1, max_length=255)
    url: str | None = Field(None, min_length=8, max_length=4096, pattern=_URL)
    data: MediaData | None = Field(
        None, description="the media bytes, base64 (standard or URL-safe)"
    )

    @field_validator("data")
    @classmethod
    def _size(cls, value: bytes | None, info: ValidationInfo) -> bytes | None:
        limit = (info.context or {}).get("max_media_bytes")
        if value is not None and limit is not None and len(value) > limit:
            raise PydanticCustomError(
                MEDIA_TOO_LARGE,
                "inline media is {size} bytes, over the limit of {limit}",
                {"size": len(value), "limit": limit},
            )
        return value

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.url is None) == (self.data is None):
            raise PydanticCustomError(
                "media_source", "give exactly one of 'url' and 'data'", {"field": "url"}
            )
        return self


class _Content(CommandBody):
    """Text or media, exactly one; a caption only with media."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                _present("text", "string", "media", "caption"),
                _present("media", "object", "text"),
            ]
        }
    )

    text: Text | None = None
    media: MediaBody | None = None
    caption: Text | None = None

    @model_validator(mode="after")
    def _text_or_media(self) -> Self:
        if (self.text is None) == (self.media is None):
            raise PydanticCustomError(
                "content", "give exactly one of 'text' and 'media'", {"field": "text"}
            )
        if self.caption is not None and self.media is None:
            raise PydanticCustomError(
                "caption", "a caption goes with 'media' only", {"field": "caption"}
            )
        return self


class MessageBody(_Content):
    to: Recipient
    reply_to: MessageId | None = None
    mentions: list[User] = Field(default_factory=list)

    _mentions = field_validator("mentions")(_check_count)


class ReactionBody(CommandBody):
    message_id: MessageId
    emoji: str = Field(max_length=32, description="the reaction; '' removes it")


class ReadBody(CommandBody):
    chat: Recipient


class CheckNumbersBody(CommandBody):
    numbers: list[Phone] = Field(min_length=1)

    _numbers = field_validator("numbers")(_check_count)


class CreateGroupBody(CommandBody):
    subject: Subject
    participants: list[User] = Field(min_length=1)

    _participants = field_validator("participants")(_check_count)


class ParticipantsBody(CommandBody):
    action: Literal["add", "remove", "promote", "demote"]
    participants: list[User] = Field(min_length=1)

    _participants = field_validator("participants")(_check_count)


class GroupInfoBody(CommandBody):
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [_present("subject", "string"), _present("description", "string")]
        }
    )

    subject: Subject | None = None
    description: str | None = Field(None, max_length=2048)

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.subject is None and self.description is None:
            raise PydanticCustomError(
                "empty_update", "give 'subject', 'description' or both", {"field": "subject"}
            )
        return self


class BroadcastBody(_Content):
    recipients: list[Recipient] = Field(min_length=1)
    pace_ms: int | None = Field(None, ge=0, le=3_600_000, description="pause between sends")

    _recipients = field_validator("recipients")(_check_count)


class ScrapeBody(CommandBody):
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"required": ["kind"], "properties": {"kind": {"const": "group_members"}}},
            "then": {"required": ["chat"], "properties": {"chat": GROUP_JID_SCHEMA}},
        }
    )

    kind: Literal["chats", "contacts", "group_members", "messages"]
    chat: Recipient | None = Field(None, description="the chat (a group for group_members)")
    since: int | None = Field(None, ge=0, le=2**63 - 1, description="milliseconds since the epoch")
    limit: int | None = Field(None, ge=1, le=1_000_000)

    @model_validator(mode="after")
    def _group_for_members(self) -> Self:
        if self.kind == "group_members" and (self.chat is None or not self.chat.endswith("@g.us")):
            raise PydanticCustomError(
                "group_chat", "kind 'group_members' needs 'chat', a group JID", {"field": "chat"}
            )
        return self


BODY_MODELS: tuple[type[BaseModel], ...] = (
    CreateSessionBody,
    EmptyBody,
    MediaBody,
    MessageBody,
    ReactionBody,
    ReadBody,
    CheckNumbersBody,
    CreateGroupBody,
    ParticipantsBody,
    GroupInfoBody,
    BroadcastBody,
    ScrapeBody,
)
