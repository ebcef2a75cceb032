"""What a session can do, each operation one call into the page's bridge: arguments checked
and normalized here (recipients, ids, media), the work done by ``bridge.js``."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

from connectors.whatsapp.exceptions import Codes, PermanentError
from connectors.whatsapp.ids import chat_jid, parse_key, user_jid
from connectors.whatsapp.media import load_media
from wastream.settings import Settings

__all__ = ["SessionOperations"]

_ACTIONS = frozenset({"ADD", "REMOVE", "PROMOTE", "DEMOTE"})
_HISTORY_PAGE = 50


class SessionOperations:
    """The operations of :class:`~connectors.whatsapp.session.WhatsAppSession`; the session
    supplies :meth:`_call` (a bridge call with a timeout, its failures raised as
    :class:`~connectors.whatsapp.exceptions.PermanentError`/``TransientError``)."""

    _settings: Settings

    async def _call(self, op: str, args: dict[str, Any], *, timeout_s: float | None = None) -> Any:
        raise NotImplementedError

    async def send_text(
        self, to: str, text: str, *, message_id: str, reply_to: str | None, mentions: list[str]
    ) -> str:
        """Send ``text`` with the chosen ``message_id``; answers the serialized message id.
        Sending the same id again does not send a second message."""
        args = self._message_args(to, message_id, reply_to, mentions)
        args["body"] = text
        return str((await self._call("sendMessage", args))["message_id"])

    async def send_media(
        self,
        to: str,
        media: dict[str, Any],
        *,
        caption: str | None,
        message_id: str,
        reply_to: str | None,
        mentions: list[str],
    ) -> str:
        """Send an image, video, audio or document (``wastream.v1.MediaSource``)."""
        args = self._message_args(to, message_id, reply_to, mentions)
        loaded = await load_media(media, self._settings)
        args["media"] = {
            "kind": loaded.kind,
            "mimetype": loaded.mimetype,
            "filename": loaded.filename,
            "data": base64.b64encode(loaded.data).decode("ascii"),
        }
        args["caption"] = caption
        result = await self._call("sendMessage", args, timeout_s=2 * self._settings.page_timeout_s)
        return str(result["message_id"])

    async def react(self, message_id: str, emoji: str) -> None:
        parse_key(message_id)
        await self._call("react", {"message_id": message_id, "emoji": emoji})

    async def mark_read(self, chat: str) -> None:
        await self._call("markRead", {"chat": chat_jid(chat)})

    async def check_numbers(self, numbers: list[str]) -> dict[str, str]:
        """Each number -> its JID when it is on WhatsApp, else ``""``."""
        jids: dict[str, str | None] = {}
        for number in numbers:
            try:
                jids[number] = user_jid(number)
            except PermanentError:
                jids[number] = None
        asked = sorted({jid for jid in jids.values() if jid is not None})
        found: dict[str, str] = await self._call("checkNumbers", {"jids": asked}) if asked else {}
        return {number: (found.get(jid, "") if jid else "") for number, jid in jids.items()}

    async def create_group(self, subject: str, participants: list[str]) -> str:
        if not subject.strip():
            raise PermanentError(Codes.INVALID_REQUEST, "a group needs a subject")
        result = await self._call(
            "createGroup",
            {"subject": subject.strip(), "participants": [user_jid(p) for p in participants]},
        )
        return str(result["group"])

    async def update_participants(
        self, group: str, action: str, participants: list[str]
    ) -> dict[str, str]:
        """ADD, REMOVE, PROMOTE or DEMOTE; answers each participant's JID -> outcome
        (``OK``, ``NOT_ON_WHATSAPP``, ``CONFLICT``, ``FORBIDDEN``, …)."""
        if action.upper() not in _ACTIONS:
            raise PermanentError(Codes.INVALID_REQUEST, f"unknown participant action {action!r}")
        result: dict[str, str] = await self._call(
            "updateParticipants",
            {
                "group": self._group(group),
                "action": action.upper(),
                "participants": [user_jid(p) for p in participants],
            },
        )
        return {str(k): str(v) for k, v in result.items()}

    async def update_group_info(
        self, group: str, subject: str | None, description: str | None
    ) -> None:
        if subject is not None and not subject.strip():
            raise PermanentError(Codes.INVALID_REQUEST, "a group subject cannot be empty")
        await self._call(
            "updateGroupInfo",
            {"group": self._group(group), "subject": subject, "description": description},
        )

    async def group_invite(self, group: str) -> str:
        return str(await self._call("groupInvite", {"group": self._group(group)}))

    async def leave_group(self, group: str) -> None:
        await self._call("leaveGroup", {"group": self._group(group)})

    async def list_chats(self) -> list[dict[str, Any]]:
        """Chats as ``wastream.v1.ScrapedChat`` fields (chat, name, is_group, unread, …)."""
        return list(await self._call("listChats", {}))

    async def list_contacts(self) -> list[dict[str, Any]]:
        """Contacts as ``wastream.v1.ScrapedContact`` fields (jid, name, pushname, …)."""
        return list(await self._call("listContacts", {}))

    async def group_members(self, group: str) -> list[dict[str, Any]]:
        """Members as ``wastream.v1.ScrapedGroupMember`` fields (jid, is_admin, …)."""
        return list(await self._call("groupMembers", {"group": self._group(group)}))

    async def history(
        self, chat: str, *, since_ms: int | None, limit: int | None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """A chat's messages, newest first, page by page (``wastream.v1.ScrapedMessage``
        fields); stops at ``since_ms`` or after ``limit`` messages."""
        jid = chat_jid(chat)
        before: str | None = None
        left = limit
        while left is None or left > 0:
            count = _HISTORY_PAGE if left is None else min(_HISTORY_PAGE, left)
            page = await self._call(
                "history", {"chat": jid, "before": before, "count": count, "since": since_ms}
            )
            messages = list(page["messages"])
            if messages:
                yield messages
                before = str(messages[-1]["message_id"])
                if left is not None:
                    left -= len(messages)
            if not page["more"] or not messages:
                return

    async def has_message(self, chat: str, message_id: str) -> bool:
        """Whether this account already sent ``message_id`` (the hex id, or a serialized key)
        to ``chat`` and the server stored it."""
        hex_id = parse_key(message_id).id if "_" in message_id else message_id
        return bool(await self._call("hasMessage", {"chat": chat_jid(chat), "id": hex_id}))

    def _message_args(
        self, to: str, message_id: str, reply_to: str | None, mentions: list[str]
    ) -> dict[str, Any]:
        if not message_id or not message_id.replace("-", "").isalnum():
            raise PermanentError(Codes.INVALID_REQUEST, f"bad message id {message_id!r}")
        if reply_to:
            parse_key(reply_to)
        return {
            "to": chat_jid(to),
            "id": message_id,
            "quoted": reply_to or None,
            "mentions": [user_jid(m) for m in mentions],
            "timeoutMs": int(self._settings.page_timeout_s * 800),
        }

    @staticmethod
    def _group(group: str) -> str:
        jid = chat_jid(group)
        if not jid.endswith("@g.us"):
            raise PermanentError(Codes.INVALID_RECIPIENT, f"{group!r} is not a group JID")
        return jid
