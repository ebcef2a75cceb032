"""Errors of the WhatsApp Web sandbox.

::

    SandboxError                    (wastream.exceptions)
    ├── ProblemError                a request the network refuses; carries an HTTP status and a slug
    │   ├── InvalidRequestError     422: invalid input
    │   │   └── MalformedRequestError  400: not JSON, not an object
    │   ├── ForbiddenError          403: not allowed (not an admin, not a participant)
    │   │   └── AccountBannedError  403: the account is temporarily banned
    │   ├── NotFoundError           404: no such account, device, chat, message, QR or code
    │   ├── ConflictError           409: already exists, expired QR, too many devices
    │   ├── PayloadTooLargeError    413
    │   └── UnsupportedMediaError   415
    └── PersistenceError            the state file cannot be read or written
"""

from __future__ import annotations

from wastream.exceptions import WastreamError

__all__ = [
    "AccountBannedError",
    "ConflictError",
    "ForbiddenError",
    "InvalidRequestError",
    "MalformedRequestError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PersistenceError",
    "ProblemError",
    "SandboxError",
    "UnsupportedMediaError",
]


class SandboxError(WastreamError):
    """Root of the sandbox's errors."""


class ProblemError(SandboxError):
    """A refused request, answered as a JSON problem body (HTTP) or an error reply (page)."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None, slug: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        if slug is not None:
            self.slug = slug

    def to_problem(self) -> dict[str, object]:
        body: dict[str, object] = {
            "type": f"urn:wastream:sandbox:{self.slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.field is not None:
            body["field"] = self.field
        return body


class InvalidRequestError(ProblemError):
    status = 422
    slug = "invalid-request"
    title = "Invalid request"


class MalformedRequestError(InvalidRequestError):
    status = 400
    slug = "malformed-json"
    title = "Malformed request"


class ForbiddenError(ProblemError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class AccountBannedError(ForbiddenError):
    slug = "account-banned"
    title = "Account temporarily banned"

    def __init__(self, detail: str, *, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = retry_after

    def to_problem(self) -> dict[str, object]:
        body = super().to_problem()
        body["retry_after"] = round(self.retry_after, 3)
        return body


class NotFoundError(ProblemError):
    status = 404
    slug = "not-found"
    title = "Not found"


class ConflictError(ProblemError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class PayloadTooLargeError(ProblemError):
    status = 413
    slug = "payload-too-large"
    title = "Payload too large"


class UnsupportedMediaError(ProblemError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class PersistenceError(SandboxError):
    """The sandbox's state file cannot be read or written."""
