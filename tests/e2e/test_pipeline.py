"""The whole pipeline with every part real: HTTP (the gateway app) or Kafka → a worker
subprocess → headless Chromium → the sandbox, and back as Avro events.

The module shares one worker and one linked session; the tests run in file order and build on
each other (link, send, inbound, every command, dedup, restart, stop and logout).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jsonschema_rs
import pytest
import redis.asyncio as aioredis

from connectors.sandbox import SandboxServer
from connectors.whatsapp import message_id_for
from schemas.codec import AvroCodec
from schemas.topics import COMMANDS
from streams.readers import read_command_result, read_session
from tests.e2e.support import Pipeline, Worker, browser_pids, kind_is, png
from tests.streams.support import envelope, new_id, publish
from wastream.settings import Settings

pytestmark = pytest.mark.timeout(240)

codec = AvroCodec()


@dataclass
class Linked:
    session_id: str
    me: str  # the linked account's number
    peer: str  # a contact that talks to it
    third: str
    worker: Worker

    @property
    def me_jid(self) -> str:
        return f"{self.me}@c.us"

    @property
    def peer_jid(self) -> str:
        return f"{self.peer}@c.us"

    def path(self, suffix: str = "") -> str:
        return f"/v1/sessions/{self.session_id}{suffix}"


@pytest.fixture(scope="module")
async def worker(start_worker: Callable[..., Worker]) -> AsyncIterator[Worker]:
    started = start_worker("e2e-w1")
    await started.wait_log("Worker ready", timeout_s=120)
    yield started
    started.stop()


@pytest.fixture(scope="module")
async def linked(pipeline: Pipeline, worker: Worker) -> AsyncIterator[Linked]:
    me = await pipeline.account("Me")
    peer = await pipeline.account("Peer")
    third = await pipeline.account("Third")
    session_id = new_id("e2e")
    await pipeline.link(session_id, me)
    shared = Linked(session_id, me, peer, third, worker)
    yield shared
    shared.worker.stop()  # the restart test's successor


def _send_body(to: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"to": to, "text": text, **extra}


async def _snapshot(
    client: aioredis.Redis,
    session_id: str,
    predicate: Callable[[dict[str, Any]], bool],
    timeout_s: float = 20.0,
) -> dict[str, Any]:
    """The session's row of the sessions table in Redis, once ``predicate`` holds."""
    deadline = time.monotonic() + timeout_s
    while True:
        snapshot = await read_session(client, codec, session_id)
        if snapshot is not None and predicate(snapshot):
            return snapshot
        assert time.monotonic() < deadline, f"snapshot of {session_id}: {snapshot}"
        await asyncio.sleep(0.2)


def _once(inbox: list[dict[str, Any]], message_id: str) -> dict[str, Any]:
    found = [m for m in inbox if m["id"] == message_id]
    assert len(found) == 1, f"{message_id} is {len(found)} times in the inbox"
    return found[0]


