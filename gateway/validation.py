"""Field types of the request bodies, and the translation of validation errors into problems.

Recipients are phone numbers (E.164 digits without ``+``, 7 to 15 of them) or JIDs
(``<digits>@c.us`` for a person, ``<id>@g.us`` for a group).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationError
from pydantic_core import PydanticCustomError

from gateway.problems import Problem

__all__ = [
    "MEDIA_TOO_LARGE",
    "GroupJid",
    "Phone",
    "Recipient",
    "Text",
    "User",
    "check_group_id",
    "check_session_id",
    "validation_problem",
]

MAX_TEXT_CHARS = 65_536
MEDIA_TOO_LARGE = "media_too_large"

_PHONE = re.compile(r"[1-9][0-9]{6,14}")
_USER_JID = re.compile(r"[1-9][0-9]{6,14}@c\.us")
_GROUP_JID = re.compile(r"[0-9]{5,30}(?:-[0-9]{5,20})?@g\.us")
_SESSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

_PHONE_HELP = "a phone number (7 to 15 digits, E.164 without '+')"
_USER_HELP = f"{_PHONE_HELP} or a JID '<digits>@c.us'"
_RECIPIENT_HELP = f"{_USER_HELP} or a group JID '<id>@g.us'"


def _phone(value: str) -> str:
    if _PHONE.fullmatch(value) is None:
        raise PydanticCustomError("phone", f"{value[:40]!r} is not {_PHONE_HELP}")
    return value


def _user(value: str) -> str:
    if _PHONE.fullmatch(value) is None and _USER_JID.fullmatch(value) is None:
        raise PydanticCustomError("user", f"{value[:40]!r} is not {_USER_HELP}")
    return value


def _recipient(value: str) -> str:
    if (
        _PHONE.fullmatch(value) is None
        and _USER_JID.fullmatch(value) is None
        and _GROUP_JID.fullmatch(value) is None
    ):
        raise PydanticCustomError("recipient", f"{value[:40]!r} is not {_RECIPIENT_HELP}")
    return value


def _group(value: str) -> str:
    if _GROUP_JID.fullmatch(value) is None:
        raise PydanticCustomError("group", f"{value[:40]!r} is not a group JID '<id>@g.us'")
    return value


Phone = Annotated[str, AfterValidator(_phone)]
User = Annotated[str, AfterValidator(_user)]
Recipient = Annotated[str, AfterValidator(_recipient)]
GroupJid = Annotated[str, AfterValidator(_group)]
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS)]


def check_session_id(value: str) -> str:
    """The path's session id, or a 422 problem naming ``session_id``."""
    if _SESSION_ID.fullmatch(value) is None:
        raise Problem(
            422,
            "a session id is 1 to 64 letters, digits, '_', '.' or '-', starting with a letter "
            "or digit",
            field="session_id",
        )
    return value


def check_group_id(value: str) -> str:
    """The path's group JID, or a 422 problem naming ``gid``."""
    if _GROUP_JID.fullmatch(value) is None:
        raise Problem(422, f"{value[:40]!r} is not a group JID '<id>@g.us'", field="gid")
    return value


def _field_of(error: Any) -> str | None:
    path = [str(part) for part in error["loc"]]
    named = (error.get("ctx") or {}).get("field")
    if named:
        path.append(str(named))
    return ".".join(path) or None


def _detail_of(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "this field is required"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "must be a JSON object"
    return str(error["msg"])


def validation_problem(exc: ValidationError) -> Problem:
    """The problem answering a body that did not validate: 400, 413 or 422."""
    errors = exc.errors(include_url=False, include_input=False)
    for error in errors:
        if error["type"] == "json_invalid":
            return Problem(400, f"the body is not valid JSON: {error['msg']}")
    status = 413 if any(error["type"] == MEDIA_TOO_LARGE for error in errors) else 422
    if status == 413:
        errors = [error for error in errors if error["type"] == MEDIA_TOO_LARGE]
    listed = [{"field": _field_of(error), "detail": _detail_of(error)} for error in errors]
    first = listed[0]
    detail = str(first["detail"])
    if first["field"]:
        detail = f"{first['field']}: {detail}"
    return Problem(status, detail, field=first["field"], errors=listed if len(listed) > 1 else ())
