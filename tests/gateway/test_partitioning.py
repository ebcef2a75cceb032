"""Records are keyed by session id: one session always lands on one partition, sessions spread."""

from __future__ import annotations

import asyncio

import httpx

from tests.gateway.support import CommandLog, auth, new_session_id
from wastream.partitioning import partition_for
from wastream.settings import Settings


async def test_same_session_same_partition_and_sessions_spread(
    client: httpx.AsyncClient, gateway_settings: Settings, command_log: CommandLog
) -> None:
    headers = auth(gateway_settings, "acme")
    sessions = [new_session_id("part") for _ in range(24)]
    created = await asyncio.gather(
        *(
            client.post("/v1/sessions", json={"session_id": sid}, headers=headers)
            for sid in sessions
        )
    )
    assert all(response.status_code == 202 for response in created)
    sent: dict[str, list[str]] = {sid: [] for sid in sessions}
    for sid in sessions:
        for n in range(3):
            response = await client.post(
                f"/v1/sessions/{sid}/messages",
                json={"to": "4915112345678", "text": f"m{n}"},
                headers=headers,
            )
            assert response.status_code == 202
            sent[sid].append(response.json()["command_id"])
    partitions_used: set[int] = set()
    for sid, command_ids in sent.items():
        partitions = {(await command_log.find(cid))[0].partition for cid in command_ids}
        assert len(partitions) == 1, (sid, partitions)
        (partition,) = partitions
        # the same hash as the Java clients and aiokafka, which the workers use
        assert partition == partition_for(sid, gateway_settings.partitions)
        partitions_used.add(partition)
    assert len(partitions_used) >= min(gateway_settings.partitions, 24) // 2