async def test_start_links_by_qr_and_a_message_goes_out_once(
    pipeline: Pipeline, linked: Linked, redis_client: aioredis.Redis
) -> None:
    sid = linked.session_id
    states = pipeline.topics.states(sid)
    assert states[0] == "STARTING", states
    assert states.index("SCAN_QR") < states.index("READY"), states
    ready = await pipeline.topics.session_event(sid, "READY")
    assert ready["me"] == linked.me_jid
    assert ready["worker"] == "e2e-w1"
    # What the gateway's GET /v1/sessions/{sid} reads: the sessions table's row in Redis.
    snapshot = await _snapshot(redis_client, sid, lambda s: s["state"] == "READY")
    assert (snapshot["desired"], snapshot["me"], snapshot["worker"]) == (
        "RUNNING",
        linked.me_jid,
        "e2e-w1",
    )
    devices = (await pipeline.phone.account(linked.me))["devices"]
    assert len(devices) == 1

    result = await pipeline.done(linked.path("/messages"), _send_body(linked.peer, "hello"))
    command_id = result["command_id"]
    hex_id = message_id_for(command_id)
    assert result["output"] == {"message_id": f"true_{linked.peer_jid}_{hex_id}", "sent": "true"}
    inbox = await pipeline.inbox(linked.peer)
    message = _once(inbox, hex_id)
    assert (message["text"], message["from"]) == ("hello", linked.me_jid)

    statuses = await pipeline.topics.messages.wait_for(
        kind_is("MessageStatus", session_id=sid, command_id=command_id)
    )
    assert statuses, "no MessageStatus of the send"
    assert statuses[0][1]["message_id"] == result["output"]["message_id"]
    assert statuses[0][1]["ack"] in ("SERVER", "DELIVERED")
    # The worker's own send is a status, not a received message.
    await pipeline.topics.messages.settle(0.5)
    echoes = [
        v
        for *_, v in pipeline.topics.messages.records
        if kind_is("MessageReceived", message_id=result["output"]["message_id"])(v)
    ]
    assert echoes == []
    stored = await read_command_result(redis_client, command_id)
    assert stored is not None
    assert stored["outcome"] == "DONE"


async def test_the_gateway_reads_sessions_qr_codes_and_results(
    pipeline: Pipeline, linked: Linked
) -> None:
    document = (await pipeline.http.get("/openapi.json")).json()

    def documented(path: str) -> dict[str, Any]:
        """The schema the document gives the 200 answer of ``GET path``."""
        content = document["paths"][path]["get"]["responses"]["200"]["content"]
        ref = content["application/json"]["schema"]["$ref"]
        schema: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
        return schema

    session = await pipeline.get(linked.path())
    jsonschema_rs.validate(documented("/v1/sessions/{sid}"), session)
    assert session["state"] == "READY"
    assert session["me"] == linked.me_jid
    assert session["desired"] == "RUNNING"
    ready_qr = await pipeline.http.get(linked.path("/qr"), headers=pipeline.headers)
    assert ready_qr.status_code == 409
    assert "READY" in ready_qr.json()["detail"]

    sent = await pipeline.done(linked.path("/messages"), _send_body(linked.peer, "read me"))
    result = await pipeline.get(f"/v1/commands/{sent['command_id']}")
    jsonschema_rs.validate(documented("/v1/commands/{command_id}"), result)
    assert result["outcome"] == "DONE"
    assert result["session_id"] == linked.session_id
    assert result["output"] == sent["output"]

    waiting = new_id("e2e-qr")
    started = await pipeline.post("/v1/sessions", {"session_id": waiting, "pairing": "qr"})
    scan = await pipeline.topics.session_event(waiting, "SCAN_QR", 60)
    text = ""
    for _ in range(100):  # the table row follows the event through the worker's agent
        response = await pipeline.http.get(
            f"/v1/sessions/{waiting}/qr?format=text", headers=pipeline.headers
        )
        if response.status_code == 200:
            text = response.text
            break
        await asyncio.sleep(0.1)
    assert text.split(",")[1:] == scan["qr"].split(",")[1:]  # the ref may have rotated since
    image = await pipeline.http.get(f"/v1/sessions/{waiting}/qr", headers=pipeline.headers)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    assert (await pipeline.topics.result(started))["outcome"] == "DONE"
    await pipeline.done(f"/v1/sessions/{waiting}/stop", {})


async def test_a_pairing_code_reaches_the_event_and_the_snapshot_and_links(
    pipeline: Pipeline, linked: Linked, redis_client: aioredis.Redis
) -> None:
    number = await pipeline.account("Coded")
    sid = new_id("code")
    await pipeline.post("/v1/sessions", {"session_id": sid, "pairing": "code", "phone": number})
    event = await pipeline.topics.session_event(sid, "PAIRING_CODE")
    code = event["pairing_code"]
    assert code
    assert len(code) == 9
    snapshot = await _snapshot(redis_client, sid, lambda s: s["pairing_code"] == code)
    assert snapshot["state"] == "PAIRING_CODE"
    await pipeline.phone.link_code(number, code)
    ready = await pipeline.topics.session_event(sid, "READY")
    assert ready["me"] == f"{number}@c.us"
    await pipeline.done(f"/v1/sessions/{sid}/logout", {})


