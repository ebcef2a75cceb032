"""A Python client of the phone API, for demos, tests and benchmarks."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from connectors.sandbox.exceptions import SandboxError

__all__ = ["PhoneApiError", "PhoneClient"]


class PhoneApiError(SandboxError):
    """The phone API refused a request; ``problem`` is its JSON problem body."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(f"{status} {problem.get('title')}: {problem.get('detail')}")
        self.status = status
        self.problem = problem


class PhoneClient:
    """``await PhoneClient(url).send("15550000001", "15550000002", "hi")`` and so on."""

    def __init__(self, base_url: str, *, client: httpx.AsyncClient | None = None) -> None:
        self.http = client if client is not None else httpx.AsyncClient(base_url=base_url)
        self._owned = client is None

    async def aclose(self) -> None:
        if self._owned:
            await self.http.aclose()

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = await self.http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise SandboxError(f"the sandbox did not answer {method} {path}: {exc}") from exc
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"title": response.reason_phrase, "detail": response.text}
            raise PhoneApiError(response.status_code, problem)
        return response.json()

    async def create_account(self, number: str, name: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.call(
            "POST", "/phone/accounts", {"number": number, "name": name}
        )
        return result

    async def account(self, number: str) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("GET", f"/phone/{number}")
        return result

    async def link(self, number: str, qr: str) -> str:
        return str((await self.call("POST", f"/phone/{number}/link", {"qr": qr}))["device"])

    async def link_code(self, number: str, code: str) -> str:
        result = await self.call("POST", f"/phone/{number}/link-code", {"code": code})
        return str(result["device"])

    async def unlink(self, number: str, device: str | None = None) -> list[str]:
        result = await self.call("POST", f"/phone/{number}/unlink", {"device": device})
        return list(result["unlinked"])

    async def disconnect(
        self, number: str, device: str | None = None, down_ms: int = 0
    ) -> list[str]:
        body = {"device": device, "down_ms": down_ms}
        return list((await self.call("POST", f"/phone/{number}/disconnect", body))["disconnected"])

    async def send(
        self,
        number: str,
        to: str,
        text: str | None = None,
        *,
        id: str | None = None,
        media: tuple[str, str, bytes] | None = None,
        filename: str | None = None,
    ) -> dict[str, Any]:
        """Send text, or ``media=(type, mimetype, bytes)`` with ``text`` as its caption."""
        body: dict[str, Any] = {"to": to}
        if text is not None:
            body["text"] = text
        if id is not None:
            body["id"] = id
        if media is not None:
            kind, mimetype, data = media
            body["media"] = {
                "type": kind,
                "mimetype": mimetype,
                "data": base64.b64encode(data).decode(),
                "filename": filename,
            }
        result: dict[str, Any] = await self.call("POST", f"/phone/{number}/messages", body)
        return result

    async def read(self, number: str, chat: str) -> int:
        return int((await self.call("POST", f"/phone/{number}/read", {"chat": chat}))["read"])

    async def offline(self, number: str) -> None:
        await self.call("POST", f"/phone/{number}/offline")

    async def online(self, number: str) -> None:
        await self.call("POST", f"/phone/{number}/online")

    async def inbox(self, number: str, chat: str | None = None) -> list[dict[str, Any]]:
        path = f"/phone/{number}/inbox" + (f"?chat={chat}" if chat else "")
        return list((await self.call("GET", path))["messages"])

    async def set_limits(self, **limits: float | int) -> dict[str, Any]:
        result: dict[str, Any] = await self.call("PUT", "/phone/limits", dict(limits))
        return result
