"""Every command endpoint publishes exactly the command it was sent, read back from Kafka."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from gateway.commands import trace_id_from
from tests.gateway.support import CommandLog, auth, new_session_id
from wastream.settings import Settings

GROUP = "120363012345678901@g.us"


def _cases(sid: str) -> list[tuple[str, str, dict[str, Any] | None, str, dict[str, Any]]]:
    """(method, path, body, payload record, payload datum expected on Kafka)."""
    s = f"/v1/sessions/{sid}"
    g = f"{s}/groups/{GROUP}"
    media_b64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    return [
        (
            "POST",
            "/v1/sessions",
            {"session_id": sid, "pairing": "code", "phone": "4915112345678"},
            "StartSession",
            {"pairing": "CODE", "phone": "4915112345678"},
        ),
        ("POST", f"{s}/stop", None, "StopSession", {}),
        ("POST", f"{s}/logout", {"ttl_s": 30}, "LogoutSession", {}),
        (
            "POST",
            f"{s}/messages",
            {
                "to": "4915112345678",
                "text": "héllo 👋 world",
                "reply_to": "true_1@c.us_ABC",
                "mentions": ["4915112345679@c.us"],
            },
            "SendMessage",
            {
                "to": "4915112345678",
                "text": "héllo 👋 world",
                "reply_to": "true_1@c.us_ABC",
                "mentions": ["4915112345679@c.us"],
            },
        ),
        (
            "POST",
            f"{s}/messages",
            {
                "to": GROUP,
                "media": {
                    "kind": "image",
                    "mimetype": "image/png",
                    "filename": "a.png",
                    "data": media_b64,
                },
                "caption": "look",
            },
            "SendMedia",
            {
                "to": GROUP,
                "media": {
                    "kind": "IMAGE",
                    "mimetype": "image/png",
                    "filename": "a.png",
                    "url": None,
                    "data": bytes(range(32)),
                },
                "caption": "look",
                "reply_to": None,
                "mentions": [],
            },
        ),
        (
            "POST",
            f"{s}/messages",
            {
                "to": "4915112345678@c.us",
                "media": {"kind": "document", "url": "https://files.test/report.pdf"},
            },
            "SendMedia",
            {
                "to": "4915112345678@c.us",
                "media": {
                    "kind": "DOCUMENT",
                    "mimetype": None,
                    "filename": None,
                    "url": "https://files.test/report.pdf",
                    "data": None,
                },
                "caption": None,
                "reply_to": None,
                "mentions": [],
            },
        ),
        (
            "POST",
            f"{s}/reactions",
            {"message_id": "true_1@c.us_ABC", "emoji": "👍"},
            "SendReaction",
            {"message_id": "true_1@c.us_ABC", "emoji": "👍"},
        ),
        (
            "POST",
            f"{s}/reactions",
            {"message_id": "true_1@c.us_ABC", "emoji": ""},
            "SendReaction",
            {"message_id": "true_1@c.us_ABC", "emoji": ""},
        ),
        ("POST", f"{s}/read", {"chat": GROUP}, "MarkRead", {"chat": GROUP}),
        (
            "POST",
            f"{s}/contacts/check",
            {"numbers": ["4915112345678", "14155550100"]},
            "CheckNumbers",
            {"numbers": ["4915112345678", "14155550100"]},
        ),
        (
            "POST",
            f"{s}/groups",
            {"subject": "Team ✨", "participants": ["4915112345678"]},
            "CreateGroup",
            {"subject": "Team ✨", "participants": ["4915112345678"]},
        ),
        (
            "POST",
            f"{g}/participants",
            {"action": "promote", "participants": ["4915112345678"]},
            "UpdateGroupParticipants",
            {"group": GROUP, "action": "PROMOTE", "participants": ["4915112345678"]},
        ),
        (
            "PATCH",
            g,
            {"description": ""},
            "UpdateGroupInfo",
            {"group": GROUP, "subject": None, "description": ""},
        ),
        ("POST", f"{g}/invite", None, "GetGroupInvite", {"group": GROUP}),
        ("DELETE", g, None, "LeaveGroup", {"group": GROUP}),
        (
            "POST",
            f"{s}/broadcasts",
            {"recipients": ["4915112345678", GROUP], "text": "news", "pace_ms": 1500},
            "Broadcast",
            {
                "recipients": ["4915112345678", GROUP],
                "text": "news",
                "media": None,
                "caption": None,
                "pace_ms": 1500,
            },
        ),
        (
            "POST",
            f"{s}/scrapes",
            {"kind": "messages", "chat": GROUP, "since": 1700000000000, "limit": 50},
            "Scrape",
            {"kind": "MESSAGES", "chat": GROUP, "since": 1700000000000, "limit": 50},
        ),
        (
            "POST",
            f"{s}/scrapes",
            {"kind": "contacts"},
            "Scrape",
            {"kind": "CONTACTS", "chat": None, "since": None, "limit": None},
        ),
    ]


async def test_each_command_lands_on_kafka_with_exactly_the_fields_sent(
    client: httpx.AsyncClient, gateway_settings: Settings, command_log: CommandLog
) -> None:
    sid = new_session_id("cmd")
    headers = auth(gateway_settings, "acme")
    accepted: list[tuple[str, str, dict[str, Any], float, int | None]] = []
    for method, path, body, name, datum in _cases(sid):
        before = time.time() * 1000
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 202, (path, response.text)
        answer = response.json()
        assert answer["session_id"] == sid
        assert response.headers["location"] == f"/v1/commands/{answer['command_id']}"
        ttl = (body or {}).get("ttl_s")
        accepted.append((answer["command_id"], name, datum, before, ttl))
    for command_id, name, datum, before, ttl in accepted:
        records = await command_log.find(command_id)
        assert len(records) == 1
        record = records[0]
        assert record.key == sid.encode()
        envelope = record.envelope
        assert envelope["payload"] == (name, datum)
        assert envelope["session_id"] == sid
        assert envelope["tenant_id"] == "acme"
        assert envelope["attempt"] == 1
        assert envelope["source"] == "gateway"
        assert before - 1 <= envelope["issued_at"] <= time.time() * 1000 + 1
        lifetime = (ttl or gateway_settings.command_ttl_s) * 1000
        assert envelope["expires_at"] - envelope["issued_at"] == lifetime
        assert len(envelope["trace_id"]) == 32


async def test_trace_id_comes_from_traceparent(
    client: httpx.AsyncClient, gateway_settings: Settings, command_log: CommandLog
) -> None:
    sid = new_session_id("trace")
    headers = auth(gateway_settings, "acme")
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    response = await client.post(
        "/v1/sessions",
        json={"session_id": sid},
        headers={**headers, "traceparent": f"00-{trace}-00f067aa0ba902b7-01"},
    )
    assert response.status_code == 202
    (record,) = await command_log.find(response.json()["command_id"])
    assert record.envelope["trace_id"] == trace
    assert record.envelope["payload"] == ("StartSession", {"pairing": "QR", "phone": None})


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
            "4bf92f3577b34da6a3ce929d0e0e4736",
        ),
        ({"traceparent": "garbage", "x-trace-id": "req-42"}, "req-42"),
        ({"traceparent": "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}, None),
        ({"x-trace-id": "has spaces"}, None),
    ],
)
def test_trace_id_from_headers(headers: dict[str, str], expected: str | None) -> None:
    trace_id = trace_id_from(headers)
    if expected is None:
        assert len(trace_id) == 32
        assert trace_id != "0" * 32
    else:
        assert trace_id == expected
