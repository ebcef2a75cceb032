"""The records the sandbox network keeps: accounts, devices, groups, conversations, messages."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

__all__ = [
    "ACK_DELIVERED",
    "ACK_ERROR",
    "ACK_PENDING",
    "ACK_READ",
    "ACK_SERVER",
    "MEDIA_TYPES",
    "Account",
    "Conversation",
    "Device",
    "Group",
    "MediaRef",
    "Message",
    "Reaction",
]

ACK_ERROR = -1
ACK_PENDING = 0
ACK_SERVER = 1
ACK_DELIVERED = 2
ACK_READ = 3
MEDIA_TYPES = frozenset({"image", "video", "audio", "ptt", "document", "sticker"})


@dataclass(slots=True)
class MediaRef:
    """Where a media message's bytes are (``/media/<hash>``) and what they are."""

    hash: str
    mimetype: str
    size: int
    filename: str | None = None


@dataclass(slots=True)
class Reaction:
    id: str
    text: str
    t_ms: int


@dataclass(slots=True, eq=False)
class Message:
    """One message of a conversation; ``(sender, id)`` names it network-wide.

    ``audience`` is who sees it (the two parties, or the group's members when it was sent),
    ``acks`` the state per recipient (``ACK_SERVER`` … ``ACK_READ``; empty for ``gp2``).
    """

    seq: int
    conv: str
    id: str
    sender: str
    t: int
    type: str
    audience: frozenset[str]
    body: str = ""
    subtype: str | None = None
    caption: str | None = None
    media: MediaRef | None = None
    recipients: tuple[str, ...] = ()
    quoted_id: str | None = None
    mentions: tuple[str, ...] = ()
    acks: dict[str, int] = field(default_factory=dict)
    reactions: dict[str, Reaction] = field(default_factory=dict)
    edited: bool = False
    hidden_for: set[str] = field(default_factory=set)

    @property
    def ack(self) -> int:
        """The sender's view: the lowest state over the recipients."""
        return min(self.acks.values()) if self.acks else ACK_SERVER


@dataclass(slots=True)
class Device:
    """A linked browser session of an account, known by its WebCrypto public key."""

    id: str
    number: str
    public_key: str
    platform: str
    linked_at: int
    pending: deque[Message] = field(default_factory=deque)
    down_until: float = 0.0


@dataclass(slots=True)
class Account:
    number: str
    name: str
    created: int
    contacts: dict[str, str] = field(default_factory=dict)
    phone_online: bool = True
    banned_until: float = 0.0
    devices: dict[str, Device] = field(default_factory=dict)
    chats: dict[str, str] = field(default_factory=dict)
    unread: dict[str, int] = field(default_factory=dict)
    read_pos: dict[str, int] = field(default_factory=dict)
    undelivered: list[Message] = field(default_factory=list)


@dataclass(slots=True)
class Group:
    jid: str
    subject: str
    owner: str
    creation: int
    participants: list[str]
    admins: set[str]
    invite_code: str
    desc: str = ""
    desc_id: str | None = None
    desc_owner: str | None = None
    subject_time: int = 0
    announce: bool = False
    restrict: bool = False
    audience: frozenset[str] = frozenset()

    def refresh_audience(self) -> None:
        self.audience = frozenset(self.participants)


@dataclass(slots=True)
class Conversation:
    """The history two accounts, or a group's members, share."""

    key: str
    messages: list[Message] = field(default_factory=list)
