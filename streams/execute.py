"""Running one command against its session: what each payload does in the browser."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.asyncio import Redis

from streams.connector import classify, message_id_for, sent_key
from streams.exceptions import PermanentFailure
from streams.ledger import broadcast_key
from streams.metrics import WorkerMetrics
from streams.pacing import Pacer
from streams.page_events import PageEventPublisher
from streams.publisher import Publisher
from streams.supervisor import RunningSession, SessionSupervisor
from streams.types import BrowserSession

__all__ = ["CommandExecutor", "chat_of"]

log = logging.getLogger(__name__)

T = TypeVar("T")

Output = dict[str, str]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def chat_of(recipient: str) -> str:
    """The chat JID of a recipient given as digits or as a JID."""
    return recipient if "@" in recipient else f"{recipient}@c.us"


class CommandExecutor:
    """Executes decoded ``CommandEnvelope`` records; answers the result's ``output`` map.

    Failures are raised as :class:`~streams.exceptions.CommandFailure` (or the connector's own
    errors, classified by the caller). ``first_run`` is False when the command may have run
    before (a redelivery after a crash, a retry): sends then look for their message first.
    """

    def __init__(
        self,
        *,
        supervisor: SessionSupervisor,
        pacer: Pacer,
        publisher: Publisher,
        page_events: PageEventPublisher,
        redis: Redis,
        update: Callable[..., Awaitable[None]],
        metrics: WorkerMetrics,
        timeout_s: float,
        progress_ttl_s: int,
        history_limit: int,
        ready_wait_s: float = 0.0,
    ) -> None:
        self._supervisor = supervisor
        self._pacer = pacer
        self._publisher = publisher
        self._page_events = page_events
        self._redis = redis
        self._update = update
        self._metrics = metrics
        self._timeout_s = timeout_s
        self._progress_ttl_s = progress_ttl_s
        self._history_limit = history_limit
        self._ready_wait_s = ready_wait_s

    async def run(self, envelope: dict[str, Any], *, first_run: bool) -> Output:
        kind, payload = envelope["payload"]
        session_id, tenant_id = envelope["session_id"], envelope["tenant_id"]
        if kind == "StartSession":
            await self._update(
                session_id,
                tenant_id,
                set={
                    "desired": "RUNNING",
                    "pairing": payload["pairing"],
                    "phone": payload["phone"],
                },
            )
            running = await self._supervisor.start(
                session_id, tenant_id, pairing=payload["pairing"], phone=payload["phone"]
            )
            return {"state": running.state}
        if kind == "StopSession":
            await self._update(session_id, tenant_id, set={"desired": "STOPPED"})
            await self._supervisor.stop(session_id, tenant_id, reason="StopSession")
            return {"state": "STOPPED"}
        if kind == "LogoutSession":
            await self._update(session_id, tenant_id, set={"desired": "STOPPED"})
            await self._supervisor.logout(session_id, tenant_id)
            return {"state": "LOGGED_OUT"}
        running = await self._supervisor.wait_ready(session_id, self._ready_wait_s)
        handler = getattr(self, f"_{kind}", None)
        if handler is None:
            raise PermanentFailure("UNSUPPORTED_COMMAND", f"no handler for {kind}")
        output: Output = await handler(running, envelope, payload, first_run)
        return output

    async def _op(self, awaitable: Awaitable[T]) -> T:
        return await asyncio.wait_for(awaitable, self._timeout_s)

    async def _send(
        self,
        running: RunningSession,
        command_id: str,
        index: int,
        to: str,
        first_run: bool,
        send: Callable[[BrowserSession, str], Awaitable[str]],
        pace_ms: int | None = None,
    ) -> tuple[str, bool]:
        """Send once: answers the message's serialized key and whether it was sent now.

        A rerun that finds its message in the chat answers the same key a fresh send does, so
        the command's output does not depend on how often it ran."""
        message_id = message_id_for(command_id, index)
        session = running.session
        # Before the send: the page reports the new message (and its first acks) while the
        # send is still under way.
        self._page_events.remember_sent(running, message_id, command_id)
        if not first_run and await self._op(session.has_message(chat_of(to), message_id)):
            return sent_key(to, message_id, running.me or session.me), False
        if pace_ms is None:
            await self._pacer.wait(running.session_id)
        elif pace_ms > 0:
            await self._pacer.wait_fixed(pace_ms)
        sent_id = await self._op(send(session, message_id))
        self._metrics.messages_sent.inc()
        await self._update(running.session_id, running.tenant_id, incr={"sent": 1})
        return sent_id, True

    async def _SendMessage(
        self, running: RunningSession, env: dict[str, Any], p: dict[str, Any], first_run: bool
    ) -> Output:
        message_id, sent = await self._send(
            running,
            env["command_id"],
            0,
            p["to"],
            first_run,
            lambda s, mid: s.send_text(
                p["to"], p["text"], message_id=mid, reply_to=p["reply_to"], mentions=p["mentions"]
            ),
        )
        return {"message_id": message_id, "sent": "true" if sent else "already"}

    async def _SendMedia(
        self, running: RunningSession, env: dict[str, Any], p: dict[str, Any], first_run: bool
    ) -> Output:
        message_id, sent = await self._send(
            running,
            env["command_id"],
            0,
            p["to"],
            first_run,
            lambda s, mid: s.send_media(
                p["to"],
                p["media"],
                caption=p["caption"],
                message_id=mid,
                reply_to=p["reply_to"],
                mentions=p["mentions"],
            ),
        )
        return {"message_id": message_id, "sent": "true" if sent else "already"}

    async def _SendReaction(
        self, running: RunningSession, env: dict[str, Any], p: dict[str, Any], first_run: bool
    ) -> Output:
        await self._op(running.session.react(p["message_id"], p["emoji"]))
        return {}

    async def _MarkRead(
        self, running: RunningSession, env: dict[str, Any], p: dict[str, Any], first_run: bool
    ) -> Output:
        await self._op(running.session.mark_read(p["chat"]))
        return {}

    async def _CheckNumbers(
        self, running: RunningSession, env: dict[str, Any], p: dict[str, Any], first_run: bool
    ) -> Output:
        found = await self._op(running.session.check_numbers(list(p["numbers"])))
        return {str(k): str(v) for k, v in found.items()}

    async def _CreateGroup(
        self, running: RunningSession, env: dict[str, Any], p: dict[str, Any], first_run: bool
    ) -> Output:
        group = await self._op(running.session.create_group(p["subject"], list(p["participants"])))
        return {"group_id": group}

    async def _UpdateGroupParticipants(
        self, running: RunningSession, env: dict[str, Any], p: dict[str, Any], first_run: bool
    ) -> Output:
        outcome = await self._op(
            running.session.update_participants(p["group"], p["action"], list(p["participants"]))
        )
        return {str(k): str(v) for k, v in outcome.items()}

    async def _UpdateGroupInfo(
        self, running: RunningSession, env: dict[str, Any], p: dict[str, Any], first_run: bool
    ) -> Output:
        await self._op(
            running.session.update_group_info(p["group"], p["subject"], p["description"])
        )
        return {}

    async def _GetGroupInvite(
        self, running: RunningSession, env: dict[str, Any], p: dict[str, Any], first_run: bool
    ) -> Output:
        return {"invite_code": await self._op(running.session.group_invite(p["group"]))}

    async def _LeaveGroup(
        self, running: RunningSession, env: dict[str, Any], p: dict[str, Any], first_run: bool
    ) -> Output:
        await self._op(running.session.leave_group(p["group"]))
        return {}

    async def _Broadcast(
        self, running: RunningSession, env: dict[str, Any], p: dict[str, Any], first_run: bool
    ) -> Output:
        """One paced send per recipient; progress in Redis so a restart resumes, not repeats."""
        command_id = env["command_id"]
        key = broadcast_key(command_id)
        stored: dict[Any, Any] = await self._redis.hgetall(key)
        progress = {int(k): _text(v) for k, v in stored.items()}
        recipients = list(p["recipients"])
        for index, to in enumerate(recipients):
            if index in progress:
                continue
            # Whatever this broadcast did before the last record of progress may be in the chat.
            maybe_sent = not first_run or bool(progress)

            def send(s: BrowserSession, mid: str, to: str = to) -> Awaitable[str]:
                if p["media"] is not None:
                    return s.send_media(
                        to,
                        p["media"],
                        caption=p["caption"],
                        message_id=mid,
                        reply_to=None,
                        mentions=[],
                    )
                return s.send_text(to, p["text"] or "", message_id=mid, reply_to=None, mentions=[])

            try:
                message_id, _ = await self._send(
                    running, command_id, index, to, not maybe_sent, send, p["pace_ms"]
                )
                mark = message_id
            except PermanentFailure as exc:
                mark = f"!{exc.code}"
            except Exception as exc:
                failure = classify(exc)
                if failure is None or failure.transient:
                    raise
                mark = f"!{failure.code}"
            progress[index] = mark
            await self._redis.hset(key, str(index), mark)
            await self._redis.expire(key, self._progress_ttl_s)
        failed = [recipients[i] for i, mark in sorted(progress.items()) if mark.startswith("!")]
        return {
            "recipients": str(len(recipients)),
            "sent": str(len(recipients) - len(failed)),
            "failed": str(len(failed)),
            "failed_recipients": ",".join(failed),
        }

    async def _Scrape(
        self, running: RunningSession, env: dict[str, Any], p: dict[str, Any], first_run: bool
    ) -> Output:
        count = await self.scrape(
            running, env["command_id"], p["kind"], p["chat"], p["since"], p["limit"]
        )
        return {"records": str(count)}

    async def scrape(
        self,
        running: RunningSession,
        command_id: str,
        kind: str,
        chat: str | None,
        since: int | None,
        limit: int | None,
    ) -> int:
        """Publish what the session knows of ``kind`` to wa.scrape-results; answers the count."""
        session = running.session
        base = {
            "session_id": running.session_id,
            "tenant_id": running.tenant_id,
            "command_id": command_id,
        }
        seq = 0

        async def emit(name: str, item: dict[str, Any]) -> bool:
            nonlocal seq
            if limit is not None and seq >= limit:
                return False
            await self._publisher.publish(
                name, {**item, **base, "seq": seq}, key=base["session_id"]
            )
            seq += 1
            return True

        if kind == "CHATS":
            for item in await self._op(session.list_chats()):
                if chat is not None and item.get("chat") != chat:
                    continue
                if not await emit("ScrapedChat", item):
                    break
        elif kind == "CONTACTS":
            for item in await self._op(session.list_contacts()):
                if not await emit("ScrapedContact", item):
                    break
        elif kind == "GROUP_MEMBERS":
            groups = (
                [chat]
                if chat
                else [c["chat"] for c in await self._op(session.list_chats()) if c.get("is_group")]
            )
            for group in groups:
                for item in await self._op(session.group_members(group)):
                    if not await emit("ScrapedGroupMember", {"group": group, **item}):
                        return seq
        elif kind == "MESSAGES":
            chats = [chat] if chat else [c["chat"] for c in await self._op(session.list_chats())]
            for one in chats:
                budget = self._history_limit if limit is None else min(limit, self._history_limit)
                async for page in session.history(one, since_ms=since, limit=budget):
                    for item in page:
                        if not await emit("ScrapedMessage", {"chat": one, **item}):
                            return seq
        else:
            raise PermanentFailure("UNSUPPORTED_SCRAPE", f"unknown scrape kind {kind}")
        return seq
