"""Benchmark of the whole pipeline: text messages from HTTP to ``DONE`` through the gateway, Kafka,
a worker and its browser sessions on the sandbox, beside the raw Kafka produce→consume round trip.

Everything runs on free loopback ports, started as ``wastream run`` starts it: a local stack
(Kafka, Redis), the sandbox (its ban limits off), the gateway (its rate limits out of the way) and
one worker with send pacing off (``WASTREAM_SEND_RATE_PER_MIN=0``), each its own process. Then:

1. N sandbox accounts and N sessions (``POST /v1/sessions``), started a few at a time, each paired
   by QR: the QR ref comes from ``wa.session-events``, the phone API links it, ``READY`` ends it.
   Then the PSS of the sessions' browsers.
2. Kafka baseline: records produced one at a time (acks=all, idempotent, as the gateway does) to
   a scratch topic and consumed; the round trip of each.
3. Maximum rate: every session sends text messages (``POST /v1/sessions/{sid}/messages``),
   ``--in-flight`` at a time (1), each as soon as the previous one is ``DONE`` (a closed loop),
   for ``--seconds`` or ``--messages``: messages per second from HTTP to ``DONE``.
4. Latency: messages sent on schedule at ``--load`` (half) of that rate, the sessions taking
   turns (an open loop), for ``--seconds``. A message's latency runs from when it was due to its
   ``DONE`` read here from ``wa.command-results``, so no queueing is hidden; at the maximum rate
   the latency would only say how long the queues are (Little's law).

Each message is then looked for in the recipient's sandbox inbox: it must be there exactly once.

Run: ``.venv/bin/python -m bench.pipeline [--sessions 10] [--seconds 30]``; the last line is
``RESULT pipeline sessions=… msgs_per_s=… p50_ms=… p99_ms=… kafka_roundtrip_p50_ms=…`` (the
maximum rate; p50/p99 of the latency phase), then the latency phase's rate (``at_msgs_per_s``),
the percentiles at the maximum rate, the worker-side ``issued_at`` → ``completed_at`` median, the
median pairing time, the browsers' PSS and idle CPU (a share of one CPU) per session and whether
every message arrived once. The services' state and logs live in a temporary directory
(``--keep`` keeps it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import httpx
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from schemas.codec import AvroCodec
from schemas.topics import COMMAND_RESULTS, SESSION_EVENTS
from wastream.settings import Settings, load_settings
from wastream.stack.process import ManagedProcess

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]
SINK = "15558000000"
DECIMALS = {"sessions": 0, "exactly_once": 0, "idle_cpu_per_session": 3}
ENDED = frozenset({"STOPPED", "LOGGED_OUT", "FAILED", "BANNED"})
BENCH_ENV = {
    "WASTREAM_SEND_RATE_PER_MIN": "0",
    "WASTREAM_SANDBOX_MESSAGES_PER_MIN": "0",
    "WASTREAM_SANDBOX_NEW_RECIPIENTS_PER_MIN": "0",
    "WASTREAM_RATE_TENANT_PER_S": "1000000",
    "WASTREAM_RATE_TENANT_BURST": "1000000",
    "WASTREAM_RATE_SESSION_PER_S": "1000000",
    "WASTREAM_RATE_SESSION_BURST": "1000000",
    "WASTREAM_LOG_JSON": "false",
}


def percentile_ms(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of durations in seconds, in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def mem_available_mb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def browsers_usage(platform: Platform, session_ids: list[str]) -> tuple[float, float]:
    """Per session browser (with its child processes): mean PSS in MB, and the share of one CPU
    it used while idle, over a few seconds."""
    from connectors.whatsapp import browser_pid, usage

    profiles = platform.settings.state_dir / "profiles"
    pids = [browser_pid(profiles / sid) for sid in session_ids]
    found = [pid for pid in pids if pid is not None]
    if not found:
        return float("nan"), float("nan")
    samples = []
    began = time.monotonic()
    first = usage(found)
    print(f"reading the PSS of {len(found)} browsers took {time.monotonic() - began:.2f} s")
    began = time.monotonic()
    for _ in range(4):
        time.sleep(1.0)
        samples.append(usage(found))
    cpu = (samples[-1].cpu_seconds - first.cpu_seconds) / (time.monotonic() - began)
    pss = statistics.fmean(sample.pss_bytes for sample in samples) / 2**20
    return pss / len(found), cpu / len(found)


# -- the platform ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Platform:
    settings: Settings
    gateway_url: str
    sandbox_url: str
    worker: ManagedProcess


def _http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def _kill_leftovers(profiles: Path) -> None:
    """Kill any browser still running on a profile under ``profiles`` (left by the worker)."""
    marker = str(profiles).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker in (entry / "cmdline").read_bytes():
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ValueError):
            continue


@contextmanager
def platform(root: Path, log_level: str) -> Iterator[Platform]:
    """A local stack, the sandbox, the gateway and one worker, all under ``root``; stopped after."""
    from connectors.vault import VaultKeys
    from wastream.stack import LocalStack, free_port

    settings = load_settings(
        state_dir=root,
        kafka_port=free_port(),
        kafka_controller_port=free_port(),
        redis_port=free_port(),
        gateway_port=free_port(),
        sandbox_port=free_port(),
        worker_metrics_port=free_port(),
        log_json=False,
    )
    stack = LocalStack(settings)
    settings = stack.settings
    sandbox_url = f"http://127.0.0.1:{settings.sandbox_port}"
    gateway_url = f"http://127.0.0.1:{settings.gateway_port}"
    env = {
        **os.environ,
        **BENCH_ENV,
        "WASTREAM_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "WASTREAM_REDIS_URL": settings.redis_url,
        "WASTREAM_PARTITIONS": str(settings.partitions),
        "WASTREAM_STATE_DIR": str(root),
        "WASTREAM_GATEWAY_PORT": str(settings.gateway_port),
        "WASTREAM_SANDBOX_PORT": str(settings.sandbox_port),
        "WASTREAM_WORKER_METRICS_PORT": str(settings.worker_metrics_port),
        "WASTREAM_WORKER_PROFILES_DIR": str(root / "profiles"),
        "WASTREAM_WORKER_SESSION_URL": f"{sandbox_url}/",
        "WASTREAM_VAULT_KEYS": VaultKeys.generate("bench"),
        "WASTREAM_LOG_LEVEL": log_level,
    }
    started: list[ManagedProcess] = []

    def service(name: str, ready_url: str, timeout_s: float) -> ManagedProcess:
        process = ManagedProcess(
            name,
            [sys.executable, "-m", "wastream.cli", name],
            log_path=root / "logs" / f"{name}.log",
            pid_path=root / "logs" / f"{name}.pid",
            env=env,
            cwd=ROOT,
        )
        started.append(process)
        process.start()
        process.wait_ready(lambda: _http_ok(ready_url), timeout_s)
        return process

    try:
        print(f"starting a local stack, the sandbox, the gateway and a worker under {root}")
        began = time.monotonic()
        stack.start()
        service("sandbox", f"{sandbox_url}/healthz", 30)
        service("gateway", f"{gateway_url}/readyz", 30)
        metrics = f"http://127.0.0.1:{settings.worker_metrics_port}/metrics"
        worker = service("worker", metrics, 60)
        print(f"platform up in {time.monotonic() - began:.1f} s", flush=True)
        yield Platform(settings, gateway_url, sandbox_url, worker)
    finally:
        for process in reversed(started):
            process.stop(timeout_s=30)
        _kill_leftovers(root / "profiles")
        stack.stop()


# -- reading results and session events --------------------------------------------------------


class Arrival(NamedTuple):
    at: float  # time.perf_counter()
    wall_ms: float  # time.time(), in the unit of the records' timestamps


class EventTap:
    """Reads ``wa.session-events`` and ``wa.command-results`` from their current end, in a
    thread, and hands each decoded record with the moment it arrived to the event loop."""

    def __init__(self, bootstrap: str, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._codec = AvroCodec()
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"bench-pipeline-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
            }
        )
        # From each partition's end as of now: OFFSET_END would be resolved later, missing
        # whatever is produced in between.
        assignment = []
        for topic in (SESSION_EVENTS, COMMAND_RESULTS):
            for partition in self._consumer.list_topics(topic, timeout=10).topics[topic].partitions:
                tp = TopicPartition(topic, partition)
                _, high = self._consumer.get_watermark_offsets(tp, timeout=10)
                assignment.append(TopicPartition(topic, partition, high))
        self._consumer.assign(assignment)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="event-tap", daemon=True)
        self._waiters: dict[str, asyncio.Future[tuple[Arrival, dict[str, Any]]]] = {}
        self._early: dict[str, tuple[Arrival, dict[str, Any]]] = {}
        self.sessions: dict[str, dict[str, Any]] = {}  # latest SessionEvent of each session
        self.qr: dict[str, str] = {}

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._consumer.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            # poll, not consume(): consume waits for a full batch or its whole timeout
            message = self._consumer.poll(0.05)
            if message is None or message.error() is not None:
                continue
            arrived = Arrival(time.perf_counter(), time.time() * 1000)
            topic, value = message.topic() or "", message.value()
            try:
                record = self._codec.decode(value or b"").record
            except Exception as exc:
                print(f"undecodable record on {topic}: {exc}", file=sys.stderr)
                continue
            self._loop.call_soon_threadsafe(self._deliver, topic, arrived, record)

    def _deliver(self, topic: str, arrived: Arrival, record: dict[str, Any]) -> None:
        if topic == SESSION_EVENTS:
            self.sessions[record["session_id"]] = record
            if record["qr"]:
                self.qr[record["session_id"]] = record["qr"]
            return
        waiter = self._waiters.pop(record["command_id"], None)
        if waiter is not None and not waiter.done():
            waiter.set_result((arrived, record))
        else:
            self._early[record["command_id"]] = (arrived, record)

    async def result(self, command_id: str, timeout_s: float) -> tuple[Arrival, dict[str, Any]]:
        """When the command's result arrived here, and the result."""
        early = self._early.pop(command_id, None)
        if early is not None:
            return early
        waiter = self._loop.create_future()
        self._waiters[command_id] = waiter
        try:
            return await asyncio.wait_for(waiter, timeout_s)
        finally:
            self._waiters.pop(command_id, None)

    async def state(self, session_id: str, wanted: set[str], timeout_s: float) -> dict[str, Any]:
        """The session's latest event once its state is one of ``wanted``."""
        deadline = time.monotonic() + timeout_s
        while True:
            event = self.sessions.get(session_id)
            if event is not None and event["state"] in wanted:
                return event
            if event is not None and event["state"] in ENDED:
                raise RuntimeError(f"session {session_id} is {event['state']}: {event['reason']}")
            if time.monotonic() > deadline:
                last = event["state"] if event else "no event"
                raise TimeoutError(f"session {session_id}: {last} after {timeout_s:.0f} s")
            await asyncio.sleep(0.02)


