"""Helpers of the end-to-end tests: the worker as ``python -m wastream.cli worker``, the topics
the pipeline answers on, and the sandbox phones."""

from __future__ import annotations

import asyncio
import itertools
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from connectors.sandbox import PhoneClient
from connectors.whatsapp.processes import browser_pid, process_tree
from schemas.topics import (
    COMMAND_RESULTS,
    GROUP_EVENTS,
    MESSAGE_EVENTS,
    SCRAPE_RESULTS,
    SESSION_EVENTS,
)
from tests.streams.support import ROOT, TopicReader, WorkerProcess
from wastream.settings import Settings

__all__ = ["Pipeline", "Topics", "Worker", "browser_pids", "png"]

_numbers = itertools.count(16_660_000_000 + (int(time.time()) % 10_000) * 1000)


def png(width: int = 2, height: int = 2) -> bytes:
    """A real (tiny) PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x00\x80\xff" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def browser_pids(profile: Path) -> list[int]:
    """The Chromium processes of the session running on ``profile``: its browser and below."""
    root = browser_pid(profile)
    return process_tree([root]) if root is not None else []


class Worker(WorkerProcess):
    """A worker started the way an operator does: ``python -m wastream.cli worker``."""

    def start(self, script: str = "") -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "wastream.cli", "worker"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()


def kind_is(name: str, **fields: Any) -> Callable[[Any], bool]:
    """Matches a decoded ``(schema name, record)`` with these field values."""

    def match(value: Any) -> bool:
        if not (isinstance(value, tuple) and value[0] == name):
            return False
        return all(value[1].get(k) == v for k, v in fields.items())

    return match


class Topics:
    """Readers of every topic the pipeline answers on, from their end when created."""

    def __init__(self, settings: Settings) -> None:
        self.results = TopicReader(settings, COMMAND_RESULTS)
        self.sessions = TopicReader(settings, SESSION_EVENTS)
        self.messages = TopicReader(settings, MESSAGE_EVENTS)
        self.groups = TopicReader(settings, GROUP_EVENTS)
        self.scrapes = TopicReader(settings, SCRAPE_RESULTS)

    def close(self) -> None:
        for reader in (self.results, self.sessions, self.messages, self.groups, self.scrapes):
            reader.close()

    async def result(self, command_id: str, timeout_s: float = 60.0) -> dict[str, Any]:
        found = await self.results.wait_for(
            kind_is("CommandResult", command_id=command_id), timeout_s=timeout_s
        )
        assert found, f"no CommandResult of {command_id} within {timeout_s:.0f} s"
        record: dict[str, Any] = found[0][1]
        return record

    async def results_of(self, command_id: str, settle_s: float = 1.0) -> list[dict[str, Any]]:
        """Every result of ``command_id`` seen after the topic was quiet for ``settle_s``."""
        await self.results.settle(settle_s)
        match = kind_is("CommandResult", command_id=command_id)
        return [value[1] for *_, value in self.results.records if match(value)]

    async def session_event(
        self, session_id: str, state: str, timeout_s: float = 60.0, **fields: Any
    ) -> dict[str, Any]:
        found = await self.sessions.wait_for(
            kind_is("SessionEvent", session_id=session_id, state=state, **fields),
            timeout_s=timeout_s,
        )
        assert found, f"no SessionEvent {state} of {session_id} within {timeout_s:.0f} s"
        record: dict[str, Any] = found[-1][1]
        return record

    def states(self, session_id: str) -> list[str]:
        match = kind_is("SessionEvent", session_id=session_id)
        return [str(v[1]["state"]) for *_, v in self.sessions.records if match(v)]


class Pipeline:
    """The gateway client, the sandbox phones and the topics, for one tenant."""

    def __init__(
        self, http: httpx.AsyncClient, token: str, phone: PhoneClient, topics: Topics
    ) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}"}
        self.phone = phone
        self.topics = topics

    async def account(self, name: str) -> str:
        number = str(next(_numbers))
        await self.phone.create_account(number, name)
        return number

    async def post(self, path: str, body: dict[str, Any], method: str = "POST") -> str:
        """Send one command over HTTP; answers its command id."""
        response = await self.http.request(method, path, json=body, headers=self.headers)
        assert response.status_code == 202, response.text
        return str(response.json()["command_id"])

    async def done(self, path: str, body: dict[str, Any], method: str = "POST") -> dict[str, Any]:
        """Send a command over HTTP and wait for its result, which must be DONE."""
        command_id = await self.post(path, body, method)
        result = await self.topics.result(command_id)
        assert result["outcome"] == "DONE", (result["error_code"], result["detail"])
        return result

    async def get(self, path: str) -> Any:
        response = await self.http.get(path, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def link(self, session_id: str, number: str, timeout_s: float = 60.0) -> None:
        """Start the session over HTTP, scan its QR with ``number``'s phone, wait for READY."""
        command_id = await self.post("/v1/sessions", {"session_id": session_id, "pairing": "qr"})
        found = await self.topics.sessions.wait_for(
            lambda v: (
                kind_is("SessionEvent", session_id=session_id)(v)
                and v[1]["state"] in ("SCAN_QR", "FAILED")
            ),
            timeout_s=timeout_s,
        )
        results = await self.topics.results_of(command_id, settle_s=0.3)
        assert found, f"no QR for {session_id} within {timeout_s:.0f} s; results {results}"
        scan = found[0][1]
        assert scan["state"] == "SCAN_QR", (scan, results)
        assert scan["qr"], scan
        await self.phone.link(number, scan["qr"])
        await self.topics.session_event(session_id, "READY", timeout_s)
        result = await self.topics.result(command_id)
        assert result["outcome"] == "DONE", result

    async def inbox(self, number: str, chat: str | None = None) -> list[dict[str, Any]]:
        return await self.phone.inbox(number, chat)

    async def wait_inbox(
        self,
        number: str,
        predicate: Callable[[dict[str, Any]], bool],
        count: int = 1,
        timeout_s: float = 20.0,
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while True:
            found = [m for m in await self.inbox(number) if predicate(m)]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.2)


def worker_env(sandbox_url: str, **extra: str) -> dict[str, str]:
    """The environment of an end-to-end worker besides the stack's."""
    return {
        "WASTREAM_WORKER_SESSION_URL": f"{sandbox_url}/",
        "WASTREAM_SEND_RATE_PER_MIN": "0",
        "WASTREAM_MEDIA_ALLOW_PRIVATE": "true",
        "WASTREAM_PAGE_TIMEOUT_S": "15",
        "WASTREAM_PAGE_READY_TIMEOUT_S": "30",
        "WASTREAM_SESSION_START_TIMEOUT_S": "60",
        "WASTREAM_COMMAND_TIMEOUT_S": "30",
        "WASTREAM_WORKER_GROUP_TIMEOUT_S": "8",
        "WASTREAM_SESSION_LEASE_S": "5",
        "WASTREAM_RETRY_BACKOFF_S": "0.3",
        "WASTREAM_RETRY_BACKOFF_MAX_S": "2",
        "WASTREAM_COMMAND_RETRIES": "6",
        **extra,
    }


def workdir(root: Path, name: str) -> Path:
    path = root / name
    path.mkdir(parents=True, exist_ok=True)
    return path
