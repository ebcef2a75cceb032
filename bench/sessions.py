"""Benchmark of browser sessions: memory, pairing, restoring and starting, against the sandbox.

1. Baseline: N bare Chromium persistent contexts on about:blank (the project's base flags; then
   with the lean flags too), PSS per context (``/proc/<pid>/smaps_rollup`` summed over each
   browser's processes).
2. N sessions (``WhatsAppSession`` with the memory-lean flags of ``chromium_lean_args``) paired
   by QR through the phone API, each sending and receiving a few messages: time to pair, then
   PSS per active session. The same with the base flags only, for comparison.
3. Restore: each session closed and reopened on its profile to READY; and through the auth
   vault's sealing (profile login packed, sealed with AES-256-GCM, opened and unpacked into a
   fresh profile directory) to READY.
4. Starts per minute: the N sessions restored all together (as many at a time as CPUs).

PSS counts shared pages (the Chromium binary) divided among the processes sharing them, so the
per-session figure falls as more sessions run; it is measured with N sessions at once, each
variant alone. Run: ``.venv/bin/python -m bench.sessions [--sessions N]``; the last line is
``RESULT sessions pss_mb_per_session=… pair_s=… restore_s=… starts_per_min=… baseline_pss_mb=…``.
Loopback only; about a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from connectors.sandbox import PhoneClient, SandboxConfig, SandboxServer  # noqa: E402
from connectors.vault import VaultKeys, pack_login, unpack_login  # noqa: E402
from connectors.whatsapp import (  # noqa: E402
    BrowserPool,
    WhatsAppSession,
    browser_pid,
    message_id_for,
    usage,
)
from wastream.settings import Settings, load_settings  # noqa: E402

SETTLE_S = 3.0
SAMPLES = 3
MESSAGES = 5


async def _noop(_event: Any) -> None:
    return None


async def sample_pss_mb(pids_of: Callable[[], list[int]]) -> float:
    """Mean of a few PSS samples a second apart (MB)."""
    values = []
    for _ in range(SAMPLES):
        await asyncio.sleep(1.0)
        values.append((await asyncio.to_thread(usage, pids_of())).pss_mb)
    return statistics.fmean(values)


async def baseline(pool: BrowserPool, root: Path, count: int, tag: str) -> float:
    """PSS per bare persistent context on about:blank."""
    contexts = []
    pids: list[int] = []
    try:
        for i in range(count):
            profile = root / f"{tag}-{i}"
            profile.mkdir()
            context = await pool.launch(profile, timeout_s=30)
            contexts.append(context)
            page = context.pages[0] if context.pages else await context.new_page()
            await page.goto("about:blank")
            pid = await asyncio.to_thread(browser_pid, profile)
            assert pid is not None
            pids.append(pid)
        await asyncio.sleep(SETTLE_S)
        return await sample_pss_mb(lambda: pids) / count
    finally:
        for context in contexts:
            await context.close()
            await pool.release()


class Bench:
    def __init__(self, sandbox: SandboxServer, phone: PhoneClient, root: Path) -> None:
        self.sandbox = sandbox
        self.phone = phone
        self.root = root
        self._ids = 0

    def session(self, pool: BrowserPool, settings: Settings, profile: Path) -> WhatsAppSession:
        self._ids += 1
        return WhatsAppSession(
            f"bench-{self._ids}",
            profile_dir=profile,
            url=f"{self.sandbox.url}/",
            browser=pool,
            on_event=_noop,
            settings=settings,
        )

    async def account(self) -> str:
        self._ids += 1
        number = str(15_557_000_000 + os.getpid() % 10_000 * 100 + self._ids)
        await self.phone.create_account(number, f"Bench {self._ids}")
        return number

    async def pair(self, session: WhatsAppSession, number: str) -> float:
        started = time.monotonic()
        await session.open()
        assert session.qr is not None, session.state
        await self.phone.link(number, session.qr)
        await wait_ready(session)
        return time.monotonic() - started

    async def active(
        self, pool: BrowserPool, settings: Settings, count: int, tag: str
    ) -> tuple[list[WhatsAppSession], list[str], list[float], float]:
        """``count`` paired sessions that exchanged messages; their pair times and PSS each."""
        sessions, numbers, pair_times = [], [], []
        peer = await self.account()
        for i in range(count):
            number = await self.account()
            session = self.session(pool, settings, self.root / f"{tag}-{i}")
            pair_times.append(await self.pair(session, number))
            for m in range(MESSAGES):
                await session.send_text(
                    peer,
                    f"message {m}",
                    message_id=message_id_for(f"{tag}-{i}-{m}"),
                    reply_to=None,
                    mentions=[],
                )
                await self.phone.send(peer, number, f"reply {m}")
            sessions.append(session)
            numbers.append(number)
        await asyncio.sleep(SETTLE_S)
        pss = await sample_pss_mb(lambda: [p for s in sessions for p in s.browser_pids()])
        return sessions, numbers, pair_times, pss / count


async def wait_ready(session: WhatsAppSession, timeout_s: float = 30.0) -> None:
    async with asyncio.timeout(timeout_s):
        while session.state != "READY":
            if session.state in ("FAILED", "LOGGED_OUT"):
                raise RuntimeError(f"session {session.session_id} is {session.state}")
            await asyncio.sleep(0.02)


async def timed(action: Callable[[], Awaitable[None]]) -> float:
    started = time.monotonic()
    await action()
    return time.monotonic() - started


async def run(count: int) -> dict[str, float]:
    lean = load_settings(log_json=False)
    plain = load_settings(log_json=False, chromium_lean_args="")
    config = SandboxConfig(messages_per_min=0, new_recipients_per_min=0, history_sync_count=50)
    keys = VaultKeys(VaultKeys.generate("bench"))
    with tempfile.TemporaryDirectory(prefix="wastream-bench-") as tmp:
        root = Path(tmp)
        async with (
            SandboxServer(config) as sandbox,
            BrowserPool(lean) as lean_pool,
            BrowserPool(plain) as plain_pool,
        ):
            phone = PhoneClient(sandbox.url)
            bench = Bench(sandbox, phone, root)
            try:
                base_mb = await baseline(plain_pool, root, count, "blank")
                print(f"baseline: {base_mb:.1f} MB PSS per bare context ({count} at once)")
                base_lean_mb = await baseline(lean_pool, root, count, "blank-lean")
                print(f"baseline with the lean flags: {base_lean_mb:.1f} MB PSS per bare context")

                sessions, _, _, plain_mb = await bench.active(plain_pool, plain, count, "plain")
                for session in sessions:
                    await session.close()
                print(f"base flags: {plain_mb:.1f} MB PSS per active session")

                sessions, _, pair_times, lean_mb = await bench.active(
                    lean_pool, lean, count, "lean"
                )
                print(f"lean flags: {lean_mb:.1f} MB PSS per active session")
                print(f"pair: median {statistics.median(pair_times):.2f} s")

                restore_times = []
                for session in sessions:
                    await session.close()
                    restore_times.append(await timed(session.open))
                    assert session.state == "READY", session.state
                print(f"restore from the profile: median {statistics.median(restore_times):.2f} s")

                vault_times = []
                for i, session in enumerate(sessions):
                    await session.close()
                    fresh = root / f"vault-{i}"

                    async def restore(
                        session: WhatsAppSession = session, fresh: Path = fresh
                    ) -> None:
                        blob = keys.seal(session.session_id, 1, pack_login(session.profile_dir))
                        unpack_login(keys.open(blob), fresh)
                        restored = bench.session(lean_pool, lean, fresh)
                        sessions[sessions.index(session)] = restored
                        await restored.open()
                        assert restored.state == "READY", restored.state

                    vault_times.append(await timed(restore))
                print(f"restore through the vault: median {statistics.median(vault_times):.2f} s")

                for session in sessions:
                    await session.close()
                limit = asyncio.Semaphore(os.cpu_count() or 2)

                async def start(session: WhatsAppSession) -> None:
                    async with limit:
                        await session.open()

                wall = await timed(lambda: _gather(sessions, start))
                starts_per_min = len(sessions) / wall * 60
                print(f"starts: {len(sessions)} sessions to READY in {wall:.2f} s")
                for session in sessions:
                    await session.close()
            finally:
                await phone.aclose()
    return {
        "pss_mb_per_session": lean_mb,
        "pair_s": statistics.median(pair_times),
        "restore_s": statistics.median(restore_times),
        "starts_per_min": starts_per_min,
        "baseline_pss_mb": base_mb,
        "baseline_lean_pss_mb": base_lean_mb,
        "plain_pss_mb_per_session": plain_mb,
        "vault_restore_s": statistics.median(vault_times),
        "sessions": count,
    }


async def _gather(
    sessions: list[WhatsAppSession], start: Callable[[WhatsAppSession], Awaitable[None]]
) -> None:
    await asyncio.gather(*(start(s) for s in sessions))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sessions", type=int, default=4, help="sessions at once (default 4)")
    args = parser.parse_args()
    figures = asyncio.run(run(max(1, args.sessions)))
    print(
        f"RESULT sessions pss_mb_per_session={figures['pss_mb_per_session']:.1f} "
        f"pair_s={figures['pair_s']:.2f} restore_s={figures['restore_s']:.2f} "
        f"starts_per_min={figures['starts_per_min']:.1f} "
        f"baseline_pss_mb={figures['baseline_pss_mb']:.1f} "
        f"baseline_lean_pss_mb={figures['baseline_lean_pss_mb']:.1f} "
        f"plain_pss_mb_per_session={figures['plain_pss_mb_per_session']:.1f} "
        f"vault_restore_s={figures['vault_restore_s']:.2f} sessions={figures['sessions']:.0f}"
    )


if __name__ == "__main__":
    main()
