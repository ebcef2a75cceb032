"""The phone API over HTTP: its answers, its problems for bad input, media, persistence."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.sandbox import PhoneApiError, PhoneClient, SandboxConfig, SandboxServer
from connectors.sandbox.app import create_app
from tests.connectors.sandbox.conftest import TEST_CONFIG


@pytest.fixture
async def http(sandbox: SandboxServer) -> Any:
    async with httpx.AsyncClient(base_url=sandbox.url) as client:
        yield client


async def test_accounts_and_inbox(pages: Any, phone: PhoneClient) -> None:
    ann, ben = await pages.account("Ann"), await pages.account("Ben")
    sent = await phone.send(ann, ben, "hello", id="ID-1")
    assert sent["duplicate"] is False
    assert sent["ack"] == 2
    again = await phone.send(ann, ben, "hello", id="ID-1")
    assert again["duplicate"] is True
    assert again["key"] == sent["key"]
    inbox = await phone.inbox(ben)
    assert [(m["id"], m["text"], m["from_me"]) for m in inbox] == [("ID-1", "hello", False)]
    assert (await phone.read(ben, ann)) == 1
    assert (await phone.inbox(ann))[0]["ack"] == 3
    info = await phone.account(ann)
    assert info["name"] == "Ann"
    assert info["devices"] == []
    assert info["online"] is True


BAD_REQUESTS: list[tuple[str, str, Any, int, str | None]] = [
    ("POST", "/phone/accounts", {"number": "12", "name": "x"}, 422, "number"),
    ("POST", "/phone/accounts", {"number": "15550009999"}, 422, "name"),
    ("POST", "/phone/accounts", {"number": 15550009999, "name": "x"}, 422, "number"),
    ("POST", "/phone/accounts", {"number": "15550009999", "name": "x", "extra": 1}, 422, "extra"),
    ("POST", "/phone/accounts", [1, 2], 400, None),
    ("POST", "/phone/accounts", {"number": "1" + "\u0665" * 10, "name": "x"}, 422, "number"),
    ("POST", "/phone/{a}/messages", {"to": "15550009998"}, 422, "text"),
    ("POST", "/phone/{a}/messages", {"to": "nope", "text": "x"}, 422, "to"),
    ("POST", "/phone/{a}/messages", {"to": "19999999999", "text": "x"}, 404, "to"),
    ("POST", "/phone/{a}/messages", {"to": "{b}", "text": "x", "id": "a_b"}, 422, "id"),
    ("POST", "/phone/{a}/messages", {"to": "1@g.us", "text": "x"}, 422, "to"),
    ("POST", "/phone/{a}/messages", {"to": "\u0661" * 12 + "@g.us", "text": "x"}, 422, "to"),
    ("POST", "/phone/{a}/messages", {"to": "{b}", "text": "x", "id": "AB\n"}, 422, "id"),
    ("POST", "/phone/{a}/messages", {"to": "120363999999999999@g.us", "text": "x"}, 404, "to"),
    (
        "POST",
        "/phone/{a}/messages",
        {"to": "{b}", "media": {"type": "image", "mimetype": "image/png", "data": "@@"}},
        422,
        "data",
    ),
    ("POST", "/phone/{a}/link", {"qr": "only,three,parts"}, 422, "qr"),
    ("POST", "/phone/{a}/link", {"qr": "2@nope,a,b,c"}, 404, "qr"),
    ("POST", "/phone/{a}/link", {}, 422, "qr"),
    ("POST", "/phone/{a}/link-code", {"code": "ABC"}, 422, "code"),
    ("POST", "/phone/{a}/link-code", {"code": "ABCD-EFGH"}, 404, "code"),
    ("POST", "/phone/{a}/read", {"chat": "{b}"}, 404, "chat"),
    ("POST", "/phone/{a}/unlink", {"device": "nope"}, 404, "device"),
    ("POST", "/phone/19999999999/offline", None, 404, "number"),
    ("GET", "/phone/not-a-number/inbox", None, 422, "number"),
    ("PUT", "/phone/limits", {"ban_s": -1}, 422, "ban_s"),
    ("PUT", "/phone/limits", {"messages_per_min": "many"}, 422, "messages_per_min"),
    ("POST", "/phone/{a}/groups", {"subject": ""}, 422, "subject"),
    ("POST", "/phone/{a}/groups/join", {"code": "nothing"}, 404, "code"),
    ("GET", "/phone/{a}/groups/120363000000000000@g.us", None, 404, "jid"),
    ("POST", "/phone/{a}/react", {"chat": "{b}", "id": "NOPE", "text": "x"}, 404, "id"),
    ("GET", "/no/such/route", None, 404, None),
    ("DELETE", "/phone/accounts", None, 405, None),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "field"), BAD_REQUESTS)
async def test_bad_requests_get_a_problem_never_a_500(
    pages: Any,
    http: httpx.AsyncClient,
    method: str,
    path: str,
    body: Any,
    status: int,
    field: str | None,
) -> None:
    a, b = await pages.account("A"), await pages.account("B")

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("{a}", a).replace("{b}", b)
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        return value

    response = await http.request(method, fill(path), json=fill(body))
    assert response.status_code == status, response.text
    problem = response.json()
    assert {"type", "title", "detail", "status"} <= problem.keys()
    assert problem["status"] == status
    assert problem.get("field") == field


async def test_malformed_bodies(pages: Any, http: httpx.AsyncClient) -> None:
    a = await pages.account()
    bad_json = await http.post(
        f"/phone/{a}/messages", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert bad_json.status_code == 400
    assert bad_json.json()["type"].endswith("malformed-json")
    wrong_type = await http.post(f"/phone/{a}/messages", content=b"to=1", headers={})
    assert wrong_type.status_code == 415
    duplicate = await http.post("/phone/accounts", json={"number": a, "name": "again"})
    assert duplicate.status_code == 409


async def test_limits_can_be_read_and_changed(phone: PhoneClient, pages: Any) -> None:
    limits = await phone.set_limits(messages_per_min=5)
    assert limits["messages_per_min"] == 5
    assert limits["ban_s"] == 2.0


async def test_ban_answers_403_with_retry_after(pages: Any, phone: PhoneClient) -> None:
    a, b = await pages.account(), await pages.account()
    await phone.set_limits(messages_per_min=2, ban_s=30)
    await phone.send(a, b, "1")
    await phone.send(a, b, "2")
    with pytest.raises(PhoneApiError) as err:
        await phone.send(a, b, "3")
    assert err.value.status == 403
    assert err.value.problem["type"].endswith("account-banned")
    assert 29 <= err.value.problem["retry_after"] <= 30


async def test_media_by_phone(pages: Any, phone: PhoneClient, http: httpx.AsyncClient) -> None:
    a, b = await pages.account(), await pages.account()
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
    )
    await phone.send(a, b, "a dot", media=("image", "image/png", png), filename="dot.png")
    (msg,) = await phone.inbox(b)
    assert msg["type"] == "image"
    assert msg["text"] == "a dot"
    assert msg["media"]["mimetype"] == "image/png"
    assert msg["media"]["filename"] == "dot.png"
    fetched = await http.get(msg["media"]["url"])
    assert fetched.content == png
    assert fetched.headers["content-type"] == "image/png"
    uploaded = await http.post(
        "/media", content=b"%PDF-1", headers={"content-type": "application/pdf"}
    )
    assert uploaded.status_code == 201
    assert uploaded.json()["size"] == 6


async def test_edit_revoke_delete_react(pages: Any, phone: PhoneClient) -> None:
    a, b = await pages.account(), await pages.account()
    await phone.send(a, b, "first", id="M1")
    await phone.call("POST", f"/phone/{a}/edit", {"chat": b, "id": "M1", "text": "first!"})
    await phone.call("POST", f"/phone/{b}/react", {"chat": a, "id": "M1", "text": "👍"})
    (msg,) = await phone.inbox(b)
    assert msg["text"] == "first!"
    assert msg["edited"]
    assert msg["reactions"] == {f"{b}@c.us": "👍"}
    with pytest.raises(PhoneApiError) as err:
        await phone.call("POST", f"/phone/{b}/revoke", {"chat": a, "id": "M1"})
    assert err.value.status == 404
    await phone.call("POST", f"/phone/{a}/revoke", {"chat": b, "id": "M1"})
    assert (await phone.inbox(b))[0]["type"] == "revoked"
    await phone.call("POST", f"/phone/{b}/delete", {"chat": a, "id": "M1"})
    assert await phone.inbox(b) == []
    assert len(await phone.inbox(a)) == 1


async def test_state_file_keeps_accounts_across_restarts(tmp_path: Path) -> None:
    config = SandboxConfig(state_file=tmp_path / "net.json", persist_interval_s=0.05)
    async with SandboxServer(config) as first:
        client = PhoneClient(first.url)
        await client.create_account("15559990001", "Kept")
        await client.create_account("15559990002", "Also")
        await client.send("15559990001", "15559990002", "survives", id="S1")
        await client.aclose()
    async with SandboxServer(config) as second:
        client = PhoneClient(second.url)
        assert (await client.account("15559990001"))["name"] == "Kept"
        assert [m["text"] for m in await client.inbox("15559990002")] == ["survives"]
        assert (await client.send("15559990001", "15559990002", "x", id="S1"))["duplicate"]
        await client.aclose()


@pytest.mark.parametrize(
    ("declared", "path", "status"),
    [
        (b"\xb2", "/phone/accounts", 201),  # ignored: the body as read is measured
        (b"\xb2", "/media", 201),
        (b"9" * 5000, "/phone/accounts", 413),  # more digits than int() takes
        (b"9" * 5000, "/media", 413),
    ],
)
async def test_a_content_length_that_is_no_number_is_no_500(
    declared: bytes, path: str, status: int
) -> None:
    # Straight to the app: an HTTP parser in front would refuse the header itself. Starlette
    # decodes headers as Latin-1, where b"\xb2" is "²", a digit to str.isdigit but not to int.
    app = create_app(TEST_CONFIG)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport) as client:
        request = httpx.Request(
            "POST",
            f"http://sandbox{path}",
            headers=[(b"content-type", b"application/json"), (b"content-length", declared)],
            content=b'{"number": "15557770001", "name": "Sup"}',
        )
        response = await client.send(request)
    assert response.status_code == status, response.text
