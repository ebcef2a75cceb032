"""The gateway's Starlette application, built by :func:`create_app`."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from gateway.health import Readiness, healthz
from gateway.metrics import MetricsMiddleware
from gateway.openapi import openapi_document
from gateway.problems import exception_handlers
from gateway.routes import api_routes
from gateway.services import open_services
from gateway.state import GatewayState
from wastream.settings import Settings

__all__ = ["create_app"]


def create_app(settings: Settings) -> Starlette:
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
    app = Starlette(
        routes=routes,
        middleware=[Middleware(MetricsMiddleware, metrics=state.metrics)],
        exception_handlers=exception_handlers(),
        lifespan=lifespan,
    )
    app.state.gateway = state
    return app
