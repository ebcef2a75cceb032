"""Serving the gateway with uvicorn (``wastream gateway``)."""

from __future__ import annotations

import uvicorn

from gateway.app import create_app
from wastream.settings import Settings

__all__ = ["run"]


def run(settings: Settings) -> None:
    """Serve the gateway on ``settings.gateway_host:gateway_port`` until interrupted."""
    config = uvicorn.Config(
        create_app(settings),
        host=settings.gateway_host,
        port=settings.gateway_port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_level=settings.log_level.lower(),
        server_header=False,
    )
    uvicorn.Server(config).run()
