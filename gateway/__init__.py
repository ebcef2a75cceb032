"""The HTTP command gateway: authenticate, authorize, validate, rate-limit, publish one Avro
command to ``wa.commands``, answer 202 once Kafka acknowledged it."""

from __future__ import annotations

from gateway.app import create_app
from gateway.auth import SCOPES, Principal, mint_token
from gateway.exceptions import BackendUnavailableError, GatewayError, PublishError
from gateway.problems import Problem
from gateway.server import run

__all__ = [
    "SCOPES",
    "BackendUnavailableError",
    "GatewayError",
    "Principal",
    "Problem",
    "PublishError",
    "create_app",
    "mint_token",
    "run",
]
