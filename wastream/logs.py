"""Structured logs: one JSON object a line, with ``command_id`` and ``session_id`` when known."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

__all__ = ["configure_logging"]

#: Libraries that log every HTTP request at INFO (the sandbox client, media fetches, the demo):
#: their lines show from WARNING on, or at DEBUG.
_CHATTY = ("httpx", "httpcore")


def configure_logging(level: str = "INFO", *, json: bool = True) -> None:
    """Send every log record to stderr, as JSON (``json=True``) or as plain lines."""
    handler = logging.StreamHandler(sys.stderr)
    if json:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in _CHATTY:
        logging.getLogger(name).setLevel(
            logging.NOTSET if root.level <= logging.DEBUG else max(root.level, logging.WARNING)
        )
