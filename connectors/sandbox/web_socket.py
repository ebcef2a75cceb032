"""The page's socket (``/ws``): login by signed challenge or pairing, then sync and requests.

Frames are JSON text. The server opens with ``challenge``; the page answers ``login`` (a stored
device signs the nonce) or ``pair`` (a new page shows QR refs). See ``SURFACE.md`` for the list.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import secrets
from typing import Any, cast

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect

from connectors.sandbox.device_keys import verify_login
from connectors.sandbox.exceptions import ProblemError
from connectors.sandbox.hub import CLOSE_BANNED, CLOSE_DISCONNECTED, CLOSE_LOGGED_OUT, Event
from connectors.sandbox.jids import normalize_number
from connectors.sandbox.models import Device
from connectors.sandbox.network import Network
from connectors.sandbox.page_requests import PAGE_REQUESTS
from connectors.sandbox.pairing import PairingRegistry, PairingSession
from connectors.sandbox.sync import me_view, sync_payload
from connectors.sandbox.views import message_view

__all__ = ["PageConnection", "page_socket"]

MAX_QUEUE = 50_000
CLOSE_POLICY = 1008


class PageConnection:
    """One page's socket; :meth:`push` never blocks the network, a writer task drains."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.ready = False
        self.backlog: list[Event] = []
        self.device: Device | None = None
        self.pairing: PairingSession | None = None
        self.nonce = secrets.token_bytes(32)
        self.history = 0
        self._queue: asyncio.Queue[tuple[str | None, int]] = asyncio.Queue()
        self._closing = False

    def push(self, event: Event) -> None:
        if self._closing:
            return
        if self._queue.qsize() > MAX_QUEUE:
            self.close(CLOSE_POLICY, {"type": "error", "detail": "the page reads too slowly"})
            return
        self._queue.put_nowait((orjson.dumps(event).decode(), 0))

    def close(self, code: int, event: Event | None = None) -> None:
        if self._closing:
            return
        if event is not None:
            self.push(event)
        self._closing = True
        self._queue.put_nowait((None, code))

    async def write_loop(self) -> None:
        while True:
            text, code = await self._queue.get()
            if text is None:
                with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
                    await self.websocket.close(code)
                return
            await self.websocket.send_text(text)


def _reply(conn: PageConnection, req: object, result: Any) -> None:
    conn.push({"type": "reply", "req": req, "ok": True, "result": result})


def _reply_error(conn: PageConnection, req: object, exc: ProblemError) -> None:
    error = {"code": exc.slug, "status": exc.status, "detail": exc.detail, "field": exc.field}
    conn.push({"type": "reply", "req": req, "ok": False, "error": error})


def _login(net: Network, conn: PageConnection, frame: dict[str, Any]) -> None:
    device = net.devices.get(str(frame.get("device")))
    if device is None or not verify_login(device.public_key, conn.nonce, frame.get("signature")):
        conn.close(CLOSE_LOGGED_OUT, {"type": "logged-out", "reason": "unknown-device"})
        return
    left = net.banned_for(device.number)
    if left:
        until = net.accounts[device.number].banned_until
        conn.close(CLOSE_BANNED, {"type": "banned", "until": until, "reason": "temporary ban"})
        return
    if device.down_until > net.clock():
        conn.close(CLOSE_DISCONNECTED)
        return
    history = frame.get("history")
    conn.history = (
        history
        if isinstance(history, int) and 0 < history <= 1000
        else net.config.history_sync_count
    )
    conn.device = device
    net.device_online(device, conn)
    conn.push({"type": "connected", "me": me_view(net, device)})
    conn.push(sync_payload(net, device, conn.history))


def _synced(net: Network, conn: PageConnection) -> None:
    """The page has its snapshot: now what came while it was away, as new messages."""
    device = conn.device
    if device is None or conn.ready:
        return
    conn.ready = True
    while device.pending:
        msg = device.pending.popleft()
        if device.number in msg.audience and device.number not in msg.hidden_for:
            conn.push({"type": "msg", "msg": message_view(msg, device.number, net.accounts)})
    backlog, conn.backlog = conn.backlog, []
    for event in backlog:
        conn.push(event)


def _handle(net: Network, pairing: PairingRegistry, conn: PageConnection, frame: Any) -> None:
    if not isinstance(frame, dict):
        raise ProblemError("frames must be JSON objects")
    kind = frame.get("type")
    req = frame.get("req")
    if kind == "login" and conn.device is None:
        if conn.pairing is not None:
            pairing.close(conn.pairing)
            conn.pairing = None
        _login(net, conn, frame)
    elif kind == "pair" and conn.device is None and conn.pairing is None:
        conn.pairing = pairing.open(conn, frame)
    elif kind == "refresh-qr" and conn.pairing is not None:
        pairing.refresh(conn.pairing)
    elif kind == "pair-code" and conn.pairing is not None:
        try:
            phone = normalize_number(frame.get("phone"), "phone")
            _reply(conn, req, {"code": pairing.issue_code(conn.pairing, phone)})
        except ProblemError as exc:
            _reply_error(conn, req, exc)
    elif kind == "synced":
        _synced(net, conn)
    elif isinstance(kind, str) and kind in PAGE_REQUESTS:
        device = conn.device
        try:
            if device is None or net.devices.get(device.id) is not device:
                raise ProblemError("the page is not logged in", slug="not-logged-in")
            _reply(conn, req, PAGE_REQUESTS[kind](net, device, frame))
        except ProblemError as exc:
            _reply_error(conn, req, exc)
    else:
        raise ProblemError(f"unexpected frame {kind!r} now")


async def page_socket(websocket: WebSocket) -> None:
    net = cast(Network, websocket.app.state.network)
    pairing = cast(PairingRegistry, websocket.app.state.pairing)
    await websocket.accept()
    conn = PageConnection(websocket)
    writer = asyncio.get_running_loop().create_task(conn.write_loop())
    conn.push({"type": "challenge", "nonce": base64.b64encode(conn.nonce).decode()})
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            raw = message.get("text") or message.get("bytes") or b""
            try:
                _handle(net, pairing, conn, orjson.loads(raw))
            except (orjson.JSONDecodeError, ProblemError) as exc:
                conn.close(CLOSE_POLICY, {"type": "error", "detail": str(exc)})
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        if conn.pairing is not None:
            pairing.close(conn.pairing)
        if conn.device is not None:
            net.device_offline(conn.device, conn)
        conn.close(1000)
        with contextlib.suppress(asyncio.TimeoutError, Exception):
            await asyncio.wait_for(writer, 1.0)
        writer.cancel()
