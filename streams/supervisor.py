"""The session supervisor: runs the browser sessions of the partitions this worker owns.

On assignment (once the sessions table is recovered) :meth:`SessionSupervisor.reconcile` starts
every session of the owned partitions whose desired state is ``RUNNING`` (its login restored
from the auth vault: no QR) and closes, after a vault snapshot, those whose partition moved away.
``StartSession``/``StopSession``/``LogoutSession`` change the desired state and call
:meth:`start`/:meth:`stop`/:meth:`logout`. What the page reports becomes Kafka events
(:mod:`streams.page_events`) and snapshot updates (:mod:`streams.snapshots`).

Self-healing: a browser that crashed (``FAILED`` with code ``PAGE_CRASHED``) is reported as
``DISCONNECTED`` and restarted on the same profile (the login is there: no QR) after a backoff;
a session restarted more than ``restart_limit`` times within ``restart_window_s`` ends ``FAILED``
instead of looping, and so does a session whose socket drops (READY → DISCONNECTED) more than
``flap_limit`` times within that window. ``LOGGED_OUT`` forgets the login (vault entry and
profile); ``BANNED`` keeps the session out of every send (commands fail ``SESSION_BANNED``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from redis.exceptions import RedisError

from connectors.whatsapp import Codes, StateChanged
from connectors.whatsapp.processes import usage
from streams.connector import browser_pids, classify
from streams.exceptions import PermanentFailure, TransientFailure
from streams.leases import SessionLeases
from streams.metrics import WorkerMetrics
from streams.retry import Backoff
from streams.types import BrowserSession, PageEvent, SessionFactory, Vault
from wastream.partitioning import partition_for

__all__ = ["RunningSession", "SessionSupervisor"]

log = logging.getLogger(__name__)

#: States in which the linked device's login is worth a vault snapshot.
_LINKED = frozenset({"AUTHENTICATED", "READY", "DISCONNECTED"})
_FINISHED = frozenset({"STOPPED", "LOGGED_OUT", "FAILED", "BANNED"})
_NOT_READY = frozenset({"STARTING", "AUTHENTICATED", "DISCONNECTED", "CONFLICT"})
#: Failure codes a fresh browser on the same profile recovers from.
_RESTARTABLE = frozenset({Codes.PAGE_CRASHED})
_ENDED = {
    "SCAN_QR": ("SESSION_NOT_AUTHENTICATED", "the session waits for its QR code to be scanned"),
    "PAIRING_CODE": ("SESSION_NOT_AUTHENTICATED", "the session waits for its pairing code"),
    "BANNED": ("SESSION_BANNED", "the account is banned"),
    "LOGGED_OUT": ("SESSION_LOGGED_OUT", "the linked device was logged out"),
    "FAILED": ("SESSION_FAILED", "the session failed"),
    "STOPPED": ("SESSION_NOT_RUNNING", "the session is stopped"),
}


@dataclass(eq=False)
class RunningSession:
    session_id: str
    tenant_id: str
    session: BrowserSession
    profile_dir: Path
    state: str = "STARTING"
    me: str | None = None
    pairing: Literal["QR", "CODE"] = "QR"
    phone: str | None = None
    sent_ids: dict[str, str] = field(default_factory=dict)  # hex message id -> command id
    restarts: deque[float] = field(default_factory=deque)  # monotonic times of restarts
    disconnects: deque[float] = field(default_factory=deque)  # ... of READY -> DISCONNECTED
    restarting: bool = False
    browser_open: bool = True  # False once the session gave up (FAILED) and closed it


Updater = Callable[..., Awaitable[None]]


class SessionSupervisor:
    """Owns the running sessions of one worker.

    Parameters:
        factory: builds a :class:`~streams.types.BrowserSession` (the connector's).
        vault: the auth vault (``connectors.vault.AuthVault``).
        leases: the sessions' leases (:mod:`streams.leases`): a session opens only once the
            worker that had it open has closed it.
        profiles_dir: where each session's profile directory lives.
        update: ``await update(session_id, tenant_id, set=..., incr=...)`` sends a snapshot
            update to the sessions table; ``events`` turns page events into Kafka records.
        snapshot: reads a session's row of the sessions table (a dict, or None).
        partitions: the partition count; ``owned()`` the owned partitions of ``wa.commands``.
        restart_limit, restart_window_s, restart_backoff: crashed browsers are restarted after
            ``restart_backoff.delay(n)``, at most ``restart_limit`` times within
            ``restart_window_s`` (``WASTREAM_SESSION_RESTART_*``).
        flap_limit: disconnects of a READY session allowed within ``restart_window_s``; one
            more and the session ends FAILED instead of reconnecting again.
        open_concurrency: sessions whose browsers open at the same time; the others wait
            their turn (``open_timeout_s`` counts from their turn).
    """

    def __init__(
        self,
        *,
        worker_id: str,
        factory: SessionFactory,
        vault: Vault,
        leases: SessionLeases,
        profiles_dir: Path,
        update: Updater,
        publish_state: Callable[..., Awaitable[None]],
        on_page_event: Callable[[RunningSession, PageEvent], Awaitable[None]],
        snapshot: Callable[[str], dict[str, Any] | None],
        all_snapshots: Callable[[], Iterable[dict[str, Any]]],
        partitions: int,
        owned: Callable[[], set[int]],
        metrics: WorkerMetrics,
        open_timeout_s: float,
        restart_limit: int = 5,
        restart_window_s: float = 600.0,
        restart_backoff: Backoff | None = None,
        flap_limit: int = 10,
        open_concurrency: int = 4,
    ) -> None:
        self.worker_id = worker_id
        self._factory = factory
        self._vault = vault
        self._leases = leases
        self._profiles_dir = profiles_dir
        self._update = update
        self._publish_state = publish_state
        self._on_page_event = on_page_event
        self._snapshot = snapshot
        self._all_snapshots = all_snapshots
        self._partitions = partitions
        self._owned = owned
        self._metrics = metrics
        self._open_timeout_s = open_timeout_s
        self._restart_limit = restart_limit
        self._restart_window_s = restart_window_s
        self._flap_limit = flap_limit
        self._restart_backoff = restart_backoff or Backoff(restart_limit, 1.0, 30.0)
        self.sessions: dict[str, RunningSession] = {}
        # Sessions whose browser is open here outside ``sessions`` (opened to log out, logging
        # out, or having the login saved and the browser closed): their leases are renewed
        # until it is closed.
        self._detached: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # Browsers opening at once: a takeover starts many sessions together, and launching
        # them all at the same moment only makes every one of them slower.
        self._open_slots = asyncio.Semaphore(open_concurrency)

    # -- commands ------------------------------------------------------------------------------

    async def start(
        self,
        session_id: str,
        tenant_id: str,
        *,
        pairing: Literal["QR", "CODE"] = "QR",
        phone: str | None = None,
    ) -> RunningSession:
        """Open the session (restoring its login from the vault first) unless it runs."""
        async with self._lock(session_id):
            running = self.sessions.get(session_id)
            if running is not None and running.state not in _FINISHED:
                return running
            if running is not None:
                await self._close(running)
            await self._take_lease(session_id)
            profile = self._fresh_profile(session_id)
            version = await self._vault.restore(
                session_id, profile, known_login=self._was_linked(session_id)
            )
            log.info(
                "starting session %s (%s)",
                session_id,
                f"login restored, vault version {version}" if version else "no saved login",
                extra={"session_id": session_id},
            )
            session = self._factory(
                session_id, profile_dir=profile, on_event=self._sink(session_id)
            )
            running = RunningSession(
                session_id, tenant_id, session, profile, pairing=pairing, phone=phone
            )
            self.sessions[session_id] = running
            changes: dict[str, Any] = {
                "state": "STARTING",
                "worker": self.worker_id,
                "pairing": pairing,
                "phone": phone,
                "qr": None,
                "pairing_code": None,
                "last_error": None,
            }
            if version is not None:
                changes["vault_version"] = version
            await self._update(session_id, tenant_id, set=changes)
            await self._publish_state(running, "STARTING", None, reason="starting")
            try:
                await self._open(session, pairing, phone)
            except Exception as exc:
                self.sessions.pop(session_id, None)
                await self._shut(session_id, session)
                detail = f"{type(exc).__name__}: {exc}"
                await self._update(
                    session_id, tenant_id, set={"state": "FAILED", "last_error": detail}
                )
                await self._publish_state(running, "FAILED", running.state, reason=detail)
                if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
                    raise TransientFailure("SESSION_START_TIMEOUT", detail) from exc
                raise PermanentFailure("SESSION_START_FAILED", detail) from exc
            return running

    async def stop(self, session_id: str, tenant_id: str, *, reason: str) -> None:
        """Snapshot the login to the vault and close the browser; the state becomes STOPPED."""
        async with self._lock(session_id):
            running = self.sessions.pop(session_id, None)
            if running is not None:
                await self._close(running)
            await self._update(session_id, tenant_id, set={"state": "STOPPED", "qr": None})
            if running is not None:
                await self._publish_state(running, "STOPPED", running.state, reason=reason)

    async def logout(self, session_id: str, tenant_id: str) -> None:
        """Log the linked device out and forget its login everywhere. A session not running
        is opened from its saved login first, so the phone loses the linked device too."""
        async with self._lock(session_id):
            running = self.sessions.pop(session_id, None)
            if running is None:
                running = await self._open_to_log_out(session_id, tenant_id)
            if running is not None:
                self._detached.add(session_id)
                try:
                    await running.session.logout()
                finally:
                    await self._shut(session_id, running.session)
            await self._vault.delete(session_id)
            shutil.rmtree(self._profiles_dir / session_id, ignore_errors=True)
            await self._update(
                session_id,
                tenant_id,
                set={"state": "LOGGED_OUT", "me": None, "qr": None, "vault_version": 0},
            )
            if running is not None:
                await self._publish_state(running, "LOGGED_OUT", running.state, reason="logout")

    def _fresh_profile(self, session_id: str) -> Path:
        """The session's profile directory, emptied: a login comes only from the vault."""
        profile = self._profiles_dir / session_id
        shutil.rmtree(profile, ignore_errors=True)
        profile.mkdir(parents=True, exist_ok=True)
        return profile

    def _was_linked(self, session_id: str) -> bool:
        """Whether the sessions table says the session was ever linked (so a login exists)."""
        snapshot = self._snapshot(session_id)
        return snapshot is not None and bool(snapshot["vault_version"] or snapshot["me"])

    async def _open_to_log_out(self, session_id: str, tenant_id: str) -> RunningSession | None:
        """The stopped session opened from its saved login, quietly (its page events are not
        published), so that it can log out; None when there is no login or it did not open."""
        if not self._was_linked(session_id):
            return None
        try:
            await self._take_lease(session_id)
        except TransientFailure as exc:
            log.warning("cannot open %s to log it out: %s", session_id, exc)
            return None
        self._detached.add(session_id)
        try:
            try:
                profile = self._fresh_profile(session_id)
                if await self._vault.restore(session_id, profile) is None:
                    await self._give_back(session_id)
                    return None
                session = self._factory(
                    session_id, profile_dir=profile, on_event=self._sink(session_id)
                )
            except Exception as exc:
                log.warning("cannot open %s to log it out: %s", session_id, exc)
                await self._give_back(session_id)
                return None
            running = RunningSession(session_id, tenant_id, session, profile, state="STOPPED")
            try:
                await self._open(session, "QR", None)
            except Exception as exc:
                log.warning("cannot open %s to log it out: %s", session_id, exc)
                await self._shut(session_id, session)
                return None
            return running
        except BaseException:  # cancelled: the failures above gave the lease back already
            self._detached.discard(session_id)
            raise

    def require_ready(self, session_id: str) -> RunningSession:
        """The running, READY session; otherwise a failure saying why (transient while the
        session is on its way to READY, permanent when it is not running or cannot send)."""
        running = self.sessions.get(session_id)
        if running is None:
            snapshot = self._snapshot(session_id)
            if snapshot is not None and snapshot["desired"] == "RUNNING":
                raise TransientFailure("SESSION_STARTING", f"session {session_id} is starting")
            raise PermanentFailure(
                "SESSION_NOT_RUNNING",
                f"session {session_id} is not running on any worker; start it with StartSession",
            )
        if running.state == "READY":
            return running
        if running.state in _NOT_READY:
            raise TransientFailure(
                "SESSION_NOT_READY", f"session {session_id} is {running.state}, not READY"
            )
        code, detail = _ENDED.get(running.state, ("SESSION_NOT_READY", running.state))
        raise PermanentFailure(code, f"session {session_id}: {detail} ({running.state})")

    async def wait_ready(self, session_id: str, timeout_s: float) -> RunningSession:
        """The READY session, waiting up to ``timeout_s`` while it is on its way there (being
        restored after a restart or a partition move, reconnecting, restarting its browser):
        commands queued meanwhile run once it is back instead of failing their retries."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            try:
                return self.require_ready(session_id)
            except TransientFailure:
                if loop.time() >= deadline:
                    raise
            await asyncio.sleep(0.2)

    # -- ownership -----------------------------------------------------------------------------

    async def reconcile(self) -> None:
        """Bring the running sessions in line with the owned partitions and desired states."""
        owned = self._owned()
        for session_id, running in list(self.sessions.items()):
            if partition_for(session_id, self._partitions) not in owned:
                await self.release(running)
        for snapshot in list(self._all_snapshots()):
            session_id = snapshot["session_id"]
            if (
                snapshot["desired"] == "RUNNING"
                and session_id not in self.sessions
                and partition_for(session_id, self._partitions) in owned
            ):
                self._spawn(self._resume(snapshot))

    async def release(self, running: RunningSession) -> None:
        """The session's partition moved: snapshot and close, leaving its state to the new owner."""
        async with self._lock(running.session_id):
            if self.sessions.get(running.session_id) is running:
                log.info("releasing session %s: its partition moved", running.session_id)
                del self.sessions[running.session_id]
                await self._close(running)

    async def revoke_partitions(self, partitions: set[int]) -> None:
        for session_id, running in list(self.sessions.items()):
            if partition_for(session_id, self._partitions) in partitions:
                await self.release(running)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for running in list(self.sessions.values()):
            await self.release(running)

    async def snapshot_all(self) -> None:
        """Save the login of every linked session to the vault (periodically)."""
        for running in list(self.sessions.values()):
            if running.state in _LINKED:
                await self._save(running)

    async def sample_metrics(self) -> None:
        """Session counts by state, and each browser's PSS and CPU. Reading ``/proc`` for many
        browsers takes a while, so it runs in a thread, off the worker's event loop."""
        counts: dict[str, int] = {}
        targets: list[tuple[str, list[int]]] = []
        for running in self.sessions.values():
            counts[running.state] = counts.get(running.state, 0) + 1
            pids = browser_pids(running.session)
            if pids:
                targets.append((running.session_id, pids))
        measured = await asyncio.to_thread(lambda: [(sid, usage(pids)) for sid, pids in targets])
        total = 0
        for session_id, result in measured:
            total += result.pss_bytes
            self._metrics.browser_pss.labels(session_id).set(result.pss_bytes)
            self._metrics.browser_cpu.labels(session_id).set(result.cpu_seconds)
        self._metrics.sessions.clear()
        for state, count in counts.items():
            self._metrics.sessions.labels(state).set(count)
        self._metrics.browser_pss_total.set(total)

    # -- page events ---------------------------------------------------------------------------

    def _sink(self, session_id: str) -> Callable[[PageEvent], Awaitable[None]]:
        async def on_event(event: PageEvent) -> None:
            running = self.sessions.get(session_id)
            if running is None:
                return
            try:
                if isinstance(event, StateChanged):
                    await self._on_state(running, event)
                else:
                    await self._on_page_event(running, event)
            except Exception:
                log.exception("page event %s of %s not handled", type(event).__name__, session_id)

        return on_event

    async def _on_state(self, running: RunningSession, event: StateChanged) -> None:
        previous, state = running.state, event.state
        reason = event.reason
        if previous == "FAILED":
            return  # given up: what the page still reports is moot
        if state == "DISCONNECTED" and previous == "READY" and self._flapping(running):
            running.state = "FAILED"
            # Not awaited here: closing the session cancels the task delivering this event.
            self._spawn(
                self._give_up(
                    running,
                    f"disconnected {len(running.disconnects)} times within "
                    f"{self._restart_window_s:.0f} s ({reason or 'socket lost'}); not "
                    "reconnecting again",
                    previous=previous,
                )
            )
            return
        if state == "FAILED" and event.code in _RESTARTABLE:
            if running.restarting:
                return  # the restart under way sees it fail and tries again
            # A crashed browser comes back from its profile: say so, not FAILED.
            running.restarting = True
            state = "DISCONNECTED"
            reason = f"{event.code}: {reason or 'the browser crashed'}; restarting"
            self._spawn(self._restart(running))
        running.state = state
        if state != previous:
            log.info(
                "session %s %s -> %s%s",
                running.session_id,
                previous,
                state,
                f" ({reason})" if reason else "",
                extra={"session_id": running.session_id},
            )
        me = event.me or running.me
        running.me = me
        changes: dict[str, Any] = {
            "state": state,
            "me": me,
            "qr": event.qr if state == "SCAN_QR" else None,
            "pairing_code": event.pairing_code if state == "PAIRING_CODE" else None,
        }
        if state in ("FAILED", "BANNED", "CONFLICT", "DISCONNECTED") and reason:
            changes["last_error"] = str(reason)
        await self._update(running.session_id, running.tenant_id, set=changes)
        await self._publish_state(
            running,
            state,
            previous,
            reason=reason,
            qr=changes["qr"],
            pairing_code=changes["pairing_code"],
        )
        if state == "READY" and previous != "READY" and previous not in ("DISCONNECTED",):
            self._spawn(self._save(running))
        if state == "LOGGED_OUT":
            self._spawn(self._logged_out(running))

    async def _open(
        self, session: BrowserSession, pairing: Literal["QR", "CODE"], phone: str | None
    ) -> None:
        """Open the browser session when a slot is free, within ``open_timeout_s``."""
        async with self._open_slots:
            await asyncio.wait_for(session.open(pairing, phone), self._open_timeout_s)

    def _flapping(self, running: RunningSession) -> bool:
        """Count one more disconnect; True once they are past the limit within the window."""
        now = time.monotonic()
        flaps = running.disconnects
        flaps.append(now)
        while flaps and now - flaps[0] > self._restart_window_s:
            flaps.popleft()
        return len(flaps) > self._flap_limit

    async def _restart(self, running: RunningSession) -> None:
        """Close the crashed browser and open the session again on its profile, with backoff;
        past the restart limit the session ends FAILED."""
        session_id = running.session_id
        try:
            async with self._lock(session_id):
                while self.sessions.get(session_id) is running:
                    now = time.monotonic()
                    while running.restarts and now - running.restarts[0] > self._restart_window_s:
                        running.restarts.popleft()
                    if len(running.restarts) >= self._restart_limit:
                        await self._give_up(
                            running,
                            f"restarted {len(running.restarts)} times within "
                            f"{self._restart_window_s:.0f} s; not restarting again",
                        )
                        return
                    running.restarts.append(now)
                    self._metrics.restarts.inc()
                    await asyncio.sleep(self._restart_backoff.delay(len(running.restarts)))
                    await self._close_quietly(running.session)
                    log.info("restarting the browser of %s", session_id)
                    try:
                        await self._open(running.session, running.pairing, running.phone)
                        return
                    except Exception as exc:
                        failure = classify(exc)
                        if failure is not None and failure.transient:
                            log.warning("restart of %s failed: %s", session_id, exc)
                            continue
                        await self._give_up(running, f"restart failed: {exc}")
                        return
        finally:
            running.restarting = False

    async def _give_up(
        self, running: RunningSession, detail: str, previous: str | None = None
    ) -> None:
        log.warning("session %s FAILED: %s", running.session_id, detail)
        previous, running.state = previous or running.state, "FAILED"
        running.browser_open = False
        await self._shut(running.session_id, running.session)
        await self._update(
            running.session_id, running.tenant_id, set={"state": "FAILED", "last_error": detail}
        )
        await self._publish_state(running, "FAILED", previous, reason=detail)

    async def _logged_out(self, running: RunningSession) -> None:
        async with self._lock(running.session_id):
            if self.sessions.get(running.session_id) is running:
                del self.sessions[running.session_id]
            await self._shut(running.session_id, running.session)
            await self._vault.delete(running.session_id)
            await self._update(
                running.session_id,
                running.tenant_id,
                set={"desired": "STOPPED", "vault_version": 0, "me": None},
            )

    # -- internals -----------------------------------------------------------------------------

    async def _resume(self, snapshot: dict[str, Any]) -> None:
        """Start a session this worker took over; a transient failure (a slow browser start,
        Redis or Kafka briefly away) is retried with backoff, up to ``restart_limit`` times,
        while the session is still wanted here."""
        session_id = snapshot["session_id"]
        attempt = 0
        while True:
            attempt += 1
            try:
                await self.start(
                    session_id,
                    snapshot["tenant_id"],
                    pairing=snapshot["pairing"],
                    phone=snapshot["phone"],
                )
                return
            except PermanentFailure as exc:
                log.warning("session %s did not resume: %s", session_id, exc)
                return
            except Exception as exc:
                if attempt > self._restart_limit or not self._wanted_here(session_id):
                    log.warning(
                        "session %s did not resume after %d attempts: %s", session_id, attempt, exc
                    )
                    return
                delay = self._restart_backoff.delay(attempt)
                log.warning(
                    "session %s did not resume (%s); retrying in %.1f s", session_id, exc, delay
                )
                await asyncio.sleep(delay)
                if not self._wanted_here(session_id):
                    return

    def _wanted_here(self, session_id: str) -> bool:
        """Desired RUNNING, on a partition this worker owns, and not running already."""
        snapshot = self._snapshot(session_id)
        running = self.sessions.get(session_id)
        return (
            snapshot is not None
            and snapshot["desired"] == "RUNNING"
            and partition_for(session_id, self._partitions) in self._owned()
            and (running is None or running.state in _FINISHED)
        )

    async def _save(self, running: RunningSession) -> None:
        version = int(time.time() * 1000)
        try:
            stored = await self._vault.save(running.session_id, version, running.profile_dir)
        except Exception as exc:
            log.warning("vault snapshot of %s failed: %s", running.session_id, exc)
            return
        if stored:
            await self._update(
                running.session_id, running.tenant_id, set={"vault_version": version}
            )

    async def _close(self, running: RunningSession) -> None:
        """Save a linked session's login to the vault, then close its browser for good."""
        saving = running if running.state in _LINKED else None
        await self._shut(running.session_id, running.session, saving=saving)
        for gauge in (self._metrics.browser_pss, self._metrics.browser_cpu):
            with contextlib.suppress(KeyError):
                gauge.remove(running.session_id)

    async def _take_lease(self, session_id: str) -> None:
        """Wait for the session's lease (see :mod:`streams.leases`): a worker that had the
        session gives it back once its browser is closed, a killed one's lapses."""
        try:
            holder = await self._leases.take(session_id, wait_s=self._leases.ttl_s + 1.0)
        except RedisError as exc:
            raise TransientFailure("REDIS_UNAVAILABLE", f"cannot take the lease: {exc}") from exc
        if holder is not None:
            raise TransientFailure(
                "SESSION_HELD", f"session {session_id} is still open on worker {holder}"
            )

    async def _give_back(self, session_id: str) -> None:
        self._detached.discard(session_id)
        try:
            await self._leases.give_back(session_id)
        except Exception as exc:  # it lapses on its own
            log.warning("cannot give back the lease of %s: %s", session_id, exc)

    async def renew_leases(self) -> None:
        """Renew the leases of the sessions whose browsers are open here (periodically),
        those being closed included: a slow snapshot or close must not let a lease lapse while
        the browser still holds the linked device."""
        candidates = [*self.sessions, *self._detached]
        # Checked as each lease is renewed: a browser closed meanwhile has given its lease back.
        open_here = (sid for sid in dict.fromkeys(candidates) if self._holds_browser(sid))
        try:
            held = await self._leases.renew(open_here)
        except Exception as exc:
            log.warning("cannot renew the session leases: %s", exc)
            return
        for session_id in held:
            log.warning("the lease of session %s is held by another worker", session_id)

    def _holds_browser(self, session_id: str) -> bool:
        running = self.sessions.get(session_id)
        return session_id in self._detached or (running is not None and running.browser_open)

    async def _shut(
        self, session_id: str, session: BrowserSession, *, saving: RunningSession | None = None
    ) -> None:
        """Close the session's browser for good (after saving the login of ``saving`` to the
        vault) and give its lease back, renewed until then (a restart closes the browser alone:
        the session stays on this worker)."""
        self._detached.add(session_id)
        try:
            try:
                if saving is not None:
                    await self._save(saving)
            finally:
                await self._close_quietly(session)
        finally:
            self._detached.discard(session_id)
        log.info("closed the browser of session %s", session_id)
        await self._give_back(session_id)

    async def _close_quietly(self, session: BrowserSession) -> None:
        try:
            await asyncio.wait_for(session.close(), 30.0)
        except Exception as exc:
            log.warning("closing a session failed: %s", exc)

    def _lock(self, session_id: str) -> asyncio.Lock:
        lock = self._locks.get(session_id)
        if lock is None:
            lock = self._locks[session_id] = asyncio.Lock()
        return lock

    def _spawn(self, coro: Awaitable[None]) -> None:
        async def run() -> None:
            await coro

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
