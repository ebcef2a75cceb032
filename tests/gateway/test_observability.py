"""``/healthz``, ``/readyz`` and ``/metrics``."""

from __future__ import annotations

import httpx

from tests.gateway.support import auth, gateway_client, new_session_id
from wastream.settings import Settings
from wastream.stack import free_port


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {"kafka": True, "redis": True}


async def test_readiness_fails_without_kafka(gateway_settings: Settings) -> None:
    settings = gateway_settings.model_copy(update={"kafka_bootstrap": f"127.0.0.1:{free_port()}"})
    async with gateway_client(settings) as client:
        assert (await client.get("/healthz")).status_code == 200
        response = await client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"] == {"kafka": False, "redis": True}


async def test_metrics_count_requests_by_route_template(
    client: httpx.AsyncClient, gateway_settings: Settings
) -> None:
    headers = auth(gateway_settings, "acme")
    sid = new_session_id("metrics")
    await client.post("/v1/sessions", json={"session_id": sid}, headers=headers)
    await client.post(f"/v1/sessions/{sid}/read", json={"chat": "1234567"}, headers=headers)
    await client.post(f"/v1/sessions/{sid}/read", json={"chat": "x"}, headers=headers)
    await client.get("/nowhere")
    text = (await client.get("/metrics")).text
    assert (
        'wastream_gateway_requests_total{method="POST",route="/v1/sessions/{sid}/read",'
        'status="202"}' in text
    )
    assert 'route="/v1/sessions/{sid}/read",status="422"' in text
    assert 'route="unmatched",status="404"' in text
    assert (
        'wastream_gateway_request_duration_seconds_bucket{le="0.025",route="/v1/sessions"}' in text
    )
    assert sid not in text
