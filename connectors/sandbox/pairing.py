"""Linking a page to an account: rotating QR refs, 8-character pairing codes."""

from __future__ import annotations

import asyncio
import base64
import binascii
import secrets
from dataclasses import dataclass, field
from typing import Any

import segno

from connectors.sandbox.exceptions import (
    ConflictError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
)
from connectors.sandbox.hub import Connection
from connectors.sandbox.jids import user_jid
from connectors.sandbox.models import Device
from connectors.sandbox.network import Network

__all__ = ["PairingRegistry", "PairingSession", "qr_matrix"]

CODE_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTVWXYZ"


def qr_matrix(payload: str) -> dict[str, Any]:
    """The QR symbol as rows of ``0``/``1`` (quiet zone included) for the page to draw."""
    qr = segno.make(payload, error="l", micro=False)
    rows = ["".join("1" if cell else "0" for cell in row) for row in qr.matrix_iter(border=2)]
    return {"size": len(rows), "rows": rows}


def _b64_key(value: object, name: str, sizes: tuple[int, ...]) -> str:
    if not isinstance(value, str):
        raise InvalidRequestError(f"{name} must be base64", field=name)
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequestError(f"{name} must be base64", field=name) from exc
    if len(raw) not in sizes:
        raise InvalidRequestError(f"{name} has {len(raw)} bytes", field=name)
    return value


@dataclass(eq=False)
class PairingSession:
    """One unlinked page showing QR refs (and maybe a pairing code)."""

    conn: Connection
    noise: str
    identity: str
    adv: str
    platform: str
    first_ttl_s: float
    ttl_s: float
    max_refs: int
    refs: list[str] = field(default_factory=list)
    current: str | None = None
    code: str | None = None
    code_number: str | None = None
    code_expires: float = 0.0
    task: asyncio.Task[None] | None = None

    def payload(self, ref: str) -> str:
        return f"{ref},{self.noise},{self.identity},{self.adv}"


class PairingRegistry:
    def __init__(self, network: Network) -> None:
        self.network = network
        self._refs: dict[str, PairingSession] = {}
        self._codes: dict[str, PairingSession] = {}

    def open(self, conn: Connection, hello: dict[str, Any]) -> PairingSession:
        cfg = self.network.config
        qr = hello.get("qr") if isinstance(hello.get("qr"), dict) else {}
        assert isinstance(qr, dict)

        def clamp_ms(name: str, default_s: float) -> float:
            value = qr.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return min(max(float(value), 100.0), 600_000.0) / 1000
            return default_s

        refs = qr.get("refs")
        session = PairingSession(
            conn=conn,
            noise=_b64_key(hello.get("noise"), "noise", (32,)),
            identity=_b64_key(hello.get("identity"), "identity", (65,)),
            adv=_b64_key(hello.get("adv"), "adv", (32,)),
            platform=str(hello.get("platform") or "web")[:40],
            first_ttl_s=clamp_ms("first_ms", cfg.qr_first_ttl_s),
            ttl_s=clamp_ms("ms", cfg.qr_ttl_s),
            max_refs=min(max(refs, 1), 50) if isinstance(refs, int) else cfg.qr_max_refs,
        )
        self.refresh(session)
        return session

    def refresh(self, session: PairingSession) -> None:
        """(Re)start the ref rotation, as ``Cmd.refreshQR()`` asks."""
        if session.task is not None:
            session.task.cancel()
        session.task = asyncio.get_running_loop().create_task(self._rotate(session))

    async def _rotate(self, session: PairingSession) -> None:
        for index in range(session.max_refs):
            ref = "2@" + base64.b64encode(secrets.token_bytes(33)).decode()
            session.refs.append(ref)
            session.current = ref
            self._refs[ref] = session
            ttl = session.first_ttl_s if index == 0 else session.ttl_s
            session.conn.push(
                {
                    "type": "ref",
                    "ref": ref,
                    "payload": session.payload(ref),
                    "qr": qr_matrix(session.payload(ref)),
                    "ttl_ms": int(ttl * 1000),
                    "index": index,
                }
            )
            await asyncio.sleep(ttl)
        session.current = None
        session.conn.push({"type": "idle"})

    def close(self, session: PairingSession) -> None:
        if session.task is not None:
            session.task.cancel()
            session.task = None
        for ref in session.refs:
            self._refs.pop(ref, None)
        if session.code is not None:
            self._codes.pop(session.code, None)

    def link_by_qr(self, number: str, payload: str) -> Device:
        parts = payload.strip().split(",")
        if len(parts) not in (4, 5) or not all(parts[:4]):
            raise InvalidRequestError(
                "qr must be the whole payload: ref,noise key,identity key,adv secret", field="qr"
            )
        session = self._refs.get(parts[0])
        if session is None:
            raise NotFoundError("no page shows that QR ref", field="qr", slug="unknown-qr")
        if session.current != parts[0]:
            raise ConflictError("that QR ref has expired", field="qr", slug="qr-expired")
        if parts[1:4] != [session.noise, session.identity, session.adv]:
            raise InvalidRequestError("the QR keys do not match the page's", field="qr")
        return self._complete(session, number)

    def issue_code(self, session: PairingSession, number: str) -> str:
        self.network.account(number, "phone")
        if session.code is not None:
            self._codes.pop(session.code, None)
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        session.code, session.code_number = code, number
        session.code_expires = self.network.clock() + self.network.config.pair_code_ttl_s
        self._codes[code] = session
        return code

    def link_by_code(self, number: str, code: str) -> Device:
        clean = code.replace("-", "").replace(" ", "").upper()
        if len(clean) != 8 or any(c not in CODE_ALPHABET for c in clean):
            raise InvalidRequestError("code must be 8 characters like ABCD-EFGH", field="code")
        session = self._codes.get(clean)
        if session is None:
            raise NotFoundError("no page asked for that code", field="code", slug="unknown-code")
        if self.network.clock() > session.code_expires:
            raise ConflictError("that pairing code has expired", field="code", slug="code-expired")
        if session.code_number != number:
            raise ForbiddenError(
                "that code was asked for another phone number", field="code", slug="code-mismatch"
            )
        return self._complete(session, number)

    def _complete(self, session: PairingSession, number: str) -> Device:
        device = self.network.link_device(number, session.identity, session.platform)
        self.close(session)
        account = self.network.accounts[number]
        session.conn.push(
            {
                "type": "paired",
                "device": device.id,
                "wid": user_jid(number),
                "pushname": account.name,
                "platform": device.platform,
            }
        )
        return device
