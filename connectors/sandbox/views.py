"""Records seen from one account: the JSON the page and the phone API get."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from connectors.sandbox.jids import is_group, user_jid
from connectors.sandbox.models import ACK_SERVER, Account, Group, Message

__all__ = [
    "chat_jid_for",
    "contact_view",
    "group_view",
    "inbox_view",
    "key_view",
    "message_view",
    "serialized_key",
]


def chat_jid_for(msg: Message, viewer: str) -> str:
    """The chat a message belongs to from the viewer's side: the group or the other party."""
    if is_group(msg.conv):
        return msg.conv
    a, _, b = msg.conv.partition(":")
    return user_jid(b if a == viewer else a)


def key_view(msg: Message, viewer: str) -> dict[str, Any]:
    group = is_group(msg.conv)
    return {
        "fromMe": msg.sender == viewer and msg.type != "gp2",
        "remote": chat_jid_for(msg, viewer),
        "id": msg.id,
        "participant": user_jid(msg.sender) if group else None,
    }


def serialized_key(key: Mapping[str, Any]) -> str:
    text = f"{'true' if key['fromMe'] else 'false'}_{key['remote']}_{key['id']}"
    return f"{text}_{key['participant']}" if key.get("participant") else text


def _media_fields(msg: Message) -> dict[str, Any]:
    if msg.media is None:
        return {}
    digest = bytes.fromhex(msg.media.hash)
    return {
        "mimetype": msg.media.mimetype,
        "size": msg.media.size,
        "filename": msg.media.filename,
        "directPath": f"/media/{msg.media.hash}",
        "filehash": base64.b64encode(digest).decode(),
        "encFilehash": base64.b64encode(digest).decode(),
        "mediaKey": base64.b64encode(digest[:32]).decode(),
    }


def message_view(msg: Message, viewer: str, accounts: Mapping[str, Account]) -> dict[str, Any]:
    """A message as a page's ``Msg`` model gets it (JIDs as strings)."""
    key = key_view(msg, viewer)
    chat = key["remote"]
    me = user_jid(viewer)
    group = is_group(msg.conv)
    sender = user_jid(msg.sender)
    if key["fromMe"]:
        frm, to = me, chat
    else:
        frm, to = (chat if group else sender), me
    sender_account = accounts.get(msg.sender)
    view: dict[str, Any] = {
        "key": key,
        "from": frm,
        "to": to,
        "author": sender if group else None,
        "t": msg.t,
        "type": msg.type,
        "subtype": msg.subtype,
        "body": msg.body,
        "ack": msg.ack if key["fromMe"] else msg.acks.get(viewer, ACK_SERVER),
        "notifyName": sender_account.name if sender_account else "",
        "isNotification": msg.type == "gp2",
        "recipients": [user_jid(r) for r in msg.recipients],
        "mentionedJidList": [user_jid(m) for m in msg.mentions],
        "isEdited": msg.edited,
        "sort": msg.seq,
    }
    if msg.caption is not None:
        view["caption"] = msg.caption
    if msg.quoted_id is not None:
        view["quotedStanzaID"] = msg.quoted_id
    view.update(_media_fields(msg))
    return view


def inbox_view(msg: Message, viewer: str) -> dict[str, Any]:
    """A message as ``GET /phone/{number}/inbox`` lists it."""
    key = key_view(msg, viewer)
    view: dict[str, Any] = {
        "id": msg.id,
        "key": serialized_key(key),
        "chat": key["remote"],
        "from": user_jid(msg.sender),
        "from_me": key["fromMe"],
        "type": msg.type,
        "subtype": msg.subtype,
        "text": msg.caption if msg.media is not None else msg.body,
        "timestamp": msg.t,
        "ack": msg.ack if key["fromMe"] else msg.acks.get(viewer, ACK_SERVER),
        "edited": msg.edited,
        "reactions": {user_jid(n): r.text for n, r in msg.reactions.items()},
    }
    if msg.recipients:
        view["recipients"] = [user_jid(r) for r in msg.recipients]
    if msg.media is not None:
        view["media"] = {
            "url": f"/media/{msg.media.hash}",
            "mimetype": msg.media.mimetype,
            "size": msg.media.size,
            "filename": msg.media.filename,
        }
    if msg.quoted_id is not None:
        view["quoted"] = msg.quoted_id
    return view


def group_view(group: Group) -> dict[str, Any]:
    return {
        "id": group.jid,
        "subject": group.subject,
        "subjectTime": group.subject_time,
        "desc": group.desc,
        "descId": group.desc_id,
        "descOwner": user_jid(group.desc_owner) if group.desc_owner else None,
        "owner": user_jid(group.owner),
        "creation": group.creation,
        "announce": group.announce,
        "restrict": group.restrict,
        "size": len(group.participants),
        "participants": [
            {
                "id": user_jid(p),
                "isAdmin": p in group.admins,
                "isSuperAdmin": p == group.owner,
            }
            for p in group.participants
        ],
    }


def contact_view(number: str, viewer: Account, accounts: Mapping[str, Account]) -> dict[str, Any]:
    account = accounts.get(number)
    book = viewer.contacts.get(number)
    pushname = account.name if account else None
    return {
        "id": user_jid(number),
        "name": book,
        "pushname": pushname,
        "shortName": (book or pushname or number).split(" ")[0],
        "isMyContact": book is not None,
        "isUser": True,
        "isGroup": False,
        "isWAContact": account is not None,
        "isMe": number == viewer.number,
    }
