"""``wastream run``: the stack, sandbox, gateway and a worker, in the foreground."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from pathlib import Path

import httpx

from wastream.settings import Settings
from wastream.stack import LocalStack
from wastream.stack.process import ManagedProcess, log_tail

__all__ = ["run_platform"]

ALL_SCOPES = (
    "sessions:write",
    "sessions:read",
    "messages:send",
    "groups:write",
    "scrape:read",
)


def _env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["WASTREAM_KAFKA_BOOTSTRAP"] = settings.kafka_bootstrap
    env["WASTREAM_REDIS_URL"] = settings.redis_url
    if not settings.vault_keys:
        env["WASTREAM_VAULT_KEYS"] = _development_vault_key(settings.state_dir)
    if "WASTREAM_WORKER_SESSION_URL" not in os.environ:
        # the local platform drives the sandbox, not web.whatsapp.com
        env["WASTREAM_WORKER_SESSION_URL"] = f"http://localhost:{settings.sandbox_port}/"
    return env


def _development_vault_key(state_dir: Path) -> str:
    """A vault key kept in the state dir for the local platform (set WASTREAM_VAULT_KEYS in
    production: a lost key is a lost login)."""
    from connectors.vault import VaultKeys

    path = state_dir.resolve() / "development-vault.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(VaultKeys.generate("dev1"))
    return path.read_text().strip()


def _service(name: str, settings: Settings, logs: Path, *args: str) -> ManagedProcess:
    return ManagedProcess(
        name,
        [sys.executable, "-m", "wastream.cli", name, *args],
        log_path=logs / f"{name}.log",
        pid_path=logs / f"{name}.pid",
        env=_env(settings),
    )


def _http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code < 500
    except httpx.HTTPError:
        return False


def _banner(settings: Settings, sandbox_url: str, gateway_url: str) -> str:
    from connectors.sandbox import DEMO_ACCOUNTS
    from gateway.auth import mint_token

    token = mint_token(settings, tenant="demo", scopes=list(ALL_SCOPES), ttl_s=24 * 3600)
    alice, bob = DEMO_ACCOUNTS[0][0], DEMO_ACCOUNTS[1][0]
    return f"""
wastream is running (Ctrl-C stops everything)

  kafka     {settings.kafka_bootstrap}
  redis     {settings.redis_url}
  sandbox   {sandbox_url}  (WhatsApp Web stand-in; phone API under /phone)
  gateway   {gateway_url}  (OpenAPI: {gateway_url}/openapi.json, metrics: /metrics)
  worker    metrics on http://{settings.worker_metrics_host}:{settings.worker_metrics_port}/metrics
  logs      {settings.state_dir.resolve() / "logs"}

sandbox demo accounts: {alice} ({DEMO_ACCOUNTS[0][1]}), {bob} ({DEMO_ACCOUNTS[1][1]})

development token (tenant "demo", every scope, 24 h):
  export TOKEN={token}

try it:
  curl -sS -X POST {gateway_url}/v1/sessions -H "Authorization: Bearer $TOKEN" \\
       -H 'Content-Type: application/json' -d '{{"session_id": "alice", "pairing": "qr"}}'
  curl -sS -X POST {gateway_url}/v1/sessions/alice/messages -H "Authorization: Bearer $TOKEN" \\
       -H 'Content-Type: application/json' -d '{{"to": "{bob}", "text": "hello from wastream"}}'
"""


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_platform(settings: Settings) -> int:
    """Start the stack, the sandbox, the gateway and a worker; wait for Ctrl-C; stop them all."""
    # explicit handlers: SIGINT may arrive ignored (a background job), and SIGTERM (a service
    # manager) should stop the children as Ctrl-C does, not orphan them
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    stack = LocalStack(settings)
    logs = settings.state_dir.resolve() / "logs"
    services: list[ManagedProcess] = []
    try:
        print("starting Kafka and Redis …", flush=True)
        stack.start()
        sandbox_url = f"http://{settings.sandbox_host}:{settings.sandbox_port}"
        gateway_url = f"http://{settings.gateway_host}:{settings.gateway_port}"
        sandbox = _service("sandbox", stack.settings, logs, "--demo-accounts")
        services.append(sandbox)
        sandbox.start()
        sandbox.wait_ready(lambda: _http_ok(f"{sandbox_url}/healthz"), 30.0)
        gateway = _service("gateway", stack.settings, logs)
        services.append(gateway)
        gateway.start()
        gateway.wait_ready(lambda: _http_ok(f"{gateway_url}/healthz"), 30.0)
        worker = _service("worker", stack.settings, logs)
        services.append(worker)
        worker.start()
        metrics_url = f"http://{settings.worker_metrics_host}:{settings.worker_metrics_port}"
        worker.wait_ready(lambda: _http_ok(f"{metrics_url}/metrics"), 60.0)
        print(_banner(stack.settings, sandbox_url, gateway_url), flush=True)
        while True:
            for service in services:
                if not service.running():
                    print(
                        f"{service.name} stopped unexpectedly; last lines of its log:\n"
                        + log_tail(service.log_path),
                        file=sys.stderr,
                    )
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping …", flush=True)
        return 0
    finally:
        # a second Ctrl-C must not cut the clean-up short and leave processes behind
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for service in reversed(services):
            started = time.monotonic()
            service.stop(timeout_s=15.0)
            print(f"  {service.name} stopped ({time.monotonic() - started:.1f} s)", flush=True)
        stack.stop()
        print("  kafka and redis stopped", flush=True)