async def test_inbound_messages_and_acks_arrive_in_order(
    pipeline: Pipeline, linked: Linked
) -> None:
    sid = linked.session_id
    texts = [f"in-{i}" for i in range(5)]
    for text in texts:
        await pipeline.phone.send(linked.peer, linked.me, text)
    received = await pipeline.topics.messages.wait_for(
        kind_is("MessageReceived", session_id=sid, chat=linked.peer_jid, from_me=False),
        count=5,
        timeout_s=30,
    )
    assert [r[1]["body"] for r in received][-5:] == texts
    assert all(r[1]["sender"] == linked.peer_jid for r in received)

    # The account's own phone sends too: that is news for subscribers (from_me).
    await pipeline.phone.send(linked.me, linked.peer, "from my phone")
    mine = await pipeline.topics.messages.wait_for(
        kind_is("MessageReceived", session_id=sid, body="from my phone", from_me=True),
        timeout_s=20,
    )
    assert mine, "the phone's own send did not arrive as MessageReceived(from_me)"

    # A fresh send, read by the peer: its acks arrive in order, each once.
    result = await pipeline.done(linked.path("/messages"), _send_body(linked.peer, "read me"))
    await pipeline.phone.read(linked.peer, linked.me_jid)
    command_id = result["command_id"]
    read = await pipeline.topics.messages.wait_for(
        kind_is("MessageStatus", command_id=command_id, ack="READ"), timeout_s=20
    )
    assert read, "no READ status"
    acks = [
        v[1]["ack"]
        for *_, v in pipeline.topics.messages.records
        if kind_is("MessageStatus", command_id=command_id)(v)
    ]
    order = ["PENDING", "SERVER", "DELIVERED", "READ"]
    assert acks == sorted(acks, key=order.index), acks
    assert len(acks) == len(set(acks)), acks


