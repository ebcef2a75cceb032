"""Running the sandbox: :func:`serve` / :func:`run` for the command line, :class:`SandboxServer`
to embed it in an event loop (tests, benchmarks, the demo)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator, Sequence
from types import TracebackType

import uvicorn

from connectors.sandbox.app import create_app
from connectors.sandbox.config import SandboxConfig
from connectors.sandbox.exceptions import SandboxError
from connectors.sandbox.network import Network
from wastream.settings import Settings, load_settings

__all__ = ["DEMO_ACCOUNTS", "SandboxServer", "run", "serve"]

DEMO_ACCOUNTS: tuple[tuple[str, str], ...] = (("15550000001", "Alice"), ("15550000002", "Bob"))


def _uvicorn_config(app: object, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,  # type: ignore[arg-type]
        ws="websockets-sansio",
        lifespan="on",
        log_level=log_level,
        access_log=False,
        ws_ping_interval=20.0,
        ws_max_size=32 * 1024 * 1024,
    )


async def serve(
    host: str | None = None,
    port: int | None = None,
    *,
    settings: Settings | None = None,
    config: SandboxConfig | None = None,
    accounts: Sequence[tuple[str, str]] = (),
    log_level: str = "info",
) -> None:
    """Serve the sandbox until interrupted (Ctrl-C / SIGTERM).

    ``host``/``port`` default to ``WASTREAM_SANDBOX_HOST``/``WASTREAM_SANDBOX_PORT``; ``accounts``
    (number, name) are created at startup unless they exist (``DEMO_ACCOUNTS`` for a demo).
    """
    s = settings if settings is not None else load_settings()
    cfg = config if config is not None else SandboxConfig.from_settings(s)
    app = create_app(cfg, accounts=accounts)
    uv = _uvicorn_config(app, log_level)
    uv.host = host or s.sandbox_host
    uv.port = port if port is not None else s.sandbox_port
    await uvicorn.Server(uv).serve()


def run(
    host: str | None = None,
    port: int | None = None,
    *,
    accounts: Sequence[tuple[str, str]] = (),
    log_level: str = "info",
) -> None:
    """Blocking :func:`serve`, for the command line."""
    asyncio.run(serve(host, port, accounts=accounts, log_level=log_level))


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # Embedded in someone else's loop: their signal handling stays theirs.
        yield


class SandboxServer:
    """The sandbox on ``127.0.0.1`` and a free port (or ``port``), inside the running loop::

    async with SandboxServer(SandboxConfig(qr_first_ttl_s=2)) as sandbox:
        sandbox.url, sandbox.network
    """

    def __init__(
        self,
        config: SandboxConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        accounts: Sequence[tuple[str, str]] = (),
        log_level: str = "warning",
    ) -> None:
        self.config = config if config is not None else SandboxConfig()
        self.network = Network(self.config)
        self.app = create_app(self.config, self.network, accounts)
        self._host, self._port = host, port
        self._log_level = log_level
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self._host, self._port))
        except OSError as exc:
            sock.close()
            raise SandboxError(f"cannot bind {self._host}:{self._port}: {exc}") from exc
        self.port = sock.getsockname()[1]
        self._server = _EmbeddedServer(_uvicorn_config(self.app, self._log_level))
        self._task = asyncio.get_running_loop().create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise SandboxError("the sandbox stopped while starting")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        await self._task
        self._server = self._task = None

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
