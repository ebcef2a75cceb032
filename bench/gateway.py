"""Benchmark of the gateway: authenticated ``POST /v1/sessions/{sid}/messages`` (JWT check,
validation, Redis admission, Avro, produce acknowledged by Kafka) against a bare Starlette JSON
endpoint served the same way (uvicorn, uvloop, httptools, no access log, one worker process
each), driven by the same load generator over loopback.

Measures each one's maximum rate (closed loop: ``--connections`` keep-alive connections, each
sending its next request when the last is answered) with p50/p99, then the gateway's p99 at half
its maximum rate (open loop, latency counted from each request's scheduled time, so queueing is
not hidden). The closed loop runs on ``wrk`` (one thread) when it is installed: a load generator
in C leaves the two cores to the servers, Kafka and Redis; without it, on the asyncio generator
below. The open loop always runs on the asyncio generator (``wrk`` has no fixed-rate mode).

Both servers' closed loops run in ``--rounds`` short turns taken in ABBA order, so that load
other programs put on the shared machine weighs on both alike, after ``--warm-up`` seconds of
load each (20 s by default: a Kafka broker just started spends most of a core compiling its hot
paths for about that long, a broker in production has long done so). The default 64
connections saturate both: the bare endpoint peaks by 32 already, while the gateway, whose every
request waits on a Redis round trip and a Kafka acknowledgement (a millisecond or two, with the
producer's linger), is still bound by its latency, not its CPU, at 32.

Run as ``python -m bench.gateway`` or ``python bench/gateway.py``; it uses the Kafka and Redis of
``WASTREAM_KAFKA_BOOTSTRAP``/``WASTREAM_REDIS_URL`` when both are set, else starts a local stack
of its own on free ports. ``--duration`` bounds each measurement (seconds).

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
import shutil  # noqa: E402
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
    """What one measurement saw: answers, seconds, latencies (a histogram in microseconds) and
    the statuses."""

    requests: int
    seconds: float
    latency_us: Counter[int]
    statuses: Counter[int | str]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def p50_ms(self) -> float:
        return self.percentile_ms(0.5)

    @property
    def p99_ms(self) -> float:
        return self.percentile_ms(0.99)

    def percentile_ms(self, q: float) -> float:
        rank = q * sum(self.latency_us.values())
        seen = 0
        for micros in sorted(self.latency_us):
            seen += self.latency_us[micros]
            if seen > rank:
                return micros / 1000
        return 0.0

    @classmethod
    def of(cls, seconds: float, latencies: list[float], statuses: Counter[int | str]) -> Run:
        return cls(len(latencies), seconds, Counter(round(s * 1e6) for s in latencies), statuses)

    @classmethod
    def merged(cls, runs: list[Run]) -> Run:
        """The runs (rounds of one measurement) as one."""
        latency_us: Counter[int] = Counter()
        statuses: Counter[int | str] = Counter()
        for run in runs:
            latency_us.update(run.latency_us)
            statuses.update(run.statuses)
        requests, seconds = sum(r.requests for r in runs), sum(r.seconds for r in runs)
        return cls(requests, seconds, latency_us, statuses)


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
    statuses: Counter[int | str] = Counter()
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
    return Run.of(elapsed, latencies, statuses)


async def open_loop(
    port: int, requests: list[bytes], rate: float, seconds: float, connections: int = 64
) -> Run:
    """``rate`` requests per second on schedule; latency counts from the scheduled time."""
    pool = await _connect(port, connections)
    idle: asyncio.Queue[tuple[_Connection, bytes]] = asyncio.Queue()
    for i, connection in enumerate(pool):
        idle.put_nowait((connection, requests[i % len(requests)]))
    latencies: list[float] = []
    statuses: Counter[int | str] = Counter()
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
    return Run.of(elapsed, latencies, statuses)


# -- wrk ---------------------------------------------------------------------------------------

# Requests prepared once per thread and sent round-robin; done() prints one parseable line.
_WRK_SCRIPT = """
local paths, token, body = {%(paths)s}, "%(token)s", '%(body)s'
local requests, n = {}, 0
init = function(args)
  for _, path in ipairs(paths) do
    requests[#requests + 1] = wrk.format("POST", path,
      {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
  end
end
request = function()
  n = n + 1
  return requests[n %% #requests + 1]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %%d %%d %%d %%d\\n", summary.requests, summary.duration, e.status,
    e.connect + e.read + e.write + e.timeout))
  local histogram = {}
  for i = 1, #latency do
    local micros, count = latency(i)
    histogram[i] = micros .. ":" .. count
  end
  io.write("LATENCY " .. table.concat(histogram, " ") .. "\\n")
end
"""


def wrk_closed_loop(
    wrk: str, port: int, token: str, sessions: list[str], connections: int, seconds: float
) -> Run:
    """:func:`closed_loop`, run by ``wrk`` (one thread); statuses: ``2xx``, ``4xx/5xx``, errors."""
    paths = ", ".join(f'"/v1/sessions/{sid}/messages"' for sid in sessions)
    script = _WRK_SCRIPT % {"paths": paths, "token": token, "body": MESSAGE.decode()}
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as file:
        file.write(script)
        file.flush()
        command = [wrk, "-t1", f"-c{connections}", f"-d{seconds:.0f}s", "--timeout", "10s"]
        command += ["-s", file.name, f"http://127.0.0.1:{port}/"]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    lines = {line.partition(" ")[0]: line.partition(" ")[2] for line in output.splitlines()}
    answered, micros, refused, errors = (int(part) for part in lines["WRK"].split())
    latency_us: Counter[int] = Counter()
    for pair in lines["LATENCY"].split():
        value, _, count = pair.partition(":")
        latency_us[int(value)] += int(count)
    statuses: Counter[int | str] = Counter({"2xx": answered - refused})
    if refused:
        statuses["4xx/5xx"] = refused
    if errors:
        statuses["socket errors"] = errors
    return Run(answered, micros / 1e6, latency_us, statuses)


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
    other = {status: n for status, n in run.statuses.items() if status not in (202, "2xx")}
    print(
        f"{name:<28} {run.rps:9.0f} req/s   p50 {run.p50_ms:7.2f} ms   "
        f"p99 {run.p99_ms:7.2f} ms   ({run.requests} requests"
        + (f", not accepted: {other}" if other else "")
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


class _ClosedLoop:
    """The maximum-rate measurement, on ``wrk`` or on the asyncio generator."""

    def __init__(self, wrk: str | None, token: str, sessions: list[str], connections: int) -> None:
        self.wrk = wrk
        self._token = token
        self._sessions = sessions
        self._connections = connections

    def run(self, port: int, seconds: float) -> Run:
        if self.wrk is not None:
            args = (self.wrk, port, self._token, self._sessions, self._connections)
            return wrk_closed_loop(*args, seconds)
        import uvloop

        requests = _requests(port, self._token, self._sessions)
        with _no_gc():
            return uvloop.run(closed_loop(port, requests, self._connections, seconds))

    def interleaved(
        self, ports: dict[str, int], seconds: float, rounds: int, warm_up: float
    ) -> dict[str, list[Run]]:
        """Each server's rate over ``seconds``, measured in ``rounds`` turns taken in ABBA order
        after ``warm_up`` seconds of load each, so that a load other programs put on the machine
        meanwhile weighs on every server alike."""
        for port in ports.values():
            if warm_up >= 1:  # wrk counts whole seconds
                self.run(port, warm_up)
        names = list(ports)
        runs: dict[str, list[Run]] = {name: [] for name in names}
        for turn in range(rounds):
            for name in names if turn % 2 == 0 else reversed(names):
                runs[name].append(self.run(ports[name], max(1.0, round(seconds / rounds))))
        return runs


def _load_generator(choice: str) -> str | None:
    """``wrk``'s path, or None for the asyncio generator."""
    if choice == "asyncio":
        return None
    found = shutil.which("wrk")
    if found is None and choice == "wrk":
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    if found is None:
        print("wrk is not installed: the asyncio load generator drives the closed loop")
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measurement")
    parser.add_argument(
        "--connections", type=int, default=64, help="concurrent connections of the closed loop"
    )
    parser.add_argument(
        "--rounds", type=int, default=4, help="turns each server's closed loop is measured in"
    )
    parser.add_argument(
        "--warm-up",
        type=float,
        default=20.0,
        help="seconds of load on each server before measuring (the broker's JIT warms up)",
    )
    parser.add_argument(
        "--generator",
        choices=("auto", "wrk", "asyncio"),
        default="auto",
        help="the closed loop's load generator (auto: wrk when installed)",
    )
    args = parser.parse_args(argv)

    import uvloop

    from gateway import mint_token
    from wastream.settings import load_settings

    wrk = _load_generator(args.generator)
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

        seconds, connections = args.duration, args.connections
        closed = _ClosedLoop(wrk, token, sessions, connections)
        generator = "wrk, 1 thread" if wrk is not None else "asyncio (uvloop), 1 process"
        print(
            "servers: uvicorn (uvloop, httptools, no access log), 1 worker process each; "
            f"closed loop: {generator}, {connections} connections, {seconds:.0f} s per server "
            f"in {args.rounds} alternating rounds; open loop: asyncio, {seconds:.0f} s",
            flush=True,
        )
        measured = closed.interleaved(
            {"baseline": baseline_port, "gateway": gateway_port}, seconds, args.rounds, args.warm_up
        )
        for name, runs in measured.items():
            rates = " ".join(f"{run.rps:.0f}" for run in runs)
            print(f"{name} req/s by round: {rates}", flush=True)
        baseline, gateway = Run.merged(measured["baseline"]), Run.merged(measured["gateway"])
        _report("bare Starlette endpoint", baseline)
        _report("gateway", gateway)
        half_rate = gateway.rps / 2
        gateway_requests = _requests(gateway_port, token, sessions)
        with _no_gc():
            at_half = uvloop.run(open_loop(gateway_port, gateway_requests, half_rate, seconds))
        _report(f"gateway at {half_rate:.0f} req/s", at_half)

    ratio = gateway.rps / baseline.rps
    print(f"gateway / baseline: {ratio:.2f}", flush=True)
    print(
        f"RESULT gateway rps={gateway.rps:.0f} baseline_rps={baseline.rps:.0f} ratio={ratio:.2f}"
        f" p50_ms={gateway.p50_ms:.2f} p99_ms={gateway.p99_ms:.2f}"
        f" p99_at_half_ms={at_half.p99_ms:.2f}",
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
