"""One WhatsApp Web session: a Chromium profile driven through the injected bridge."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from playwright.async_api import Page

from connectors.whatsapp.bridge import bridge_script, call_bridge
from connectors.whatsapp.browser import BrowserPool, default_pool
from connectors.whatsapp.events import PageEvent, StateChanged, parse_bridge_event
from connectors.whatsapp.exceptions import Codes, PermanentError, TransientError
from connectors.whatsapp.gate import OperationGate
from connectors.whatsapp.operations import SessionOperations
from connectors.whatsapp.page import PageHost
from connectors.whatsapp.processes import ProcessUsage, usage
from wastream.settings import Settings

__all__ = ["WhatsAppSession"]

log = logging.getLogger(__name__)

EventSink = Callable[[PageEvent], Awaitable[None]]

#: States after which open() returns: the session waits for a person, works, or ended.
_SETTLED = frozenset(
    {"SCAN_QR", "PAIRING_CODE", "READY", "CONFLICT", "BANNED", "LOGGED_OUT", "FAILED"}
)
#: States a page recycle passes through without telling anyone.
_RECOVERING_QUIET = frozenset({"STARTING", "AUTHENTICATED", "DISCONNECTED"})
_DRAIN_S = 5.0
_SETTLE_MARGIN_S = 5.0
_MEMORY_RECYCLE_GAP = 10  # check intervals between two recycles for memory


class WhatsAppSession(SessionOperations):
    """One WhatsApp Web session: a Chromium persistent context on ``profile_dir`` with the
    bridge injected into its page (``url``: web.whatsapp.com or the sandbox).

    Parameters:
        session_id: the session's name (logs).
        profile_dir: the browser profile; the login lives there and survives :meth:`close`.
        url: the WhatsApp Web page to load.
        browser: the :class:`BrowserPool` to launch with; None shares the running loop's pool.
        on_event: awaited with every :mod:`~connectors.whatsapp.events` event, in order.
        settings: ``chromium_path``, ``chromium_lean_args``, ``page_timeout_s``,
            ``page_ready_timeout_s``, ``page_recycle_pss_mb``, ``page_check_interval_s``,
            ``pairing_code_interval_s``, ``max_media_bytes`` and the ``media_*`` settings.
        init_scripts: scripts to run in the page before the bridge (diagnostics, tests).

    Operations raise :class:`~connectors.whatsapp.exceptions.PermanentError` or
    :class:`~connectors.whatsapp.exceptions.TransientError` with a specific ``code``.
    """

    def __init__(
        self,
        session_id: str,
        *,
        profile_dir: Path,
        url: str,
        browser: BrowserPool | None,
        on_event: EventSink,
        settings: Settings,
        init_scripts: Sequence[str] = (),
    ) -> None:
        self.session_id = session_id
        self.profile_dir = profile_dir
        self.url = url
        self._pool = browser
        self._on_event = on_event
        self._settings = settings
        self._init_scripts = list(init_scripts)
        self._host: PageHost | None = None
        self._state = "STOPPED"
        self._me: str | None = None
        self._qr: str | None = None
        self._pairing_code: str | None = None
        self._failure: tuple[str, str] | None = None
        self.version: str | None = None
        self.recycles = 0
        self._recovering = False
        self._changed = asyncio.Event()
        self._queue: asyncio.Queue[PageEvent] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self._dispatcher: asyncio.Task[None] | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._gate = OperationGate()
        self._recycle_lock = asyncio.Lock()

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def state(self) -> str:
        """The ``wastream.v1.SessionState`` symbol."""
        return self._state

    @property
    def me(self) -> str | None:
        """The account's own JID once authenticated."""
        return self._me

    @property
    def qr(self) -> str | None:
        return self._qr

    @property
    def pairing_code(self) -> str | None:
        return self._pairing_code

    async def open(self, pairing: Literal["QR", "CODE"] = "QR", phone: str | None = None) -> None:
        """Launch the browser, load the page and return once the session is settled: waiting
        for a QR scan or a pairing code, READY, or ended (FAILED raises PermanentError)."""
        if pairing not in ("QR", "CODE"):
            raise PermanentError(Codes.INVALID_REQUEST, f"unknown pairing {pairing!r}")
        if pairing == "CODE":
            digits = (phone or "").lstrip("+")
            if not (digits.isascii() and digits.isdigit()) or not 5 <= len(digits) <= 20:
                raise PermanentError(
                    Codes.INVALID_RECIPIENT, "pairing by code needs the phone number (digits)"
                )
            phone = digits
        await self.close()
        s = self._settings
        self._state, self._qr, self._pairing_code, self._failure = "STARTING", None, None, None
        self._recovering = False
        self._dispatcher = asyncio.create_task(self._dispatch(), name=f"{self.session_id}-events")
        script = bridge_script(
            pairing=pairing,
            phone=phone,
            ready_timeout_s=s.page_ready_timeout_s,
            pairing_code_interval_s=s.pairing_code_interval_s,
        )
        self._host = PageHost(
            profile_dir=self.profile_dir,
            url=self.url,
            pool=self._pool if self._pool is not None else default_pool(s),
            scripts=[*self._init_scripts, script],
            # launching Chromium on a busy machine can take longer than a page's readiness
            timeout_s=max(s.page_ready_timeout_s, s.page_timeout_s),
            on_report=self._on_report,
            on_page_trouble=self._on_page_trouble,
            on_browser_lost=self._on_browser_lost,
        )
        try:
            await self._host.start()
            # The bridge gives up after page_ready_timeout_s and says why: wait a bit longer.
            state = await self._wait_state(_SETTLED, s.page_ready_timeout_s + _SETTLE_MARGIN_S)
        except BaseException:
            await self.close()
            raise
        if state is None:
            await self.close()
            raise TransientError(
                Codes.TIMEOUT, f"{self.url} did not settle within {s.page_ready_timeout_s:.0f} s"
            )
        if state == "FAILED":
            code, detail = self._failure or (Codes.PAGE_ERROR, "the session failed")
            await self.close()
            if code == Codes.PAGE_CRASHED:
                raise TransientError(code, detail)
            raise PermanentError(code, detail)
        self._watchdog = asyncio.create_task(self._watch(), name=f"{self.session_id}-watchdog")

    async def close(self) -> None:
        """Close the browser; the profile (and so the login) stays."""
        host, self._host = self._host, None
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
        if host is not None:
            await host.close()
        for task in list(self._tasks):
            task.cancel()
        if self._dispatcher is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_DRAIN_S):
                    await self._queue.join()
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
            self._dispatcher = None
        if self._state not in ("LOGGED_OUT", "FAILED"):
            self._state = "STOPPED"
        self._notify()

    async def logout(self) -> None:
        """Log the linked device out of the account, then :meth:`close`."""
        try:
            if self._host is not None and not self._host.lost and self._me is not None:
                with contextlib.suppress(TransientError):
                    await self._call("logout", {})
                await self._wait_state({"LOGGED_OUT"}, 10.0)
        finally:
            self._set_state("LOGGED_OUT", reason="logout")
            await self.close()

    async def takeover(self) -> None:
        """Use this browser after another one took the linked device (``CONFLICT``)."""
        await self._call("takeover", {})

    async def recycle(self, reason: str) -> None:
        """Load the session in a fresh page of the same browser (frees what the old page
        held); the state goes DISCONNECTED and back to READY."""
        host = self._host
        if host is None or host.lost:
            return
        async with self._recycle_lock, self._gate.exclusive(self._settings.page_timeout_s):
            log.info("recycling the page of %s: %s", self.session_id, reason)
            self.recycles += 1
            self._set_state("DISCONNECTED", reason=f"page recycled: {reason}")
            self._recovering = True
            try:
                await host.replace_page()
            except TransientError as exc:
                self._fail(exc.code, exc.detail)
                return
            await self._wait_state(_SETTLED, self._settings.page_ready_timeout_s)

    def browser_pids(self) -> list[int]:
        """The session's Chromium processes (for memory and CPU metrics)."""
        return self._host.pids() if self._host is not None else []

    def memory(self) -> ProcessUsage:
        """PSS and CPU time of the session's Chromium processes."""
        return usage(self.browser_pids())

    async def _call(self, op: str, args: dict[str, Any], *, timeout_s: float | None = None) -> Any:
        if self._state == "LOGGED_OUT":
            raise PermanentError(Codes.LOGGED_OUT, f"session {self.session_id} is logged out")
        async with self._gate.operation():
            host = self._host
            if host is None:
                raise TransientError(Codes.SESSION_CLOSED, f"session {self.session_id} is closed")
            if host.lost or host.page is None:
                raise TransientError(Codes.PAGE_CRASHED, f"the browser of {self.session_id} died")
            return await call_bridge(
                host.page, op, args, timeout_s or self._settings.page_timeout_s
            )

    # -- internals: state and events -----------------------------------------------------------

    def _on_report(self, page: Page, data: Any) -> None:
        host = self._host
        if host is None or page is not host.page or not isinstance(data, dict):
            return
        if data.get("version"):
            self.version = str(data["version"])
        if data.get("type") != "state":
            event = parse_bridge_event(data)
            if event is not None:
                self._queue.put_nowait(event)
            return
        state = str(data.get("state"))
        if self._recovering:
            if state in _RECOVERING_QUIET:
                return
            self._recovering = False
        if state == "FAILED":
            code = str(data.get("code") or Codes.PAGE_ERROR)
            self._fail(code, str(data.get("reason") or code), wa_state=data.get("waState"))
            return
        self._set_state(
            state,
            qr=data.get("qr"),
            pairing_code=data.get("pairingCode"),
            me=data.get("me"),
            reason=data.get("reason"),
            wa_state=data.get("waState"),
        )

    def _set_state(
        self,
        state: str,
        *,
        qr: str | None = None,
        pairing_code: str | None = None,
        me: str | None = None,
        reason: str | None = None,
        code: str | None = None,
        wa_state: str | None = None,
    ) -> None:
        if self._state == "LOGGED_OUT" and state != "LOGGED_OUT":
            return  # the page reloads to a QR after a logout: that is not this session's
        if me:
            self._me = me
        if state == "LOGGED_OUT":
            self._me = None
        if (state, qr, pairing_code) == (self._state, self._qr, self._pairing_code):
            return
        self._state, self._qr, self._pairing_code = state, qr, pairing_code
        self._queue.put_nowait(
            StateChanged(
                state,
                qr=qr,
                pairing_code=pairing_code,
                me=self._me,
                reason=reason,
                code=code,
                wa_state=wa_state,
                version=self.version,
            )
        )
        self._notify()

    def _fail(self, code: str, reason: str, *, wa_state: str | None = None) -> None:
        self._failure = (code, reason)
        self._recovering = False
        log.warning("session %s failed: %s %s", self.session_id, code, reason)
        self._set_state("FAILED", reason=reason, code=code, wa_state=wa_state)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_state(self, states: frozenset[str] | set[str], timeout_s: float) -> str | None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                while self._state not in states:
                    await self._changed.wait()
                return self._state
        return None

    async def _dispatch(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self._on_event(event)
            except Exception:
                log.exception("%s: handling %s failed", self.session_id, type(event).__name__)
            finally:
                self._queue.task_done()

    def _spawn(self, coro: Awaitable[None], name: str) -> None:
        async def run() -> None:
            await coro

        task = asyncio.create_task(run(), name=f"{self.session_id}-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- internals: self-healing ---------------------------------------------------------------

    def _on_browser_lost(self, reason: str) -> None:
        self._fail(Codes.PAGE_CRASHED, reason)

    def _on_page_trouble(self, reason: str) -> None:
        self._spawn(self._recover(reason), "recover")

    async def _recover(self, reason: str) -> None:
        # A dying browser closes its pages before it reports itself gone: give it a moment.
        await asyncio.sleep(0.5)
        host = self._host
        if host is None or host.lost:
            return
        await self.recycle(reason)

    async def _watch(self) -> None:
        """Checks the page now and then: recycles it when it stops answering or holds more
        memory than ``page_recycle_pss_mb``."""
        s = self._settings
        silent = 0
        # A page that is still too big right after a recycle would be recycled in a loop.
        memory_gap_s = _MEMORY_RECYCLE_GAP * s.page_check_interval_s
        last_memory_recycle = -memory_gap_s
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(s.page_check_interval_s)
            host = self._host
            if host is None or host.lost or host.page is None:
                return
            if self._state not in ("READY", "DISCONNECTED"):
                continue
            try:
                await call_bridge(host.page, "state", {}, min(10.0, s.page_timeout_s))
                silent = 0
            except TransientError as exc:
                silent += 1
                if silent >= 2:
                    silent = 0
                    await self.recycle(f"the page stopped answering ({exc.code})")
                continue
            if (
                s.page_recycle_pss_mb
                and self._state == "READY"
                and loop.time() - last_memory_recycle >= memory_gap_s
            ):
                pss_mb = (await asyncio.to_thread(usage, host.pids())).pss_mb
                if pss_mb > s.page_recycle_pss_mb:
                    last_memory_recycle = loop.time()
                    await self.recycle(f"PSS {pss_mb:.0f} MB above {s.page_recycle_pss_mb} MB")
