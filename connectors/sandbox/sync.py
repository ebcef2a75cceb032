"""What a page gets when it logs in: its chats with their latest messages, contacts, groups."""

from __future__ import annotations

from typing import Any

from connectors.sandbox.jids import is_group, number_of, user_jid
from connectors.sandbox.models import Device
from connectors.sandbox.network import Network
from connectors.sandbox.views import contact_view, group_view, message_view

__all__ = ["chat_name", "me_view", "sync_payload"]


def chat_name(net: Network, viewer: str, chat_jid: str) -> str:
    if is_group(chat_jid):
        group = net.groups.get(chat_jid)
        return group.subject if group else chat_jid
    number = number_of(chat_jid)
    account = net.accounts.get(number)
    book = net.accounts[viewer].contacts.get(number)
    return book or (account.name if account else "") or "+" + number


def me_view(net: Network, device: Device) -> dict[str, Any]:
    account = net.accounts[device.number]
    return {
        "wid": user_jid(account.number),
        "pushname": account.name,
        "platform": device.platform,
        "device": device.id,
    }


def sync_payload(net: Network, device: Device, count: int) -> dict[str, Any]:
    """The snapshot; messages waiting for this device are left out, they come as new ones."""
    number = device.number
    account = net.accounts[number]
    waiting = {id(m) for m in device.pending}
    chats: list[dict[str, Any]] = []
    people: set[str] = set(account.contacts)
    groups: list[dict[str, Any]] = []
    for chat_jid, key in account.chats.items():
        visible = [
            m
            for m in net.conversations[key].messages
            if number in m.audience and number not in m.hidden_for
        ]
        known = [m for m in visible if id(m) not in waiting]
        group = net.groups.get(chat_jid)
        if group is not None:
            groups.append(group_view(group))
            people.update(group.participants)
        elif not is_group(chat_jid):
            people.add(number_of(chat_jid))
        chats.append(
            {
                "id": chat_jid,
                "name": chat_name(net, number, chat_jid),
                "isGroup": is_group(chat_jid),
                "t": visible[-1].t if visible else 0,
                "unreadCount": account.unread.get(chat_jid, 0),
                "isReadOnly": group is not None and number not in group.participants,
                "noEarlierMsgs": len(known) <= count,
                "msgs": [message_view(m, number, net.accounts) for m in known[-count:]],
            }
        )
    chats.sort(key=lambda c: c["t"], reverse=True)
    people.discard(number)
    return {
        "type": "sync",
        "chats": chats,
        "contacts": [contact_view(p, account, net.accounts) for p in sorted(people)],
        "groups": groups,
    }