async def test_every_command_from_http_to_its_result_and_effect(
    pipeline: Pipeline, linked: Linked, sandbox: SandboxServer
) -> None:
    sid, peer, third = linked.session_id, linked.peer, linked.third
    # Something to reply to and react to: a message from the peer.
    await pipeline.phone.send(peer, linked.me, "quote me")
    quoted = (
        await pipeline.topics.messages.wait_for(
            kind_is("MessageReceived", session_id=sid, body="quote me"), timeout_s=20
        )
    )[0][1]

    reply = await pipeline.done(
        linked.path("/messages"),
        _send_body(peer, f"@{peer} a reply", reply_to=quoted["message_id"], mentions=[peer]),
    )
    sent = _once(await pipeline.inbox(peer), message_id_for(reply["command_id"]))
    assert sent["text"] == f"@{peer} a reply"
    assert sent.get("quoted"), sent

    image = png(3, 2)
    inline = await pipeline.done(
        linked.path("/messages"),
        {
            "to": peer,
            "media": {"kind": "image", "data": base64.b64encode(image).decode()},
            "caption": "inline",
        },
    )
    sent = _once(await pipeline.inbox(peer), message_id_for(inline["command_id"]))
    assert (sent["type"], sent["text"], sent["media"]["size"]) == ("image", "inline", len(image))

    document = b"%PDF-1.4\n% from a URL\n"
    async with httpx.AsyncClient() as client:
        uploaded = (
            await client.post(
                f"{sandbox.url}/media",
                content=document,
                headers={"Content-Type": "application/pdf"},
            )
        ).json()
    by_url = await pipeline.done(
        linked.path("/messages"),
        {
            "to": peer,
            "media": {
                "kind": "document",
                "url": f"{sandbox.url}{uploaded['directPath']}",
                "filename": "terms.pdf",
                "mimetype": "application/pdf",
            },
        },
    )
    sent = _once(await pipeline.inbox(peer), message_id_for(by_url["command_id"]))
    assert (sent["type"], sent["media"]["size"]) == ("document", len(document))

    await pipeline.done(
        linked.path("/reactions"), {"message_id": quoted["message_id"], "emoji": "👍"}
    )
    reacted = await pipeline.wait_inbox(
        peer, lambda m: m["key"].endswith(quoted["message_id"].split("_")[2]) and m["reactions"]
    )
    assert reacted, "the reaction did not reach the peer"
    assert reacted[0]["reactions"] == {linked.me_jid: "👍"}

    await pipeline.done(linked.path("/read"), {"chat": peer})
    seen = await pipeline.wait_inbox(
        peer, lambda m: m["text"] == "quote me" and m["from_me"] and m["ack"] >= 3
    )
    assert seen, "the peer's message was not marked read"

    checked = await pipeline.done(
        linked.path("/contacts/check"), {"numbers": [peer, "19990000001"]}
    )
    assert checked["output"] == {peer: linked.peer_jid, "19990000001": ""}

    created = await pipeline.done(
        linked.path("/groups"), {"subject": "e2e group", "participants": [peer, third]}
    )
    group = created["output"]["group_id"]
    assert group.endswith("@g.us")
    assert await pipeline.topics.groups.wait_for(
        kind_is("GroupEvent", session_id=sid, group=group, kind="CREATED"), timeout_s=20
    )
    removed = await pipeline.done(
        linked.path(f"/groups/{group}/participants"),
        {"action": "remove", "participants": [third]},
    )
    assert removed["output"] == {f"{third}@c.us": "OK"}
    added = await pipeline.done(
        linked.path(f"/groups/{group}/participants"), {"action": "add", "participants": [third]}
    )
    assert added["output"] == {f"{third}@c.us": "OK"}
    await pipeline.done(
        linked.path(f"/groups/{group}"),
        {"subject": "e2e renamed", "description": "about"},
        method="PATCH",
    )
    info = (await pipeline.phone.call("GET", f"/phone/{peer}/chats"))["chats"]
    assert any(c["id"] == group and c["name"] == "e2e renamed" for c in info), info
    invite = await pipeline.done(linked.path(f"/groups/{group}/invite"), {})
    assert invite["output"]["invite_code"]
    to_group = await pipeline.done(linked.path("/messages"), _send_body(group, "to all"))
    for member in (peer, third):
        _once(await pipeline.inbox(member), message_id_for(to_group["command_id"]))
    assert to_group["output"]["message_id"].startswith(f"true_{group}_")
    await pipeline.done(linked.path(f"/groups/{group}"), {}, method="DELETE")
    assert await pipeline.topics.groups.wait_for(
        kind_is("GroupEvent", session_id=sid, group=group, kind="LEFT"), timeout_s=20
    )

    fourth = await pipeline.account("Fourth")
    recipients = [peer, third, fourth]
    broadcast = await pipeline.done(
        linked.path("/broadcasts"), {"recipients": recipients, "text": "news", "pace_ms": 0}
    )
    assert broadcast["output"]["sent"] == "3"
    assert broadcast["output"]["failed"] == "0"
    for index, number in enumerate(recipients):
        got = _once(await pipeline.inbox(number), message_id_for(broadcast["command_id"], index))
        assert got["text"] == "news"

    scrape = await pipeline.done(linked.path("/scrapes"), {"kind": "chats"})
    count = int(scrape["output"]["records"])
    assert count >= 3
    chats = await pipeline.topics.scrapes.wait_for(
        kind_is("ScrapedChat", command_id=scrape["command_id"]), count=count, timeout_s=20
    )
    assert len(chats) == count
    assert linked.peer_jid in {c[1]["chat"] for c in chats}


