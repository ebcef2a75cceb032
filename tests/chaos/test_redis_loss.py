"""Redis killed and restarted empty under traffic: the sessions keep running, no command is lost
or duplicated, the sessions table's rows come back (from the running worker, else from the
changelog on the next assignment), and a fresh worker restores every login from the
``wa.vault-backup`` topic (Redis lost the vault) without a QR."""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
import redis.asyncio as aioredis
import redis.exceptions

from schemas.codec import AvroCodec
from streams.readers import read_session
from tests.chaos.support import Fleet, Report, Traffic, tally
from tests.e2e.support import Pipeline, kind_is
from wastream.stack import LocalStack

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(300)]

DOWN_S = 5.0
#: The store renews its marker every 2 s; rows are back well within this after Redis returns.
REWRITE_BOUND_S = 6.0
codec = AvroCodec()


async def _snapshots(client: aioredis.Redis, session_ids: list[str], timeout_s: float) -> int:
    """How many of the sessions' rows are readable (in READY) within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        rows = [await read_session(client, codec, sid) for sid in session_ids]
        ready = sum(1 for row in rows if row is not None and row["state"] == "READY")
        if ready == len(session_ids) or time.monotonic() > deadline:
            return ready
        await asyncio.sleep(0.5)


async def test_redis_restarted_empty_under_traffic(
    pipeline: Pipeline,
    fleet: Fleet,
    stack: LocalStack,
    redis_client: aioredis.Redis,
    chaos_report: Report,
) -> None:
    sids = [s.session_id for s in fleet.sessions]
    assert await _snapshots(redis_client, sids, 20) == len(sids)
    traffic = Traffic(pipeline, fleet.sessions)
    traffic.start()
    await asyncio.sleep(2)
    await asyncio.to_thread(stack.redis.kill)
    await asyncio.sleep(DOWN_S)
    await asyncio.to_thread(stack.redis.start)
    restarted_at = time.monotonic()
    with contextlib.suppress(redis.exceptions.ConnectionError):
        await redis_client.ping()  # the client's connection died with the server
    assert await redis_client.exists(*(f"wa:vault:{sid}" for sid in sids)) == 0
    await traffic.wait_accepted_after(restarted_at, timeout_s=30)
    await asyncio.sleep(3)
    await traffic.stop()
    counts = await tally(pipeline, traffic.accepted, timeout_s=90)
    sessions_ok_s = time.monotonic() - restarted_at

    # The running worker's rows: it writes them again once it notices Redis lost them.
    rows_back = await _snapshots(redis_client, sids, 10)

    # A fresh worker: the sessions table replays its changelog into the empty Redis, and each
    # login comes from the backup topic (Redis has no vault entry any more).
    missing = [sid for sid in sids if not await redis_client.exists(f"wa:vault:{sid}")]
    before = len(pipeline.topics.sessions.records)
    replaced_at = time.monotonic()
    # Killed, not stopped: a graceful stop would snapshot every login into Redis again.
    worker = await fleet.replace_worker(kill=True)
    await worker.wait_log("Worker ready", timeout_s=120)
    for sid in sids:
        await pipeline.topics.session_event(
            sid, "READY", timeout_s=120, worker=worker.env["WASTREAM_WORKER_ID"]
        )
    after = [
        v[1]["state"]
        for *_, v in pipeline.topics.sessions.records[before:]
        if kind_is("SessionEvent")(v) and v[1]["session_id"] in sids
    ]
    rows_rebuilt = await _snapshots(redis_client, sids, 20)
    log = worker.log()
    restored = sum(1 for sid in missing if f"login of {sid} restored from the backup topic" in log)
    recovered_s = time.monotonic() - restarted_at
    chaos_report.counted(
        "redis-loss",
        counts,
        sent=traffic.sent,
        recover_s=recovered_s,
        refused=len(traffic.refused),
        sends_settled_s=round(sessions_ok_s, 1),
        rows_rewritten=f"{rows_back}/{len(sids)}",
        not_found=traffic.statuses[404],
        rows_rebuilt=f"{rows_rebuilt}/{len(sids)}",
        vault_from_backup=f"{restored}/{len(missing)}",
        worker_restart_s=round(time.monotonic() - replaced_at, 1),
    )
    assert counts.lost == 0, counts.problems[:10]
    assert counts.duplicated == 0, counts.problems[:10]
    assert counts.outcomes == {"DONE": counts.accepted}, counts.problems[:10]
    assert "SCAN_QR" not in after, after
    assert rows_rebuilt == len(sids)
    assert restored == len(missing), worker.log()[-3000:]
    assert set(traffic.statuses) <= {202, 404, 503}, traffic.statuses
    # The running worker writes its rows again within a few seconds of noticing the loss
    # (streams.store): until then the gateway finds no snapshot and may answer 404.
    assert rows_back == len(sids)
    late_404 = [t - restarted_at for t, status in traffic.answers if status == 404]
    assert all(delay < REWRITE_BOUND_S for delay in late_404), late_404
