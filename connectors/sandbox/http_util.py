"""JSON in and out of the sandbox's HTTP routes: validated bodies and problem answers."""

from __future__ import annotations

from typing import Any, TypeVar, cast

import orjson
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from connectors.sandbox.exceptions import (
    AccountBannedError,
    InvalidRequestError,
    MalformedRequestError,
    PayloadTooLargeError,
    ProblemError,
    UnsupportedMediaError,
)
from connectors.sandbox.network import Network
from connectors.sandbox.pairing import PairingRegistry

__all__ = [
    "MAX_JSON_BYTES",
    "declared_length",
    "http_problem",
    "json_response",
    "network_of",
    "pairing_of",
    "problem_response",
    "read_body",
]

MAX_JSON_BYTES = 32 * 1024 * 1024
_HUGE = 10**18
Body = TypeVar("Body", bound=BaseModel)


def json_response(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def problem_response(exc: ProblemError) -> Response:
    headers = {}
    if isinstance(exc, AccountBannedError):
        headers["Retry-After"] = str(max(1, int(exc.retry_after + 0.999)))
    return Response(
        orjson.dumps(exc.to_problem()),
        status_code=exc.status,
        media_type="application/problem+json",
        headers=headers,
    )


async def http_problem(request: Request, exc: Exception) -> Response:
    if isinstance(exc, ProblemError):
        return problem_response(exc)
    assert isinstance(exc, HTTPException)
    problem = ProblemError(exc.detail or "", slug=f"http-{exc.status_code}")
    problem.status = exc.status_code
    problem.title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error")
    return problem_response(problem)


def declared_length(request: Request) -> int | None:
    """The body length ``Content-Length`` declares; None when absent or not ASCII digits (the
    body as read is measured then: ``str.isdigit`` alone would take ``"²"``, which ``int`` does
    not)."""
    length = request.headers.get("content-length")
    if length is None or not (length.isascii() and length.isdigit()):
        return None
    # int() refuses strings of over 4300 digits; no body comes near 19 of them
    return int(length) if len(length) <= 18 else _HUGE


async def read_body(request: Request, model: type[Body]) -> Body:
    """Parse and validate a JSON body; an empty body is ``{}``."""
    length = declared_length(request)
    if length is not None and length > MAX_JSON_BYTES:
        raise PayloadTooLargeError(f"the body is larger than {MAX_JSON_BYTES} bytes")
    raw = await request.body()
    if len(raw) > MAX_JSON_BYTES:
        raise PayloadTooLargeError(f"the body is larger than {MAX_JSON_BYTES} bytes")
    data: Any = {}
    if raw.strip():
        ctype = request.headers.get("content-type", "")
        if not ctype.split(";")[0].strip().endswith("json"):
            raise UnsupportedMediaError(f"send application/json, not {ctype or 'nothing'}")
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise MalformedRequestError(f"the body is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise MalformedRequestError("the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        raise InvalidRequestError(f"{field or 'body'}: {first['msg']}", field=field) from exc


def network_of(request: Request) -> Network:
    return cast(Network, request.app.state.network)


def pairing_of(request: Request) -> PairingRegistry:
    return cast(PairingRegistry, request.app.state.pairing)
