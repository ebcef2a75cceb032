"""Kafka stopped: commands answer 503 quickly and are never stored later; Kafka back: 202.

This module stops and restarts the shared broker, so it runs last (see conftest.py).
"""

from __future__ import annotations

import asyncio
import time
import uuid

from tests.gateway.support import CommandLog, auth, gateway_client, new_session_id
from wastream.settings import Settings
from wastream.stack import LocalStack

MESSAGE = {"to": "4915112345678", "text": "during the outage"}


async def test_kafka_outage_answers_503_then_recovers(
    stack: LocalStack, gateway_settings: Settings, command_log: CommandLog
) -> None:
    settings = gateway_settings.model_copy(update={"publish_timeout_s": 2.0})
    headers = auth(settings, "acme")
    key = uuid.uuid4().hex
    async with gateway_client(settings) as client:
        sid = new_session_id("outage")
        assert (
            await client.post("/v1/sessions", json={"session_id": sid}, headers=headers)
        ).status_code == 202
        url = f"/v1/sessions/{sid}/messages"

        await asyncio.to_thread(stack.kafka.stop)
        refused: list[tuple[str, bool]] = []
        try:
            for n in range(4):
                started = time.monotonic()
                extra = {"Idempotency-Key": key} if n == 0 else {}
                response = await client.post(url, json=MESSAGE, headers={**headers, **extra})
                elapsed = time.monotonic() - started
                assert response.status_code == 503, response.text
                assert int(response.headers["retry-after"]) >= 1
                # never a hang: at most the publish timeout and its grace
                assert elapsed < settings.publish_timeout_s + 1.5, elapsed
                problem = response.json()
                refused.append((problem["command_id"], problem["possibly_stored"]))
            idempotent_id = refused[0][0]
            assert (await client.get("/readyz")).status_code == 503
        finally:
            await asyncio.to_thread(stack.kafka.start)

        deadline = time.monotonic() + 60
        while True:
            response = await client.post(
                url, json=MESSAGE, headers={**headers, "Idempotency-Key": key}
            )
            if response.status_code == 202 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        assert response.status_code == 202, response.text
        # the retry of the failed idempotent request keeps its command id
        assert response.json()["command_id"] == idempotent_id
        after = await client.post(url, json=MESSAGE, headers=headers)
        assert after.status_code == 202
        assert len(await command_log.find(after.json()["command_id"], timeout_s=30)) == 1
        for _ in range(20):
            if (await client.get("/readyz")).status_code == 200:
                break
            await asyncio.sleep(0.5)
        assert (await client.get("/readyz")).status_code == 200

    # what was refused is not stored later (only a record in flight at the timeout might be)
    await command_log.settle(3.0)
    assert len(command_log.records[idempotent_id]) == 1
    for command_id, possibly_stored in refused[1:]:
        if not possibly_stored:
            assert command_id not in command_log.records
