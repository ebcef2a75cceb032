"""Benchmark of the gateway: authenticated ``POST /v1/sessions/{sid}/messages`` (JWT check,
validation, Redis admission, Avro, produce acknowledged by Kafka) against a bare Starlette JSON
endpoint served the same way (uvicorn, uvloop, httptools, one process), driven by the same load
generator over loopback.

Measures each one's maximum rate (closed loop) with p50/p99, then the gateway's p99 at half its
maximum rate (open loop, latency counted from each request's scheduled time, so queueing is not
hidden). Run as ``python -m bench.gateway`` or ``python bench/gateway.py``; it uses the Kafka and
Redis of ``WASTREAM_KAFKA_BOOTSTRAP``/``WASTREAM_REDIS_URL`` when both are set, else starts a
local stack of its own on free ports. ``--duration`` bounds each measurement (seconds).

Ends with ``RESULT gateway rps=… baseline_rps=… ratio=… p50_ms=… p99_ms=… p99_at_half_ms=…``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    # Run as a file, this directory would shadow the `gateway` package.
    sys.path[:1] = [str(ROOT)]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import gc  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import ExitStack, contextmanager  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import cast  # noqa: E402

__all__ = ["baseline_app", "main"]

SESSIONS = 8
MESSAGE = b'{"to": "4915112345678", "text": "hello from the benchmark"}'
BENCH_RATES = {
    "WASTREAM_RATE_TENANT_PER_S": "1000000000",
    "WASTREAM_RATE_TENANT_BURST": "1000000000",
    "WASTREAM_RATE_SESSION_PER_S": "1000000000",
    "WASTREAM_RATE_SESSION_BURST": "1000000000",
}


def baseline_app() -> object:
    """A bare Starlette app: one POST endpoint that reads the body and answers JSON."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def accept(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"command_id": "00000000-0000-0000-0000-000000000000"}, 202)

    return Starlette(routes=[Route("/v1/sessions/{sid}/messages", accept, methods=["POST"])])


def serve_baseline() -> None:
    """Serve :func:`baseline_app` as ``gateway.server.run`` serves the gateway."""
    import uvicorn

    from wastream.settings import load_settings

    settings = load_settings()
    uvicorn.run(
        baseline_app(),  # type: ignore[arg-type]
        host=settings.gateway_host,
        port=settings.gateway_port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_level="warning",
        server_header=False,
    )


# -- the load generator ------------------------------------------------------------------------


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection sending prepared requests, one at a time."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._waiter: asyncio.Future[int] | None = None
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            status = self._take_response()
            if status is not None:
                waiter.set_result(status)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(ConnectionError("connection closed"))

    def _take_response(self) -> int | None:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(self._buffer[:end]).lower()
        at = head.find(b"content-length:")
        length = int(head[at + 15 : head.find(b"\r\n", at) if b"\r\n" in head[at:] else None])
        total = end + 4 + length
        if len(self._buffer) < total:
            return None
        del self._buffer[:total]
        return int(head[9:12])

    async def send(self, request: bytes) -> int:
        assert self._transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(request)
        return await self._waiter

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