# -- the Kafka baseline ------------------------------------------------------------------------


def kafka_roundtrip(bootstrap: str, samples: int) -> list[float]:
    """Seconds from producing each record (acks=all, idempotent) to consuming it, one at a time."""
    from wastream.stack.topics import ensure_topics

    topic = f"bench.roundtrip-{uuid.uuid4().hex[:8]}"
    ensure_topics(bootstrap, [topic], partitions=1)
    producer = Producer(
        {"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True, "linger.ms": 0}
    )
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": topic, "enable.auto.commit": False}
    )
    deadline = time.monotonic() + 30
    while True:  # the new partition's leader may still be elected
        try:
            _, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=5)
            break
        except KafkaException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    consumer.assign([TopicPartition(topic, 0, high)])
    times: list[float] = []
    try:
        for n in range(samples + 20):  # the first 20 warm up the connections
            value = str(n).encode()
            started = time.perf_counter()
            producer.produce(topic, value=value)
            producer.poll(0)
            while True:
                message = consumer.poll(5.0)
                if message is None:
                    raise TimeoutError(f"record {n} did not come back within 5 s")
                if message.error() is None and message.value() == value:
                    break
            if n >= 20:
                times.append(time.perf_counter() - started)
        producer.flush(10)
    finally:
        consumer.close()
    return times


