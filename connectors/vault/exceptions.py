"""Errors of the auth vault."""

from __future__ import annotations

from wastream.exceptions import WastreamError

__all__ = ["VaultError", "VaultIntegrityError", "VaultKeyError"]


class VaultError(WastreamError):
    """The auth vault could not store or restore a login."""


class VaultKeyError(VaultError):
    """The vault keys are missing or malformed, or a blob names a key that is not configured."""


class VaultIntegrityError(VaultError):
    """A blob failed authentication: tampered, or bound to another session or version."""
