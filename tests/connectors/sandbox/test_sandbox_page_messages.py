"""Messages in real Chromium: send and receive, acks, ids, history, media, reactions, the UI."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
from pathlib import Path
from typing import Any

from connectors.sandbox import PhoneClient

#: The README's picture of the page; a run with ``UPDATE_DOCS=1`` takes it anew.
DOCS = Path(__file__).resolve().parents[3] / "docs"


async def test_two_linked_sessions_talk(pages: Any, phone: PhoneClient) -> None:
    ann, ann_page = await pages.linked("Ann")
    ben, ben_page = await pages.linked("Ben")
    sent = await pages.send(ann_page, f"{ben}@c.us", "hello Ben")
    assert sent["result"]["messageSendResult"] == "OK"
    assert sent["key"] == f"true_{ben}@c.us_{sent['id']}"
    log = await pages.wait_log(ben_page, "e.ev === 'add' && e.body === 'hello Ben'")
    (got,) = [e for e in log if e["ev"] == "add" and e["body"] == "hello Ben"]
    assert got["isNewMsg"] is True
    assert got["fromMe"] is False
    assert got["id"] == f"false_{ann}@c.us_{sent['id']}"
    await pages.send(ben_page, f"{ann}@c.us", "hi Ann")
    await pages.wait_log(ann_page, "e.ev === 'add' && e.body === 'hi Ann' && !e.fromMe")
    own = [e for e in await pages.log(ann_page, "add") if e["body"] == "hello Ben"]
    assert len(own) == 1
    assert own[0]["fromMe"] is True


async def test_a_session_and_a_phone_only_account(pages: Any, phone: PhoneClient) -> None:
    number, page = await pages.linked()
    phone_only = await pages.account("Phone Only")
    await phone.send(phone_only, number, "from a handset", id="PHONE-1")
    await pages.wait_log(page, "e.ev === 'add' && e.body === 'from a handset' && e.isNewMsg")
    result = await pages.send(page, f"{phone_only}@c.us", "to a handset")
    assert result["ack"] == 2  # the handset is online: delivered at once
    inbox = await phone.inbox(phone_only)
    assert [(m["text"], m["from_me"]) for m in inbox] == [
        ("from a handset", True),
        ("to a handset", False),
    ]


async def test_acks_progress_to_read(pages: Any, phone: PhoneClient) -> None:
    number, page = await pages.linked()
    peer = await pages.account()
    await phone.offline(peer)
    sent = await pages.send(page, f"{peer}@c.us", "ack me")
    assert sent["ack"] == 1
    await phone.online(peer)
    await pages.wait_log(page, f"e.ev === 'ack' && e.id === '{sent['key']}' && e.ack === 2")
    await phone.read(peer, number)
    log = await pages.wait_log(page, f"e.ev === 'ack' && e.id === '{sent['key']}' && e.ack === 3")
    acks = [e["ack"] for e in log if e["ev"] == "ack" and e["id"] == sent["key"]]
    assert acks == [1, 2, 3]


async def test_seen_from_the_page_reads_the_senders_message(pages: Any, phone: PhoneClient) -> None:
    number, page = await pages.linked()
    peer = await pages.account()
    await phone.send(peer, number, "read me", id="R1")
    await pages.wait_log(page, "e.ev === 'add' && e.body === 'read me'")
    unread = await page.evaluate(
        """async (peer) => {
          const { Chat } = window.require('WAWebCollections');
          const chat = Chat.get(peer);
          const before = chat.unreadCount;
          await window.require('WAWebUpdateUnreadChatAction').sendSeen({ chat });
          return [before, chat.unreadCount];
        }""",
        f"{peer}@c.us",
    )
    assert unread == [1, 0]
    assert (await phone.inbox(peer))[0]["ack"] == 3


async def test_a_repeated_id_is_stored_once(pages: Any, phone: PhoneClient) -> None:
    number, page = await pages.linked()
    peer = await pages.account()
    first = await pages.send(page, f"{peer}@c.us", "once", "EFFECT0NCE1")
    second = await pages.send(page, f"{peer}@c.us", "once", "EFFECT0NCE1")
    assert first["key"] == second["key"]
    await page.reload()
    await pages.wait_synced(page)
    third = await pages.send(page, f"{peer}@c.us", "once", "EFFECT0NCE1")
    assert third["result"]["messageSendResult"] == "OK"
    again = await phone.send(number, peer, "once", id="EFFECT0NCE1")
    assert again["duplicate"] is True
    assert [m["id"] for m in await phone.inbox(peer)] == ["EFFECT0NCE1"]


async def test_history_is_fetched_page_by_page(pages: Any, phone: PhoneClient) -> None:
    number = await pages.account()
    peer = await pages.account()
    for i in range(25):
        await phone.send(peer, number, f"old {i}")
    page = await pages.open("?history=10")
    await pages.link(page, number)
    loaded = await page.evaluate(
        """async (peer) => {
          const { Chat } = window.require('WAWebCollections');
          const loader = window.require('WAWebChatLoadMessages');
          const chat = Chat.get(peer);
          const sizes = [chat.msgs.length];
          for (let i = 0; i < 4; i++) {
            const arg = i % 2 ? { chat } : chat;
            const got = await loader.loadEarlierMsgs(arg);
            sizes.push(got.length);
          }
          return { sizes, bodies: chat.msgs.models.map(m => m.body),
                   done: chat.msgs.msgLoadState.noEarlierMsgs };
        }""",
        f"{peer}@c.us",
    )
    assert loaded["sizes"] == [10, 10, 5, 0, 0]
    assert loaded["bodies"] == [f"old {i}" for i in range(25)]
    assert loaded["done"] is True
    adds = await pages.log(page, "add")
    assert all(e["isNewMsg"] is False for e in adds)


async def test_messages_received_while_away_arrive_as_new(pages: Any, phone: PhoneClient) -> None:
    number, page = await pages.linked()
    peer = await pages.account()
    await phone.send(peer, number, "before closing")
    await pages.wait_log(page, "e.ev === 'add' && e.body === 'before closing'")
    context = page.context
    await page.close()
    for _ in range(100):
        if not (await phone.account(number))["devices"][0]["connected"]:
            break
        await asyncio.sleep(0.02)
    await phone.send(peer, number, "while closed")
    page = await pages.open(context=context)
    log = await pages.wait_log(page, "e.ev === 'add' && e.body === 'while closed'")
    news = {e["body"]: e["isNewMsg"] for e in log if e["ev"] == "add"}
    assert news == {"before closing": False, "while closed": True}


async def test_media_reactions_edits_revokes_and_deletes(pages: Any, phone: PhoneClient) -> None:
    number, page = await pages.linked()
    peer = await pages.account()
    data = base64.b64encode(b"%PDF-1.4 sandbox").decode()
    sent = await page.evaluate(
        """async ([to, data]) => {
          const req = window.require;
          const from = req('WAWebUserPrefsMeUser').getMaybeMePnUser();
          const wid = req('WAWebWidFactory').createWid(to);
          const { chat } = await req('WAWebFindChatAction').findOrCreateLatestChat(wid);
          const MsgKey = req('WAWebMsgKey');
          const key = new MsgKey({ from, to: chat.id, id: MsgKey.newId(), selfDir: 'out' });
          const [m, r] = req('WAWebSendMsgChatAction').addAndSendMsgToChat(chat, {
            id: key, ack: 0, from, to: chat.id, local: true, self: 'out',
            t: Math.floor(Date.now() / 1000),
            isNewMsg: true, type: 'document', mimetype: 'application/pdf', filename: 'a.pdf',
            caption: 'the file', data });
          const result = await r;
          const msg = await m;
          const bytes = await req('WAWebDownloadManager').downloadManager.downloadAndMaybeDecrypt(
            { directPath: msg.directPath });
          return { result, directPath: msg.directPath, size: bytes.byteLength };
        }""",
        [f"{peer}@c.us", data],
    )
    assert sent["result"]["messageSendResult"] == "OK"
    assert sent["size"] == 16
    (doc,) = await phone.inbox(peer)
    assert doc["type"] == "document"
    assert doc["text"] == "the file"
    assert doc["media"]["filename"] == "a.pdf"

    await phone.send(peer, number, "react to me", id="P1")
    key = f"false_{peer}@c.us_P1"
    await pages.wait_log(page, f"e.ev === 'add' && e.id === '{key}'")
    reacted = await page.evaluate(
        """async (key) => {
          const msg = window.require('WAWebCollections').Msg.get(key);
          return window.require('WAWebSendReactionMsgAction').sendReactionToMsg(msg, '❤');
        }""",
        key,
    )
    assert reacted["messageSendResult"] == "OK"
    assert (await phone.inbox(peer))[-1]["reactions"] == {f"{number}@c.us": "❤"}
    await phone.call("POST", f"/phone/{peer}/react", {"chat": number, "id": "P1", "text": "👍"})
    await pages.wait_log(page, "e.ev === 'reaction' && e.text === '👍'")
    await phone.call("POST", f"/phone/{peer}/edit", {"chat": number, "id": "P1", "text": "edited"})
    await pages.wait_log(page, f"e.ev === 'body' && e.id === '{key}' && e.body === 'edited'")
    await phone.call("POST", f"/phone/{peer}/revoke", {"chat": number, "id": "P1"})
    await pages.wait_log(page, f"e.ev === 'type' && e.id === '{key}' && e.type === 'revoked'")
    await phone.send(peer, number, "delete me", id="P2")
    await pages.wait_log(page, "e.ev === 'add' && e.body === 'delete me'")
    await phone.call("POST", f"/phone/{number}/delete", {"chat": peer, "id": "P2"})
    await pages.wait_log(page, f"e.ev === 'remove' && e.id === 'false_{peer}@c.us_P2'")


async def test_the_visible_page_sends_and_shows_ticks(
    pages: Any, phone: PhoneClient, tmp_path: Path
) -> None:
    number, page = await pages.linked("Alice Sandbox")
    bob = await pages.account("Bob")
    carol = await pages.account("Carol")
    await phone.send(bob, number, "Hi Alice! Lunch today?")
    await phone.send(carol, number, "Meeting moved to 3pm")
    await page.click(f"li[data-chat='{bob}@c.us']")
    await page.fill("#compose", "Sure, 12:30 at the usual place")
    await page.click("#send")
    bubble = page.locator(".msg.out", has_text="12:30")
    await bubble.wait_for()
    await page.wait_for_function(
        "() => [...document.querySelectorAll('.msg.out')].some(e => e.dataset.ack === '2')"
    )
    await phone.read(bob, number)
    await page.wait_for_selector(".msg.out[data-ack='3'] .tick.read")
    assert [m["text"] for m in await phone.inbox(bob)][-1] == "Sure, 12:30 at the usual place"
    await page.set_viewport_size({"width": 1280, "height": 720})
    shot = tmp_path / "sandbox.png"
    await page.screenshot(path=str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG")
    if os.environ.get("UPDATE_DOCS") == "1":
        shutil.copyfile(shot, DOCS / "sandbox.png")
