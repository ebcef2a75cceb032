"""Rate limits per tenant and per session: 429 with Retry-After past the burst, then recovery."""

from __future__ import annotations

import asyncio
import uuid

from gateway.ratelimit import RateLimits
from tests.gateway.support import auth, gateway_client, new_session_id
from wastream.settings import Settings

MESSAGE = {"to": "4915112345678", "text": "hi"}


async def test_session_limit_answers_429_then_recovers(gateway_settings: Settings) -> None:
    settings = gateway_settings.model_copy(
        update={"rate_session_per_s": 0.5, "rate_session_burst": 3}
    )
    tenant = f"rl-{uuid.uuid4().hex[:8]}"
    headers = auth(settings, tenant)
    async with gateway_client(settings) as client:
        sid = new_session_id("rl")
        assert (
            await client.post("/v1/sessions", json={"session_id": sid}, headers=headers)
        ).status_code == 202
        url = f"/v1/sessions/{sid}/messages"
        # concurrent requests reach Redis together: no refill between them
        responses = await asyncio.gather(
            *(client.post(url, json=MESSAGE, headers=headers) for _ in range(6))
        )
        statuses = sorted(response.status_code for response in responses)
        assert 1 <= statuses.count(202) <= 3, statuses
        assert statuses.count(429) == 6 - statuses.count(202), statuses
        limited = next(response for response in responses if response.status_code == 429)
        assert limited.headers["content-type"] == "application/problem+json"
        retry_after = int(limited.headers["retry-after"])
        assert 1 <= retry_after <= 2
        # another session of the same tenant is not limited by this one's rate
        other = new_session_id("rl")
        assert (
            await client.post("/v1/sessions", json={"session_id": other}, headers=headers)
        ).status_code == 202
        await asyncio.sleep(retry_after)
        assert (await client.post(url, json=MESSAGE, headers=headers)).status_code == 202


async def test_tenant_limit_spans_sessions_and_instances(gateway_settings: Settings) -> None:
    settings = gateway_settings.model_copy(
        update={"rate_tenant_per_s": 0.1, "rate_tenant_burst": 4}
    )
    tenant = f"rl-{uuid.uuid4().hex[:8]}"
    headers = auth(settings, tenant)
    # two gateway instances share the limit through Redis
    async with gateway_client(settings) as first, gateway_client(settings) as second:
        statuses = []
        for n in range(6):
            client = first if n % 2 == 0 else second
            response = await client.post(
                "/v1/sessions", json={"session_id": new_session_id("rlt")}, headers=headers
            )
            statuses.append(response.status_code)
        assert statuses == [202, 202, 202, 202, 429, 429]


def test_limits_as_script_arguments() -> None:
    limits = RateLimits(tenant_per_s=200.0, tenant_burst=400, session_per_s=0.5, session_burst=2)
    assert limits.script_args() == [5_000, 2_000_000, 2_000_000, 4_000_000]
