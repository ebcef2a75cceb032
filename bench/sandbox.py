"""Benchmark of the WhatsApp Web sandbox.

1. Messages per second the sandbox network sustains between 50 accounts through the phone API
   (every send acked delivered at once, every tenth followed by a read), beside a baseline: the
   same load generator against a bare Starlette echo endpoint in the same server process.
2. Memory (PSS from /proc/<pid>/smaps_rollup, summed over the Chromium browser and its children)
   of one logged-in page, idle, then busy after thousands of messages in and out.

Run: ``.venv/bin/python bench/sandbox.py``; the last line is
``RESULT sandbox msgs_per_s=… baseline_msgs_per_s=… idle_page_pss_mb=… busy_page_pss_mb=…``.
Loopback only; bounded in time (about a minute) and in count.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ACCOUNTS = 50
DURATION_S = 8.0
CONNECTIONS = 8
BUSY_INBOUND = 3000
BUSY_OUTBOUND = 300
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def serve(port: int) -> None:
    """The server process: the sandbox app plus a bare echo route for the baseline."""
    import uvicorn
    from starlette.requests import Request
    from starlette.responses import Response

    from connectors.sandbox import SandboxConfig, create_app

    config = SandboxConfig(messages_per_min=0, new_recipients_per_min=0, history_sync_count=50)
    app = create_app(config)

    async def echo(request: Request) -> Response:
        return Response(await request.body(), status_code=201, media_type="application/json")

    app.add_route("/bench/echo", echo, methods=["POST"])
    uvicorn.run(
        app, host="127.0.0.1", port=port, ws="websockets-sansio", log_level="warning",
        access_log=False,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_up(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                if (await client.get(url + "/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.05)
    raise SystemExit("the sandbox did not start")


class RawClient:
    """One keep-alive connection through aiohttp (httpx tops out near 400 requests/s here,
    which would measure the load generator instead of the server)."""

    def __init__(self, port: int) -> None:
        self.session = aiohttp.ClientSession(
            f"http://127.0.0.1:{port}", connector=aiohttp.TCPConnector(limit=1)
        )

    async def post(self, path: str, body: Mapping[str, object]) -> tuple[int, bytes]:
        async with self.session.post(path, json=body) as response:
            return response.status, await response.read()

    async def close(self) -> None:
        await self.session.close()


async def load(port: int, numbers: list[str], baseline: bool) -> tuple[int, float]:
    """CONNECTIONS keep-alive connections, each sending for the 50 accounts in turn to random
    others for DURATION_S seconds; the sandbox acks each send and every tenth is read."""
    sent = 0
    deadline = time.perf_counter() + DURATION_S

    async def worker(index: int) -> None:
        nonlocal sent
        client = RawClient(port)
        rng = random.Random(index)
        mine = numbers[index::CONNECTIONS]
        try:
            while time.perf_counter() < deadline:
                me = mine[sent % len(mine)]
                to = rng.choice(numbers)
                while to == me:
                    to = rng.choice(numbers)
                body = {"to": to, "text": f"bench message {sent} from {me}"}
                path = "/bench/echo" if baseline else f"/phone/{me}/messages"
                status, answer = await client.post(path, body)
                if status != 201:
                    raise SystemExit(f"unexpected {status}: {answer!r}")
                sent += 1
                if sent % 10 == 0:
                    read = "/bench/echo" if baseline else f"/phone/{to}/read"
                    await client.post(read, body if baseline else {"chat": me})
        finally:
            await client.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(CONNECTIONS)))
    return sent, time.perf_counter() - started


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def browser_tree(profile: str) -> dict[int, str]:
    """The Chromium browser started on ``profile`` and all its descendants, with their type."""
    parents: dict[int, int] = {}
    kinds: dict[int, str] = {}
    root = None
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # Chromium rewrites its children's titles: arguments may be joined by spaces.
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").split()
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(stat.rsplit(")", 1)[1].split()[1])
        args = [a.decode(errors="replace") for a in cmdline]
        kind = next((a.split("=", 1)[1] for a in args if a.startswith("--type=")), "browser")
        kinds[pid] = kind
        if kind == "browser" and any(a == f"--user-data-dir={profile}" for a in args):
            root = pid
    if root is None:
        return {}
    tree = {root: "browser"}
    changed = True
    while changed:
        changed = False
        for pid, ppid in parents.items():
            if ppid in tree and pid not in tree:
                tree[pid] = kinds.get(pid, "?")
                changed = True
    return tree


def measure(profile: str) -> tuple[float, dict[str, float]]:
    by_kind: dict[str, float] = {}
    for pid, kind in browser_tree(profile).items():
        by_kind[kind] = by_kind.get(kind, 0.0) + pss_kb(pid) / 1024
    return sum(by_kind.values()), by_kind


async def page_memory(url: str, numbers: list[str]) -> tuple[float, float]:
    from playwright.async_api import async_playwright

    from connectors.sandbox import PhoneClient

    me, others = numbers[0], numbers[1:11]
    phone = PhoneClient(url)
    profile = tempfile.mkdtemp(prefix="wastream-bench-")
    async with async_playwright() as p:
        context = await p.chromium.launch_persistent_context(
            profile, executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        page = context.pages[0] if context.pages else await context.new_page()
        await page.goto(url + "/")
        handle = await page.wait_for_selector('div[data-ref]:not([data-ref=""])')
        assert handle is not None
        await phone.link(me, str(await handle.get_attribute("data-ref")))
        await page.wait_for_function(
            "() => window.require('WAWebSocketModel').Socket.hasSynced", timeout=30_000
        )
        await asyncio.sleep(3)
        idle, idle_parts = measure(profile)
        print(f"idle page PSS {idle:.1f} MB  " + _parts(idle_parts))

        sem = asyncio.Semaphore(20)

        async def inbound(i: int) -> None:
            async with sem:
                await phone.send(others[i % len(others)], me, f"busy inbound {i} " + "x" * 80)

        started = time.perf_counter()
        await asyncio.gather(*(inbound(i) for i in range(BUSY_INBOUND)))
        await page.evaluate(
            """async ([peers, count]) => {
              const req = window.require;
              const from = req('WAWebUserPrefsMeUser').getMaybeMePnUser();
              const MsgKey = req('WAWebMsgKey');
              const send = req('WAWebSendMsgChatAction').addAndSendMsgToChat;
              const results = [];
              for (let i = 0; i < count; i++) {
                const wid = req('WAWebWidFactory').createWid(peers[i % peers.length] + '@c.us');
                const { chat } = await req('WAWebFindChatAction').findOrCreateLatestChat(wid);
                const key = new MsgKey({ from, to: chat.id, id: MsgKey.newId(), selfDir: 'out' });
                results.push(send(chat, { id: key, ack: 0, body: 'busy outbound ' + i, from,
                  to: chat.id, local: true, self: 'out', t: Math.floor(Date.now() / 1000),
                  isNewMsg: true, type: 'chat' })[1]);
              }
              await Promise.all(results);
            }""",
            [others, BUSY_OUTBOUND],
        )
        await page.wait_for_function(
            "(n) => window.require('WAWebCollections').Msg.models.length >= n",
            arg=BUSY_INBOUND + BUSY_OUTBOUND,
            timeout=120_000,
        )
        await page.click(f"li[data-chat='{others[0]}@c.us']")
        for peer in others:
            await phone.read(peer, me)
        await asyncio.sleep(2)
        busy, busy_parts = measure(profile)
        print(
            f"busy page PSS {busy:.1f} MB after {BUSY_INBOUND} in + {BUSY_OUTBOUND} out "
            f"({time.perf_counter() - started:.1f} s)  " + _parts(busy_parts)
        )
        await context.close()
    await phone.aclose()
    return idle, busy


def _parts(parts: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.1f}" for k, v in sorted(parts.items(), key=lambda kv: -kv[1]))


async def main() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve", str(port), env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    try:
        await wait_up(url)
        async with httpx.AsyncClient(base_url=url) as client:
            numbers = [str(15_557_000_000 + i) for i in range(ACCOUNTS)]
            for n in numbers:
                await client.post("/phone/accounts", json={"number": n, "name": f"Bench {n[-2:]}"})
        baseline_sent, baseline_s = await load(port, numbers, baseline=True)
        sent, seconds = await load(port, numbers, baseline=False)
        rate, baseline_rate = sent / seconds, baseline_sent / baseline_s
        print(f"sandbox : {sent} messages in {seconds:.1f} s = {rate:.0f} msg/s (acked, 1/10 read)")
        print(f"baseline: {baseline_sent} echoes in {baseline_s:.1f} s = {baseline_rate:.0f} req/s")
        print(f"ratio   : {rate / baseline_rate:.2f} of the bare endpoint, same client, 2 cores")
        idle, busy = await page_memory(url, numbers)
    finally:
        server.terminate()
        await server.wait()
    print(
        f"RESULT sandbox msgs_per_s={rate:.0f} baseline_msgs_per_s={baseline_rate:.0f} "
        f"idle_page_pss_mb={idle:.1f} busy_page_pss_mb={busy:.1f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
    else:
        asyncio.run(main())