# -- the benchmark -----------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)  # request sent → DONE read (s)
    accepted: list[float] = field(default_factory=list)  # request sent → 202 read (s)
    worker_side: list[float] = field(default_factory=list)  # issued_at → completed_at (s)
    result_transit: list[float] = field(default_factory=list)  # completed_at → DONE read (s)
    outcomes: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def report(self) -> None:
        p50, p99 = percentile_ms(self.latencies, 0.5), percentile_ms(self.latencies, 0.99)
        print(
            f"{self.name:<8} {self.rate:8.1f} msgs/s   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms"
            f"   ({len(self.latencies)} DONE in {self.elapsed:.1f} s; {dict(self.outcomes)})\n"
            f"{'':8} p50 of its parts: request → 202 {percentile_ms(self.accepted, 0.5):.1f} ms,"
            f" issued_at → completed_at {percentile_ms(self.worker_side, 0.5):.1f} ms,"
            f" completed_at → DONE read {percentile_ms(self.result_transit, 0.5):.1f} ms;"
            f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
            flush=True,
        )


class PipelineBench:
    def __init__(self, platform: Platform, tap: EventTap, token: str) -> None:
        from connectors.sandbox import PhoneClient

        self.platform = platform
        self.tap = tap
        self.http = httpx.AsyncClient(
            base_url=platform.gateway_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30.0,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=None),
        )
        self.phone = PhoneClient(platform.sandbox_url)
        self.sessions: dict[str, str] = {}  # session id -> its account's number
        self.sent: Counter[tuple[str, str]] = Counter()  # (number, text) of each DONE send

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.phone.aclose()

    async def pair(self, session_id: str, number: str, timeout_s: float) -> float:
        from connectors.sandbox import PhoneApiError

        started = time.monotonic()
        await self.phone.create_account(number, f"Bench {session_id}")
        response = await self.http.post("/v1/sessions", json={"session_id": session_id})
        if response.status_code != 202:
            raise RuntimeError(f"POST /v1/sessions: {response.status_code} {response.text}")
        for attempt in range(20):
            event = await self.tap.state(session_id, {"SCAN_QR", "READY"}, timeout_s)
            if event["state"] == "READY":
                break
            try:
                await self.phone.link(number, self.tap.qr[session_id])
            except PhoneApiError as exc:  # the ref expired meanwhile: take the next one
                print(f"{session_id}: link refused ({exc}); retry {attempt + 1}", flush=True)
                await asyncio.sleep(1.0)
                continue
            await self.tap.state(session_id, {"READY"}, timeout_s)
            break
        else:
            raise RuntimeError(f"{session_id}: the phone could not link any of its QR refs")
        self.sessions[session_id] = number
        return time.monotonic() - started

    async def pair_all(self, count: int, batch: int) -> list[float]:
        await self.phone.create_account(SINK, "Sink")
        times: list[float] = []
        for first in range(0, count, batch):
            ids = range(first, min(count, first + batch))
            times += await asyncio.gather(
                *(self.pair(f"bench-{n:03d}", str(int(SINK) + 1 + n), 120.0) for n in ids)
            )
            print(f"  {len(times)}/{count} sessions READY", flush=True)
        return times

    async def send(self, phase: Phase, session_id: str, text: str, started: float) -> None:
        """Send one text over HTTP and wait for its result; ``started`` is when it was due."""
        clock = time.perf_counter
        # The key makes a retry safe: a request that reached the gateway is not published twice.
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        path, body = f"/v1/sessions/{session_id}/messages", {"to": SINK, "text": text}
        for attempt in range(3):
            try:
                response = await self.http.post(path, json=body, headers=headers)
                break
            except httpx.TransportError as exc:
                # an idle keep-alive connection the gateway closed just as it was reused
                if attempt == 2:
                    phase.outcomes[type(exc).__name__] += 1
                    return
        accepted = clock()
        if response.status_code != 202:
            phase.outcomes[f"HTTP {response.status_code}"] += 1
            return
        try:
            arrived, record = await self.tap.result(response.json()["command_id"], 60.0)
        except TimeoutError:
            phase.outcomes["no result in 60 s"] += 1
            return
        code = record["error_code"]
        phase.outcomes[record["outcome"] + (f" {code}" if code else "")] += 1
        if record["outcome"] == "DONE":
            phase.latencies.append(arrived.at - started)
            phase.accepted.append(accepted - started)
            phase.worker_side.append((record["completed_at"] - record["issued_at"]) / 1000)
            phase.result_transit.append((arrived.wall_ms - record["completed_at"]) / 1000)
            self.sent[(self.sessions[session_id], text)] += 1

    async def closed_loop(self, name: str, in_flight: int, messages: int, seconds: float) -> Phase:
        """Every session sends, ``in_flight`` at a time, as fast as results come back, until
        ``messages`` are sent or ``seconds`` are over."""
        phase = Phase(name)
        remaining = messages
        clock = time.perf_counter
        deadline = clock() + seconds

        async def lane(session_id: str, lane_no: int) -> None:
            nonlocal remaining
            n = 0
            while remaining > 0 and clock() < deadline:
                remaining -= 1
                n += 1
                await self.send(phase, session_id, f"{name} {session_id} {lane_no} {n}", clock())

        started = clock()
        await asyncio.gather(*(lane(sid, k) for sid in self.sessions for k in range(in_flight)))
        phase.elapsed = clock() - started
        return phase

    async def open_loop(self, name: str, rate: float, seconds: float) -> Phase:
        """``rate`` messages per second on schedule, the sessions taking turns; a message's
        latency counts from when it was due, so queueing anywhere is not hidden."""
        phase = Phase(name)
        ids = list(self.sessions)
        clock = time.perf_counter
        tasks: list[asyncio.Task[None]] = []
        started = clock()
        for n in range(max(1, int(rate * seconds))):
            due = started + n / rate
            if due - clock() > 0.0005:
                await asyncio.sleep(due - clock())
            sid = ids[n % len(ids)]
            tasks.append(asyncio.create_task(self.send(phase, sid, f"{name} {sid} {n}", due)))
        await asyncio.gather(*tasks)
        phase.elapsed = clock() - started
        return phase

    async def check_inbox(self) -> tuple[int, int, int]:
        """(messages sent, found once, found more than once) in the sink's inbox."""
        found: Counter[tuple[str, str]] = Counter()
        for number in self.sessions.values():
            for message in await self.phone.inbox(SINK, number):
                found[(number, message["text"])] += 1
        once = sum(1 for key in self.sent if found[key] == 1)
        more = sum(1 for key in self.sent if found[key] > 1)
        return len(self.sent), once, more


