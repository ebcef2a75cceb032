"""Group operations; each change posts a ``gp2`` message and pushes the new metadata."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Literal

from connectors.sandbox.exceptions import ForbiddenError, InvalidRequestError, NotFoundError
from connectors.sandbox.jids import new_group_jid, new_message_id, user_jid
from connectors.sandbox.models import Group, Message
from connectors.sandbox.network import Network
from connectors.sandbox.views import group_view

__all__ = [
    "ParticipantAction",
    "change_participants",
    "create_group",
    "invite_code",
    "join_by_invite",
    "leave_group",
    "set_group_info",
]

ParticipantAction = Literal["add", "remove", "promote", "demote"]


def _new_invite_code() -> str:
    return secrets.token_urlsafe(16)[:22]


def _push_group(net: Network, group: Group, extra: Iterable[str] = ()) -> None:
    event = {"type": "group", "group": group_view(group)}
    for number in {*group.participants, *extra}:
        account = net.accounts.get(number)
        if account is not None:
            for device in account.devices.values():
                net.hub.send(device, event)


def _post(
    net: Network,
    group: Group,
    actor: str,
    subtype: str,
    recipients: Iterable[str] = (),
    body: str = "",
    extra: Iterable[str] = (),
) -> Message:
    msg = Message(
        seq=0,
        conv=group.jid,
        id=new_message_id(),
        sender=actor,
        t=int(net.clock()),
        type="gp2",
        subtype=subtype,
        audience=group.audience | frozenset(extra),
        body=body,
        recipients=tuple(recipients),
    )
    net.store(msg)
    net.fan_out(msg)
    return msg


def _member(group: Group, number: str) -> None:
    if number not in group.participants:
        raise ForbiddenError(
            f"{number} is not a participant of {group.jid}", slug="not-a-participant"
        )


def _admin(group: Group, number: str) -> None:
    _member(group, number)
    if number not in group.admins:
        raise ForbiddenError(f"{number} is not an admin of {group.jid}", slug="not-admin")


def create_group(
    net: Network, creator: str, subject: str, participants: Iterable[str]
) -> tuple[Group, list[dict[str, object]]]:
    """Create a group; answer it and one ``{jid, code}`` per asked participant (200, 404)."""
    net.ensure_not_banned(net.account(creator))
    if not subject.strip():
        raise InvalidRequestError("a group needs a subject", field="subject")
    results: list[dict[str, object]] = []
    members = [creator]
    for number in participants:
        if number == creator or number in members:
            continue
        code = 200 if number in net.accounts else 404
        results.append({"jid": user_jid(number), "code": code})
        if code == 200:
            members.append(number)
    now = int(net.clock())
    group = Group(
        jid=new_group_jid(),
        subject=subject.strip(),
        owner=creator,
        creation=now,
        participants=members,
        admins={creator},
        invite_code=_new_invite_code(),
        subject_time=now,
    )
    group.refresh_audience()
    net.groups[group.jid] = group
    _push_group(net, group)
    _post(net, group, creator, "create", members[1:], body=group.subject)
    return group, results


def change_participants(
    net: Network, actor: str, jid: str, action: ParticipantAction, numbers: Iterable[str]
) -> list[dict[str, object]]:
    """Add, remove, promote or demote; one ``{jid, code}`` each (200, 403, 404, 409)."""
    group = net.group(jid)
    net.ensure_not_banned(net.account(actor))
    _admin(group, actor)
    results: list[dict[str, object]] = []
    done: list[str] = []
    for number in dict.fromkeys(numbers):
        code = 200
        member = number in group.participants
        if action == "add":
            if number not in net.accounts:
                code = 404
            elif member:
                code = 409
            else:
                group.participants.append(number)
        elif not member:
            code = 404
        elif number == group.owner and number != actor:
            code = 403
        elif action == "remove":
            group.participants.remove(number)
            group.admins.discard(number)
        elif action == "promote":
            code = 409 if number in group.admins else 200
            group.admins.add(number)
        else:
            code = 409 if number not in group.admins else 200
            group.admins.discard(number)
        results.append({"jid": user_jid(number), "code": code})
        if code == 200:
            done.append(number)
    if done:
        group.refresh_audience()
        extra = done if action == "remove" else ()
        _push_group(net, group, extra)
        _post(net, group, actor, action, done, extra=extra)
    return results


def set_group_info(
    net: Network,
    actor: str,
    jid: str,
    *,
    subject: str | None = None,
    description: str | None = None,
    announce: bool | None = None,
    restrict: bool | None = None,
) -> Group:
    group = net.group(jid)
    net.ensure_not_banned(net.account(actor))
    if group.restrict or announce is not None or restrict is not None:
        _admin(group, actor)
    else:
        _member(group, actor)
    if subject is not None:
        if not subject.strip():
            raise InvalidRequestError("the subject cannot be empty", field="subject")
        group.subject, group.subject_time = subject.strip(), int(net.clock())
        _push_group(net, group)
        _post(net, group, actor, "subject", body=group.subject)
    if description is not None:
        group.desc, group.desc_id, group.desc_owner = description, new_message_id(), actor
        _push_group(net, group)
        _post(net, group, actor, "description", body=description)
    for name, value in (("announce", announce), ("restrict", restrict)):
        if value is not None and getattr(group, name) != value:
            setattr(group, name, value)
            _push_group(net, group)
            _post(net, group, actor, name, body="on" if value else "off")
    return group


def leave_group(net: Network, number: str, jid: str) -> None:
    group = net.group(jid)
    _member(group, number)
    group.participants.remove(number)
    group.admins.discard(number)
    if group.participants and not group.admins:
        group.admins.add(group.participants[0])
    group.refresh_audience()
    _push_group(net, group, [number])
    _post(net, group, number, "leave", [number], extra=[number])


def invite_code(net: Network, actor: str, jid: str, *, reset: bool = False) -> str:
    group = net.group(jid)
    _admin(group, actor)
    if reset:
        group.invite_code = _new_invite_code()
        net.changed()
    return group.invite_code


def join_by_invite(net: Network, number: str, code: str) -> Group:
    net.ensure_not_banned(net.account(number))
    for group in net.groups.values():
        if group.invite_code == code:
            if number not in group.participants:
                group.participants.append(number)
                group.refresh_audience()
                _push_group(net, group)
                _post(net, group, number, "invite", [number])
            return group
    raise NotFoundError("no group has that invite code", field="code", slug="unknown-invite")
