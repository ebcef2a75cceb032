"""Groups and scraping through a READY WhatsAppSession: every group operation, chats, contacts,
members and history page by page."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from connectors.sandbox import PhoneClient
from connectors.whatsapp import GroupChanged, PermanentError, WhatsAppSession, message_id_for
from tests.connectors.whatsapp.conftest import Recorder, Sessions


@dataclass
class Crowd:
    me: str
    session: WhatsAppSession
    events: Recorder
    bob: str
    carol: str


@pytest.fixture(scope="module")
async def crowd(module_sessions: Sessions) -> Crowd:
    me, session, events = await module_sessions.linked("Alice")
    bob = await module_sessions.account("Bob")
    carol = await module_sessions.account("Carol")
    return Crowd(me, session, events, bob, carol)


def jid(number: str) -> str:
    return f"{number}@c.us"


def group_events(crowd: Crowd, group: str, kind: str) -> list[GroupChanged]:
    return [e for e in crowd.events.of(GroupChanged) if e.group == group and e.kind == kind]


async def test_every_group_operation(crowd: Crowd, phone: PhoneClient) -> None:
    session = crowd.session
    group = await session.create_group("Team", [crowd.bob, "19990000002"])
    assert group.endswith("@g.us")
    created = await crowd.events.wait(
        lambda e: isinstance(e, GroupChanged) and e.group == group and e.kind == "CREATED"
    )
    assert created.subject == "Team"
    assert created.actor == jid(crowd.me)
    members = {m["jid"]: m for m in await session.group_members(group)}
    assert set(members) == {jid(crowd.me), jid(crowd.bob)}
    assert members[jid(crowd.me)]["is_super_admin"]
    assert not members[jid(crowd.bob)]["is_admin"]

    added = await session.update_participants(group, "ADD", [crowd.carol, crowd.bob, "19990000003"])
    assert added == {
        jid(crowd.carol): "OK",
        jid(crowd.bob): "CONFLICT",
        "19990000003@c.us": "NOT_ON_WHATSAPP",
    }
    await crowd.events.wait(
        lambda e: isinstance(e, GroupChanged) and e.kind == "PARTICIPANTS_ADDED"
    )
    assert group_events(crowd, group, "PARTICIPANTS_ADDED")[0].participants == (jid(crowd.carol),)

    assert await session.update_participants(group, "promote", [crowd.bob]) == {
        jid(crowd.bob): "OK"
    }
    members = {m["jid"]: m for m in await session.group_members(group)}
    assert members[jid(crowd.bob)]["is_admin"]
    assert await session.update_participants(group, "DEMOTE", [crowd.bob]) == {jid(crowd.bob): "OK"}
    assert await session.update_participants(group, "REMOVE", [crowd.carol]) == {
        jid(crowd.carol): "OK"
    }
    members = {m["jid"]: m for m in await session.group_members(group)}
    assert set(members) == {jid(crowd.me), jid(crowd.bob)}
    assert not members[jid(crowd.bob)]["is_admin"]

    await session.update_group_info(group, "Team 2", "What we do")
    metadata = await phone.call("GET", f"/phone/{crowd.bob}/groups/{group}")
    assert (metadata["subject"], metadata["desc"]) == ("Team 2", "What we do")
    await crowd.events.wait(
        lambda e: isinstance(e, GroupChanged) and e.kind == "DESCRIPTION_CHANGED"
    )
    assert group_events(crowd, group, "SUBJECT_CHANGED")[-1].subject == "Team 2"
    assert group_events(crowd, group, "DESCRIPTION_CHANGED")[-1].description == "What we do"
    for kind in ("PROMOTED", "DEMOTED", "PARTICIPANTS_REMOVED"):
        assert group_events(crowd, group, kind), kind

    code = await session.group_invite(group)
    assert code
    await phone.call("POST", f"/phone/{crowd.carol}/groups/join", {"code": code})
    await crowd.events.wait(
        lambda e: (
            isinstance(e, GroupChanged)
            and e.group == group
            and e.kind == "PARTICIPANTS_ADDED"
            and e.participants == (jid(crowd.carol),)
            and e.actor != jid(crowd.me)
        )
    )

    sent = await session.send_text(
        group, "hello team", message_id=message_id_for("g1"), reply_to=None, mentions=[crowd.bob]
    )
    assert sent == f"true_{group}_{message_id_for('g1')}_{jid(crowd.me)}"
    inbox = await phone.inbox(crowd.bob, group)
    assert [m["text"] for m in inbox if m["type"] == "chat"] == ["hello team"]
    assert await session.has_message(group, message_id_for("g1"))

    await session.leave_group(group)
    left = await crowd.events.wait(
        lambda e: isinstance(e, GroupChanged) and e.group == group and e.kind == "LEFT"
    )
    assert left.participants == (jid(crowd.me),)
    metadata = await phone.call("GET", f"/phone/{crowd.bob}/groups/{group}")
    assert jid(crowd.me) not in {p["id"] for p in metadata["participants"]}


async def test_changes_need_admin_rights(crowd: Crowd, phone: PhoneClient) -> None:
    made = await phone.call(
        "POST", f"/phone/{crowd.bob}/groups", {"subject": "Bob's", "participants": [crowd.me]}
    )
    group = made["id"]
    joined = await crowd.events.wait(
        lambda e: isinstance(e, GroupChanged) and e.group == group and e.kind == "CREATED"
    )
    assert joined.actor == jid(crowd.bob)
    with pytest.raises(PermanentError) as caught:
        await crowd.session.update_participants(group, "ADD", [crowd.carol])
    assert caught.value.code == "NOT_GROUP_ADMIN"
    with pytest.raises(PermanentError) as caught:
        await crowd.session.update_participants(group, "SHUFFLE", [crowd.carol])
    assert caught.value.code == "INVALID_REQUEST"
    with pytest.raises(PermanentError) as caught:
        await crowd.session.leave_group(crowd.bob)
    assert caught.value.code == "INVALID_RECIPIENT"


async def test_chats_and_contacts(crowd: Crowd, phone: PhoneClient) -> None:
    await phone.send(crowd.carol, crowd.me, "hi from Carol")
    await crowd.events.wait(lambda e: getattr(e, "record", {}).get("body") == "hi from Carol")
    chats = {c["chat"]: c for c in await crowd.session.list_chats()}
    carol = chats[jid(crowd.carol)]
    assert carol["is_group"] is False
    assert carol["unread"] >= 1
    assert isinstance(carol["last_message_at"], int)
    assert carol["last_message_at"] > 0
    assert any(c["is_group"] for c in chats.values())

    contacts = {c["jid"]: c for c in await crowd.session.list_contacts()}
    assert contacts[jid(crowd.carol)]["pushname"] == "Carol"
    assert set(contacts[jid(crowd.carol)]) == {
        "jid",
        "name",
        "pushname",
        "is_my_contact",
        "is_business",
    }


async def test_history_page_by_page(crowd: Crowd, phone: PhoneClient) -> None:
    # More messages than the page syncs at login (20 per chat here), so pages load earlier ones.
    sent = [await phone.send(crowd.bob, crowd.me, f"m{i}") for i in range(75)]
    await crowd.events.wait(lambda e: getattr(e, "record", {}).get("body") == "m74")

    pages = [page async for page in crowd.session.history(crowd.bob, since_ms=None, limit=None)]
    bodies = [m["body"] for page in pages for m in page if m["body"] and m["body"][:1] == "m"]
    assert bodies == [f"m{i}" for i in reversed(range(75))]
    assert len(pages) >= 2
    ids = [m["message_id"] for page in pages for m in page]
    assert len(ids) == len(set(ids))

    limited = [m async for page in crowd.session.history(crowd.bob, since_ms=None, limit=30)
               for m in page]  # fmt: skip
    assert [m["body"] for m in limited] == [f"m{i}" for i in reversed(range(45, 75))]

    since = sent[60]["timestamp"] * 1000
    recent = [m async for page in crowd.session.history(crowd.bob, since_ms=since, limit=None)
              for m in page]  # fmt: skip
    assert recent
    assert all(m["timestamp"] >= since for m in recent)
    assert recent[0]["body"] == "m74"
    assert set(recent[0]) == {
        "message_id",
        "chat",
        "sender",
        "from_me",
        "type",
        "body",
        "timestamp",
    }
