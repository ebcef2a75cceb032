"""Errors of the stream processors, under :class:`wastream.exceptions.WastreamError`::

    WastreamError
    └── StreamsError                  (streams.exceptions) the Faust workers
        └── CommandFailure            a command cannot complete; carries its error code
            ├── PermanentFailure      fails the command at once
            └── TransientFailure      retried with backoff, then fails the command

The connector's own ``PermanentError``/``TransientError`` are translated into these at the
session boundary (:func:`streams.connector.classify`).
"""

from __future__ import annotations

from wastream.exceptions import WastreamError

__all__ = ["CommandFailure", "PermanentFailure", "StreamsError", "TransientFailure"]


class StreamsError(WastreamError):
    """Root of the stream processors' errors."""


class CommandFailure(StreamsError):
    """A command cannot complete: ``code`` is the result's ``error_code``."""

    transient = False

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class PermanentFailure(CommandFailure):
    """Retrying cannot help (a number not on WhatsApp, no session, not a group admin)."""


class TransientFailure(CommandFailure):
    """Retrying may help (a page crash, a disconnected socket, a timeout)."""

    transient = True
