"""``wastream demo`` against a real platform (sandbox, gateway and worker processes on the test
stack), and its refusal when no platform runs."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import re
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from connectors.sandbox import DEMO_ACCOUNTS, PhoneClient
from tests.helpers import stack_settings
from wastream.demo import describe, run_demo
from wastream.settings import Settings, load_settings
from wastream.stack import LocalStack, free_port
from wastream.stack.process import ManagedProcess

ROOT = Path(__file__).resolve().parents[2]
ALICE, BOB = DEMO_ACCOUNTS[0][0], DEMO_ACCOUNTS[1][0]


def _ready(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def demo_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A stack of the demo's own: a worker on the shared test stack would take over (and
    restore in browsers) every session other tests left running."""
    local = LocalStack(stack_settings(tmp_path_factory.mktemp("demo-stack")))
    local.start()
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture
def platform(demo_stack: LocalStack, tmp_path: Path) -> Iterator[Settings]:
    """What ``wastream run`` runs beside the stack: the sandbox (with the demo accounts), the
    gateway and a worker (send pacing off, to keep the test short), each its own process."""
    settings = demo_stack.settings.model_copy(
        update={
            "gateway_port": free_port(),
            "sandbox_port": free_port(),
            "worker_metrics_port": free_port(),
            "state_dir": tmp_path,
        }
    )
    sandbox_url = f"http://127.0.0.1:{settings.sandbox_port}"
    env = {
        **os.environ,
        "WASTREAM_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "WASTREAM_REDIS_URL": settings.redis_url,
        "WASTREAM_PARTITIONS": str(settings.partitions),
        "WASTREAM_STATE_DIR": str(tmp_path),
        "WASTREAM_GATEWAY_PORT": str(settings.gateway_port),
        "WASTREAM_SANDBOX_PORT": str(settings.sandbox_port),
        "WASTREAM_WORKER_METRICS_PORT": str(settings.worker_metrics_port),
        "WASTREAM_WORKER_PROFILES_DIR": str(tmp_path / "profiles"),
        "WASTREAM_WORKER_SESSION_URL": f"{sandbox_url}/",
        "WASTREAM_VAULT_KEYS": "demo:" + base64.b64encode(bytes(range(32))).decode(),
        "WASTREAM_SEND_RATE_PER_MIN": "0",
        "WASTREAM_LOG_JSON": "false",
    }
    services = {
        "sandbox": (["--demo-accounts"], f"{sandbox_url}/healthz", 30.0),
        "gateway": ([], f"http://127.0.0.1:{settings.gateway_port}/readyz", 30.0),
        "worker": ([], f"http://127.0.0.1:{settings.worker_metrics_port}/metrics", 60.0),
    }
    started: list[ManagedProcess] = []
    try:
        for name, (args, ready_url, timeout_s) in services.items():
            process = ManagedProcess(
                name,
                [sys.executable, "-m", "wastream.cli", name, *args],
                log_path=tmp_path / "logs" / f"{name}.log",
                pid_path=tmp_path / "logs" / f"{name}.pid",
                env=env,
                cwd=ROOT,
            )
            started.append(process)
            process.start()
            process.wait_ready(partial(_ready, ready_url), timeout_s)
        yield settings
    finally:
        for process in reversed(started):
            process.stop(timeout_s=20)


