"""Reading a command request straight from ASGI: its headers, its body within the size limit,
and the body's validation into a model.

The command endpoints are plain ASGI apps (no Request/Response objects per request): they are
the hot path of the gateway.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.types import Receive, Scope

from gateway.problems import Problem
from gateway.validation import validation_problem

__all__ = ["parse_body", "read_body", "request_headers"]

ModelT = TypeVar("ModelT", bound=BaseModel)


def request_headers(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name (the last of repeated ones)."""
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


def _too_large(limit: int) -> Problem:
    return Problem(413, f"the body is over the limit of {limit} bytes", field="body")


async def read_body(headers: dict[str, str], receive: Receive, limit: int) -> bytes:
    """The whole body; 413 from ``Content-Length``, or as soon as it passes ``limit``."""
    declared = headers.get("content-length")
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            raise Problem(400, "Content-Length is not a number", field="Content-Length") from None
        if length > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise Problem(400, "the client went away before sending the whole body")
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _is_json(content_type: str) -> bool:
    return content_type.partition(";")[0].strip().lower() == "application/json"


async def parse_body(
    headers: dict[str, str],
    receive: Receive,
    model: type[ModelT],
    limit: int,
    context: dict[str, Any],
) -> tuple[ModelT, bytes]:
    """The body validated as ``model`` and its raw bytes; 400/413/415/422 problems otherwise.

    An empty body stands for ``{}`` (for bodies whose fields are all optional).
    """
    content_type = headers.get("content-type")
    if content_type is not None and not _is_json(content_type):
        raise Problem(
            415,
            f"the body must be application/json, not {content_type[:80]!r}",
            field="Content-Type",
        )
    raw = await read_body(headers, receive, limit)
    if raw and content_type is None:
        raise Problem(415, "the body must be application/json", field="Content-Type")
    try:
        return model.model_validate_json(raw or b"{}", context=context), raw
    except ValidationError as exc:
        raise validation_problem(exc) from None
