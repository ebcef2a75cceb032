"""``Idempotency-Key``: one record and one command id per key and tenant."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from gateway.idempotency import IdempotencyClaim, parse_idempotency_key
from gateway.problems import Problem
from tests.gateway.support import CommandLog, auth, new_session_id
from wastream.settings import Settings

MESSAGE = {"to": "4915112345678", "text": "only once"}


@pytest.fixture
async def session(client: httpx.AsyncClient, gateway_settings: Settings) -> str:
    sid = new_session_id("idem")
    response = await client.post(
        "/v1/sessions", json={"session_id": sid}, headers=auth(gateway_settings, "acme")
    )
    assert response.status_code == 202
    return sid


async def test_sequential_repeats_return_the_same_command_and_publish_once(
    client: httpx.AsyncClient, gateway_settings: Settings, command_log: CommandLog, session: str
) -> None:
    headers = {**auth(gateway_settings, "acme"), "Idempotency-Key": uuid.uuid4().hex}
    url = f"/v1/sessions/{session}/messages"
    first = await client.post(url, json=MESSAGE, headers=headers)
    assert first.status_code == 202
    assert "idempotent-replayed" not in first.headers
    command_id = first.json()["command_id"]
    for _ in range(3):
        again = await client.post(url, json=MESSAGE, headers=headers)
        assert again.status_code == 202
        assert again.json() == first.json()
        assert again.headers["idempotent-replayed"] == "true"
    await command_log.find(command_id)
    await command_log.settle(1.0)
    assert len(command_log.records[command_id]) == 1
    # another key is another command
    other = await client.post(url, json=MESSAGE, headers={**headers, "Idempotency-Key": "k2"})
    assert other.json()["command_id"] != command_id


async def test_concurrent_duplicates_publish_one_record(
    client: httpx.AsyncClient, gateway_settings: Settings, command_log: CommandLog, session: str
) -> None:
    headers = {**auth(gateway_settings, "acme"), "Idempotency-Key": uuid.uuid4().hex}
    url = f"/v1/sessions/{session}/messages"
    responses = await asyncio.gather(
        *(client.post(url, json=MESSAGE, headers=headers) for _ in range(20))
    )
    assert {response.status_code for response in responses} == {202}
    command_ids = {response.json()["command_id"] for response in responses}
    assert len(command_ids) == 1
    (command_id,) = command_ids
    await command_log.find(command_id)
    await command_log.settle(1.0)
    assert len(command_log.records[command_id]) == 1
    messages = [
        record
        for records in command_log.records.values()
        for record in records
        if record.envelope["session_id"] == session
        and record.envelope["payload"][0] == "SendMessage"
    ]
    assert len(messages) == 1


async def test_keys_are_scoped_by_tenant(
    client: httpx.AsyncClient, gateway_settings: Settings
) -> None:
    key = uuid.uuid4().hex
    ids = []
    for tenant in ("acme", "globex"):
        sid = new_session_id(tenant)
        headers = {**auth(gateway_settings, tenant), "Idempotency-Key": key}
        response = await client.post("/v1/sessions", json={"session_id": sid}, headers=headers)
        assert response.status_code == 202
        ids.append(response.json()["command_id"])
    assert ids[0] != ids[1]


async def test_reusing_a_key_for_another_request_is_422(
    client: httpx.AsyncClient, gateway_settings: Settings, session: str
) -> None:
    headers = {**auth(gateway_settings, "acme"), "Idempotency-Key": uuid.uuid4().hex}
    url = f"/v1/sessions/{session}/messages"
    assert (await client.post(url, json=MESSAGE, headers=headers)).status_code == 202
    response = await client.post(url, json={**MESSAGE, "text": "different"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["field"] == "Idempotency-Key"


def test_key_format() -> None:
    assert parse_idempotency_key(None) is None
    assert parse_idempotency_key("order-42") == "order-42"
    for bad in ("", "has space", "x" * 256, "naïve"):
        with pytest.raises(Problem) as caught:
            parse_idempotency_key(bad)
        assert caught.value.status == 422
        assert caught.value.field == "Idempotency-Key"


def test_claims_hash_the_whole_request() -> None:
    a = IdempotencyClaim("acme", "k", "POST", "/v1/sessions/a/read", b'{"chat":"1234567"}')
    b = IdempotencyClaim("acme", "k", "POST", "/v1/sessions/b/read", b'{"chat":"1234567"}')
    c = IdempotencyClaim("acme", "k", "POST", "/v1/sessions/a/read", b'{"chat":"7654321"}')
    assert a.key == b.key == "wastream:idem:acme:k"
    assert len({a.request_hash, b.request_hash, c.request_hash}) == 3
