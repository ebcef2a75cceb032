"""The sandbox's ASGI app: the page, its socket, the phone API and media."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from importlib import resources
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from connectors.sandbox.config import SandboxConfig
from connectors.sandbox.exceptions import PersistenceError, ProblemError
from connectors.sandbox.http_util import http_problem, json_response, network_of
from connectors.sandbox.media_api import media_routes
from connectors.sandbox.network import Network
from connectors.sandbox.pairing import PairingRegistry
from connectors.sandbox.persistence import load_network, save_network
from connectors.sandbox.phone_api import phone_routes
from connectors.sandbox.web_socket import page_socket

__all__ = ["create_app", "static_dir"]

log = logging.getLogger(__name__)
NO_CACHE = {"Cache-Control": "no-cache"}


def static_dir() -> Path:
    return Path(str(resources.files("connectors.sandbox") / "static"))


async def index(request: Request) -> Response:
    return FileResponse(static_dir() / "index.html", headers=NO_CACHE)


FAVICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    b'<circle cx="8" cy="8" r="8" fill="#00a884"/></svg>'
)


async def favicon(request: Request) -> Response:
    return Response(FAVICON, media_type="image/svg+xml")


async def healthz(request: Request) -> Response:
    net = network_of(request)
    return json_response(
        {"status": "ok", "accounts": len(net.accounts), "online_devices": net.hub.online_count()}
    )


async def _persist_loop(net: Network, path: Path, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        if net.dirty:
            try:
                save_network(net, path)
            except PersistenceError:
                log.exception("saving the sandbox state failed")


def create_app(
    config: SandboxConfig | None = None,
    network: Network | None = None,
    accounts: Sequence[tuple[str, str]] = (),
) -> Starlette:
    """Build the sandbox app.

    ``config.state_file`` is loaded at startup and kept up to date; ``accounts`` (number, name)
    are created at startup unless they exist.
    """
    cfg = config if config is not None else SandboxConfig.from_settings()
    net = network if network is not None else Network(cfg)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        saver = None
        if cfg.state_file is not None:
            load_network(net, cfg.state_file)
            saver = asyncio.get_running_loop().create_task(
                _persist_loop(net, cfg.state_file, cfg.persist_interval_s)
            )
        for number, name in accounts:
            if number not in net.accounts:
                net.create_account(number, name)
        try:
            yield
        finally:
            if saver is not None:
                saver.cancel()
                save_network(net, cfg.state_file)  # type: ignore[arg-type]

    app = Starlette(
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/favicon.ico", favicon, methods=["GET"]),
            WebSocketRoute("/ws", page_socket),
            *phone_routes(),
            *media_routes(),
            Mount("/static", StaticFiles(directory=static_dir()), name="static"),
        ],
        exception_handlers={ProblemError: http_problem, HTTPException: http_problem},
        lifespan=lifespan,
    )
    app.state.network = net
    app.state.pairing = PairingRegistry(net)
    app.state.config = cfg
    return app
