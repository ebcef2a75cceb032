"""Launching sessions' browsers: one Playwright driver shared by a process's sessions.

Each session is a Chromium *persistent* context on its own profile directory (the login lives in
its IndexedDB), so each has its own browser process; the Playwright driver (a Node process of
its own) is what the sessions share.
"""

from __future__ import annotations

import asyncio
import logging
import re
import subprocess
import weakref
from pathlib import Path

from playwright.async_api import (
    BrowserContext,
    Error,
    Playwright,
    ViewportSize,
    async_playwright,
)

from connectors.whatsapp.exceptions import Codes, TransientError
from wastream.settings import Settings

__all__ = ["BASE_ARGS", "BrowserPool", "default_pool"]

log = logging.getLogger(__name__)

#: Flags every session's Chromium gets (the lean ones come from ``chromium_lean_args``).
BASE_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
_VIEWPORT: ViewportSize = {"width": 1024, "height": 768}


def _user_agent(chromium: Path) -> str | None:
    """A desktop Chrome user agent of the installed version: WhatsApp Web turns away
    ``HeadlessChrome``."""
    try:
        out = subprocess.run(
            [str(chromium), "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"(\d+)\.\d+\.\d+\.\d+", out)
    if match is None:
        return None
    return (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{match.group(1)}.0.0.0 Safari/537.36"
    )


class BrowserPool:
    """Starts the Playwright driver on first use and stops it when the last session left.

    ``async with BrowserPool(settings) as pool`` keeps the driver up for the block (tests,
    benchmarks); otherwise :meth:`acquire`/:meth:`release` count the sessions using it.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._playwright: Playwright | None = None
        self._users = 0
        self._pinned = False
        self._lock = asyncio.Lock()
        self._user_agent: str | None = None

    @property
    def args(self) -> list[str]:
        return [*BASE_ARGS, *self.settings.chromium_lean_args.split()]

    async def acquire(self) -> Playwright:
        async with self._lock:
            if self._playwright is None:
                self._playwright = await async_playwright().start()
                self._user_agent = await asyncio.to_thread(_user_agent, self.settings.chromium_path)
            self._users += 1
            return self._playwright

    async def release(self) -> None:
        async with self._lock:
            self._users = max(0, self._users - 1)
            if self._users == 0 and not self._pinned:
                await self._stop()

    async def _stop(self) -> None:
        playwright, self._playwright = self._playwright, None
        if playwright is not None:
            try:
                await playwright.stop()
            except Exception as exc:
                log.warning("stopping Playwright failed: %s", exc)

    async def launch(self, profile_dir: Path, *, timeout_s: float) -> BrowserContext:
        """A persistent context on ``profile_dir`` (an absolute path; the caller
        :meth:`release`s it after)."""
        playwright = await self.acquire()
        try:
            return await playwright.chromium.launch_persistent_context(
                str(profile_dir),
                executable_path=str(self.settings.chromium_path),
                headless=True,
                args=self.args,
                user_agent=self._user_agent,
                viewport=_VIEWPORT,
                timeout=timeout_s * 1000,
            )
        except Error as exc:
            await self.release()
            raise TransientError(
                Codes.BROWSER_LAUNCH_FAILED, f"Chromium did not start on {profile_dir}: {exc}"
            ) from exc

    async def __aenter__(self) -> BrowserPool:
        self._pinned = True
        await self.acquire()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._pinned = False
        await self.release()


_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, BrowserPool] = (
    weakref.WeakKeyDictionary()
)


def default_pool(settings: Settings) -> BrowserPool:
    """The pool of the running event loop, for sessions built without one."""
    loop = asyncio.get_running_loop()
    pool = _pools.get(loop)
    if pool is None:
        pool = _pools[loop] = BrowserPool(settings)
    return pool
