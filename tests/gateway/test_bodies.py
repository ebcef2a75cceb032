"""Bad input answers its 4xx with a problem naming the field, before Kafka or Redis is touched."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.bodies import BroadcastBody, MediaBody, MessageBody, ScrapeBody
from tests.gateway.support import auth
from wastream.settings import Settings

SID = "/v1/sessions/s1"


@pytest.fixture(scope="module")
def headers(offline_settings: Settings) -> dict[str, str]:
    return auth(offline_settings, "acme")


def _problem(response: httpx.Response, status: int, field: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["type"].startswith("urn:wastream:problem:")
    assert problem["title"]
    assert problem["detail"]
    assert problem["field"] == field, problem
    return problem


TEXT = {"to": "4915112345678", "text": "hello"}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (SID + "/messages", {**TEXT, "colour": "red"}, "colour"),
        (SID + "/messages", {**TEXT, "text": 5}, "text"),
        (SID + "/messages", {**TEXT, "to": 4915112345678}, "to"),
        (SID + "/messages", {**TEXT, "to": "+4915112345678"}, "to"),
        (SID + "/messages", {**TEXT, "to": "123456"}, "to"),
        (SID + "/messages", {**TEXT, "to": "1234567890123456"}, "to"),
        (SID + "/messages", {**TEXT, "to": "4915112345678@s.whatsapp.net"}, "to"),
        (SID + "/messages", {**TEXT, "to": "abc@g.us"}, "to"),
        (SID + "/messages", {**TEXT, "text": ""}, "text"),
        (SID + "/messages", {**TEXT, "text": "x" * 65_537}, "text"),
        (SID + "/messages", {"to": "4915112345678"}, "text"),
        (SID + "/messages", {**TEXT, "caption": "c"}, "caption"),
        (SID + "/messages", {**TEXT, "mentions": ["1234567"] * 4}, "mentions"),
        (SID + "/messages", {**TEXT, "mentions": ["120363012345678901@g.us"]}, "mentions.0"),
        (SID + "/messages", {**TEXT, "ttl_s": 0}, "ttl_s"),
        (SID + "/messages", {**TEXT, "ttl_s": "60"}, "ttl_s"),
        (SID + "/messages", {**TEXT, "ttl_s": 60.5}, "ttl_s"),
        (SID + "/messages", {**TEXT, "ttl_s": True}, "ttl_s"),
        (SID + "/messages", {"to": "4915112345678", "media": {"kind": "image"}}, "media.url"),
        (
            SID + "/messages",
            {
                "to": "4915112345678",
                "media": {"kind": "image", "url": "https://x.test/a", "data": "aGk="},
            },
            "media.url",
        ),
        (
            SID + "/messages",
            {"to": "4915112345678", "media": {"kind": "gif", "url": "https://x.test/a"}},
            "media.kind",
        ),
        (
            SID + "/messages",
            {"to": "4915112345678", "media": {"kind": "image", "url": "ftp://x.test/a"}},
            "media.url",
        ),
        (
            SID + "/messages",
            {"to": "4915112345678", "media": {"kind": "image", "data": "not base64!"}},
            "media.data",
        ),
        (SID + "/broadcasts", {"recipients": ["1234567"] * 4, "text": "hi"}, "recipients"),
        (SID + "/broadcasts", {"recipients": [], "text": "hi"}, "recipients"),
        (SID + "/broadcasts", {"recipients": ["1234567"], "text": "hi", "pace_ms": -1}, "pace_ms"),
        (SID + "/contacts/check", {"numbers": ["1234567@c.us"]}, "numbers.0"),
        (SID + "/contacts/check", {"numbers": ["1234567"] * 4}, "numbers"),
        (SID + "/groups", {"subject": "", "participants": ["1234567"]}, "subject"),
        (SID + "/groups", {"subject": "g", "participants": ["1234567"] * 4}, "participants"),
        (
            SID + "/groups/120363012345678901@g.us/participants",
            {"action": "kick", "participants": ["1234567"]},
            "action",
        ),
        (SID + "/reactions", {"message_id": "", "emoji": "👍"}, "message_id"),
        (SID + "/read", {"chat": "nobody"}, "chat"),
        (SID + "/scrapes", {"kind": "group_members"}, "chat"),
        (SID + "/scrapes", {"kind": "messages", "limit": 0}, "limit"),
        (SID + "/scrapes", {"kind": "messages", "limit": 0.0}, "limit"),
        (SID + "/scrapes", {"kind": "messages", "limit": 1.5}, "limit"),
        # past Avro's long: refused here, not a failure to encode after admission
        (SID + "/scrapes", {"kind": "messages", "since": 2**63}, "since"),
        (SID + "/stop", {"force": True}, "force"),
        ("/v1/sessions", {"session_id": "-bad"}, "session_id"),
        ("/v1/sessions", {"session_id": "ok", "pairing": "code"}, "phone"),
        (
            "/v1/sessions",
            {"session_id": "ok", "pairing": "sms", "phone": "4915112345678"},
            "pairing",
        ),
        ("/v1/sessions", {}, "session_id"),
    ],
)
async def test_invalid_fields_answer_422_naming_the_field(
    offline_client: httpx.AsyncClient,
    headers: dict[str, str],
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    _problem(await offline_client.post(path, json=body, headers=headers), 422, field)


async def test_patch_needs_a_change(
    offline_client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await offline_client.patch(
        SID + "/groups/120363012345678901@g.us", json={}, headers=headers
    )
    _problem(response, 422, "subject")


async def test_invalid_path_parameters(
    offline_client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await offline_client.post("/v1/sessions/-x/messages", json=TEXT, headers=headers)
    _problem(response, 422, "session_id")
    response = await offline_client.delete(SID + "/groups/not-a-group", headers=headers)
    _problem(response, 422, "gid")
    response = await offline_client.get("/v1/commands/nope", headers=headers)
    _problem(response, 422, "command_id")


async def test_malformed_json_is_400(
    offline_client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await offline_client.post(
        SID + "/messages",
        content=b'{"to": "4915112345678", "text": ',
        headers={**headers, "Content-Type": "application/json"},
    )
    _problem(response, 400, None)


async def test_a_body_that_is_not_an_object_is_422(
    offline_client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await offline_client.post(SID + "/messages", json=[TEXT], headers=headers)
    _problem(response, 422, None)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
async def test_wrong_content_type_is_415(
    offline_client: httpx.AsyncClient, headers: dict[str, str], content_type: str
) -> None:
    response = await offline_client.post(
        SID + "/messages",
        content=b'{"to": "4915112345678", "text": "hi"}',
        headers={**headers, "Content-Type": content_type},
    )
    _problem(response, 415, "Content-Type")


async def test_a_body_without_content_type_is_415(
    offline_client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await offline_client.post(
        SID + "/messages", content=b'{"to": "4915112345678", "text": "hi"}', headers=headers
    )
    _problem(response, 415, "Content-Type")


async def test_inline_media_over_the_limit_is_413(
    offline_client: httpx.AsyncClient, headers: dict[str, str], offline_settings: Settings
) -> None:
    data = base64.b64encode(b"x" * (offline_settings.max_media_bytes + 1)).decode()
    body = {"to": "4915112345678", "media": {"kind": "image", "data": data}}
    problem = _problem(
        await offline_client.post(SID + "/messages", json=body, headers=headers), 413, "media.data"
    )
    assert str(offline_settings.max_media_bytes) in problem["detail"]


class _Chunks:
    """A request body that counts how much of it the server pulled."""

    def __init__(self, chunks: int, size: int) -> None:
        self.pulled = 0
        self._chunks = chunks
        self._size = size

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self._chunks):
            self.pulled += 1
            yield b" " * self._size


async def test_a_declared_length_over_the_limit_is_413_before_reading(
    offline_client: httpx.AsyncClient, headers: dict[str, str], offline_settings: Settings
) -> None:
    body = _Chunks(chunks=400, size=1024)
    response = await offline_client.post(
        SID + "/messages",
        content=body,
        headers={
            **headers,
            "Content-Type": "application/json",
            "Content-Length": str(400 * 1024),
        },
    )
    _problem(response, 413, "body")
    assert body.pulled <= 1


async def test_a_streamed_body_over_the_limit_is_413_once_it_passes(
    offline_client: httpx.AsyncClient, headers: dict[str, str], offline_settings: Settings
) -> None:
    body = _Chunks(chunks=400, size=1024)
    response = await offline_client.post(
        SID + "/messages",
        content=body,
        headers={**headers, "Content-Type": "application/json"},
    )
    _problem(response, 413, "body")
    assert body.pulled <= offline_settings.max_body_bytes // 1024 + 2


def test_models_accept_exactly_the_documented_shapes() -> None:
    context = {"max_recipients": 256, "max_media_bytes": 16}
    message = MessageBody.model_validate_json(
        b'{"to": "120363012345678901@g.us", "media": {"kind": "audio", "data": "AAEC"},'
        b' "caption": "c", "mentions": ["4915112345678@c.us"]}',
        context=context,
    )
    assert message.media is not None
    assert message.media.data == b"\x00\x01\x02"
    for encoded in (b"+//+Pj8=", b"-__-Pj8=", b"+//+Pj8"):
        media = MediaBody.model_validate_json(
            b'{"kind": "image", "data": "' + encoded + b'"}', context=context
        )
        assert media.data == bytes([251, 255, 254, 62, 63])
    broadcast = BroadcastBody.model_validate_json(
        b'{"recipients": ["1234567", "1234567@c.us", "4915112345678-1600000000@g.us"],'
        b' "text": "t"}',
        context=context,
    )
    assert len(broadcast.recipients) == 3
    scrape = ScrapeBody.model_validate_json(b'{"kind": "chats"}', context=context)
    assert scrape.chat is None


@pytest.mark.parametrize("number", [b"60", b"60.0", b"6e1", b"6.0E+1"])
def test_integers_are_json_numbers_without_a_fraction(number: bytes) -> None:
    # JSON Schema's "integer", as the document says: 60.0 is 60 (an int, as Avro's long needs).
    context = {"max_recipients": 256, "max_media_bytes": 16}
    scrape = ScrapeBody.model_validate_json(
        b'{"kind": "messages", "limit": %b, "since": %b, "ttl_s": %b}' % (number, number, number),
        context=context,
    )
    broadcast = BroadcastBody.model_validate_json(
        b'{"recipients": ["1234567"], "text": "t", "pace_ms": %b}' % number, context=context
    )
    values = [scrape.limit, scrape.since, scrape.ttl_s, broadcast.pace_ms]
    assert values == [60, 60, 60, 60]
    assert all(type(value) is int for value in values)
