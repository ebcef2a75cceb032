"""The phone: JSON control routes that act as an account's handset (``/phone/...``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectors.sandbox.exceptions import InvalidRequestError
from connectors.sandbox.http_util import json_response, network_of, pairing_of, read_body
from connectors.sandbox.jids import chat_of, check_message_id, normalize_number, user_jid
from connectors.sandbox.models import MEDIA_TYPES
from connectors.sandbox.sync import chat_name
from connectors.sandbox.views import inbox_view, key_view, serialized_key

__all__ = ["phone_routes"]

Text = Annotated[StrictStr, Field(max_length=65536)]
Name = Annotated[StrictStr, Field(min_length=1, max_length=64)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountIn(_Body):
    number: StrictStr
    name: Name


class LinkIn(_Body):
    qr: Annotated[StrictStr, Field(min_length=1, max_length=2048)]


class LinkCodeIn(_Body):
    code: Annotated[StrictStr, Field(min_length=1, max_length=32)]


class DeviceIn(_Body):
    device: StrictStr | None = None


class DisconnectIn(_Body):
    device: StrictStr | None = None
    down_ms: Annotated[StrictInt, Field(ge=0, le=3_600_000)] = 0


class MediaIn(_Body):
    type: Literal["image", "video", "audio", "ptt", "document", "sticker"]
    mimetype: Annotated[StrictStr, Field(min_length=3, max_length=128)]
    data: StrictStr
    filename: Annotated[StrictStr, Field(max_length=255)] | None = None


class MessageIn(_Body):
    to: StrictStr
    text: Text | None = None
    id: StrictStr | None = None
    media: MediaIn | None = None
    caption: Text | None = None
    quoted: StrictStr | None = None
    mentions: Annotated[list[StrictStr], Field(max_length=256)] = []


class ChatIn(_Body):
    chat: StrictStr


class MessageRefIn(_Body):
    chat: StrictStr
    id: StrictStr


class ReactIn(MessageRefIn):
    text: Annotated[StrictStr, Field(max_length=32)]


class EditIn(MessageRefIn):
    text: Annotated[StrictStr, Field(min_length=1, max_length=65536)]


class ContactIn(_Body):
    number: StrictStr
    name: Name


class LimitsIn(_Body):
    messages_per_min: Annotated[StrictInt, Field(ge=0)] | None = None
    new_recipients_per_min: Annotated[StrictInt, Field(ge=0)] | None = None
    ban_s: Annotated[StrictFloat | StrictInt, Field(gt=0, le=86400)] | None = None


def _number(request: Request) -> str:
    return normalize_number(request.path_params["number"], "number")


async def create_account(request: Request) -> Response:
    body = await read_body(request, AccountIn)
    number = normalize_number(body.number)
    account = network_of(request).create_account(number, body.name)
    return json_response({"number": number, "name": account.name, "jid": user_jid(number)}, 201)


async def list_accounts(request: Request) -> Response:
    net = network_of(request)
    return json_response(
        {"accounts": [{"number": a.number, "name": a.name} for a in net.accounts.values()]}
    )


async def account_info(request: Request) -> Response:
    net = network_of(request)
    account = net.account(_number(request))
    return json_response(
        {
            "number": account.number,
            "name": account.name,
            "jid": user_jid(account.number),
            "online": account.phone_online,
            "banned_for_s": round(net.banned_for(account.number), 3),
            "devices": [
                {
                    "id": d.id,
                    "platform": d.platform,
                    "linked_at": d.linked_at,
                    "connected": net.hub.is_online(d.id),
                }
                for d in account.devices.values()
            ],
        }
    )


async def link(request: Request) -> Response:
    number = _number(request)
    body = await read_body(request, LinkIn)
    network_of(request).account(number)
    device = pairing_of(request).link_by_qr(number, body.qr)
    return json_response({"device": device.id, "number": number}, 201)


async def link_code(request: Request) -> Response:
    number = _number(request)
    body = await read_body(request, LinkCodeIn)
    network_of(request).account(number)
    device = pairing_of(request).link_by_code(number, body.code)
    return json_response({"device": device.id, "number": number}, 201)


async def unlink(request: Request) -> Response:
    body = await read_body(request, DeviceIn)
    gone = network_of(request).unlink(_number(request), body.device)
    return json_response({"unlinked": gone})


async def disconnect(request: Request) -> Response:
    body = await read_body(request, DisconnectIn)
    dropped = network_of(request).disconnect(_number(request), body.device, body.down_ms / 1000)
    return json_response({"disconnected": dropped})


async def send_message(request: Request) -> Response:
    number = _number(request)
    body = await read_body(request, MessageIn)
    net = network_of(request)
    net.account(number)
    to = chat_of(body.to, "to")
    msg_id = check_message_id(body.id) if body.id is not None else None
    media = None
    if body.media is not None:
        assert body.media.type in MEDIA_TYPES
        media = net.media.put_base64(body.media.data, body.media.mimetype, body.media.filename)
    elif body.text is None or not body.text:
        raise InvalidRequestError("a message needs text or media", field="text")
    msg, created = net.send(
        number,
        to,
        msg_id=msg_id,
        type=body.media.type if body.media else "chat",
        body=(body.text or "") if media is None else "",
        caption=(body.caption or body.text) if media is not None else None,
        media=media,
        quoted_id=body.quoted,
        mentions=[normalize_number(m, "mentions") for m in body.mentions],
    )
    key = key_view(msg, number)
    return json_response(
        {
            "id": msg.id,
            "key": serialized_key(key),
            "chat": key["remote"],
            "timestamp": msg.t,
            "ack": msg.ack,
            "duplicate": not created,
        },
        201 if created else 200,
    )


async def read_chat(request: Request) -> Response:
    body = await read_body(request, ChatIn)
    count = network_of(request).mark_read(_number(request), chat_of(body.chat))
    return json_response({"read": count})


async def go_offline(request: Request) -> Response:
    network_of(request).set_phone_online(_number(request), False)
    return json_response({"online": False})


async def go_online(request: Request) -> Response:
    network_of(request).set_phone_online(_number(request), True)
    return json_response({"online": True})


async def inbox(request: Request) -> Response:
    number = _number(request)
    chat = request.query_params.get("chat")
    net = network_of(request)
    messages = net.inbox(number, chat_of(chat) if chat else None)
    return json_response({"messages": [inbox_view(m, number) for m in messages]})


async def chats(request: Request) -> Response:
    number = _number(request)
    net = network_of(request)
    account = net.account(number)
    return json_response(
        {
            "chats": [
                {
                    "id": jid,
                    "name": chat_name(net, number, jid),
                    "unread": account.unread.get(jid, 0),
                }
                for jid in account.chats
            ]
        }
    )


async def add_contact(request: Request) -> Response:
    body = await read_body(request, ContactIn)
    network_of(request).add_contact(_number(request), normalize_number(body.number), body.name)
    return json_response({"number": normalize_number(body.number), "name": body.name}, 201)


async def react(request: Request) -> Response:
    number = _number(request)
    body = await read_body(request, ReactIn)
    net = network_of(request)
    chat = chat_of(body.chat)
    target = net.find_message(number, chat, check_message_id(body.id))
    reaction = net.react(number, chat, target, body.text)
    return json_response({"id": reaction.id, "text": body.text}, 201)


async def edit(request: Request) -> Response:
    body = await read_body(request, EditIn)
    msg = network_of(request).edit(_number(request), chat_of(body.chat), body.id, body.text)
    return json_response({"id": msg.id, "text": msg.body})


async def revoke(request: Request) -> Response:
    body = await read_body(request, MessageRefIn)
    msg = network_of(request).revoke(_number(request), chat_of(body.chat), body.id)
    return json_response({"id": msg.id, "type": msg.type})


async def delete_for_me(request: Request) -> Response:
    body = await read_body(request, MessageRefIn)
    msg = network_of(request).delete_for_me(_number(request), chat_of(body.chat), body.id)
    return json_response({"id": msg.id, "deleted": True})


async def get_limits(request: Request) -> Response:
    return json_response(network_of(request).limiter.limits.as_dict())


async def put_limits(request: Request) -> Response:
    body = await read_body(request, LimitsIn)
    limits = network_of(request).set_limits(**body.model_dump())
    return json_response(limits.as_dict())


def phone_routes() -> list[Route]:
    from connectors.sandbox.phone_groups import group_routes

    return [
        Route("/phone/accounts", create_account, methods=["POST"]),
        Route("/phone/accounts", list_accounts, methods=["GET"]),
        Route("/phone/limits", get_limits, methods=["GET"]),
        Route("/phone/limits", put_limits, methods=["PUT"]),
        *group_routes(),
        Route("/phone/{number}", account_info, methods=["GET"]),
        Route("/phone/{number}/link", link, methods=["POST"]),
        Route("/phone/{number}/link-code", link_code, methods=["POST"]),
        Route("/phone/{number}/unlink", unlink, methods=["POST"]),
        Route("/phone/{number}/disconnect", disconnect, methods=["POST"]),
        Route("/phone/{number}/messages", send_message, methods=["POST"]),
        Route("/phone/{number}/read", read_chat, methods=["POST"]),
        Route("/phone/{number}/offline", go_offline, methods=["POST"]),
        Route("/phone/{number}/online", go_online, methods=["POST"]),
        Route("/phone/{number}/inbox", inbox, methods=["GET"]),
        Route("/phone/{number}/chats", chats, methods=["GET"]),
        Route("/phone/{number}/contacts", add_contact, methods=["POST"]),
        Route("/phone/{number}/react", react, methods=["POST"]),
        Route("/phone/{number}/edit", edit, methods=["POST"]),
        Route("/phone/{number}/revoke", revoke, methods=["POST"]),
        Route("/phone/{number}/delete", delete_for_me, methods=["POST"]),
    ]
