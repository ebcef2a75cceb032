"""The table of the HTTP API's endpoints: what each command endpoint takes, needs and builds.

The routes (:mod:`gateway.routes`) and the OpenAPI document (:mod:`gateway.openapi`) are both
made from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gateway import commands
from gateway.admission import Mode
from gateway.bodies import (
    BroadcastBody,
    CheckNumbersBody,
    CommandBody,
    CreateGroupBody,
    CreateSessionBody,
    EmptyBody,
    GroupInfoBody,
    MessageBody,
    ParticipantsBody,
    ReactionBody,
    ReadBody,
    ScrapeBody,
)

__all__ = ["COMMAND_ENDPOINTS", "READ_ENDPOINTS", "CommandEndpoint", "ReadEndpoint"]


@dataclass(frozen=True, slots=True)
class CommandEndpoint:
    """One endpoint that publishes a command; ``build`` takes the body (and the group JID)."""

    method: str
    path: str
    scope: str
    body: type[CommandBody]
    build: Callable[..., commands.Payload]
    summary: str
    mode: Mode = "command"


@dataclass(frozen=True, slots=True)
class ReadEndpoint:
    """One endpoint that reads state; ``what`` names it in the 404 until workers write it,
    ``record`` is the contract's record its JSON answer holds (None: not JSON)."""

    path: str
    summary: str
    what: str
    record: str | None


_SESSION = "/v1/sessions/{sid}"
_GROUP = _SESSION + "/groups/{gid}"

COMMAND_ENDPOINTS: tuple[CommandEndpoint, ...] = (
    CommandEndpoint(
        "POST",
        "/v1/sessions",
        "sessions:write",
        CreateSessionBody,
        commands.start_session,
        "Create a session and start it (QR or phone pairing code)",
        mode="create",
    ),
    CommandEndpoint(
        "POST",
        _SESSION + "/stop",
        "sessions:write",
        EmptyBody,
        commands.stop_session,
        "Stop a session (its login is kept)",
    ),
    CommandEndpoint(
        "POST",
        _SESSION + "/logout",
        "sessions:write",
        EmptyBody,
        commands.logout_session,
        "Log a session out (its login is forgotten)",
    ),
    CommandEndpoint(
        "POST",
        _SESSION + "/messages",
        "messages:send",
        MessageBody,
        commands.send,
        "Send a text or media message",
    ),
    CommandEndpoint(
        "POST",
        _SESSION + "/reactions",
        "messages:send",
        ReactionBody,
        commands.send_reaction,
        "React to a message ('' removes the reaction)",
    ),
    CommandEndpoint(
        "POST",
        _SESSION + "/read",
        "messages:send",
        ReadBody,
        commands.mark_read,
        "Mark a chat read",
    ),
    CommandEndpoint(
        "POST",
        _SESSION + "/contacts/check",
        "messages:send",
        CheckNumbersBody,
        commands.check_numbers,
        "Check which phone numbers are on WhatsApp",
    ),
    CommandEndpoint(
        "POST",
        _SESSION + "/groups",
        "groups:write",
        CreateGroupBody,
        commands.create_group,
        "Create a group",
    ),
    CommandEndpoint(
        "POST",
        _GROUP + "/participants",
        "groups:write",
        ParticipantsBody,
        commands.update_group_participants,
        "Add, remove, promote or demote participants",
    ),
    CommandEndpoint(
        "PATCH",
        _GROUP,
        "groups:write",
        GroupInfoBody,
        commands.update_group_info,
        "Change a group's subject or description",
    ),
    CommandEndpoint(
        "POST",
        _GROUP + "/invite",
        "groups:write",
        EmptyBody,
        commands.get_group_invite,
        "Get a group's invite code",
    ),
    CommandEndpoint(
        "DELETE",
        _GROUP,
        "groups:write",
        EmptyBody,
        commands.leave_group,
        "Leave a group",
    ),
    CommandEndpoint(
        "POST",
        _SESSION + "/broadcasts",
        "messages:send",
        BroadcastBody,
        commands.broadcast,
        "Send one message to many recipients, paced",
    ),
    CommandEndpoint(
        "POST",
        _SESSION + "/scrapes",
        "scrape:read",
        ScrapeBody,
        commands.scrape,
        "Scrape chats, contacts, group members or messages to wa.scrape-results",
    ),
)

READ_ENDPOINTS: tuple[ReadEndpoint, ...] = (
    ReadEndpoint(_SESSION, "A session's state", "session state", "wastream.v1.SessionSnapshot"),
    ReadEndpoint(_SESSION + "/qr", "A session's QR code (PNG, or ?format=text)", "QR code", None),
    ReadEndpoint(
        "/v1/commands/{command_id}",
        "A command's result",
        "command result",
        "wastream.v1.CommandResult",
    ),
)
