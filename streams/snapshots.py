"""Session snapshots: the sessions table's rows, and the updates that change them.

Tables change only inside stream processing, so every change of a snapshot (a command changing
the desired state, the page reporting a new state, counters) is a :class:`SessionUpdate`
published to the internal, co-partitioned ``wa.session-updates`` topic and applied by its agent.
An update is JSON: ``{"session_id", "tenant_id", "set": {field: value}, "incr": {counter: n},
"at"}``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = ["SESSION_UPDATES", "SessionUpdate", "apply_update", "new_snapshot"]

#: The internal topic of snapshot changes (key = session id, co-partitioned with wa.commands).
SESSION_UPDATES = "wa.session-updates"

_SETTABLE = frozenset(
    {
        "state",
        "desired",
        "worker",
        "me",
        "pairing",
        "phone",
        "qr",
        "pairing_code",
        "vault_version",
        "last_error",
    }
)


#: What only the worker running the session reports.
_OWNER_FIELDS = ("state", "me", "qr", "pairing_code", "last_error")


@dataclass(slots=True)
class SessionUpdate:
    session_id: str
    tenant_id: str
    set: dict[str, Any] = field(default_factory=dict)
    incr: dict[str, int] = field(default_factory=dict)
    #: The worker that sent the update: a worker that no longer owns the session may not
    #: overwrite what its new owner reports.
    origin: str = ""
    at: int = field(default_factory=lambda: int(time.time() * 1000))

    def dumps(self) -> bytes:
        return orjson.dumps(
            {
                "session_id": self.session_id,
                "tenant_id": self.tenant_id,
                "set": self.set,
                "incr": self.incr,
                "origin": self.origin,
                "at": self.at,
            }
        )

    @classmethod
    def loads(cls, raw: bytes) -> SessionUpdate:
        data = orjson.loads(raw)
        unknown = set(data["set"]) - _SETTABLE
        if unknown:
            raise ValueError(f"session update sets unknown fields {sorted(unknown)}")
        return cls(
            session_id=str(data["session_id"]),
            tenant_id=str(data["tenant_id"]),
            set=dict(data["set"]),
            incr={str(k): int(v) for k, v in data["incr"].items()},
            origin=str(data.get("origin") or ""),
            at=int(data["at"]),
        )


def new_snapshot(session_id: str, tenant_id: str, at: int) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "tenant_id": tenant_id,
        "state": "STOPPED",
        "desired": "STOPPED",
        "worker": None,
        "me": None,
        "pairing": "QR",
        "phone": None,
        "qr": None,
        "pairing_code": None,
        "vault_version": 0,
        "counters": {},
        "last_error": None,
        "updated_at": at,
    }


def apply_update(snapshot: dict[str, Any] | None, update: SessionUpdate) -> dict[str, Any]:
    """The snapshot after ``update`` (a new one when there was none)."""
    result = (
        dict(snapshot)
        if snapshot is not None
        else new_snapshot(update.session_id, update.tenant_id, update.at)
    )
    changes = dict(update.set)
    owner = result["worker"]
    if update.origin and owner and owner != update.origin and "worker" not in changes:
        for name in _OWNER_FIELDS:
            changes.pop(name, None)
    # Versions only grow, but 0 says the login was forgotten (a logout).
    if changes.get("vault_version"):
        changes["vault_version"] = max(int(changes["vault_version"]), int(result["vault_version"]))
    result.update(changes)
    if update.incr:
        counters = dict(result["counters"])
        for name, amount in update.incr.items():
            counters[name] = counters.get(name, 0) + amount
        result["counters"] = counters
    if update.tenant_id and not result["tenant_id"]:
        result["tenant_id"] = update.tenant_id
    result["updated_at"] = max(update.at, int(result["updated_at"]))
    return result
