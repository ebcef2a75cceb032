"""What the gateway reads about sessions and commands: one Redis read each.

``GET /v1/sessions/{sid}`` → :func:`read_session`; ``GET /v1/sessions/{sid}/qr`` →
:func:`read_qr`; ``GET /v1/commands/{id}`` → :func:`read_command_result`. Key layout: see
:mod:`streams.store`.
"""

from __future__ import annotations

from typing import Any

import orjson
from redis.asyncio import Redis

from schemas.codec import AvroCodec
from streams.keys import table_row_key
from streams.ledger import command_key

__all__ = ["SESSIONS_TABLE", "read_command_result", "read_qr", "read_session", "session_key"]

#: The Faust table of session snapshots.
SESSIONS_TABLE = "sessions"


def session_key(session_id: str) -> bytes:
    """The Redis key of a session's snapshot."""
    return table_row_key(SESSIONS_TABLE, session_id)


async def read_session(client: Redis, codec: AvroCodec, session_id: str) -> dict[str, Any] | None:
    """The session's snapshot (``SessionSnapshot`` fields: session_id, tenant_id, state,
    desired, worker, me, pairing, phone, qr, pairing_code, vault_version, counters, last_error,
    updated_at), or None when no worker has written one."""
    raw = await client.get(session_key(session_id))
    if raw is None:
        return None
    return codec.decode_as("SessionSnapshot", raw.encode() if isinstance(raw, str) else raw)


async def read_qr(client: Redis, codec: AvroCodec, session_id: str) -> dict[str, Any] | None:
    """``{"state", "qr", "pairing_code"}`` of the session, or None when it is unknown.

    ``qr`` is the raw payload to render while the state is ``SCAN_QR`` (else None).
    """
    snapshot = await read_session(client, codec, session_id)
    if snapshot is None:
        return None
    return {
        "state": snapshot["state"],
        "qr": snapshot["qr"],
        "pairing_code": snapshot["pairing_code"],
    }


async def read_command_result(client: Redis, command_id: str) -> dict[str, Any] | None:
    """The command's terminal result (``CommandResult`` fields: command_id, session_id,
    tenant_id, outcome, error_code, detail, issued_at, completed_at, attempts, trace_id,
    output), or None while it has none."""
    raw = await client.get(command_key(command_id))
    if raw is None:
        return None
    data: dict[str, Any] = orjson.loads(raw)
    data.pop("source", None)
    return data