async def test_duplicate_expired_and_unknown_commands_straight_to_kafka(
    pipeline: Pipeline, linked: Linked, e2e_settings: Settings
) -> None:
    sid = linked.session_id
    twice = envelope(
        sid,
        "SendMessage",
        {"to": linked.peer, "text": "only once", "reply_to": None, "mentions": []},
        tenant_id="tenant-e2e",
    )
    expired = envelope(
        sid,
        "SendMessage",
        {"to": linked.peer, "text": "too late", "reply_to": None, "mentions": []},
        issued_at=int(time.time() * 1000) - 120_000,
        ttl_ms=60_000,
        tenant_id="tenant-e2e",
    )
    unknown = envelope(
        new_id("nobody"),
        "SendMessage",
        {"to": linked.peer, "text": "to no one", "reply_to": None, "mentions": []},
    )
    records = [
        (str(e["session_id"]).encode(), codec.encode("CommandEnvelope", e))
        for e in (twice, expired, unknown)
    ]
    publish(e2e_settings, COMMANDS, [records[0], records[1], records[0], records[2]])

    first = await pipeline.topics.result(str(twice["command_id"]))
    await pipeline.topics.results.wait_for(
        kind_is("CommandResult", command_id=twice["command_id"]), count=2
    )
    outcomes = sorted(
        r["outcome"] for r in await pipeline.topics.results_of(str(twice["command_id"]))
    )
    assert outcomes == ["DONE", "DUPLICATE"], outcomes
    assert first["outcome"] == "DONE"
    _once(await pipeline.inbox(linked.peer), message_id_for(str(twice["command_id"])))

    late = await pipeline.topics.result(str(expired["command_id"]))
    assert (late["outcome"], late["error_code"], late["attempts"]) == (
        "EXPIRED",
        "COMMAND_EXPIRED",
        0,
    )
    inbox = await pipeline.inbox(linked.peer)
    assert not [m for m in inbox if m["id"] == message_id_for(str(expired["command_id"]))]
    nowhere = await pipeline.topics.result(str(unknown["command_id"]))
    assert (nowhere["outcome"], nowhere["error_code"]) == ("FAILED", "SESSION_NOT_RUNNING")


async def test_a_crashed_browser_is_restarted_without_a_qr(
    pipeline: Pipeline, linked: Linked
) -> None:
    sid = linked.session_id
    pids = browser_pids((linked.worker.workdir / "profiles" / sid).resolve())
    assert pids, "no Chromium runs the session"
    crashed_at = len(pipeline.topics.sessions.records)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)

    def since_crash(state: str) -> Callable[[Any], bool]:
        return lambda v: kind_is("SessionEvent", session_id=sid, state=state)(v)

    down = await pipeline.topics.sessions.wait_for(since_crash("DISCONNECTED"), timeout_s=30)
    assert down, "the crash was not reported"
    assert "PAGE_CRASHED" in (down[-1][1]["reason"] or "")
    await pipeline.topics.sessions.wait_for(
        lambda v: since_crash("READY")(v) and v[1]["at"] > down[-1][1]["at"], timeout_s=60
    )
    after = [
        v[1]["state"]
        for *_, v in pipeline.topics.sessions.records[crashed_at:]
        if v[1]["session_id"] == sid
    ]
    assert "SCAN_QR" not in after, after
    assert "FAILED" not in after, after
    result = await pipeline.done(linked.path("/messages"), _send_body(linked.peer, "recovered"))
    _once(await pipeline.inbox(linked.peer), message_id_for(result["command_id"]))


