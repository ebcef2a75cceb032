"""The phone's group routes (``/phone/{number}/groups/...``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.sandbox import groups
from connectors.sandbox.exceptions import ForbiddenError
from connectors.sandbox.http_util import json_response, network_of, read_body
from connectors.sandbox.jids import group_jid, normalize_number
from connectors.sandbox.views import group_view

__all__ = ["group_routes"]

Subject = Annotated[StrictStr, Field(min_length=1, max_length=100)]
Numbers = Annotated[list[StrictStr], Field(max_length=1024)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GroupIn(_Body):
    subject: Subject
    participants: Numbers = []


class ParticipantsIn(_Body):
    action: Literal["add", "remove", "promote", "demote"]
    participants: Annotated[list[StrictStr], Field(min_length=1, max_length=1024)]


class GroupInfoIn(_Body):
    subject: Subject | None = None
    description: Annotated[StrictStr, Field(max_length=2048)] | None = None
    announce: StrictBool | None = None
    restrict: StrictBool | None = None


class JoinIn(_Body):
    code: Annotated[StrictStr, Field(min_length=1, max_length=64)]


def _path(request: Request) -> tuple[str, str]:
    number = normalize_number(request.path_params["number"], "number")
    return number, group_jid(request.path_params["jid"], "jid")


async def create(request: Request) -> Response:
    number = normalize_number(request.path_params["number"], "number")
    body = await read_body(request, GroupIn)
    members = [normalize_number(p, "participants") for p in body.participants]
    group, results = groups.create_group(network_of(request), number, body.subject, members)
    return json_response({"id": group.jid, "participants": results, **group_view(group)}, 201)


async def info(request: Request) -> Response:
    number, jid = _path(request)
    net = network_of(request)
    net.account(number)
    group = net.group(jid, "jid")
    if number not in group.participants:
        raise ForbiddenError(f"{number} is not a participant", slug="not-a-participant")
    return json_response(group_view(group))


async def participants(request: Request) -> Response:
    number, jid = _path(request)
    body = await read_body(request, ParticipantsIn)
    numbers = [normalize_number(p, "participants") for p in body.participants]
    results = groups.change_participants(network_of(request), number, jid, body.action, numbers)
    return json_response({"participants": results})


async def update(request: Request) -> Response:
    number, jid = _path(request)
    body = await read_body(request, GroupInfoIn)
    group = groups.set_group_info(
        network_of(request),
        number,
        jid,
        subject=body.subject,
        description=body.description,
        announce=body.announce,
        restrict=body.restrict,
    )
    return json_response(group_view(group))


async def leave(request: Request) -> Response:
    number, jid = _path(request)
    groups.leave_group(network_of(request), number, jid)
    return json_response({"left": jid})


async def invite(request: Request) -> Response:
    number, jid = _path(request)
    reset = request.query_params.get("reset", "false").lower() in ("1", "true", "yes")
    code = groups.invite_code(network_of(request), number, jid, reset=reset)
    return json_response({"code": code, "link": f"https://chat.whatsapp.com/{code}"})


async def join(request: Request) -> Response:
    number = normalize_number(request.path_params["number"], "number")
    body = await read_body(request, JoinIn)
    code = body.code.rsplit("/", 1)[-1]
    group = groups.join_by_invite(network_of(request), number, code)
    return json_response(group_view(group))


def group_routes() -> list[Route]:
    return [
        Route("/phone/{number}/groups", create, methods=["POST"]),
        Route("/phone/{number}/groups/join", join, methods=["POST"]),
        Route("/phone/{number}/groups/{jid}", info, methods=["GET"]),
        Route("/phone/{number}/groups/{jid}", update, methods=["PATCH"]),
        Route("/phone/{number}/groups/{jid}/participants", participants, methods=["POST"]),
        Route("/phone/{number}/groups/{jid}/leave", leave, methods=["POST"]),
        Route("/phone/{number}/groups/{jid}/invite", invite, methods=["GET"]),
    ]
