"""A Redis connection of the gateway's own that runs one Lua script, many calls in flight.

The admission script (:mod:`gateway.admission`) runs once per batch of requests, on the hot
path. Through redis-py one call costs several times the CPU of the script itself (each argument
encoded in Python, the connection pool, a timeout per read): here a call is one socket write of
RESP its caller has already encoded, and replies are parsed in the protocol's callback as they
arrive. Everything else of the gateway talks to Redis through redis-py.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from collections import deque
from typing import Any

from redis.asyncio.connection import SSLConnection, parse_url

from gateway.exceptions import BackendUnavailableError

__all__ = ["ScriptLink", "bulk"]

_Reply = str | int | None


def bulk(value: str) -> bytes:
    """``value`` as one RESP bulk string (what :meth:`ScriptLink.run` takes, concatenated)."""
    data = value.encode()
    return b"$%d\r\n%b\r\n" % (len(data), data)


def _command(*parts: bytes) -> bytes:
    return b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%b\r\n" % (len(p), p) for p in parts)


class _ErrorReply(str):
    """A ``-ERR …`` reply."""


class _RespProtocol(asyncio.Protocol):
    """RESP2 replies matched to requests in order (one connection, pipelined)."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._waiters: deque[asyncio.Future[_Reply]] = deque()
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's is not a subclass

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        error = ConnectionError(f"the connection closed: {exc}" if exc else "the connection closed")
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(error)

    def request(self, data: bytes) -> asyncio.Future[_Reply]:
        """The future of the reply to ``data`` (one command)."""
        assert self._transport is not None
        waiter: asyncio.Future[_Reply] = asyncio.get_running_loop().create_future()
        if self.closed:
            waiter.set_exception(ConnectionError("the connection is closed"))
            return waiter
        self._waiters.append(waiter)
        self._transport.write(data)
        return waiter

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.abort()  # connection_lost fails whatever still waits

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        while buffer:
            end = buffer.find(b"\r\n")
            if end < 0:
                return
            kind = buffer[0]
            reply: _Reply
            if kind == 0x24:  # $ bulk string
                size = int(buffer[1:end])
                if size < 0:
                    used, reply = end + 2, None
                else:
                    used = end + 4 + size
                    if len(buffer) < used:
                        return
                    reply = buffer[end + 2 : end + 2 + size].decode()
            elif kind == 0x2B:  # + simple string
                used, reply = end + 2, buffer[1:end].decode()
            elif kind == 0x2D:  # - error
                used, reply = end + 2, _ErrorReply(buffer[1:end].decode())
            elif kind == 0x3A:  # : integer
                used, reply = end + 2, int(buffer[1:end])
            else:  # nothing this connection asks for answers anything else
                self.close()
                return
            del buffer[:used]
            if self._waiters:
                waiter = self._waiters.popleft()
                if not waiter.done():
                    waiter.set_result(reply)