async def test_a_restarted_worker_restores_the_session_without_a_qr(
    pipeline: Pipeline,
    linked: Linked,
    start_worker: Callable[..., Worker],
    e2e_settings: Settings,
) -> None:
    sid = linked.session_id
    assert linked.worker.stop() == 0
    scans_before = pipeline.topics.states(sid).count("SCAN_QR")
    stopped_at = len(pipeline.topics.sessions.records)
    # Queued while no worker runs: the next one executes it.
    queued = envelope(
        sid,
        "SendMessage",
        {"to": linked.peer, "text": "queued", "reply_to": None, "mentions": []},
        tenant_id="tenant-e2e",
    )
    publish(e2e_settings, COMMANDS, [(sid.encode(), codec.encode("CommandEnvelope", queued))])

    # A fresh worker with a profiles directory of its own: the login comes from the vault.
    successor = start_worker("e2e-w2")
    linked.worker = successor
    await successor.wait_log("Worker ready", timeout_s=120)
    ready = await pipeline.topics.sessions.wait_for(
        kind_is("SessionEvent", session_id=sid, state="READY", worker="e2e-w2"), timeout_s=90
    )
    assert ready, successor.log()[-3000:]
    after = [
        v[1]["state"]
        for *_, v in pipeline.topics.sessions.records[stopped_at:]
        if v[1]["session_id"] == sid
    ]
    assert "SCAN_QR" not in after, after
    assert pipeline.topics.states(sid).count("SCAN_QR") == scans_before

    result = await pipeline.topics.result(str(queued["command_id"]), timeout_s=60)
    assert result["outcome"] == "DONE", result
    _once(await pipeline.inbox(linked.peer), message_id_for(str(queued["command_id"])))
    again = await pipeline.done(linked.path("/messages"), _send_body(linked.peer, "after restart"))
    _once(await pipeline.inbox(linked.peer), message_id_for(again["command_id"]))


async def test_stop_fails_later_commands_and_logout_forgets_the_login(
    pipeline: Pipeline, linked: Linked, redis_client: aioredis.Redis
) -> None:
    sid = linked.session_id
    await pipeline.done(linked.path("/stop"), {})
    await pipeline.topics.session_event(sid, "STOPPED")
    command_id = await pipeline.post(linked.path("/messages"), _send_body(linked.peer, "stopped"))
    result = await pipeline.topics.result(command_id)
    assert (result["outcome"], result["error_code"]) == ("FAILED", "SESSION_NOT_RUNNING")
    assert "StartSession" in result["detail"]
    inbox = await pipeline.inbox(linked.peer)
    assert not [m for m in inbox if m["id"] == message_id_for(command_id)]
    assert await redis_client.exists(f"wa:vault:{sid}") == 1

    # Started again: back from the vault, no QR.
    scans = pipeline.topics.states(sid).count("SCAN_QR")
    await pipeline.done("/v1/sessions", {"session_id": sid, "pairing": "qr"})
    await _snapshot(redis_client, sid, lambda s: s["state"] == "READY")
    assert pipeline.topics.states(sid).count("SCAN_QR") == scans

    # Stopped, then logged out: opened from the vault once more so the phone unlinks it.
    await pipeline.done(linked.path("/stop"), {})
    await _snapshot(redis_client, sid, lambda s: s["state"] == "STOPPED")
    assert len((await pipeline.phone.account(linked.me))["devices"]) == 1
    scans = pipeline.topics.states(sid).count("SCAN_QR")
    await pipeline.done(linked.path("/logout"), {})
    await pipeline.topics.session_event(sid, "LOGGED_OUT")
    assert (await pipeline.phone.account(linked.me))["devices"] == []
    assert pipeline.topics.states(sid).count("SCAN_QR") == scans
    assert await redis_client.exists(f"wa:vault:{sid}") == 0
    snapshot = await _snapshot(redis_client, sid, lambda s: s["state"] == "LOGGED_OUT")
    assert (snapshot["desired"], snapshot["vault_version"]) == ("STOPPED", 0)
    command_id = await pipeline.post(linked.path("/messages"), _send_body(linked.peer, "gone"))
    result = await pipeline.topics.result(command_id)
    assert result["outcome"] == "FAILED"
    assert result["error_code"] == "SESSION_NOT_RUNNING"
