"""The stream processors: the Faust app whose workers own the browser sessions of their Kafka
partitions, execute commands and publish what happens."""

from __future__ import annotations

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
