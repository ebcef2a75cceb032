"""The sandbox WhatsApp network: accounts, linked devices, messages, acks, bans."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from typing import Any

from connectors.sandbox.config import SandboxConfig
from connectors.sandbox.exceptions import (
    AccountBannedError,
    ConflictError,
    ForbiddenError,
    InvalidRequestError,
    NotFoundError,
)
from connectors.sandbox.hub import (
    CLOSE_BANNED,
    CLOSE_DISCONNECTED,
    CLOSE_LOGGED_OUT,
    Connection,
    Hub,
)
from connectors.sandbox.jids import (
    conversation_key,
    is_group,
    new_message_id,
    number_of,
    user_jid,
)
from connectors.sandbox.limits import Limits, SendLimiter
from connectors.sandbox.media import MediaStore
from connectors.sandbox.models import (
    ACK_DELIVERED,
    ACK_READ,
    ACK_SERVER,
    Account,
    Conversation,
    Device,
    Group,
    MediaRef,
    Message,
    Reaction,
)
from connectors.sandbox.views import chat_jid_for, contact_view, key_view, message_view

__all__ = ["Network"]


class Network:
    """Everything the sandbox knows, in memory; every method is synchronous and atomic.

    Pages and phones change it through these methods only; each change is pushed at once to
    the live connections of the devices concerned (through :attr:`hub`).
    """

    def __init__(self, config: SandboxConfig, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self.accounts: dict[str, Account] = {}
        self.devices: dict[str, Device] = {}
        self.groups: dict[str, Group] = {}
        self.conversations: dict[str, Conversation] = {}
        self.index: dict[tuple[str, str], Message] = {}
        self.hub = Hub(config.pending_max)
        self.media = MediaStore(config.max_media_bytes)
        self.limiter = SendLimiter(
            Limits(config.messages_per_min, config.new_recipients_per_min, config.ban_s)
        )
        self.seq = 0
        self.dirty = False

    # accounts -------------------------------------------------------------------------------

    def create_account(self, number: str, name: str) -> Account:
        if number in self.accounts:
            raise ConflictError(f"account {number} exists", field="number", slug="account-exists")
        account = Account(number=number, name=name, created=int(self.clock()))
        self.accounts[number] = account
        self.changed()
        return account

    def account(self, number: str, field: str = "number") -> Account:
        account = self.accounts.get(number)
        if account is None:
            raise NotFoundError(
                f"{number} is not on the sandbox network", field=field, slug="unknown-account"
            )
        return account

    def add_contact(self, owner: str, number: str, name: str) -> None:
        account = self.account(owner)
        account.contacts[number] = name
        self.changed()
        event = {"type": "contact", "contact": contact_view(number, account, self.accounts)}
        for device in account.devices.values():
            self.hub.send(device, event)

    def set_phone_online(self, number: str, online: bool) -> None:
        account = self.account(number)
        account.phone_online = online
        if online:
            self._deliver_waiting(account)

    def is_online(self, number: str) -> bool:
        account = self.accounts[number]
        return account.phone_online or any(self.hub.is_online(d) for d in account.devices)

    # devices --------------------------------------------------------------------------------

    def link_device(self, number: str, public_key: str, platform: str) -> Device:
        account = self.account(number)
        self.ensure_not_banned(account)
        if len(account.devices) >= self.config.max_devices:
            raise ConflictError(
                f"{number} already has {self.config.max_devices} linked devices",
                slug="too-many-devices",
            )
        device = Device(
            id=secrets.token_hex(8),
            number=number,
            public_key=public_key,
            platform=platform,
            linked_at=int(self.clock()),
        )
        account.devices[device.id] = device
        self.devices[device.id] = device
        self.changed()
        return device

    def _devices_of(self, account: Account, device_id: str | None) -> list[Device]:
        if device_id is None:
            return list(account.devices.values())
        device = account.devices.get(device_id)
        if device is None:
            raise NotFoundError(
                f"{account.number} has no device {device_id}", field="device", slug="unknown-device"
            )
        return [device]

    def unlink(self, number: str, device_id: str | None = None) -> list[str]:
        """Log devices out from the phone: each live page gets ``logout`` and reloads."""
        account = self.account(number)
        gone = self._devices_of(account, device_id)
        for device in gone:
            del account.devices[device.id]
            self.devices.pop(device.id, None)
            self.hub.kick(device.id, CLOSE_LOGGED_OUT, {"type": "logout"})
        self.changed()
        return [d.id for d in gone]

    def disconnect(
        self, number: str, device_id: str | None = None, down_s: float = 0.0
    ) -> list[str]:
        """Drop devices' sockets; with ``down_s`` they cannot come back for that long."""
        account = self.account(number)
        devices = self._devices_of(account, device_id)
        for device in devices:
            device.down_until = self.clock() + down_s
            self.hub.kick(device.id, CLOSE_DISCONNECTED)
        return [d.id for d in devices]

    def device_online(self, device: Device, conn: Connection) -> None:
        self.hub.attach(device, conn)
        self._deliver_waiting(self.accounts[device.number])

    def device_offline(self, device: Device, conn: Connection) -> None:
        self.hub.detach(device.id, conn)

    # bans -----------------------------------------------------------------------------------

    def banned_for(self, number: str) -> float:
        left = self.accounts[number].banned_until - self.clock()
        return left if left > 0 else 0.0

    def ensure_not_banned(self, account: Account) -> None:
        left = self.banned_for(account.number)
        if left:
            raise AccountBannedError(
                f"{account.number} is temporarily banned for {left:.1f} s more", retry_after=left
            )

    def ban(self, number: str, reason: str) -> None:
        account = self.accounts[number]
        account.banned_until = self.clock() + self.limiter.limits.ban_s
        self.limiter.forget(number)
        event = {"type": "banned", "until": account.banned_until, "reason": reason}
        for device in account.devices.values():
            self.hub.kick(device.id, CLOSE_BANNED, event)
        self.changed()

    def set_limits(self, **changes: Any) -> Limits:
        limits = self.limiter.limits
        for name, value in changes.items():
            if value is not None:
                setattr(limits, name, value)
        return limits

    # messages -------------------------------------------------------------------------------

    def send(
        self,
        sender: str,
        chat: str,
        *,
        msg_id: str | None = None,
        type: str = "chat",
        body: str = "",
        caption: str | None = None,
        media: MediaRef | None = None,
        quoted_id: str | None = None,
        mentions: Iterable[str] = (),
    ) -> tuple[Message, bool]:
        """Store and deliver a message; a repeated ``(sender, msg_id)`` returns the first one."""
        account = self.account(sender, "from")
        self.ensure_not_banned(account)
        if is_group(chat):
            group = self.group(chat, "to")
            if sender not in group.participants:
                raise ForbiddenError(
                    f"{sender} is not a participant of {chat}", field="to", slug="not-a-participant"
                )
            if group.announce and sender not in group.admins:
                raise ForbiddenError(
                    f"only admins may send to {chat}", field="to", slug="not-admin"
                )
            key, audience = chat, group.audience
            recipients = [p for p in group.participants if p != sender]
        else:
            self.account(chat, "to")
            key, audience = conversation_key(sender, chat), frozenset({sender, chat})
            recipients = [chat]
        msg_id = msg_id or new_message_id()
        existing = self.index.get((sender, msg_id))
        if existing is not None:
            return existing, False
        conv = self.conversations.get(key)
        is_new = not is_group(chat) and (conv is None or not conv.messages)
        reason = self.limiter.admit(sender, chat, is_new, self.clock())
        if reason is not None:
            self.ban(sender, reason)
            self.ensure_not_banned(account)
        msg = Message(
            seq=0,
            conv=key,
            id=msg_id,
            sender=sender,
            t=int(self.clock()),
            type=type,
            audience=audience,
            body=body,
            caption=caption,
            media=media,
            quoted_id=quoted_id,
            mentions=tuple(mentions),
            acks={r: ACK_SERVER for r in recipients},
        )
        for r in recipients:
            if self.is_online(r):
                msg.acks[r] = ACK_DELIVERED
            else:
                self.accounts[r].undelivered.append(msg)
        self.store(msg)
        for r in recipients:
            if r != sender:
                unread = self.accounts[r].unread
                chat_jid = chat_jid_for(msg, r)
                unread[chat_jid] = unread.get(chat_jid, 0) + 1
        self.fan_out(msg)
        return msg, True

    def store(self, msg: Message) -> None:
        """Append to the conversation, index it and open the chat for its audience."""
        self.seq += 1
        msg.seq = self.seq
        conv = self.conversations.get(msg.conv)
        if conv is None:
            conv = self.conversations[msg.conv] = Conversation(msg.conv)
        conv.messages.append(msg)
        self.index[(msg.sender, msg.id)] = msg
        for number in msg.audience:
            account = self.accounts.get(number)
            if account is not None:
                account.chats.setdefault(chat_jid_for(msg, number), msg.conv)
        self.changed()

    def fan_out(self, msg: Message, numbers: Iterable[str] | None = None) -> None:
        for number in msg.audience if numbers is None else numbers:
            account = self.accounts.get(number)
            if account is None or not account.devices:
                continue
            built: dict[str, Any] = {}

            def build(number: str = number, built: dict[str, Any] = built) -> dict[str, Any]:
                if not built:
                    built.update({"type": "msg", "msg": message_view(msg, number, self.accounts)})
                return built

            for device in account.devices.values():
                self.hub.send_message(device, msg, build)

    def _set_ack(self, msg: Message, number: str, ack: int) -> None:
        before = msg.ack
        msg.acks[number] = ack
        if msg.ack != before:
            self._push_ack(msg)

    def _push_ack(self, msg: Message) -> None:
        sender = self.accounts.get(msg.sender)
        if sender is None:
            return
        event = {"type": "ack", "key": key_view(msg, msg.sender), "ack": msg.ack}
        for device in sender.devices.values():
            self.hub.send(device, event)
        self.changed()

    def _deliver_waiting(self, account: Account) -> None:
        waiting, account.undelivered = account.undelivered, []
        for msg in waiting:
            if msg.acks.get(account.number) == ACK_SERVER:
                self._set_ack(msg, account.number, ACK_DELIVERED)

    def mark_read(self, reader: str, chat: str) -> int:
        """The reader opens a chat: every message to them in it becomes read."""
        account = self.account(reader)
        chat_jid = chat if is_group(chat) else user_jid(chat)
        key = account.chats.get(chat_jid)
        if key is None:
            raise NotFoundError(
                f"{reader} has no chat with {chat}", field="chat", slug="unknown-chat"
            )
        messages = self.conversations[key].messages
        start = account.read_pos.get(chat_jid, 0)
        count = 0
        for msg in messages[start:]:
            if msg.acks.get(reader, ACK_READ) < ACK_READ:
                self._set_ack(msg, reader, ACK_READ)
                count += 1
        account.read_pos[chat_jid] = len(messages)
        account.unread[chat_jid] = 0
        event = {"type": "chat", "chat": {"id": chat_jid, "unreadCount": 0}}
        for device in account.devices.values():
            self.hub.send(device, event)
        self.changed()
        return count

    def visible(self, viewer: str, chat: str) -> list[Message]:
        account = self.account(viewer)
        chat_jid = chat if is_group(chat) else user_jid(chat)
        key = account.chats.get(chat_jid)
        if key is None:
            return []
        return [
            m
            for m in self.conversations[key].messages
            if viewer in m.audience and viewer not in m.hidden_for
        ]

    def history(self, viewer: str, chat: str, before: int | None, count: int) -> list[Message]:
        """The ``count`` visible messages just older than sort position ``before``."""
        messages = self.visible(viewer, chat)
        if before is not None:
            messages = [m for m in messages if m.seq < before]
        return messages[-count:] if count > 0 else []

    def find_message(self, viewer: str, chat: str, msg_id: str, *, own: bool = False) -> Message:
        for msg in reversed(self.visible(viewer, chat)):
            if msg.id == msg_id and (not own or msg.sender == viewer):
                return msg
        raise NotFoundError(
            f"no message {msg_id} in {viewer}'s chat {chat}", field="id", slug="unknown-message"
        )

    def inbox(self, number: str, chat: str | None = None) -> list[Message]:
        account = self.account(number)
        if chat is not None:
            return self.visible(number, chat)
        keys = set(account.chats.values())
        found = [
            m
            for key in keys
            for m in self.conversations[key].messages
            if number in m.audience and number not in m.hidden_for
        ]
        found.sort(key=lambda m: m.seq)
        return found

    def _push_update(self, msg: Message, changes: dict[str, Any]) -> None:
        for number in msg.audience:
            account = self.accounts.get(number)
            if account is None:
                continue
            event = {"type": "msg-update", "key": key_view(msg, number), "changes": changes}
            for device in account.devices.values():
                self.hub.send(device, event)
        self.changed()

    def edit(self, editor: str, chat: str, msg_id: str, text: str) -> Message:
        msg = self.find_message(editor, chat, msg_id, own=True)
        if msg.type != "chat":
            raise InvalidRequestError("only text messages can be edited", field="id")
        msg.body, msg.edited = text, True
        self._push_update(msg, {"body": text, "isEdited": True})
        return msg

    def revoke(self, sender: str, chat: str, msg_id: str) -> Message:
        msg = self.find_message(sender, chat, msg_id, own=True)
        msg.type, msg.body, msg.caption, msg.media = "revoked", "", None, None
        self._push_update(msg, {"type": "revoked", "body": ""})
        return msg

    def delete_for_me(self, number: str, chat: str, msg_id: str) -> Message:
        msg = self.find_message(number, chat, msg_id)
        msg.hidden_for.add(number)
        event = {"type": "msg-remove", "key": key_view(msg, number)}
        for device in self.accounts[number].devices.values():
            self.hub.send(device, event)
        self.changed()
        return msg

    def react(
        self, reactor: str, chat: str, target: Message, text: str, reaction_id: str | None = None
    ) -> Reaction:
        self.ensure_not_banned(self.account(reactor))
        if reactor not in target.audience:
            raise ForbiddenError("the reactor cannot see that message", field="id")
        reaction = Reaction(
            id=reaction_id or new_message_id(), text=text, t_ms=int(self.clock() * 1000)
        )
        if text:
            target.reactions[reactor] = reaction
        else:
            target.reactions.pop(reactor, None)
        for number in target.audience:
            account = self.accounts.get(number)
            if account is None:
                continue
            parent = key_view(target, number)
            event = {
                "type": "reaction",
                "reaction": {
                    "key": {
                        "fromMe": reactor == number,
                        "remote": parent["remote"],
                        "id": reaction.id,
                        "participant": user_jid(reactor) if is_group(target.conv) else None,
                    },
                    "parentKey": parent,
                    "text": text,
                    "timestamp": reaction.t_ms,
                    "sender": user_jid(reactor),
                },
            }
            for device in account.devices.values():
                self.hub.send(device, event)
        self.changed()
        return reaction

    # groups (records; the operations live in connectors.sandbox.groups) -----------------------

    def group(self, jid: str, field: str = "group") -> Group:
        group = self.groups.get(jid)
        if group is None:
            raise NotFoundError(f"no group {jid}", field=field, slug="unknown-group")
        return group

    def numbers_of(self, jids: Iterable[str]) -> list[str]:
        return [number_of(j) for j in jids]

    def changed(self) -> None:
        self.dirty = True
