"""What every handler of the gateway shares."""

from __future__ import annotations

from gateway.auth import Authenticator, Principal, require_scope
from gateway.exceptions import GatewayError
from gateway.metrics import GatewayMetrics
from gateway.services import Services
from wastream.settings import Settings

__all__ = ["GatewayState"]


class GatewayState:
    """What every handler shares; ``services`` is set while the app's lifespan runs."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.auth = Authenticator(settings)
        self.metrics = GatewayMetrics()
        self.services: Services | None = None
        self.body_context = {
            "max_recipients": settings.max_recipients,
            "max_media_bytes": settings.max_media_bytes,
        }

    def require_services(self) -> Services:
        if self.services is None:
            raise GatewayError("the gateway's lifespan has not started")
        return self.services

    def principal(self, authorization: str | None, scope: str) -> Principal:
        principal = self.auth.authenticate(authorization)
        require_scope(principal, scope)
        return principal
