"""The network model without a browser: ids, acks, bans, groups, history, persistence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from connectors.sandbox import AccountBannedError, ForbiddenError, Network, NotFoundError
from connectors.sandbox import groups as group_ops
from connectors.sandbox.config import SandboxConfig
from connectors.sandbox.hub import Event
from connectors.sandbox.models import ACK_DELIVERED, ACK_READ, ACK_SERVER
from connectors.sandbox.persistence import dump_network, load_network, restore_network, save_network


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class FakeConn:
    """A page socket as the hub sees it; records what the network pushes."""

    def __init__(self) -> None:
        self.ready = True
        self.backlog: list[Event] = []
        self.events: list[Event] = []
        self.closed: tuple[int, Event | None] | None = None

    def push(self, event: Event) -> None:
        self.events.append(event)

    def close(self, code: int, event: Event | None = None) -> None:
        self.closed = (code, event)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def net(clock: Clock) -> Network:
    network = Network(SandboxConfig(ban_s=60.0), clock=clock)
    for number, name in (("15550000001", "Ann"), ("15550000002", "Ben"), ("15550000003", "Cy")):
        network.create_account(number, name)
    return network


def test_a_repeated_id_from_the_same_sender_is_stored_once(net: Network) -> None:
    first, created = net.send("15550000001", "15550000002", msg_id="CMD1", body="hi")
    again, created_again = net.send("15550000001", "15550000002", msg_id="CMD1", body="hi")
    other, _ = net.send("15550000002", "15550000001", msg_id="CMD1", body="same id, other sender")
    assert created
    assert not created_again
    assert again is first
    assert other is not first
    texts = [m.body for m in net.inbox("15550000002")]
    assert texts == ["hi", "same id, other sender"]


def test_acks_follow_the_recipient(net: Network) -> None:
    net.set_phone_online("15550000002", False)
    msg, _ = net.send("15550000001", "15550000002", body="are you there")
    assert msg.ack == ACK_SERVER
    net.set_phone_online("15550000002", True)
    assert msg.ack == ACK_DELIVERED
    assert net.mark_read("15550000002", "15550000001") == 1
    assert msg.ack == ACK_READ
    assert net.accounts["15550000002"].unread["15550000001@c.us"] == 0


def test_a_linked_device_coming_online_delivers(net: Network) -> None:
    net.set_phone_online("15550000002", False)
    device = net.link_device("15550000002", "key", "Chrome")
    sender_device = net.link_device("15550000001", "key", "Chrome")
    sender_conn = FakeConn()
    net.device_online(sender_device, sender_conn)
    msg, _ = net.send("15550000001", "15550000002", body="x")
    assert msg.ack == ACK_SERVER
    conn = FakeConn()
    conn.ready = False
    net.device_online(device, conn)
    assert msg.ack == ACK_DELIVERED
    assert list(device.pending) == [msg]
    acks = [e for e in sender_conn.events if e["type"] == "ack"]
    assert acks[-1]["ack"] == ACK_DELIVERED
    assert acks[-1]["key"]["id"] == msg.id


def test_too_many_messages_ban_then_recover(net: Network, clock: Clock) -> None:
    net.set_limits(messages_per_min=3, ban_s=30.0)
    device = net.link_device("15550000001", "key", "Chrome")
    conn = FakeConn()
    net.device_online(device, conn)
    for i in range(3):
        net.send("15550000001", "15550000002", body=str(i))
    with pytest.raises(AccountBannedError) as banned:
        net.send("15550000001", "15550000002", body="one too many")
    assert 29 < banned.value.retry_after <= 30
    assert conn.closed is not None
    assert conn.closed[0] == 4003
    assert conn.closed[1] is not None
    assert conn.closed[1]["type"] == "banned"
    clock.now += 31
    msg, created = net.send("15550000001", "15550000002", body="back")
    assert created
    assert msg.body == "back"


def test_too_many_new_recipients_ban(net: Network) -> None:
    net.set_limits(new_recipients_per_min=1)
    net.send("15550000001", "15550000002", body="first new")
    net.send("15550000001", "15550000002", body="not new any more")
    with pytest.raises(AccountBannedError):
        net.send("15550000001", "15550000003", body="second new recipient")


def test_unknown_recipient_is_not_found(net: Network) -> None:
    with pytest.raises(NotFoundError) as err:
        net.send("15550000001", "19999999999", body="?")
    assert err.value.field == "to"


def test_group_changes_post_gp2_and_check_admins(net: Network) -> None:
    group, results = group_ops.create_group(
        net, "15550000001", "Team", ["15550000002", "19990000000"]
    )
    assert [r["code"] for r in results] == [200, 404]
    with pytest.raises(ForbiddenError):
        group_ops.change_participants(net, "15550000002", group.jid, "add", ["15550000003"])
    group_ops.change_participants(net, "15550000001", group.jid, "add", ["15550000003"])
    group_ops.change_participants(net, "15550000001", group.jid, "promote", ["15550000002"])
    group_ops.change_participants(net, "15550000002", group.jid, "demote", ["15550000003"])
    group_ops.set_group_info(net, "15550000002", group.jid, subject="Team 2", description="d")
    code = group_ops.invite_code(net, "15550000001", group.jid)
    group_ops.change_participants(net, "15550000001", group.jid, "remove", ["15550000003"])
    group_ops.join_by_invite(net, "15550000003", code)
    group_ops.leave_group(net, "15550000002", group.jid)
    subtypes = [m.subtype for m in net.inbox("15550000001", group.jid)]
    assert subtypes == [
        "create", "add", "promote", "subject", "description", "remove", "invite", "leave",
    ]  # fmt: skip
    assert group.subject == "Team 2"
    assert group.desc == "d"
    assert group.participants == ["15550000001", "15550000003"]
    # Cy sees from being added on, and their own removal
    cy_view = [m.subtype for m in net.inbox("15550000003", group.jid)]
    assert cy_view == ["add", "promote", "subject", "description", "remove", "invite", "leave"]


def test_a_new_member_does_not_see_older_group_messages(net: Network) -> None:
    group, _ = group_ops.create_group(net, "15550000001", "G", ["15550000002"])
    net.send("15550000002", group.jid, body="before Cy")
    group_ops.change_participants(net, "15550000001", group.jid, "add", ["15550000003"])
    net.send("15550000002", group.jid, body="after Cy")
    bodies = [m.body for m in net.inbox("15550000003", group.jid) if m.type == "chat"]
    assert bodies == ["after Cy"]


def test_history_pages_back(net: Network) -> None:
    for i in range(25):
        net.send("15550000001", "15550000002", body=str(i))
    last = net.history("15550000002", "15550000001", None, 10)
    earlier = net.history("15550000002", "15550000001", last[0].seq, 10)
    first = net.history("15550000002", "15550000001", earlier[0].seq, 10)
    assert [m.body for m in first + earlier + last] == [str(i) for i in range(25)]


def test_persistence_round_trip(net: Network, tmp_path: Path) -> None:
    net.link_device("15550000001", "pubkey", "Chrome")
    group, _ = group_ops.create_group(net, "15550000001", "Kept", ["15550000002"])
    _msg, _ = net.send("15550000002", "15550000001", msg_id="KEEP1", body="remember me")
    path = tmp_path / "state.json"
    save_network(net, path)
    restored = Network(SandboxConfig())
    assert load_network(restored, path)
    assert dump_network(restored) == dump_network(net)
    again, created = restored.send("15550000002", "15550000001", msg_id="KEEP1", body="x")
    assert not created
    assert again.body == "remember me"
    assert restored.groups[group.jid].subject == "Kept"
    assert next(iter(restored.accounts["15550000001"].devices.values())).public_key == "pubkey"


def test_damaged_state_is_a_clear_error(tmp_path: Path) -> None:
    from connectors.sandbox import PersistenceError

    path = tmp_path / "state.json"
    path.write_text("{not json")
    with pytest.raises(PersistenceError):
        load_network(Network(SandboxConfig()), path)
    bad: dict[str, Any] = {"format": 1, "seq": 0, "accounts": [{"number": "1"}]}
    with pytest.raises(PersistenceError):
        restore_network(Network(SandboxConfig()), bad)
