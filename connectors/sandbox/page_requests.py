"""What a logged-in page may ask the network over its socket (frames with a ``req`` id)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.sandbox import groups
from connectors.sandbox.exceptions import InvalidRequestError, NotFoundError
from connectors.sandbox.jids import (
    chat_of,
    check_message_id,
    group_jid,
    is_group,
    normalize_number,
    user_jid,
)
from connectors.sandbox.models import MEDIA_TYPES, Device, MediaRef
from connectors.sandbox.network import Network
from connectors.sandbox.views import group_view, key_view, message_view, serialized_key

__all__ = ["PAGE_REQUESTS", "PageRequest"]

PageRequest = Callable[[Network, Device, dict[str, Any]], Any]


def _str(frame: dict[str, Any], name: str, *, limit: int = 65536, empty: bool = True) -> str:
    value = frame.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > limit or (not empty and not value):
        raise InvalidRequestError(f"{name} must be a string of at most {limit}", field=name)
    return value


def _numbers(frame: dict[str, Any], name: str) -> list[str]:
    values = frame.get(name)
    if not isinstance(values, list) or len(values) > 1024:
        raise InvalidRequestError(f"{name} must be a list of JIDs", field=name)
    return [normalize_number(v, name) for v in values]


def _media(net: Network, msg: dict[str, Any]) -> MediaRef | None:
    path = msg.get("directPath")
    if isinstance(path, str) and path:
        digest = path.rsplit("/", 1)[-1]
        stored = net.media.get(digest)
        if stored is None:
            raise NotFoundError("no uploaded media at that directPath", field="directPath")
        filename = msg.get("filename") if isinstance(msg.get("filename"), str) else None
        return MediaRef(digest, stored[0], len(stored[1]), filename)
    data = msg.get("data")
    if isinstance(data, str) and data:
        filename = msg.get("filename") if isinstance(msg.get("filename"), str) else None
        return net.media.put_base64(data, _str(msg, "mimetype", limit=128), filename)
    raise InvalidRequestError("a media message needs directPath or data", field="directPath")


def send(net: Network, device: Device, frame: dict[str, Any]) -> Any:
    msg = frame.get("msg")
    if not isinstance(msg, dict):
        raise InvalidRequestError("msg must be an object", field="msg")
    kind = msg.get("type") or "chat"
    if kind != "chat" and kind not in MEDIA_TYPES:
        raise InvalidRequestError(f"cannot send messages of type {kind!r}", field="type")
    media = _media(net, msg) if kind in MEDIA_TYPES else None
    quoted = msg.get("quotedStanzaID") or msg.get("quotedMsgId")
    mentions = msg.get("mentionedJidList") or []
    stored, created = net.send(
        device.number,
        chat_of(msg.get("to"), "to"),
        msg_id=check_message_id(msg.get("id")),
        type=kind,
        body=_str(msg, "body") if media is None else "",
        caption=_str(msg, "caption") if media is not None else None,
        media=media,
        quoted_id=quoted if isinstance(quoted, str) else None,
        mentions=[normalize_number(m, "mentionedJidList") for m in mentions],
    )
    return {
        "ack": stored.ack,
        "t": stored.t,
        "duplicate": not created,
        "msg": message_view(stored, device.number, net.accounts),
    }


def seen(net: Network, device: Device, frame: dict[str, Any]) -> Any:
    return {"read": net.mark_read(device.number, chat_of(frame.get("chat")))}


def react(net: Network, device: Device, frame: dict[str, Any]) -> Any:
    parent = frame.get("parent")
    if not isinstance(parent, dict):
        raise InvalidRequestError("parent must be a message key", field="parent")
    chat = chat_of(parent.get("remote"), "parent.remote")
    target = net.find_message(
        device.number, chat, check_message_id(parent.get("id")), own=bool(parent.get("fromMe"))
    )
    reaction_id = frame.get("id")
    reaction = net.react(
        device.number,
        chat,
        target,
        _str(frame, "text", limit=32),
        check_message_id(reaction_id) if reaction_id else None,
    )
    return {"id": reaction.id, "t": reaction.t_ms}


def exists(net: Network, device: Device, frame: dict[str, Any]) -> Any:
    number = normalize_number(frame.get("jid"), "jid")
    return {"wid": user_jid(number)} if number in net.accounts else None


def earlier(net: Network, device: Device, frame: dict[str, Any]) -> Any:
    chat = chat_of(frame.get("chat"))
    before = frame.get("before")
    count = frame.get("count")
    if not isinstance(count, int) or not 0 < count <= 1000:
        count = net.config.history_sync_count
    found = net.history(device.number, chat, before if isinstance(before, int) else None, count + 1)
    more = len(found) > count
    page = found[-count:]
    return {
        "msgs": [message_view(m, device.number, net.accounts) for m in page],
        "noEarlierMsgs": not more,
    }


def group_create(net: Network, device: Device, frame: dict[str, Any]) -> Any:
    group, results = groups.create_group(
        net, device.number, _str(frame, "subject", limit=100), _numbers(frame, "participants")
    )
    return {
        "wid": group.jid,
        "subject": group.subject,
        "participants": [
            {"wid": r["jid"], **({} if r["code"] == 200 else {"error": r["code"]})} for r in results
        ],
        "group": group_view(group),
    }


def group_participants(net: Network, device: Device, frame: dict[str, Any]) -> Any:
    action = frame.get("action")
    if action not in ("add", "remove", "promote", "demote"):
        raise InvalidRequestError("action must be add, remove, promote or demote", field="action")
    return groups.change_participants(
        net, device.number, group_jid(frame.get("group")), action, _numbers(frame, "participants")
    )


def group_info(net: Network, device: Device, frame: dict[str, Any]) -> Any:
    def opt_bool(name: str) -> bool | None:
        value = frame.get(name)
        return value if isinstance(value, bool) else None

    group = groups.set_group_info(
        net,
        device.number,
        group_jid(frame.get("group")),
        subject=_str(frame, "subject", limit=100) if "subject" in frame else None,
        description=_str(frame, "description", limit=2048) if "description" in frame else None,
        announce=opt_bool("announce"),
        restrict=opt_bool("restrict"),
    )
    return group_view(group)


def group_leave(net: Network, device: Device, frame: dict[str, Any]) -> Any:
    groups.leave_group(net, device.number, group_jid(frame.get("group")))
    return {"left": True}


def group_invite(net: Network, device: Device, frame: dict[str, Any]) -> Any:
    code = groups.invite_code(
        net, device.number, group_jid(frame.get("group")), reset=frame.get("reset") is True
    )
    return {"code": code}


def group_join(net: Network, device: Device, frame: dict[str, Any]) -> Any:
    code = _str(frame, "code", limit=128, empty=False).rsplit("/", 1)[-1]
    return group_view(groups.join_by_invite(net, device.number, code))


def group_query(net: Network, device: Device, frame: dict[str, Any]) -> Any:
    return group_view(net.group(group_jid(frame.get("group"))))


def logout(net: Network, device: Device, frame: dict[str, Any]) -> Any:
    net.unlink(device.number, device.id)
    return {"logout": True}


def message_key(net: Network, device: Device, frame: dict[str, Any]) -> Any:
    """The serialized key of a message the page names by chat and id (history lookups)."""
    chat = chat_of(frame.get("chat"))
    msg = net.find_message(device.number, chat, check_message_id(frame.get("id")))
    return {"key": serialized_key(key_view(msg, device.number)), "isGroup": is_group(chat)}


PAGE_REQUESTS: dict[str, PageRequest] = {
    "send": send,
    "seen": seen,
    "react": react,
    "exists": exists,
    "earlier": earlier,
    "group-create": group_create,
    "group-participants": group_participants,
    "group-info": group_info,
    "group-leave": group_leave,
    "group-invite": group_invite,
    "group-join": group_join,
    "group-query": group_query,
    "logout": logout,
    "message-key": message_key,
}
