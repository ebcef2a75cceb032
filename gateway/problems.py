"""RFC 7807-style problem bodies, and the exception handlers that make every error one.

A problem body is ``{"type", "title", "status", "detail", "field"}`` (``field`` names the
offending input, or is null), served as ``application/problem+json``. Nothing a client sends
answers a 500: bad input raises :class:`Problem`, and only a bug of the gateway reaches the
catch-all handler.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from gateway.exceptions import BackendUnavailableError, GatewayError, PublishError

__all__ = [
    "PROBLEM_CONTENT_TYPE",
    "Problem",
    "exception_handlers",
    "problem_of",
    "problem_response",
    "problem_type",
]

PROBLEM_CONTENT_TYPE = "application/problem+json"

logger = logging.getLogger(__name__)

_SLUGS = {
    400: "malformed-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "invalid-field",
    429: "rate-limited",
    500: "internal-error",
    503: "unavailable",
}


def problem_type(status: int) -> str:
    """The ``type`` URI of a problem with this status."""
    return f"urn:wastream:problem:{_SLUGS.get(status, str(status))}"


class Problem(GatewayError):
    """An HTTP error answered as a problem body.

    ``errors`` lists every offending field (``{"field", "detail"}``) when there are several;
    ``extra`` adds members to the body (a ``command_id``, say).
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        field: str | None = None,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[Mapping[str, str | None]] = (),
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.field = field
        self.title = title or HTTPStatus(status).phrase
        self.headers = dict(headers or {})
        self.errors = list(errors)
        self.extra = dict(extra or {})

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": problem_type(self.status),
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "field": self.field,
        }
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


def problem_response(problem: Problem) -> Response:
    return Response(
        orjson.dumps(problem.body()),
        status_code=problem.status,
        headers=problem.headers,
        media_type=PROBLEM_CONTENT_TYPE,
    )


async def _on_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return problem_response(exc)


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    # Starlette's own errors: no route (404), a wrong method (405, with its Allow header).
    assert isinstance(exc, HTTPException)
    detail = {
        404: f"no endpoint at {request.url.path}",
        405: f"{request.method} is not allowed on {request.url.path}",
    }.get(exc.status_code, str(exc.detail))
    return problem_response(Problem(exc.status_code, detail, headers=exc.headers))


def problem_of(exc: Exception) -> Problem:
    """The problem answering ``exc``: itself, a 503 for an unavailable backend, else a 500."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, PublishError):
        return Problem(
            503,
            f"the command was not acknowledged by Kafka: {exc}",
            headers={"Retry-After": str(exc.retry_after_s)},
        )
    if isinstance(exc, BackendUnavailableError):
        return Problem(503, f"a backend did not answer: {exc}", headers={"Retry-After": "1"})
    return Problem(500, "the gateway failed to handle this request")


async def _on_gateway_error(request: Request, exc: Exception) -> Response:
    return problem_response(problem_of(exc))


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(problem_of(exc))


def exception_handlers() -> dict[Any, Any]:
    """The handlers to give :class:`starlette.applications.Starlette`."""
    return {
        Problem: _on_problem,
        HTTPException: _on_http_exception,
        PublishError: _on_gateway_error,
        BackendUnavailableError: _on_gateway_error,
        Exception: _on_unexpected,
    }