async def run(platform: Platform, args: argparse.Namespace) -> dict[str, float]:
    from gateway import mint_token

    token = mint_token(platform.settings, "bench", ["sessions:write", "messages:send"], 3600)
    tap = EventTap(platform.settings.kafka_bootstrap, asyncio.get_running_loop())
    tap.start()
    bench = PipelineBench(platform, tap, token)
    try:
        began = time.monotonic()
        pair_times = await bench.pair_all(args.sessions, args.start_batch)
        wall = time.monotonic() - began
        await asyncio.sleep(3.0)  # let the pages settle before measuring memory
        per_session, idle_cpu = await asyncio.to_thread(
            browsers_usage, platform, list(bench.sessions)
        )
        print(
            f"paired {args.sessions} sessions in {wall:.1f} s"
            f" (median {statistics.median(pair_times):.1f} s each); per session's browser:"
            f" {per_session:.0f} MB PSS, {idle_cpu:.1%} of a CPU while idle;"
            f" {mem_available_mb():.0f} MB of memory available",
            flush=True,
        )
        warm = await bench.closed_loop("warm-up", 1, 2 * args.sessions, 120.0)
        warm.report()
        roundtrip = await asyncio.to_thread(
            kafka_roundtrip, platform.settings.kafka_bootstrap, args.kafka_samples
        )
        kafka_p50 = percentile_ms(roundtrip, 0.5)
        print(
            f"kafka    produce→consume round trip p50 {kafka_p50:.2f} ms,"
            f" p99 {percentile_ms(roundtrip, 0.99):.2f} ms ({len(roundtrip)} records)",
            flush=True,
        )
        saturated = await bench.closed_loop("max", args.in_flight, args.messages, args.seconds)
        saturated.report()
        rate = args.load * saturated.rate
        latency = await bench.open_loop(f"{args.load:.0%} load", rate, args.seconds)
        latency.report()
        sent, once, more = await bench.check_inbox()
        print(f"sink inbox: {once}/{sent} messages found exactly once, {more} duplicated")
        if not platform.worker.running():
            raise RuntimeError("the worker died during the benchmark")
    finally:
        tap.close()
        await bench.aclose()
    return {
        "sessions": args.sessions,
        "msgs_per_s": saturated.rate,
        "p50_ms": percentile_ms(latency.latencies, 0.5),
        "p99_ms": percentile_ms(latency.latencies, 0.99),
        "kafka_roundtrip_p50_ms": kafka_p50,
        "at_msgs_per_s": latency.rate,
        "max_p50_ms": percentile_ms(saturated.latencies, 0.5),
        "max_p99_ms": percentile_ms(saturated.latencies, 0.99),
        "worker_p50_ms": percentile_ms(latency.worker_side, 0.5),
        "pair_s": statistics.median(pair_times),
        "pss_mb_per_session": per_session,
        "idle_cpu_per_session": idle_cpu,
        "exactly_once": float(once == sent and more == 0),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10, help="browser sessions (10)")
    parser.add_argument("--messages", type=int, default=3000, help="most messages a phase sends")
    parser.add_argument("--seconds", type=float, default=30.0, help="longest phase (s)")
    parser.add_argument(
        "--in-flight", type=int, default=1, help="messages in flight per session at max rate (1)"
    )
    parser.add_argument(
        "--load", type=float, default=0.5, help="latency phase rate, a fraction of the max (0.5)"
    )
    parser.add_argument("--start-batch", type=int, default=5, help="sessions paired at once (5)")
    parser.add_argument("--kafka-samples", type=int, default=500, help="baseline records (500)")
    parser.add_argument("--log-level", default="WARNING", help="the services' log level")
    parser.add_argument("--keep", action="store_true", help="keep the state dir and logs")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="wastream-pipeline-"))
    try:
        with platform(root, args.log_level) as running:
            figures = asyncio.run(run(running, args))
    finally:
        if args.keep:
            print(f"state and logs kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(
        "RESULT pipeline "
        + " ".join(f"{key}={value:.{DECIMALS.get(key, 2)}f}" for key, value in figures.items()),
        flush=True,
    )


if __name__ == "__main__":
    main()
