"""Live page connections by device, and what is delivered to a device that is away."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from connectors.sandbox.models import Device, Message

__all__ = [
    "CLOSE_BANNED",
    "CLOSE_CONFLICT",
    "CLOSE_DISCONNECTED",
    "CLOSE_LOGGED_OUT",
    "Connection",
    "Event",
    "Hub",
]

Event = dict[str, Any]

CLOSE_CONFLICT = 4001
CLOSE_DISCONNECTED = 4002
CLOSE_BANNED = 4003
CLOSE_LOGGED_OUT = 4004


class Connection(Protocol):
    """A page's socket as the network sees it."""

    ready: bool
    backlog: list[Event]

    def push(self, event: Event) -> None: ...

    def close(self, code: int, event: Event | None = None) -> None: ...


class Hub:
    """At most one live connection per device: the newest; an older one gets ``conflict``."""

    def __init__(self, pending_max: int) -> None:
        self.pending_max = pending_max
        self._live: dict[str, Connection] = {}

    def attach(self, device: Device, conn: Connection) -> None:
        old = self._live.get(device.id)
        self._live[device.id] = conn
        if old is not None and old is not conn:
            old.close(CLOSE_CONFLICT, {"type": "conflict"})

    def detach(self, device_id: str, conn: Connection) -> bool:
        if self._live.get(device_id) is conn:
            del self._live[device_id]
            return True
        return False

    def is_online(self, device_id: str) -> bool:
        return device_id in self._live

    def connection(self, device_id: str) -> Connection | None:
        return self._live.get(device_id)

    def send(self, device: Device, event: Event) -> None:
        """A state event; a device away gets the current state at its next login instead."""
        conn = self._live.get(device.id)
        if conn is None:
            return
        if conn.ready:
            conn.push(event)
        else:
            conn.backlog.append(event)

    def send_message(self, device: Device, msg: Message, build: Callable[[], Event]) -> None:
        """A new message; a device away or still syncing gets it as new once it has synced."""
        conn = self._live.get(device.id)
        if conn is not None and conn.ready:
            conn.push(build())
            return
        device.pending.append(msg)
        while len(device.pending) > self.pending_max:
            device.pending.popleft()

    def kick(self, device_id: str, code: int, event: Event | None = None) -> None:
        conn = self._live.pop(device_id, None)
        if conn is not None:
            conn.close(code, event)

    def online_count(self) -> int:
        return len(self._live)
