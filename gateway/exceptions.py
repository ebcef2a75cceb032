"""Errors of the HTTP command gateway (see the tree in :mod:`wastream.exceptions`)."""

from __future__ import annotations

from wastream.exceptions import WastreamError

__all__ = ["BackendUnavailableError", "GatewayError", "PublishError"]


class GatewayError(WastreamError):
    """Something the HTTP command gateway could not do."""


class PublishError(GatewayError):
    """Kafka did not acknowledge a record in time, or refused it.

    ``possibly_stored`` is true when the broker may have written the record although no
    acknowledgement arrived (a timeout of a record already sent); a retry must then reuse the
    same ``command_id`` so that the workers execute it once.
    """

    def __init__(self, message: str, *, retry_after_s: int = 1, possibly_stored: bool) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.possibly_stored = possibly_stored


class BackendUnavailableError(GatewayError):
    """Redis (rate limits, idempotency keys, session ownership) did not answer."""
