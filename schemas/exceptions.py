"""Errors of the Avro contract (see the tree in :mod:`wastream.exceptions`)."""

from __future__ import annotations

from wastream.exceptions import WastreamError

__all__ = ["DecodeError", "EncodeError", "SchemaError", "UnknownSchemaError"]


class SchemaError(WastreamError):
    """A schema, a datum or bytes that do not fit the Avro contract."""


class UnknownSchemaError(SchemaError):
    """A fingerprint or record name that no loaded schema has, or not the record expected."""


class DecodeError(SchemaError):
    """Bytes that are not one single-object encoded record of a known schema."""


class EncodeError(SchemaError):
    """A datum that does not fit its record's schema."""