class ScriptLink:
    """Runs the Lua ``script`` on the Redis at ``url`` (``redis://``, ``rediss://``, ``unix://``,
    with user, password and database as redis-py reads them).

    ``connect_timeout_s`` bounds a (re)connection and ``reply_timeout_s`` the wait for a reply;
    either failing raises :class:`BackendUnavailableError` and drops the connection (later
    replies could no longer be matched to their calls). The next call connects anew.
    ``client_name`` names the connection in Redis' ``CLIENT LIST``.
    """

    def __init__(
        self,
        url: str,
        script: str,
        *,
        connect_timeout_s: float = 1.0,
        reply_timeout_s: float = 2.0,
        client_name: str = "wastream-script",
    ) -> None:
        self._options: dict[str, Any] = dict(parse_url(url))
        self._client_name = client_name.encode()
        self._script = script.encode()
        self._sha = hashlib.sha1(self._script).hexdigest().encode()
        self._connect_timeout_s = connect_timeout_s
        self._reply_timeout_s = reply_timeout_s
        self._protocol: _RespProtocol | None = None
        self._connecting = asyncio.Lock()

    async def run(self, keys: int, items: int, packed: bytes) -> str:
        """The script's reply, given ``packed``: ``items`` bulk strings (see :func:`bulk`), its
        ``keys`` keys then its arguments."""
        protocol = self._protocol
        if protocol is None or protocol.closed:
            protocol = await self._connect()
        tail = bulk(str(keys)) + packed
        reply = await self._await(
            protocol,
            b"*%d\r\n$7\r\nEVALSHA\r\n$40\r\n%b\r\n"
            % (
                items + 3,
                self._sha,
            )
            + tail,
        )
        if isinstance(reply, _ErrorReply) and reply.startswith("NOSCRIPT"):
            # The script cache was flushed since this connection loaded it.
            script = b"$%d\r\n%b\r\n" % (len(self._script), self._script)
            reply = await self._await(
                protocol, b"*%d\r\n$4\r\nEVAL\r\n" % (items + 3) + script + tail
            )
        if isinstance(reply, _ErrorReply):
            raise BackendUnavailableError(f"Redis: {reply}")
        if not isinstance(reply, str):
            raise BackendUnavailableError(f"Redis: unexpected reply {reply!r} to the script")
        return reply

    async def close(self) -> None:
        if self._protocol is not None:
            self._protocol.close()
            self._protocol = None

    async def _await(self, protocol: _RespProtocol, data: bytes) -> _Reply:
        waiter = protocol.request(data)
        loop = asyncio.get_running_loop()
        expiry = loop.call_later(self._reply_timeout_s, _expire, protocol, waiter)
        try:
            return await waiter
        except ConnectionError as exc:
            raise BackendUnavailableError(f"Redis: {exc}") from exc
        except TimeoutError as exc:
            raise BackendUnavailableError(
                f"Redis: no reply within {self._reply_timeout_s} s"
            ) from exc
        finally:
            expiry.cancel()

    async def _connect(self) -> _RespProtocol:
        async with self._connecting:
            if self._protocol is not None and not self._protocol.closed:
                return self._protocol
            protocol: _RespProtocol | None = None
            try:
                async with asyncio.timeout(self._connect_timeout_s):
                    protocol = await self._open()
                    for command in self._handshake():
                        reply = await self._await(protocol, command)
                        if isinstance(reply, _ErrorReply):
                            raise BackendUnavailableError(f"Redis: {reply}")
            except (OSError, TimeoutError, BackendUnavailableError) as exc:
                if protocol is not None:
                    protocol.close()
                if isinstance(exc, BackendUnavailableError):
                    raise
                raise BackendUnavailableError(f"Redis: cannot connect: {exc!r}") from exc
            self._protocol = protocol
            return protocol

    async def _open(self) -> _RespProtocol:
        loop = asyncio.get_running_loop()
        options = self._options
        if "path" in options:
            _, protocol = await loop.create_unix_connection(_RespProtocol, options["path"])
            return protocol
        host, port = options.get("host", "localhost"), options.get("port", 6379)
        context = None
        if options.get("connection_class") is SSLConnection:
            context = ssl.create_default_context(cafile=options.get("ssl_ca_certs"))
            if options.get("ssl_cert_reqs", "required") in ("none", ssl.CERT_NONE):
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
        _, protocol = await loop.create_connection(_RespProtocol, host, port, ssl=context)
        return protocol

    def _handshake(self) -> list[bytes]:
        options = self._options
        commands = []
        password, username = options.get("password"), options.get("username")
        if password:
            credentials = [username, password] if username else [password]
            commands.append(_command(b"AUTH", *(str(part).encode() for part in credentials)))
        if options.get("db"):
            commands.append(_command(b"SELECT", str(options["db"]).encode()))
        commands.append(_command(b"CLIENT", b"SETNAME", self._client_name))
        commands.append(_command(b"SCRIPT", b"LOAD", self._script))
        return commands


def _expire(protocol: _RespProtocol, waiter: asyncio.Future[_Reply]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())
        protocol.close()