@dataclass
class Run:
    """What one measurement saw."""

    requests: int
    seconds: float
    latencies: list[float]
    statuses: Counter[int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile_ms(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _requests(port: int, token: str, sessions: list[str]) -> list[bytes]:
    return [
        (
            f"POST /v1/sessions/{sid}/messages HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(MESSAGE)}\r\n\r\n"
        ).encode()
        + MESSAGE
        for sid in sessions
    ]


async def _connect(port: int, count: int) -> list[_Connection]:
    loop = asyncio.get_running_loop()
    connections = []
    for _ in range(count):
        _, protocol = await loop.create_connection(_Connection, "127.0.0.1", port)
        connections.append(protocol)
    return connections


async def closed_loop(port: int, requests: list[bytes], connections: int, seconds: float) -> Run:
    """As fast as ``connections`` concurrent clients can go, for ``seconds``."""
    pool = await _connect(port, connections)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    clock = time.perf_counter
    stop_at = clock() + seconds

    async def client(connection: _Connection, request: bytes) -> None:
        while clock() < stop_at:
            started = clock()
            status = await connection.send(request)
            latencies.append(clock() - started)
            statuses[status] += 1

    started = clock()
    await asyncio.gather(*(client(c, requests[i % len(requests)]) for i, c in enumerate(pool)))
    elapsed = clock() - started
    for connection in pool:
        connection.close()
    return Run(len(latencies), elapsed, latencies, statuses)


async def open_loop(
    port: int, requests: list[bytes], rate: float, seconds: float, connections: int = 64
) -> Run:
    """``rate`` requests per second on schedule; latency counts from the scheduled time."""
    pool = await _connect(port, connections)
    idle: asyncio.Queue[tuple[_Connection, bytes]] = asyncio.Queue()
    for i, connection in enumerate(pool):
        idle.put_nowait((connection, requests[i % len(requests)]))
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    clock = time.perf_counter
    tasks: set[asyncio.Task[None]] = set()

    async def one(scheduled: float) -> None:
        connection, request = await idle.get()
        try:
            status = await connection.send(request)
        finally:
            idle.put_nowait((connection, request))
        latencies.append(clock() - scheduled)
        statuses[status] += 1

    total = int(rate * seconds)
    started = clock()
    for n in range(total):
        scheduled = started + n / rate
        delay = scheduled - clock()
        if delay > 0.0005:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    elapsed = clock() - started
    for connection in pool:
        connection.close()
    return Run(len(latencies), elapsed, latencies, statuses)


# -- orchestration -----------------------------------------------------------------------------


def _free_port() -> int:
    from wastream.stack import free_port

    return free_port()


@contextmanager
def _services() -> Iterator[dict[str, str]]:
    """``WASTREAM_*`` of a Kafka and Redis to use: the environment's, or a stack of our own."""
    if os.environ.get("WASTREAM_KAFKA_BOOTSTRAP") and os.environ.get("WASTREAM_REDIS_URL"):
        yield {}
        return
    from wastream.settings import load_settings
    from wastream.stack import LocalStack

    with tempfile.TemporaryDirectory(prefix="wastream-bench-") as state_dir:
        settings = load_settings(
            state_dir=Path(state_dir),
            kafka_port=_free_port(),
            kafka_controller_port=_free_port(),
            redis_port=_free_port(),
        )
        stack = LocalStack(settings)
        print("starting a local stack (Kafka, Redis)…", flush=True)
        stack.start()
        try:
            yield {
                "WASTREAM_KAFKA_BOOTSTRAP": stack.settings.kafka_bootstrap,
                "WASTREAM_REDIS_URL": stack.settings.redis_url,
            }
        finally:
            stack.stop()


def _wait_http(url: str, timeout_s: float, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {timeout_s} s")


@contextmanager
def _server(code: str, env: dict[str, str], ready_url: str) -> Iterator[None]:
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)
    try:
        _wait_http(ready_url, 60, process)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _post(port: int, path: str, body: bytes, token: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def _report(name: str, run: Run) -> None:
    other = {status: n for status, n in run.statuses.items() if status != 202}
    print(
        f"{name:<28} {run.rps:9.0f} req/s   p50 {run.percentile_ms(0.5):7.2f} ms   "
        f"p99 {run.percentile_ms(0.99):7.2f} ms   ({run.requests} requests"
        + (f", non-202: {other}" if other else "")
        + ")",
        flush=True,
    )


@contextmanager
def _no_gc() -> Iterator[None]:
    """No garbage collection in the load generator while it measures (it would add pauses)."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def _measure(port: int, requests: list[bytes], connections: int, seconds: float) -> Run:
    await closed_loop(port, requests, connections, min(2.0, seconds / 3))  # warm-up
    return await closed_loop(port, requests, connections, seconds)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    args = parser.parse_args(argv)

    import uvloop

    from gateway import mint_token
    from wastream.settings import load_settings

    with ExitStack() as stack:
        services = stack.enter_context(_services())
        env = {**os.environ, **services, **BENCH_RATES, "WASTREAM_LOG_LEVEL": "WARNING"}
        gateway_port, baseline_port = _free_port(), _free_port()
        gateway_env = {**env, "WASTREAM_GATEWAY_PORT": str(gateway_port)}
        baseline_env = {**env, "WASTREAM_GATEWAY_PORT": str(baseline_port)}
        settings = load_settings()  # the JWT settings the gateway child reads too
        token = mint_token(settings, "bench", ["sessions:write", "messages:send"], ttl_s=3600)
        sessions = [f"bench-{os.getpid()}-{n}" for n in range(SESSIONS)]

        stack.enter_context(
            _server(
                "from gateway.server import run; from wastream.settings import load_settings;"
                " run(load_settings())",
                gateway_env,
                f"http://127.0.0.1:{gateway_port}/readyz",
            )
        )
        for sid in sessions:
            body = f'{{"session_id": "{sid}"}}'.encode()
            assert _post(gateway_port, "/v1/sessions", body, token) == 202
        stack.enter_context(_baseline_server(baseline_env, baseline_port))

        gateway_requests = _requests(gateway_port, token, sessions)
        baseline_requests = _requests(baseline_port, token, sessions)
        seconds, connections = args.duration, args.connections
        print(f"load: {connections} connections, {seconds:.0f} s per measurement", flush=True)
        with _no_gc():
            baseline = uvloop.run(_measure(baseline_port, baseline_requests, connections, seconds))
        _report("bare Starlette endpoint", baseline)
        with _no_gc():
            gateway = uvloop.run(_measure(gateway_port, gateway_requests, connections, seconds))
        _report("gateway", gateway)
        half_rate = gateway.rps / 2
        with _no_gc():
            at_half = uvloop.run(open_loop(gateway_port, gateway_requests, half_rate, seconds))
        _report(f"gateway at {half_rate:.0f} req/s", at_half)

    ratio = gateway.rps / baseline.rps
    print(f"gateway / baseline: {ratio:.2f}", flush=True)
    print(
        f"RESULT gateway rps={gateway.rps:.0f} baseline_rps={baseline.rps:.0f} ratio={ratio:.2f}"
        f" p50_ms={gateway.percentile_ms(0.5):.2f} p99_ms={gateway.percentile_ms(0.99):.2f}"
        f" p99_at_half_ms={at_half.percentile_ms(0.99):.2f}",
        flush=True,
    )


@contextmanager
def _baseline_server(env: dict[str, str], port: int) -> Iterator[None]:
    process = subprocess.Popen(
        [sys.executable, "-c", "import bench.gateway as b; b.serve_baseline()"], cwd=ROOT, env=env
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _post(port, "/v1/sessions/x/messages", MESSAGE, "-")
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield
    finally:
        process.terminate()
        process.wait(timeout=15)


if __name__ == "__main__":
    main()
