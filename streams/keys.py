"""The Redis key layout of the sessions table (see :mod:`streams.store`), without Faust, so
that readers such as the gateway import it cheaply."""

from __future__ import annotations

__all__ = [
    "TABLE_PREFIX",
    "table_index_key",
    "table_offsets_key",
    "table_row_key",
    "table_writer_key",
]

TABLE_PREFIX = "wastream:table:"


def table_row_key(table: str, key: bytes | str) -> bytes:
    raw = key.encode() if isinstance(key, str) else key
    return f"{TABLE_PREFIX}{table}:".encode() + raw


def table_index_key(table: str, partition: int) -> str:
    return f"{TABLE_PREFIX}{table}:index:{partition}"


def table_offsets_key(table: str) -> str:
    return f"{TABLE_PREFIX}{table}:offsets"


def table_writer_key(table: str, writer: str) -> str:
    """A live worker's marker (with a TTL): its absence tells the worker Redis lost its rows."""
    return f"wastream:table-writer:{table}:{writer}"
