"""The stream processors: the Faust app whose workers own the browser sessions of their Kafka
partitions, execute commands and publish what happens."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streams.acks import OrderedAcks, Ticket
    from streams.app import APP_ID, create_app
    from streams.exceptions import CommandFailure, PermanentFailure, StreamsError, TransientFailure
    from streams.pacing import Pacer, TokenBucket
    from streams.readers import (
        SESSIONS_TABLE,
        read_command_result,
        read_qr,
        read_session,
        session_key,
    )
    from streams.store import RedisStore
    from streams.types import BrowserSession, SessionFactory, Vault
    from streams.worker import run

# The surface is loaded on first use: importing the cheap parts (``streams.readers``, used by
# the gateway) must not import Faust.
_WHERE = {
    "OrderedAcks": "streams.acks",
    "Ticket": "streams.acks",
    "APP_ID": "streams.app",
    "create_app": "streams.app",
    "CommandFailure": "streams.exceptions",
    "PermanentFailure": "streams.exceptions",
    "StreamsError": "streams.exceptions",
    "TransientFailure": "streams.exceptions",
    "Pacer": "streams.pacing",
    "TokenBucket": "streams.pacing",
    "SESSIONS_TABLE": "streams.readers",
    "read_command_result": "streams.readers",
    "read_qr": "streams.readers",
    "read_session": "streams.readers",
    "session_key": "streams.readers",
    "RedisStore": "streams.store",
    "BrowserSession": "streams.types",
    "SessionFactory": "streams.types",
    "Vault": "streams.types",
    "run": "streams.worker",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'streams' has no attribute {name!r}")


__all__ = [
    "APP_ID",
    "SESSIONS_TABLE",
    "BrowserSession",
    "CommandFailure",
    "OrderedAcks",
    "Pacer",
    "PermanentFailure",
    "RedisStore",
    "SessionFactory",
    "StreamsError",
    "Ticket",
    "TokenBucket",
    "TransientFailure",
    "Vault",
    "create_app",
    "read_command_result",
    "read_qr",
    "read_session",
    "run",
    "session_key",
]
