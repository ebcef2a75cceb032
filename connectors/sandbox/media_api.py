"""Media upload and download for pages and phones (``/media``)."""

from __future__ import annotations

import base64

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.sandbox.exceptions import NotFoundError, PayloadTooLargeError
from connectors.sandbox.http_util import declared_length, json_response, network_of

__all__ = ["media_routes"]


async def upload(request: Request) -> Response:
    net = network_of(request)
    length = declared_length(request)
    if length is not None and length > net.media.max_bytes:
        raise PayloadTooLargeError(f"media exceeds {net.media.max_bytes} bytes")
    data = await request.body()
    mimetype = request.headers.get("content-type", "application/octet-stream").split(";")[0]
    filename = request.headers.get("x-filename") or None
    ref = net.media.put(data, mimetype.strip(), filename)
    digest = bytes.fromhex(ref.hash)
    return json_response(
        {
            "directPath": f"/media/{ref.hash}",
            "url": f"/media/{ref.hash}",
            "mimetype": ref.mimetype,
            "size": ref.size,
            "filehash": base64.b64encode(digest).decode(),
        },
        201,
    )


async def download(request: Request) -> Response:
    stored = network_of(request).media.get(request.path_params["digest"])
    if stored is None:
        raise NotFoundError("no media with that hash", slug="unknown-media")
    mimetype, data = stored
    return Response(data, media_type=mimetype, headers={"Cache-Control": "max-age=31536000"})


def media_routes() -> list[Route]:
    return [
        Route("/media", upload, methods=["POST"]),
        Route("/media/{digest}", download, methods=["GET"]),
    ]
