"""Field types of the request bodies, and the translation of validation errors into problems.

Recipients are phone numbers (E.164 digits without ``+``, 7 to 15 of them) or JIDs
(``<digits>@c.us`` for a person, ``<id>@g.us`` for a group). Each field type carries the JSON
Schema of exactly what it accepts (its regular expressions, anchored), for the OpenAPI document.
An integer field takes any JSON number without a fractional part (``60`` and ``60.0`` alike), as
JSON Schema's ``integer`` does (:func:`integral`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationError, WithJsonSchema
from pydantic_core import PydanticCustomError

from gateway.problems import Problem

__all__ = [
    "COMMAND_ID_SCHEMA",
    "GROUP_JID_SCHEMA",
    "MEDIA_TOO_LARGE",
    "SESSION_ID_SCHEMA",
    "GroupJid",
    "MediaData",
    "Phone",
    "Recipient",
    "Text",
    "User",
    "check_command_id",
    "check_group_id",
    "check_session_id",
    "integral",
    "validation_problem",
]

MAX_TEXT_CHARS = 65_536
MEDIA_TOO_LARGE = "media_too_large"

_PHONE = re.compile(r"[1-9][0-9]{6,14}")
_USER_JID = re.compile(r"[1-9][0-9]{6,14}@c\.us")
_GROUP_JID = re.compile(r"[0-9]{5,30}(?:-[0-9]{5,20})?@g\.us")
_SESSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_COMMAND_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

_PHONE_HELP = "a phone number (7 to 15 digits, E.164 without '+')"
_USER_HELP = f"{_PHONE_HELP} or a JID '<digits>@c.us'"
_RECIPIENT_HELP = f"{_USER_HELP} or a group JID '<id>@g.us'"
_GROUP_HELP = "a group JID '<id>@g.us'"
_SESSION_ID_HELP = (
    "a session id is 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit"
)


def _json_string(description: str, *regexes: re.Pattern[str]) -> dict[str, Any]:
    """The JSON Schema of the strings that full-match one of ``regexes``."""
    alternatives = "|".join(regex.pattern for regex in regexes)
    pattern = f"^{alternatives}$" if len(regexes) == 1 else f"^(?:{alternatives})$"
    return {"type": "string", "pattern": pattern, "description": description}


_PHONE_SCHEMA = _json_string(_PHONE_HELP, _PHONE)
_USER_SCHEMA = _json_string(_USER_HELP, _PHONE, _USER_JID)
_RECIPIENT_SCHEMA = _json_string(_RECIPIENT_HELP, _PHONE, _USER_JID, _GROUP_JID)
GROUP_JID_SCHEMA = _json_string(_GROUP_HELP, _GROUP_JID)
SESSION_ID_SCHEMA = _json_string(_SESSION_ID_HELP, _SESSION_ID)
COMMAND_ID_SCHEMA = _json_string("a command id, a lowercase UUID", _COMMAND_ID)


def _base64(alphabet: str) -> str:
    # Whole quads, then 2 or 3 symbols whose unused low bits are zero, padded or not.
    symbol = f"[A-Za-z0-9{alphabet}]"
    return f"(?:{symbol}{{4}})*(?:{symbol}[AQgw]={{0,2}}|{symbol}{{2}}[AEIMQUYcgkosw048]=?)?"


# Bytes in JSON as the models decode them (``val_json_bytes="base64"``): canonical base64 in
# one alphabet, standard or URL-safe.
_BASE64_SCHEMA = {
    "type": "string",
    "contentEncoding": "base64",
    "pattern": f"^(?:{_base64('+/')}|{_base64('_-')})$",
    "description": "base64, standard or URL-safe, padding optional",
}


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
        raise PydanticCustomError("group", f"{value[:40]!r} is not {_GROUP_HELP}")
    return value


def integral(value: Any) -> Any:
    """``value`` as an int when it is a float without a fractional part, else as it is: strict
    models take no floats for ints, yet JSON has only numbers and ``60.0`` is the integer 60."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Phone = Annotated[str, AfterValidator(_phone), WithJsonSchema(_PHONE_SCHEMA)]
User = Annotated[str, AfterValidator(_user), WithJsonSchema(_USER_SCHEMA)]
Recipient = Annotated[str, AfterValidator(_recipient), WithJsonSchema(_RECIPIENT_SCHEMA)]
GroupJid = Annotated[str, AfterValidator(_group), WithJsonSchema(GROUP_JID_SCHEMA)]
MediaData = Annotated[bytes, WithJsonSchema(_BASE64_SCHEMA)]
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS)]


def check_session_id(value: str) -> str:
    """The path's session id, or a 422 problem naming ``session_id``."""
    if _SESSION_ID.fullmatch(value) is None:
        raise Problem(422, _SESSION_ID_HELP, field="session_id")
    return value


def check_group_id(value: str) -> str:
    """The path's group JID, or a 422 problem naming ``gid``."""
    if _GROUP_JID.fullmatch(value) is None:
        raise Problem(422, f"{value[:40]!r} is not {_GROUP_HELP}", field="gid")
    return value


def check_command_id(value: str) -> str:
    """The path's command id, or a 422 problem naming ``command_id``."""
    if _COMMAND_ID.fullmatch(value) is None:
        raise Problem(422, "a command id is a lowercase UUID", field="command_id")
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