@pytest.mark.timeout(270)
async def test_demo_drives_a_session_through_the_pipeline(platform: Settings) -> None:
    out, err = io.StringIO(), io.StringIO()
    status = await asyncio.to_thread(run_demo, platform, out=out, err=err, timeout_s=150.0)
    text = out.getvalue()
    assert status == 0, f"{err.getvalue()}\n{text}"
    assert err.getvalue() == ""

    match = re.search(r"sandbox account \+(\d+) created", text)
    assert match is not None, text
    number = match.group(1)
    lines = text.splitlines()
    events: list[tuple[str, str]] = []  # (topic label, the rest of the line)
    for line in lines:
        kind, _, rest = line.strip().partition(" ")
        if line.startswith("  ") and kind in ("session", "message", "group", "result"):
            events.append((kind, rest.strip()))
    kinds = [kind for kind, _ in events]
    # the QR was drawn, and the session went through pairing to READY and out again
    assert any("▀" in line or "█" in line for line in lines)
    states = [rest.split()[0] for kind, rest in events if kind == "session"]
    assert states[-1] == "LOGGED_OUT", states
    for state in ("STARTING", "SCAN_QR", "AUTHENTICATED", "READY"):
        assert state in states, states
    # start, text, image, broadcast, group, logout: six commands, each DONE once
    results = [rest for kind, rest in events if kind == "result"]
    assert len(results) == 6, results
    assert all(result.startswith("DONE ") for result in results), results
    assert any(re.search(r"group_id=\S+@g\.us", result) for result in results), results
    assert any("recipients=2" in result and "sent=2" in result for result in results), results
    assert "message" in kinds
    assert any(f"from {BOB}@c.us" in rest and "hi, this is Bob" in rest for _, rest in events)
    assert any(rest.startswith("MessageStatus") for _, rest in events)
    assert any(rest.startswith("CREATED ") and "wastream demo" in rest for _, rest in events)

    # what the demo sent is in the sandbox, once each
    phone = PhoneClient(f"http://127.0.0.1:{platform.sandbox_port}")
    try:
        bob_sees = [m["text"] for m in await phone.inbox(BOB, number)]
        alice_sees = [m["text"] for m in await phone.inbox(ALICE, number)]
        alice_chats = (await phone.call("GET", f"/phone/{ALICE}/chats"))["chats"]
    finally:
        await phone.aclose()
    assert bob_sees.count("hello from wastream") == 1, bob_sees
    assert bob_sees.count("a QR code, as an image") == 1, bob_sees
    assert bob_sees.count("a small broadcast") == 1, bob_sees
    assert alice_sees.count("a small broadcast") == 1, alice_sees
    assert "wastream demo" in [chat["name"] for chat in alice_chats]


def test_demo_refuses_clearly_when_no_platform_runs() -> None:
    settings = load_settings(
        gateway_port=free_port(),
        sandbox_port=free_port(),
        kafka_bootstrap=f"127.0.0.1:{free_port()}",
    )
    out, err = io.StringIO(), io.StringIO()
    assert run_demo(settings, out=out, err=err) == 1
    message = err.getvalue()
    assert "the platform is not running" in message
    assert "`wastream run`" in message
    assert f"no gateway at http://127.0.0.1:{settings.gateway_port}/readyz" in message
    assert f"no sandbox at http://127.0.0.1:{settings.sandbox_port}/healthz" in message
    assert f"no Kafka at {settings.kafka_bootstrap}" in message
    assert out.getvalue() == ""


def test_describe_gives_one_line_per_record() -> None:
    assert (
        describe(
            "SessionEvent",
            {
                "state": "READY",
                "previous": "AUTHENTICATED",
                "me": "15550000009@c.us",
                "reason": None,
                "pairing_code": None,
                "worker": "w1",
                "qr": None,
            },
        )
        == "READY (was AUTHENTICATED) me=15550000009@c.us worker=w1"
    )
    result = describe(
        "CommandResult",
        {
            "command_id": "0123456789abcdef",
            "outcome": "FAILED",
            "issued_at": 1_000,
            "completed_at": 1_042,
            "error_code": "SESSION_NOT_RUNNING",
            "detail": "the session is stopped",
            "output": {},
        },
    )
    assert result == (
        "FAILED command 0123456789ab… in 42 ms SESSION_NOT_RUNNING: the session is stopped"
    )
    received = describe(
        "MessageReceived",
        {
            "from_me": False,
            "sender": "15550000002@c.us",
            "type": "chat",
            "chat": "15550000002@c.us",
            "body": "line one\nline two",
            "caption": None,
        },
    )
    assert received == (
        "MessageReceived chat from 15550000002@c.us in 15550000002@c.us: 'line one\\nline two'"
    )
    assert "\n" not in received
