"""The WhatsApp Web sandbox: a local stand-in for web.whatsapp.com and the WhatsApp network.

A page at ``/`` exposes WhatsApp Web's module surface (``SURFACE.md``), a phone API at
``/phone/...`` acts as the accounts' handsets, and the network in between keeps accounts,
linked devices, chats, groups and acks.
"""

from __future__ import annotations

from connectors.sandbox.app import create_app
from connectors.sandbox.config import SandboxConfig
from connectors.sandbox.exceptions import (
    AccountBannedError,
    ConflictError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
    PersistenceError,
    ProblemError,
    SandboxError,
)
from connectors.sandbox.network import Network
from connectors.sandbox.phone_client import PhoneApiError, PhoneClient
from connectors.sandbox.server import DEMO_ACCOUNTS, SandboxServer, run, serve

__all__ = [
    "DEMO_ACCOUNTS",
    "AccountBannedError",
    "ConflictError",
    "ForbiddenError",
    "InvalidRequestError",
    "Network",
    "NotFoundError",
    "PersistenceError",
    "PhoneApiError",
    "PhoneClient",
    "ProblemError",
    "SandboxConfig",
    "SandboxError",
    "SandboxServer",
    "create_app",
    "run",
    "serve",
]
