"""The browser side of one session: its persistent context, its page, the page's reports.

:class:`PageHost` launches Chromium on the profile, exposes the bridge's binding, injects the
bridge before the page's own scripts, and tells its owner when the page crashes or the browser
goes away; :meth:`PageHost.replace_page` recycles the page in the same browser.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from playwright.async_api import BrowserContext, Error, Page

from connectors.whatsapp.bridge import BINDING
from connectors.whatsapp.browser import BrowserPool
from connectors.whatsapp.exceptions import Codes, TransientError
from connectors.whatsapp.processes import browser_pid, process_tree

__all__ = ["PageHost"]

log = logging.getLogger(__name__)

ReportHandler = Callable[[Page, Any], None]
TroubleHandler = Callable[[str], None]
_CLOSE_TIMEOUT_S = 20.0


class PageHost:
    """Owns one session's browser context and page.

    ``on_report(page, data)`` gets each bridge report (from whichever page sent it);
    ``on_page_trouble(reason)`` is told when the page crashed or closed by itself,
    ``on_browser_lost(reason)`` when the browser went away.
    """

    def __init__(
        self,
        *,
        profile_dir: Path,
        url: str,
        pool: BrowserPool,
        scripts: Sequence[str],
        timeout_s: float,
        on_report: ReportHandler,
        on_page_trouble: TroubleHandler,
        on_browser_lost: TroubleHandler,
    ) -> None:
        self._profile_dir = profile_dir.resolve()
        self._url = url
        self._pool = pool
        self._scripts = list(scripts)
        self._timeout_s = timeout_s
        self._on_report = on_report
        self._on_page_trouble = on_page_trouble
        self._on_browser_lost = on_browser_lost
        self._context: BrowserContext | None = None
        self.page: Page | None = None
        self.browser_pid: int | None = None
        self.lost = False
        self._closing = False
        self._replacing = False

    async def start(self) -> None:
        """Launch the browser and load the page (raises TransientError when it cannot)."""
        self._context = await self._pool.launch(self._profile_dir, timeout_s=self._timeout_s)
        self._context.on("close", self._context_closed)
        try:
            self.browser_pid = await asyncio.to_thread(browser_pid, self._profile_dir)
            await self._context.expose_binding(BINDING, self._binding)
            for script in self._scripts:
                await self._context.add_init_script(script=script)
            pages = self._context.pages
            page = pages[0] if pages else await self._context.new_page()
            await self._load(page)
        except BaseException:
            await self.close()
            raise

    def pids(self) -> list[int]:
        """The browser's process and its children (empty when it is not running)."""
        if self.browser_pid is None or self.lost or self._context is None:
            return []
        return process_tree([self.browser_pid])

    async def replace_page(self) -> None:
        """Load the session in a fresh page and close the old one (memory, crash recovery)."""
        if self._context is None or self.lost:
            raise TransientError(Codes.PAGE_CRASHED, "the browser is gone")
        self._replacing = True
        try:
            old = self.page
            fresh = await self._context.new_page()
            self.page = fresh
            # Never two pages on one login: WhatsApp Web would put one of them in CONFLICT.
            if old is not None and not old.is_closed():
                with contextlib.suppress(Error):
                    await old.close()
            await self._load(fresh)
        except Error as exc:
            raise TransientError(Codes.PAGE_CRASHED, f"a new page could not open: {exc}") from exc
        finally:
            self._replacing = False

    async def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        context, self._context = self._context, None
        if context is None:
            return
        try:
            if not self.lost:
                async with asyncio.timeout(_CLOSE_TIMEOUT_S):
                    await context.close()
        except (Error, TimeoutError) as exc:
            log.warning("closing the browser on %s failed (%s); killing it", self._profile_dir, exc)
            self._kill()
        finally:
            await self._pool.release()

    # -- internals -----------------------------------------------------------------------------

    async def _load(self, page: Page) -> None:
        page.on("crash", self._page_crashed)
        page.on("close", self._page_closed)
        self.page = page
        try:
            await page.goto(self._url, wait_until="commit", timeout=self._timeout_s * 1000)
        except Error as exc:
            raise TransientError(
                Codes.PAGE_LOAD_FAILED, f"{self._url} did not load: {exc}"
            ) from exc

    def _binding(self, source: dict[str, Any], data: Any) -> None:
        page = source.get("page")
        if page is not None and not self._closing:
            self._on_report(page, data)

    def _page_crashed(self, page: Page) -> None:
        if page is self.page and not self._closing:
            self._on_page_trouble("the page crashed")

    def _page_closed(self, page: Page) -> None:
        if page is self.page and not (self._closing or self._replacing or self.lost):
            self._on_page_trouble("the page closed")

    def _context_closed(self, context: BrowserContext) -> None:
        if self._closing:
            return
        self.lost = True
        self._on_browser_lost("the browser closed unexpectedly")

    def _kill(self) -> None:
        for pid in reversed(process_tree([self.browser_pid] if self.browser_pid else [])):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
