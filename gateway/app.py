"""The gateway's Starlette application, built by :func:`create_app`.

The command endpoints (the hot path) are found by :class:`gateway.dispatch.CommandRoutes` and
served before Starlette's middleware and router, which serve everything else.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from gateway.dispatch import CommandRoutes
from gateway.health import Readiness, healthz
from gateway.metrics import MetricsMiddleware
from gateway.openapi import openapi_document
from gateway.problems import exception_handlers
from gateway.routes import CommandHandler, api_routes
from gateway.services import open_services
from gateway.state import GatewayState
from wastream.settings import Settings

__all__ = ["GatewayApp", "create_app"]


class GatewayApp(Starlette):
    """Starlette, but a request to a command endpoint goes straight to its handler."""

    def __init__(self, *, routes: list[BaseRoute], **options: Any) -> None:
        super().__init__(routes=routes, **options)
        self.command_routes: CommandRoutes[CommandHandler] = CommandRoutes(
            (method, route.path, route.endpoint)
            for route in routes
            if isinstance(route, Route) and isinstance(route.endpoint, CommandHandler)
            for method in route.methods or ()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            found = self.command_routes.match(scope["method"], scope["path"])
            if found is not None:
                handler, scope["path_params"] = found
                scope["app"] = self
                await handler.serve(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings) -> GatewayApp:
    """The gateway app; its lifespan opens the Kafka producer, the Redis client and the codec.

    ``app.state.gateway`` is its :class:`gateway.routes.GatewayState`.
    """
    state = GatewayState(settings)
    readiness = Readiness(state)
    document = orjson.dumps(openapi_document(settings))

    async def openapi(request: Request) -> Response:
        return Response(document, media_type="application/json")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_services(settings) as services:
            state.services = services
            # What exists now lives as long as the app: keep it out of every garbage
            # collection, whose full passes would otherwise stall requests for milliseconds.
            gc.freeze()
            try:
                yield
            finally:
                state.services = None

    routes: list[BaseRoute] = [
        *api_routes(state),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readiness.endpoint, methods=["GET"]),
        Route("/metrics", state.metrics.endpoint, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]
    app = GatewayApp(
        routes=routes,
        middleware=[Middleware(MetricsMiddleware, metrics=state.metrics)],
        exception_handlers=exception_handlers(),
        lifespan=lifespan,
    )
    app.state.gateway = state
    return app
