"""Media bytes uploaded by pages and phones, kept in memory by content hash."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re

from connectors.sandbox.exceptions import InvalidRequestError, PayloadTooLargeError
from connectors.sandbox.models import MediaRef

__all__ = ["MediaStore"]

_MIMETYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")


class MediaStore:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._blobs: dict[str, tuple[str, bytes]] = {}

    def put(self, data: bytes, mimetype: str, filename: str | None = None) -> MediaRef:
        if len(data) > self.max_bytes:
            raise PayloadTooLargeError(
                f"media is {len(data)} bytes, the limit is {self.max_bytes}", field="data"
            )
        if not data:
            raise InvalidRequestError("media is empty", field="data")
        if not _MIMETYPE.match(mimetype):
            raise InvalidRequestError(f"not a MIME type: {mimetype!r}", field="mimetype")
        digest = hashlib.sha256(data).hexdigest()
        self._blobs[digest] = (mimetype, data)
        return MediaRef(hash=digest, mimetype=mimetype, size=len(data), filename=filename)

    def put_base64(self, data: str, mimetype: str, filename: str | None = None) -> MediaRef:
        if len(data) > self.max_bytes * 4 // 3 + 4:
            raise PayloadTooLargeError(f"media exceeds {self.max_bytes} bytes", field="data")
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InvalidRequestError("media data is not valid base64", field="data") from exc
        return self.put(raw, mimetype, filename)

    def get(self, digest: str) -> tuple[str, bytes] | None:
        return self._blobs.get(digest)

    def has(self, digest: str) -> bool:
        return digest in self._blobs
