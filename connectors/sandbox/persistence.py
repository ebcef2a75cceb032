"""Keeping the network in a JSON file, so a restart keeps accounts, devices, groups and chats.

Live connections, pending deliveries, rate windows and media bytes are not kept.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from connectors.sandbox.exceptions import PersistenceError
from connectors.sandbox.models import (
    ACK_SERVER,
    Account,
    Conversation,
    Device,
    Group,
    MediaRef,
    Message,
    Reaction,
)
from connectors.sandbox.network import Network

__all__ = ["dump_network", "load_network", "restore_network", "save_network"]

FORMAT = 1


def _message(m: Message) -> dict[str, Any]:
    return {
        "seq": m.seq,
        "id": m.id,
        "sender": m.sender,
        "t": m.t,
        "type": m.type,
        "audience": sorted(m.audience),
        "body": m.body,
        "subtype": m.subtype,
        "caption": m.caption,
        "media": None
        if m.media is None
        else [m.media.hash, m.media.mimetype, m.media.size, m.media.filename],
        "recipients": list(m.recipients),
        "quoted_id": m.quoted_id,
        "mentions": list(m.mentions),
        "acks": m.acks,
        "reactions": {k: [r.id, r.text, r.t_ms] for k, r in m.reactions.items()},
        "edited": m.edited,
        "hidden_for": sorted(m.hidden_for),
    }


def dump_network(net: Network) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "seq": net.seq,
        "accounts": [
            {
                "number": a.number,
                "name": a.name,
                "created": a.created,
                "contacts": a.contacts,
                "phone_online": a.phone_online,
                "banned_until": a.banned_until,
                "chats": a.chats,
                "unread": a.unread,
                "read_pos": a.read_pos,
                "devices": [
                    [d.id, d.public_key, d.platform, d.linked_at] for d in a.devices.values()
                ],
            }
            for a in net.accounts.values()
        ],
        "groups": [
            {
                "jid": g.jid,
                "subject": g.subject,
                "owner": g.owner,
                "creation": g.creation,
                "participants": g.participants,
                "admins": sorted(g.admins),
                "invite_code": g.invite_code,
                "desc": g.desc,
                "desc_id": g.desc_id,
                "desc_owner": g.desc_owner,
                "subject_time": g.subject_time,
                "announce": g.announce,
                "restrict": g.restrict,
            }
            for g in net.groups.values()
        ],
        "conversations": {
            key: [_message(m) for m in conv.messages] for key, conv in net.conversations.items()
        },
    }


def restore_network(net: Network, data: dict[str, Any]) -> None:
    """Fill an empty network from :func:`dump_network`'s output."""
    if data.get("format") != FORMAT:
        raise PersistenceError(f"unknown state format {data.get('format')!r}")
    try:
        net.seq = int(data["seq"])
        for a in data["accounts"]:
            account = Account(
                number=a["number"],
                name=a["name"],
                created=a["created"],
                contacts=dict(a["contacts"]),
                phone_online=a["phone_online"],
                banned_until=a["banned_until"],
                chats=dict(a["chats"]),
                unread=dict(a["unread"]),
                read_pos=dict(a["read_pos"]),
            )
            for dev_id, key, platform, linked_at in a["devices"]:
                device = Device(dev_id, account.number, key, platform, linked_at)
                account.devices[dev_id] = device
                net.devices[dev_id] = device
            net.accounts[account.number] = account
        for g in data["groups"]:
            group = Group(
                jid=g["jid"],
                subject=g["subject"],
                owner=g["owner"],
                creation=g["creation"],
                participants=list(g["participants"]),
                admins=set(g["admins"]),
                invite_code=g["invite_code"],
                desc=g["desc"],
                desc_id=g["desc_id"],
                desc_owner=g["desc_owner"],
                subject_time=g["subject_time"],
                announce=g["announce"],
                restrict=g["restrict"],
            )
            group.refresh_audience()
            net.groups[group.jid] = group
        for key, messages in data["conversations"].items():
            conv = net.conversations[key] = Conversation(key)
            for m in messages:
                media = m["media"]
                msg = Message(
                    seq=m["seq"],
                    conv=key,
                    id=m["id"],
                    sender=m["sender"],
                    t=m["t"],
                    type=m["type"],
                    audience=frozenset(m["audience"]),
                    body=m["body"],
                    subtype=m["subtype"],
                    caption=m["caption"],
                    media=None if media is None else MediaRef(*media),
                    recipients=tuple(m["recipients"]),
                    quoted_id=m["quoted_id"],
                    mentions=tuple(m["mentions"]),
                    acks=dict(m["acks"]),
                    reactions={k: Reaction(*r) for k, r in m["reactions"].items()},
                    edited=m["edited"],
                    hidden_for=set(m["hidden_for"]),
                )
                conv.messages.append(msg)
                net.index[(msg.sender, msg.id)] = msg
                for number, ack in msg.acks.items():
                    if ack == ACK_SERVER and number in net.accounts:
                        net.accounts[number].undelivered.append(msg)
    except (KeyError, TypeError, ValueError) as exc:
        raise PersistenceError(f"the sandbox state is damaged: {exc!r}") from exc
    net.dirty = False


def save_network(net: Network, path: Path) -> None:
    """Write atomically: a crash leaves the previous file, never half of one."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(orjson.dumps(dump_network(net)))
        os.replace(tmp, path)
    except OSError as exc:
        raise PersistenceError(f"cannot write the sandbox state to {path}: {exc}") from exc
    net.dirty = False


def load_network(net: Network, path: Path) -> bool:
    """Restore from ``path`` if it exists; answer whether it did."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise PersistenceError(f"cannot read the sandbox state {path}: {exc}") from exc
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise PersistenceError(f"{path} is not JSON: {exc}") from exc
    restore_network(net, data)
    return True
