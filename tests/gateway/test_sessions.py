"""Session ownership: a session id belongs to the tenant that created it."""

from __future__ import annotations

import time

import httpx
import redis.asyncio as aioredis

from gateway.sessions import owner_key
from schemas.codec import AvroCodec
from streams.readers import session_key
from tests.gateway.support import auth, gateway_client, new_session_id
from wastream.settings import Settings
from wastream.stack import free_port


async def test_ownership(client: httpx.AsyncClient, gateway_settings: Settings) -> None:
    acme = auth(gateway_settings, "acme")
    globex = auth(gateway_settings, "globex")
    sid = new_session_id("own")
    message = {"to": "4915112345678", "text": "hi"}

    response = await client.post(f"/v1/sessions/{sid}/messages", json=message, headers=acme)
    assert response.status_code == 404
    assert response.json()["field"] == "session_id"
    assert "POST /v1/sessions" in response.json()["detail"]

    assert (
        await client.post("/v1/sessions", json={"session_id": sid}, headers=acme)
    ).status_code == 202
    # starting it again is the owner's right
    assert (
        await client.post("/v1/sessions", json={"session_id": sid}, headers=acme)
    ).status_code == 202

    response = await client.post("/v1/sessions", json={"session_id": sid}, headers=globex)
    assert response.status_code == 409
    assert response.json()["field"] == "session_id"

    for method, path, body in (
        ("POST", f"/v1/sessions/{sid}/messages", message),
        ("POST", f"/v1/sessions/{sid}/stop", None),
        ("DELETE", f"/v1/sessions/{sid}/groups/120363012345678901@g.us", None),
        ("GET", f"/v1/sessions/{sid}", None),
    ):
        response = await client.request(method, path, json=body, headers=globex)
        assert response.status_code == 403, (path, response.text)
        assert "another tenant" in response.json()["detail"]

    response = await client.post(f"/v1/sessions/{sid}/messages", json=message, headers=acme)
    assert response.status_code == 202


async def test_a_claim_redis_lost_comes_back_from_the_sessions_table(
    client: httpx.AsyncClient, gateway_settings: Settings
) -> None:
    acme = auth(gateway_settings, "acme")
    globex = auth(gateway_settings, "globex")
    message = {"to": "4915112345678", "text": "hi"}
    known, unknown = new_session_id("lost"), new_session_id("never")
    for sid in (known, unknown):
        response = await client.post("/v1/sessions", json={"session_id": sid}, headers=acme)
        assert response.status_code == 202
    snapshot = {
        "session_id": known,
        "tenant_id": "acme",
        "state": "READY",
        "desired": "RUNNING",
        "pairing": "QR",
        "updated_at": int(time.time() * 1000),
    }
    redis = aioredis.Redis.from_url(gateway_settings.redis_url)
    try:
        # The workers' table has a row for one session only; Redis then loses both claims.
        await redis.set(session_key(known), AvroCodec().encode("SessionSnapshot", snapshot))
        await redis.delete(owner_key(known), owner_key(unknown))

        response = await client.get(f"/v1/sessions/{known}", headers=acme)
        assert response.status_code == 200, response.text
        assert response.json()["state"] == "READY"
        await redis.delete(owner_key(known))
        response = await client.post(f"/v1/sessions/{known}/messages", json=message, headers=globex)
        assert response.status_code == 403, response.text
        assert await redis.get(owner_key(known)) == b"acme"
        response = await client.post(f"/v1/sessions/{known}/messages", json=message, headers=acme)
        assert response.status_code == 202, response.text
        # Without a row the session is unknown: its claim cannot come back.
        response = await client.post(f"/v1/sessions/{unknown}/messages", json=message, headers=acme)
        assert response.status_code == 404
        assert await redis.get(owner_key(unknown)) is None
    finally:
        await redis.aclose()


async def test_read_endpoints_answer_404_until_workers_write_state(
    client: httpx.AsyncClient, gateway_settings: Settings
) -> None:
    acme = auth(gateway_settings, "acme", ["sessions:write", "sessions:read"])
    sid = new_session_id("read")
    assert (await client.get(f"/v1/sessions/{sid}", headers=acme)).status_code == 404
    response = await client.post("/v1/sessions", json={"session_id": sid}, headers=acme)
    command_id = response.json()["command_id"]
    for path in (
        f"/v1/sessions/{sid}",
        f"/v1/sessions/{sid}/qr",
        f"/v1/sessions/{sid}/qr?format=text",
        f"/v1/commands/{command_id}",
    ):
        response = await client.get(path, headers=acme)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
        assert "yet" in response.json()["detail"]
    response = await client.get(f"/v1/sessions/{sid}/qr?format=svg", headers=acme)
    assert response.status_code == 422
    assert response.json()["field"] == "format"
    # reading needs sessions:read
    writer = auth(gateway_settings, "acme", ["sessions:write"])
    assert (await client.get(f"/v1/sessions/{sid}", headers=writer)).status_code == 403


async def test_redis_down_answers_503_quickly(gateway_settings: Settings) -> None:
    settings = gateway_settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"}
    )
    async with gateway_client(settings) as client:
        started = time.monotonic()
        response = await client.post(
            "/v1/sessions",
            json={"session_id": new_session_id()},
            headers=auth(settings, "acme"),
        )
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        assert time.monotonic() - started < 5
        assert (await client.get("/readyz")).status_code == 503
