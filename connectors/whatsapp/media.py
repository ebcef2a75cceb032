"""Media to send: inline bytes or a URL fetched here, its size and type checked.

A URL is fetched with httpx through a connection backend that resolves the host itself and
refuses private, loopback, link-local and other non-global addresses (unless
``WASTREAM_MEDIA_ALLOW_PRIVATE``), at every connection, so redirects and DNS answers cannot
lead the worker into its own network.
"""

from __future__ import annotations

import asyncio
import fnmatch
import ipaddress
import mimetypes
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import httpcore
import httpx

from connectors.whatsapp.exceptions import Codes, MediaError
from wastream.settings import Settings

__all__ = ["KIND_TYPES", "Media", "check_address", "load_media"]

#: What each MediaKind accepts (DOCUMENT: anything the settings allow).
KIND_TYPES = {"IMAGE": "image/", "VIDEO": "video/", "AUDIO": "audio/", "DOCUMENT": ""}
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"OggS", "audio/ogg"),
    (b"ID3", "audio/mpeg"),
    (b"PK\x03\x04", "application/zip"),
)
_REDIRECTS = 3


@dataclass(frozen=True, slots=True)
class Media:
    """Checked media, ready for the page."""

    kind: str
    mimetype: str
    filename: str | None
    data: bytes


def _sniff(data: bytes) -> str | None:
    for magic, mimetype in _MAGIC:
        if data.startswith(magic):
            return mimetype
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    return None


def _allowed(mimetype: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(mimetype, p.strip()) for p in patterns if p.strip())


def check_address(address: str, *, allow_private: bool) -> None:
    """Refuse an IP address that is not on the public internet (unless allowed)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if allow_private or (ip.is_global and not ip.is_multicast):
        return
    raise MediaError(
        Codes.MEDIA_URL_FORBIDDEN,
        f"media URLs may not reach {ip} (private, loopback, link-local or reserved)",
    )


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves each host itself and connects only to the addresses it checked."""

    def __init__(self, allow_private: bool) -> None:
        self._allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's backend interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout
            )
        except (OSError, TimeoutError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            raise httpcore.ConnectError(f"{host} has no address")
        for address in addresses:
            check_address(address, allow_private=self._allow_private)
        return await self._inner.connect_tcp(
            addresses[0], port, timeout, local_address, socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's backend interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise MediaError(Codes.MEDIA_URL_FORBIDDEN, "media URLs may not use unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, allow_private: bool) -> None:
        super().__init__(trust_env=False, retries=0)
        # httpx builds its connection pool without a backend parameter: replace the pool.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=4,
            network_backend=_GuardedBackend(allow_private),
        )


def _filename_of(url: str) -> str | None:
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    return name or None


async def _fetch(url: str, settings: Settings, limit: int) -> tuple[bytes, str | None]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise MediaError(Codes.MEDIA_INVALID, f"media URL {url!r} is not an http(s) URL")
    transport = _GuardedTransport(settings.media_allow_private)
    async with httpx.AsyncClient(
        transport=transport,
        timeout=settings.media_fetch_timeout_s,
        follow_redirects=True,
        max_redirects=_REDIRECTS,
        trust_env=False,
    ) as client:
        try:
            async with asyncio.timeout(settings.media_fetch_timeout_s):
                async with client.stream("GET", url) as response:
                    if response.status_code != 200:
                        raise MediaError(
                            Codes.MEDIA_FETCH_FAILED,
                            f"GET {url} answered {response.status_code}",
                        )
                    declared = response.headers.get("content-length")
                    if declared is not None and declared.isdigit() and int(declared) > limit:
                        raise MediaError(
                            Codes.MEDIA_TOO_LARGE, f"{url} has {declared} bytes (limit {limit})"
                        )
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body.extend(chunk)
                        if len(body) > limit:
                            raise MediaError(
                                Codes.MEDIA_TOO_LARGE, f"{url} is larger than {limit} bytes"
                            )
                    content_type = response.headers.get("content-type")
        except TimeoutError as exc:
            raise MediaError(
                Codes.MEDIA_FETCH_FAILED,
                f"{url} was not downloaded within {settings.media_fetch_timeout_s} s",
            ) from exc
        except httpx.HTTPError as exc:
            raise MediaError(Codes.MEDIA_FETCH_FAILED, f"GET {url} failed: {exc}") from exc
    mimetype = content_type.split(";", 1)[0].strip().lower() if content_type else None
    return bytes(body), mimetype


async def load_media(source: Mapping[str, Any], settings: Settings) -> Media:
    """The media of a ``wastream.v1.MediaSource`` (``kind``, ``mimetype``, ``filename``, and
    ``url`` or ``data``), downloaded when it is a URL, with its size and type checked."""
    kind = str(source.get("kind") or "").upper()
    if kind not in KIND_TYPES:
        raise MediaError(Codes.MEDIA_INVALID, f"unknown media kind {source.get('kind')!r}")
    url, data = source.get("url"), source.get("data")
    if (url is None) == (data is None):
        raise MediaError(Codes.MEDIA_INVALID, "media needs exactly one of url and data")
    limit = settings.max_media_bytes
    filename = source.get("filename") or None
    served: str | None = None
    if data is not None:
        if not isinstance(data, bytes | bytearray):
            raise MediaError(Codes.MEDIA_INVALID, "inline media data must be bytes")
        body = bytes(data)
    else:
        body, served = await _fetch(str(url), settings, limit)
        filename = filename or _filename_of(str(url))
    if not body:
        raise MediaError(Codes.MEDIA_INVALID, "the media is empty")
    if len(body) > limit:
        raise MediaError(Codes.MEDIA_TOO_LARGE, f"the media has {len(body)} bytes (limit {limit})")
    mimetype = source.get("mimetype") or None
    if mimetype is None and served not in (None, "application/octet-stream"):
        mimetype = served
    if mimetype is None and filename:
        mimetype = mimetypes.guess_type(filename)[0]
    mimetype = str(mimetype or _sniff(body) or "application/octet-stream").lower()
    if not _allowed(mimetype, settings.media_mime_types.split(",")):
        raise MediaError(Codes.MEDIA_TYPE, f"media of type {mimetype} is not allowed")
    if not mimetype.startswith(KIND_TYPES[kind]):
        raise MediaError(Codes.MEDIA_TYPE, f"{kind.lower()} media cannot be {mimetype}")
    if filename is None and kind == "DOCUMENT":
        extension = mimetypes.guess_extension(mimetype) or ""
        filename = f"document{extension}"
    return Media(kind=kind, mimetype=mimetype, filename=filename, data=body)
