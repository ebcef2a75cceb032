"""Errors of the local stack."""

from __future__ import annotations

from wastream.exceptions import WastreamError

__all__ = ["ServiceStartError", "StackError"]


class StackError(WastreamError):
    """The local stack could not do what was asked."""


class ServiceStartError(StackError):
    """A service did not become ready; the message carries the tail of its log."""
