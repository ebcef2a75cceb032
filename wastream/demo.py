"""``wastream demo``: a sandbox account driven through the whole pipeline, every event printed.

Against a running platform (``wastream run``): creates a sandbox account, starts a session for
it over HTTP (with a development token), renders its QR code in the terminal and links it with
the account's sandbox phone, then sends a text, an image and a small broadcast, creates a
group, and logs the session out. Meanwhile it prints one line per record that the session's
activity puts on the ``wa.*`` event topics (read from Kafka and decoded with the Avro codec).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import secrets
import sys
import threading
import time
from typing import Any, TextIO

import httpx

from wastream.exceptions import WastreamError
from wastream.settings import Settings

__all__ = ["DemoError", "describe", "platform_problems", "run_demo"]

#: The topics whose records the demo prints, with the short label each line starts with.
EVENT_TOPICS = {
    "wa.session-events": "session",
    "wa.message-events": "message",
    "wa.group-events": "group",
    "wa.command-results": "result",
}
_ENDED = frozenset({"STOPPED", "LOGGED_OUT", "FAILED", "BANNED"})


class DemoError(WastreamError):
    """A step of the demo failed; the message says which and why."""


def _client_host(host: str) -> str:
    # a server bound to every interface is reached on loopback
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def _short(value: str | None, keep: int = 24) -> str:
    if value is None:
        return "-"
    return value if len(value) <= keep else value[: keep - 1] + "…"


def describe(name: str, record: dict[str, Any]) -> str:
    """One line about a decoded event record (``name`` is its schema's short name)."""
    if name == "SessionEvent":
        line = f"{record['state']}"
        if record["previous"]:
            line += f" (was {record['previous']})"
        for field in ("me", "reason", "pairing_code", "worker"):
            if record.get(field):
                line += f" {field}={record[field]}"
        if record.get("qr"):
            line += f" qr={_short(record['qr'], 16)}"
        return line
    if name == "CommandResult":
        line = f"{record['outcome']} command {_short(record['command_id'], 13)}"
        line += f" in {record['completed_at'] - record['issued_at']} ms"
        if record["error_code"]:
            line += f" {record['error_code']}: {record['detail']}"
        output = ", ".join(f"{k}={_short(v, 40)}" for k, v in sorted(record["output"].items()))
        return line + (f" ({output})" if output else "")
    if name == "MessageReceived":
        direction = "sent" if record["from_me"] else f"from {record['sender']}"
        content = record["body"] if record["body"] is not None else record["caption"]
        return (
            f"MessageReceived {record['type']} {direction} in {record['chat']}:"
            f" {_short(content or '', 60)!r}"
        )
    if name == "MessageStatus":
        return f"MessageStatus {record['ack']} {_short(record['message_id'], 40)}"
    if name == "GroupEvent":
        line = f"{record['kind']} {record['group']}"
        if record["subject"]:
            line += f" subject={record['subject']!r}"
        if record["participants"]:
            line += f" participants={','.join(record['participants'])}"
        return line
    fields = ", ".join(f"{k}={_short(str(v), 30)}" for k, v in record.items() if k != "tenant_id")
    return f"{name} {fields}"


class EventPrinter:
    """Reads the event topics from their current end in a thread; prints each record of one
    session (in the event loop's thread, so lines never interleave) and keeps it for waits."""

    def __init__(
        self, bootstrap: str, session_id: str, loop: asyncio.AbstractEventLoop, out: TextIO
    ) -> None:
        from confluent_kafka import Consumer, TopicPartition

        from schemas.codec import AvroCodec

        self._codec = AvroCodec()
        self._loop = loop
        self._out = out
        self.session_id = session_id
        self.states: list[dict[str, Any]] = []  # the session's events, in order
        self.received: list[dict[str, Any]] = []  # its MessageReceived records
        self.results: dict[str, dict[str, Any]] = {}  # command id -> its result
        self.count = 0
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"wastream-demo-{session_id}",
                "enable.auto.commit": False,
                "log_level": 0,
            }
        )
        # From the end as of now, partition by partition: an OFFSET_END assignment is resolved
        # only at the first fetch and would miss what is published in between.
        assignment = []
        for topic in EVENT_TOPICS:
            partitions = self._consumer.list_topics(topic, timeout=10).topics[topic].partitions
            for partition in partitions:
                _, high = self._consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=10
                )
                assignment.append(TopicPartition(topic, partition, high))
        self._consumer.assign(assignment)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-events", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._consumer.close()

    def _run(self) -> None:
        key = self.session_id.encode()
        while not self._stop.is_set():
            message = self._consumer.poll(0.1)
            if message is None or message.error() is not None or message.key() != key:
                continue
            topic = message.topic() or ""
            try:
                decoded = self._codec.decode(message.value() or b"")
            except Exception as exc:
                line = f"  {EVENT_TOPICS.get(topic, topic):<8} undecodable record: {exc}"
                self._loop.call_soon_threadsafe(self._print, line)
                continue
            self._loop.call_soon_threadsafe(self._deliver, topic, decoded.name, decoded.record)

    def _print(self, line: str) -> None:
        print(line, file=self._out, flush=True)

    def _deliver(self, topic: str, name: str, record: dict[str, Any]) -> None:
        self.count += 1
        self._print(f"  {EVENT_TOPICS[topic]:<8} {describe(name, record)}")
        if name == "SessionEvent":
            self.states.append(record)
        elif name == "CommandResult":
            self.results[record["command_id"]] = record
        elif name == "MessageReceived":
            self.received.append(record)

    async def session_state(self, wanted: set[str], timeout_s: float) -> dict[str, Any]:
        """The session's latest event once its state is one of ``wanted``."""
        deadline = time.monotonic() + timeout_s
        while True:
            latest = self.states[-1] if self.states else None
            if latest is not None and latest["state"] in wanted:
                return latest
            if latest is not None and latest["state"] in _ENDED:
                raise DemoError(f"the session ended {latest['state']}: {latest['reason']}")
            if time.monotonic() > deadline:
                state = latest["state"] if latest else "no session event"
                raise DemoError(f"the session is still {state} after {timeout_s:.0f} s")
            await asyncio.sleep(0.05)

    async def message(self, body: str, timeout_s: float) -> dict[str, Any]:
        """The session's ``MessageReceived`` record with ``body``, once it has arrived."""
        deadline = time.monotonic() + timeout_s
        while True:
            for record in self.received:
                if record["body"] == body:
                    return record
            if time.monotonic() > deadline:
                raise DemoError(f"the message {body!r} did not arrive in {timeout_s:.0f} s")
            await asyncio.sleep(0.05)

    async def result(self, command_id: str, timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while command_id not in self.results:
            if time.monotonic() > deadline:
                raise DemoError(f"no result for command {command_id} after {timeout_s:.0f} s")
            await asyncio.sleep(0.05)
        return self.results[command_id]


def platform_problems(settings: Settings) -> list[str]:
    """What of the platform does not answer (empty when all of it does)."""
    from wastream.stack import kafka_reachable

    problems = []
    for name, url in (
        ("gateway", f"{_gateway_url(settings)}/readyz"),
        ("sandbox", f"{_sandbox_url(settings)}/healthz"),
    ):
        try:
            status = httpx.get(url, timeout=2.0).status_code
        except httpx.HTTPError as exc:
            problems.append(f"no {name} at {url} ({type(exc).__name__})")
            continue
        if status != 200:
            problems.append(f"the {name} at {url} answers {status}")
    if not kafka_reachable(settings.kafka_bootstrap):
        problems.append(f"no Kafka at {settings.kafka_bootstrap}")
    return problems


def _gateway_url(settings: Settings) -> str:
    return f"http://{_client_host(settings.gateway_host)}:{settings.gateway_port}"


def _sandbox_url(settings: Settings) -> str:
    return f"http://{_client_host(settings.sandbox_host)}:{settings.sandbox_port}"


def _qr_terminal(payload: str) -> str:
    import segno

    buffer = io.StringIO()
    segno.make(payload, error="l").terminal(out=buffer, compact=True, border=2)
    return buffer.getvalue()


def _demo_image() -> bytes:
    import segno

    buffer = io.BytesIO()
    segno.make("sent by wastream demo").save(buffer, kind="png", scale=6)
    return buffer.getvalue()


class Demo:
    def __init__(self, settings: Settings, out: TextIO, timeout_s: float) -> None:
        from connectors.sandbox import DEMO_ACCOUNTS, PhoneClient
        from gateway import SCOPES, mint_token

        self.settings = settings
        self.out = out
        self.timeout_s = timeout_s
        self.session_id = f"demo-{secrets.token_hex(4)}"
        (self.alice, _), (self.bob, _) = DEMO_ACCOUNTS[0], DEMO_ACCOUNTS[1]
        self.number = ""
        token = mint_token(settings, tenant="demo", scopes=SCOPES, ttl_s=3600)
        self.http = httpx.AsyncClient(
            base_url=_gateway_url(settings),
            headers={"Authorization": f"Bearer {token}"},
            timeout=30.0,
        )
        self.phone = PhoneClient(_sandbox_url(settings))
        self.events: EventPrinter | None = None
        self.running = False  # a session was started and not logged out yet

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    async def aclose(self) -> None:
        if self.running:  # the demo failed half-way: do not leave its browser running
            with contextlib.suppress(Exception):
                await self.post(f"/v1/sessions/{self.session_id}/logout", {})
        if self.events is not None:
            self.events.close()
        await self.http.aclose()
        await self.phone.aclose()

    async def post(self, path: str, body: dict[str, Any]) -> str:
        response = await self.http.post(path, json=body)
        if response.status_code != 202:
            raise DemoError(f"POST {path} answered {response.status_code}: {response.text}")
        return str(response.json()["command_id"])

    async def command(self, what: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """Post a command and wait for its result (DONE, or a DemoError)."""
        self.say(f"\n» {what}")
        assert self.events is not None
        result = await self.events.result(await self.post(path, body), self.timeout_s)
        if result["outcome"] != "DONE":
            raise DemoError(f"{what}: {result['outcome']} {result['error_code']}")
        return result

    async def accounts(self) -> None:
        from connectors.sandbox import PhoneApiError

        for number, name in ((self.alice, "Alice"), (self.bob, "Bob")):
            try:
                await self.phone.create_account(number, name)
            except PhoneApiError as exc:
                if exc.status != 409:  # 409: it exists (wastream run creates both)
                    raise
        while not self.number:
            number = f"1555{secrets.randbelow(10**7):07d}"
            try:
                await self.phone.create_account(number, "Demo")
            except PhoneApiError as exc:
                if exc.status != 409:
                    raise
                continue
            self.number = number
        self.say(f"» sandbox account +{self.number} created; session {self.session_id}")

    async def pair(self) -> None:
        assert self.events is not None
        self.say("\n» starting the session (POST /v1/sessions)")
        await self.post("/v1/sessions", {"session_id": self.session_id, "pairing": "qr"})
        self.running = True
        event = await self.events.session_state({"SCAN_QR", "READY"}, self.timeout_s)
        if event["state"] == "SCAN_QR":
            self.say(f"\n» scan this QR code with +{self.number}'s phone:\n")
            self.say(_qr_terminal(event["qr"]))
            self.say(f"» the sandbox phone of +{self.number} scans it (POST /phone/…/link)")
            await self.phone.link(self.number, event["qr"])
        await self.events.session_state({"READY"}, self.timeout_s)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        await self.accounts()
        self.events = EventPrinter(self.settings.kafka_bootstrap, self.session_id, loop, self.out)
        await self.pair()
        sid = self.session_id
        self.say(f"\n» Bob writes to +{self.number} from his phone")
        await self.phone.send(self.bob, self.number, "hi, this is Bob")
        await self.events.message("hi, this is Bob", self.timeout_s)
        await self.command(
            "a text message to Bob",
            f"/v1/sessions/{sid}/messages",
            {"to": self.bob, "text": "hello from wastream"},
        )
        image = base64.b64encode(_demo_image()).decode()
        await self.command(
            "an image to Bob",
            f"/v1/sessions/{sid}/messages",
            {
                "to": self.bob,
                "media": {
                    "kind": "image",
                    "mimetype": "image/png",
                    "filename": "wastream.png",
                    "data": image,
                },
                "caption": "a QR code, as an image",
            },
        )
        await self.command(
            "a broadcast to Alice and Bob",
            f"/v1/sessions/{sid}/broadcasts",
            {"recipients": [self.alice, self.bob], "text": "a small broadcast"},
        )
        await self.command(
            "a group with Alice and Bob",
            f"/v1/sessions/{sid}/groups",
            {"subject": "wastream demo", "participants": [self.alice, self.bob]},
        )
        await asyncio.sleep(1.0)  # the last acks and group events
        await self.command("logging the session out", f"/v1/sessions/{sid}/logout", {})
        await self.events.session_state({"LOGGED_OUT"}, self.timeout_s)
        self.running = False
        await asyncio.sleep(0.5)
        self.say(f"\n» demo done: {self.events.count} events of session {sid} read from Kafka")


async def _run(settings: Settings, out: TextIO, timeout_s: float) -> None:
    demo = Demo(settings, out, timeout_s)
    try:
        await demo.run()
    finally:
        await demo.aclose()


def run_demo(
    settings: Settings,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    timeout_s: float = 60.0,
) -> int:
    """Run the demo against the platform of ``settings``; answers the exit status (0: done).

    ``timeout_s`` bounds each wait (a session state, a command's result).
    """
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    problems = platform_problems(settings)
    if problems:
        print(
            "wastream demo: the platform is not running (start it with `wastream run`, or set"
            " WASTREAM_GATEWAY_PORT, WASTREAM_SANDBOX_PORT and WASTREAM_KAFKA_BOOTSTRAP to where"
            " it runs):\n  " + "\n  ".join(problems),
            file=err,
        )
        return 1
    try:
        asyncio.run(_run(settings, out, timeout_s))
    except Exception as exc:
        print(f"wastream demo: {type(exc).__name__}: {exc}", file=err)
        return 1
    return 0
