"""Messages through a READY WhatsAppSession: sends, effect-once, acks, inbound, media, reactions."""

from __future__ import annotations

import asyncio
import struct
import zlib
from dataclasses import dataclass

import httpx
import pytest

from connectors.sandbox import PhoneClient, SandboxServer
from connectors.whatsapp import (
    AckChanged,
    MediaError,
    MessageIn,
    MessageSent,
    PermanentError,
    Reaction,
    Revoked,
    WhatsAppSession,
    load_media,
    message_id_for,
)
from tests.connectors.whatsapp.conftest import Recorder, Sessions, connector_settings


def png(width: int = 2, height: int = 2) -> bytes:
    """A real (tiny) PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@dataclass
class Chat:
    me: str
    session: WhatsAppSession
    events: Recorder
    peer: str


@pytest.fixture(scope="module")
async def chat(module_sessions: Sessions) -> Chat:
    me, session, events = await module_sessions.linked("Alice")
    return Chat(me, session, events, await module_sessions.account("Bob"))


async def send(chat: Chat, text: str, command: str, **kwargs: object) -> str:
    options: dict[str, object] = {"reply_to": None, "mentions": []}
    options.update(kwargs)
    return await chat.session.send_text(
        chat.peer,
        text,
        message_id=message_id_for(command),
        **options,  # type: ignore[arg-type]
    )


async def test_text_arrives_once_in_the_recipients_inbox(chat: Chat, phone: PhoneClient) -> None:
    sent = await send(chat, "hello Bob", "cmd-text")

    assert sent == f"true_{chat.peer}@c.us_{message_id_for('cmd-text')}"
    inbox = await phone.inbox(chat.peer, f"{chat.me}@c.us")
    assert [(m["id"], m["text"]) for m in inbox if m["text"] == "hello Bob"] == [
        (message_id_for("cmd-text"), "hello Bob")
    ]
    event = await chat.events.wait(lambda e: isinstance(e, MessageSent) and e.message_id == sent)
    assert event.record["body"] == "hello Bob"
    assert event.record["from_me"]
    assert not [e for e in chat.events.of(MessageIn) if e.message_id == sent]


async def test_the_same_message_id_sends_one_message(chat: Chat, phone: PhoneClient) -> None:
    assert not await chat.session.has_message(chat.peer, message_id_for("cmd-once"))
    first = await send(chat, "only once", "cmd-once")
    second = await send(chat, "only once", "cmd-once")

    assert first == second
    assert await chat.session.has_message(chat.peer, message_id_for("cmd-once"))
    assert await chat.session.has_message(f"{chat.peer}@c.us", first)
    inbox = await phone.inbox(chat.peer, chat.me)
    assert [m["text"] for m in inbox].count("only once") == 1


async def test_reply_and_mentions_reach_the_recipient(
    chat: Chat, phone: PhoneClient, sandbox: SandboxServer
) -> None:
    quoted = await send(chat, "first", "cmd-quoted")
    await send(
        chat,
        f"@{chat.peer} see above",
        "cmd-reply",
        reply_to=quoted,
        mentions=[chat.peer],
    )

    inbox = await phone.inbox(chat.peer, chat.me)
    reply = next(m for m in inbox if m["id"] == message_id_for("cmd-reply"))
    assert reply["quoted"] == message_id_for("cmd-quoted")
    stored = sandbox.network.find_message(chat.peer, chat.me, message_id_for("cmd-reply"))
    assert stored.mentions == (chat.peer,)


async def test_acks_progress_to_read(chat: Chat, phone: PhoneClient) -> None:
    sent = await send(chat, "read me", "cmd-ack")
    await phone.read(chat.peer, f"{chat.me}@c.us")

    await chat.events.wait(
        lambda e: isinstance(e, AckChanged) and e.message_id == sent and e.ack == 3
    )
    acks = [e.ack for e in chat.events.of(AckChanged) if e.message_id == sent]
    assert acks == sorted(acks)
    assert acks[-1] == 3
    assert all(e.chat == f"{chat.peer}@c.us" for e in chat.events.of(AckChanged))


async def test_inbound_message_is_reported(chat: Chat, phone: PhoneClient) -> None:
    sent = await phone.send(chat.peer, chat.me, "hi Alice")

    event = await chat.events.wait(
        lambda e: isinstance(e, MessageIn) and e.record["body"] == "hi Alice"
    )
    record = event.record
    assert record["message_id"] == f"false_{chat.peer}@c.us_{sent['id']}"
    assert record["sender"] == record["chat"] == f"{chat.peer}@c.us"
    assert not record["from_me"]
    assert not record["is_group"]
    assert record["type"] == "chat"
    assert record["timestamp"] == sent["timestamp"] * 1000


async def test_a_number_not_on_whatsapp_fails_permanently(chat: Chat) -> None:
    with pytest.raises(PermanentError) as caught:
        await chat.session.send_text(
            "19990000000", "nobody", message_id=message_id_for("x"), reply_to=None, mentions=[]
        )
    assert caught.value.code == "NOT_ON_WHATSAPP"
    with pytest.raises(PermanentError) as caught:
        await chat.session.send_text(
            "not a number", "nobody", message_id=message_id_for("y"), reply_to=None, mentions=[]
        )
    assert caught.value.code == "INVALID_RECIPIENT"


async def test_inline_media_is_sent(chat: Chat, phone: PhoneClient) -> None:
    image = png()
    await chat.session.send_media(
        chat.peer,
        {"kind": "IMAGE", "mimetype": None, "filename": "dot.png", "url": None, "data": image},
        caption="a dot",
        message_id=message_id_for("cmd-image"),
        reply_to=None,
        mentions=[],
    )
    document = b"%PDF-1.4\n% tiny\n"
    await chat.session.send_media(
        chat.peer,
        {"kind": "DOCUMENT", "mimetype": None, "filename": "a.pdf", "url": None, "data": document},
        caption=None,
        message_id=message_id_for("cmd-doc"),
        reply_to=None,
        mentions=[],
    )

    inbox = {m["id"]: m for m in await phone.inbox(chat.peer, chat.me)}
    sent_image = inbox[message_id_for("cmd-image")]
    assert sent_image["type"] == "image"
    assert sent_image["text"] == "a dot"
    assert sent_image["media"]["mimetype"] == "image/png"
    assert sent_image["media"]["size"] == len(image)
    sent_doc = inbox[message_id_for("cmd-doc")]
    assert sent_doc["type"] == "document"
    assert sent_doc["media"]["filename"] == "a.pdf"
    async with httpx.AsyncClient(base_url=phone.http.base_url) as client:
        assert (await client.get(sent_image["media"]["url"])).content == image


async def test_media_from_a_loopback_url_needs_the_allow_setting(
    chat: Chat, phone: PhoneClient, sandbox: SandboxServer
) -> None:
    image = png(3, 3)
    async with httpx.AsyncClient() as client:
        uploaded = (
            await client.post(
                f"{sandbox.url}/media", content=image, headers={"Content-Type": "image/png"}
            )
        ).json()
    source = {
        "kind": "IMAGE",
        "mimetype": None,
        "filename": None,
        "url": f"{sandbox.url}{uploaded['directPath']}",
        "data": None,
    }
    with pytest.raises(MediaError) as caught:
        await load_media(source, connector_settings(media_allow_private=False))
    assert caught.value.code == "MEDIA_URL_FORBIDDEN"

    await chat.session.send_media(
        chat.peer,
        source,
        caption="from a URL",
        message_id=message_id_for("cmd-url"),
        reply_to=None,
        mentions=[],
    )
    inbox = {m["id"]: m for m in await phone.inbox(chat.peer, chat.me)}
    assert inbox[message_id_for("cmd-url")]["media"]["size"] == len(image)


async def test_reactions_go_out_and_come_in(chat: Chat, phone: PhoneClient) -> None:
    sent = await send(chat, "react to this", "cmd-react")
    await chat.session.react(sent, "👍")
    inbox = {m["id"]: m for m in await phone.inbox(chat.peer, chat.me)}
    assert inbox[message_id_for("cmd-react")]["reactions"] == {f"{chat.me}@c.us": "👍"}

    await phone.call(
        "POST",
        f"/phone/{chat.peer}/react",
        {"chat": chat.me, "id": message_id_for("cmd-react"), "text": "🎉"},
    )
    event = await chat.events.wait(lambda e: isinstance(e, Reaction) and e.emoji == "🎉")
    assert event.message_id == sent
    assert event.sender == f"{chat.peer}@c.us"

    with pytest.raises(PermanentError) as caught:
        await chat.session.react(f"true_{chat.peer}@c.us_3EB0000000000000DEAD", "👍")
    assert caught.value.code == "MESSAGE_NOT_FOUND"


async def test_revoked_message_is_reported(chat: Chat, phone: PhoneClient) -> None:
    sent = await phone.send(chat.peer, chat.me, "oops")
    await chat.events.wait(lambda e: isinstance(e, MessageIn) and e.record["body"] == "oops")
    await phone.call("POST", f"/phone/{chat.peer}/revoke", {"chat": chat.me, "id": sent["id"]})

    event = await chat.events.wait(lambda e: isinstance(e, Revoked))
    assert event.message_id == f"false_{chat.peer}@c.us_{sent['id']}"


async def test_mark_read_reads_the_senders_messages(chat: Chat, phone: PhoneClient) -> None:
    first = await phone.send(chat.peer, chat.me, "unread 1")
    second = await phone.send(chat.peer, chat.me, "unread 2")
    await chat.events.wait(lambda e: isinstance(e, MessageIn) and e.record["body"] == "unread 2")
    await chat.session.mark_read(chat.peer)

    async def acks() -> set[int]:
        inbox = {m["id"]: m for m in await phone.inbox(chat.peer, chat.me)}
        return {inbox[first["id"]]["ack"], inbox[second["id"]]["ack"]}

    # sendSeen resolves once the network marked the chat read.
    assert await acks() == {3}
    chats = {c["chat"]: c for c in await chat.session.list_chats()}
    assert chats[f"{chat.peer}@c.us"]["unread"] == 0


async def test_check_numbers(chat: Chat) -> None:
    found = await chat.session.check_numbers([chat.peer, "19990000001", "nonsense", chat.me])
    assert found == {
        chat.peer: f"{chat.peer}@c.us",
        "19990000001": "",
        "nonsense": "",
        chat.me: f"{chat.me}@c.us",
    }


async def test_a_malformed_jid_does_not_fail_the_other_checks(chat: Chat) -> None:
    # The network refuses these as malformed; they used to fail the whole check.
    found = await chat.session.check_numbers([chat.peer, "0@c.us", "a_b@c.us", "x@lid"])
    assert found == {chat.peer: f"{chat.peer}@c.us", "0@c.us": "", "a_b@c.us": "", "x@lid": ""}


async def test_a_long_text_of_mixed_scripts_goes_out_promptly(
    chat: Chat, phone: PhoneClient
) -> None:
    # The sandbox page laid such a text out whole in its chat list at every render: the page
    # stalled for longer than a send may take.
    scripts = (0x41, 0x3B1, 0x430, 0x627, 0x5D0, 0x915, 0xE01, 0x4E00, 0xAC00, 0x1F600, 0x20000)
    text = "".join(chr(scripts[i % 11] + (i // 11) % 24) for i in range(65_536))
    async with asyncio.timeout(10):
        await send(chat, text, "cmd-long-mixed")
        await send(chat, "after the long one", "cmd-after-long")

    inbox = {m["id"]: m["text"] for m in await phone.inbox(chat.peer, chat.me)}
    assert inbox[message_id_for("cmd-long-mixed")] == text
    assert inbox[message_id_for("cmd-after-long")] == "after the long one"
    assert chat.session.state == "READY"


async def test_inbound_media_is_reported_with_its_metadata(chat: Chat, phone: PhoneClient) -> None:
    image = png(4, 4)
    await phone.send(chat.peer, chat.me, "look", media=("image", "image/png", image))
    event = await chat.events.wait(
        lambda e: isinstance(e, MessageIn) and e.record["type"] == "image"
    )
    record = event.record
    assert record["caption"] == "look"
    assert record["body"] is None
    assert record["media"] == {"mimetype": "image/png", "filename": None, "size": len(image)}
