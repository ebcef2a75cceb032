"""``GET /openapi.json`` describes every endpoint, body and response, and its schemas accept
exactly what the gateway accepts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import jsonschema_rs
import orjson
import pytest
from pydantic import BaseModel, ValidationError

from gateway.bodies import (
    CreateSessionBody,
    GroupInfoBody,
    MessageBody,
    ReadBody,
    ScrapeBody,
)
from gateway.endpoints import COMMAND_ENDPOINTS, READ_ENDPOINTS
from gateway.idempotency import parse_idempotency_key
from gateway.problems import Problem
from gateway.validation import check_command_id, check_group_id, check_session_id
from schemas.codec import AvroCodec
from tests.schemas.samples import ALL_RECORDS, with_defaults
from wastream.settings import Settings

DESIGN_ENDPOINTS = {
    ("post", "/v1/sessions"),
    ("get", "/v1/sessions/{sid}"),
    ("get", "/v1/sessions/{sid}/qr"),
    ("post", "/v1/sessions/{sid}/stop"),
    ("post", "/v1/sessions/{sid}/logout"),
    ("post", "/v1/sessions/{sid}/messages"),
    ("post", "/v1/sessions/{sid}/reactions"),
    ("post", "/v1/sessions/{sid}/read"),
    ("post", "/v1/sessions/{sid}/contacts/check"),
    ("post", "/v1/sessions/{sid}/groups"),
    ("post", "/v1/sessions/{sid}/groups/{gid}/participants"),
    ("patch", "/v1/sessions/{sid}/groups/{gid}"),
    ("post", "/v1/sessions/{sid}/groups/{gid}/invite"),
    ("delete", "/v1/sessions/{sid}/groups/{gid}"),
    ("post", "/v1/sessions/{sid}/broadcasts"),
    ("post", "/v1/sessions/{sid}/scrapes"),
    ("get", "/v1/commands/{command_id}"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
}


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


async def test_document_lists_every_endpoint_of_the_design(
    offline_client: httpx.AsyncClient,
) -> None:
    response = await offline_client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    operations = {(method, path) for path, item in document["paths"].items() for method in item}
    assert operations == DESIGN_ENDPOINTS
    assert len(COMMAND_ENDPOINTS) + len(READ_ENDPOINTS) + 4 == len(DESIGN_ENDPOINTS)


async def test_bodies_responses_and_security(offline_client: httpx.AsyncClient) -> None:
    document = (await offline_client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    for ref in _refs(document):
        assert ref.startswith("#/components/schemas/")
        assert ref.rsplit("/", 1)[1] in schemas, ref
    messages = document["paths"]["/v1/sessions/{sid}/messages"]["post"]
    assert messages["security"] == [{"bearer": ["messages:send"]}]
    assert messages["requestBody"]["required"] is True
    assert set(messages["responses"]) >= {
        "202",
        "400",
        "401",
        "403",
        "404",
        "409",
        "413",
        "415",
        "422",
        "429",
        "503",
    }
    body = schemas["MessageBody"]
    assert body["additionalProperties"] is False
    assert {"to", "text", "media", "caption", "reply_to", "mentions", "ttl_s"} == set(
        body["properties"]
    )
    assert body["properties"]["mentions"]["maxItems"] == 3
    assert schemas["MediaBody"]["properties"]["data"]["anyOf"][0]["contentEncoding"] == "base64"
    names = {p["name"] for p in messages["parameters"]}
    assert {"sid", "Idempotency-Key", "traceparent"} <= names
    assert document["paths"]["/healthz"]["get"]["security"] == []


async def test_the_qr_code_and_readiness_are_described_as_served(
    offline_client: httpx.AsyncClient,
) -> None:
    document = (await offline_client.get("/openapi.json")).json()
    qr = document["paths"]["/v1/sessions/{sid}/qr"]["get"]
    assert set(qr["responses"]["200"]["content"]) == {"image/png", "text/plain"}
    assert "409" in qr["responses"]
    (query,) = [p for p in qr["parameters"] if p["in"] == "query"]
    assert (query["name"], query["schema"]["enum"]) == ("format", ["png", "text"])
    assert set(document["paths"]["/readyz"]["get"]["responses"]) == {"200", "503"}


SNAPSHOT = with_defaults("SessionSnapshot", ALL_RECORDS["SessionSnapshot"][1])


@pytest.mark.parametrize(
    ("changes", "valid"),
    [
        ({}, True),
        ({"state": "SLEEPING"}, False),
        ({"counters": {"sent": "3"}}, False),
        ({"updated_at": "2026-12-06T09:00:00Z"}, False),
        ({"extra": 1}, False),
        ({"desired": None}, False),
    ],
)
async def test_a_session_read_is_described_as_answered(
    offline_client: httpx.AsyncClient, changes: dict[str, Any], valid: bool
) -> None:
    # As the gateway answers it: the Avro record decoded, then JSON.
    codec = AvroCodec()
    answered = orjson.loads(
        orjson.dumps(codec.decode_as("SessionSnapshot", codec.encode("SessionSnapshot", SNAPSHOT)))
    )
    assert answered == SNAPSHOT
    document = (await offline_client.get("/openapi.json")).json()
    response = document["paths"]["/v1/sessions/{sid}"]["get"]["responses"]["200"]
    schema = response["content"]["application/json"]["schema"]
    value = {**answered, **changes}
    assert _document_accepts(document, schema, value) is valid


async def test_a_command_result_is_described_with_every_outcome(
    offline_client: httpx.AsyncClient,
) -> None:
    document = (await offline_client.get("/openapi.json")).json()
    response = document["paths"]["/v1/commands/{command_id}"]["get"]["responses"]["200"]
    schema = response["content"]["application/json"]["schema"]
    result = document["components"]["schemas"]["CommandResult"]
    assert result["properties"]["outcome"]["enum"] == [
        "DONE",
        "FAILED",
        "EXPIRED",
        "REJECTED",
        "DUPLICATE",
    ]
    assert "milliseconds" in result["properties"]["completed_at"]["description"]
    done = with_defaults("CommandResult", ALL_RECORDS["CommandResult"][0])
    failed = with_defaults("CommandResult", ALL_RECORDS["CommandResult"][1])
    duplicate = {
        **done,
        "outcome": "DUPLICATE",
        "error_code": "DUPLICATE_COMMAND",
        "detail": "command … already ended DONE (record wa.commands:3:17)",
        "attempts": 0,
        "output": {"original_outcome": "DONE"},
    }
    for answered in (done, failed, duplicate):
        assert _document_accepts(document, schema, answered), answered
    assert set(result["required"]) == set(done) - {"error_code", "detail", "output"}
    assert not _document_accepts(document, schema, {**done, "outcome": "MAYBE"})
    assert not _document_accepts(document, schema, {**done, "attempts": None})
    assert not _document_accepts(document, schema, {**done, "output": {"sent": True}})


@pytest.fixture(scope="module")
async def document(offline_client: httpx.AsyncClient) -> dict[str, Any]:
    body: dict[str, Any] = (await offline_client.get("/openapi.json")).json()
    return body


def _document_accepts(document: dict[str, Any], schema: dict[str, Any], value: Any) -> bool:
    root = {**schema, "components": document["components"]}
    return bool(jsonschema_rs.Draft202012Validator(root).is_valid(value))


def _gateway_accepts(check: Callable[[str], object], value: str) -> bool:
    try:
        check(value)
    except Problem:
        return False
    return True


PHONE = "4915112345678"
MEDIA = {"kind": "image", "url": "https://x.test/a.png"}


@pytest.mark.parametrize(
    ("model", "body", "valid"),
    [
        (MessageBody, {"to": PHONE, "text": "hi"}, True),
        (MessageBody, {"to": PHONE, "text": "hi", "ttl_s": 60.0}, True),
        (MessageBody, {"to": PHONE, "text": "hi", "ttl_s": 60.5}, False),
        (MessageBody, {"to": PHONE, "media": MEDIA, "caption": "c"}, True),
        (MessageBody, {"to": PHONE, "text": None, "media": MEDIA}, True),
        (MessageBody, {"to": PHONE}, False),
        (MessageBody, {"to": PHONE, "text": "hi", "caption": "c"}, False),
        (MessageBody, {"to": PHONE, "text": "hi", "media": MEDIA}, False),
        (MessageBody, {"to": PHONE, "text": "hi", "media": MEDIA, "caption": "c"}, False),
        (MessageBody, {"to": "+" + PHONE, "text": "hi"}, False),
        (MessageBody, {"to": "120363012345678901@g.us", "text": "hi"}, True),
        (MessageBody, {"to": PHONE, "text": "hi", "mentions": ["1234567@c.us"]}, True),
        (MessageBody, {"to": PHONE, "text": "hi", "mentions": ["12345@g.us"]}, False),
        (MessageBody, {"to": PHONE, "text": "hi", "mentions": ["1234567"] * 4}, False),
        (MessageBody, {"to": PHONE, "media": {"kind": "image"}}, False),
        # U+0085 is a space to the models' \s only, U+FEFF to ECMA-262's only, "é" a word
        # character to the models' \w only: the patterns may use none of them.
        (MessageBody, {"to": PHONE, "media": {**MEDIA, "url": "https://x.test/\x85"}}, False),
        (MessageBody, {"to": PHONE, "media": {**MEDIA, "url": "https://x.test/\ufeff"}}, True),
        (MessageBody, {"to": PHONE, "media": {**MEDIA, "url": "https://例え.jp/パス"}}, True),
        (MessageBody, {"to": PHONE, "media": {**MEDIA, "url": "https://x.test/a b"}}, False),
        (MessageBody, {"to": PHONE, "media": {**MEDIA, "mimetype": "image/svg+xml"}}, True),
        (MessageBody, {"to": PHONE, "media": {**MEDIA, "mimetype": "imagé/png"}}, False),
        (MessageBody, {"to": PHONE, "media": {**MEDIA, "data": "aGk="}}, False),
        (MessageBody, {"to": PHONE, "media": {"kind": "image", "data": "aGk="}}, True),
        (MessageBody, {"to": PHONE, "media": {"kind": "image", "data": "-__-Pj8"}}, True),
        (MessageBody, {"to": PHONE, "media": {"kind": "image", "data": "+/+/Pj8=="}}, False),
        (MessageBody, {"to": PHONE, "media": {"kind": "image", "data": "+/-_"}}, False),
        (MessageBody, {"to": PHONE, "media": {"kind": "image", "data": "AB=="}}, False),
        (MessageBody, {"to": PHONE, "media": {"kind": "image", "data": "aGk=\n"}}, False),
        (CreateSessionBody, {"session_id": "a.b_c-d"}, True),
        (CreateSessionBody, {"session_id": "-a"}, False),
        (CreateSessionBody, {"session_id": "a" * 65}, False),
        (CreateSessionBody, {"session_id": "s", "pairing": "code"}, False),
        (CreateSessionBody, {"session_id": "s", "pairing": "code", "phone": None}, False),
        (CreateSessionBody, {"session_id": "s", "pairing": "code", "phone": PHONE}, True),
        (CreateSessionBody, {"session_id": "s", "phone": "123"}, False),
        (GroupInfoBody, {}, False),
        (GroupInfoBody, {"subject": None, "description": None}, False),
        (GroupInfoBody, {"description": ""}, True),
        (GroupInfoBody, {"subject": ""}, False),
        (ScrapeBody, {"kind": "group_members"}, False),
        (ScrapeBody, {"kind": "group_members", "chat": PHONE}, False),
        (ScrapeBody, {"kind": "group_members", "chat": "12345-67890@g.us"}, True),
        (ScrapeBody, {"kind": "messages", "chat": PHONE, "limit": 5.0}, True),
        (ReadBody, {"chat": "1234567@c.us"}, True),
        (ReadBody, {"chat": "nobody"}, False),
    ],
)
def test_body_schemas_accept_what_the_gateway_accepts(
    document: dict[str, Any],
    offline_settings: Settings,
    model: type[BaseModel],
    body: dict[str, Any],
    valid: bool,
) -> None:
    context = {
        "max_recipients": offline_settings.max_recipients,
        "max_media_bytes": offline_settings.max_media_bytes,
    }
    try:
        model.model_validate_json(orjson.dumps(body), context=context)
        gateway_accepts = True
    except ValidationError:
        gateway_accepts = False
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    assert (_document_accepts(document, schema, body), gateway_accepts) == (valid, valid)


_GROUP = "/v1/sessions/{sid}/groups/{gid}/participants"


@pytest.mark.parametrize(
    ("path", "name", "check", "value", "valid"),
    [
        (_GROUP, "sid", check_session_id, "s-1.a_b", True),
        (_GROUP, "sid", check_session_id, "_s", False),
        (_GROUP, "sid", check_session_id, "s" * 64, True),
        (_GROUP, "sid", check_session_id, "s" * 65, False),
        (_GROUP, "sid", check_session_id, "s\n", False),
        (_GROUP, "gid", check_group_id, "12345@g.us", True),
        (_GROUP, "gid", check_group_id, "12345-67890@g.us", True),
        (_GROUP, "gid", check_group_id, "1234@g.us", False),
        (_GROUP, "gid", check_group_id, "12345@c.us", False),
        (_GROUP, "Idempotency-Key", parse_idempotency_key, "k", True),
        (_GROUP, "Idempotency-Key", parse_idempotency_key, "~" * 255, True),
        (_GROUP, "Idempotency-Key", parse_idempotency_key, "~" * 256, False),
        (_GROUP, "Idempotency-Key", parse_idempotency_key, "a b", False),
        (_GROUP, "Idempotency-Key", parse_idempotency_key, "", False),
        (_GROUP, "Idempotency-Key", parse_idempotency_key, "\u00e9", False),
        (
            "/v1/commands/{command_id}",
            "command_id",
            check_command_id,
            "0f8fad5b-d9cb-469f-a165-70867728950e",
            True,
        ),
        (
            "/v1/commands/{command_id}",
            "command_id",
            check_command_id,
            "0F8FAD5B-D9CB-469F-A165-70867728950E",
            False,
        ),
    ],
)
def test_parameter_schemas_accept_what_the_gateway_accepts(
    document: dict[str, Any],
    path: str,
    name: str,
    check: Callable[[str], object],
    value: str,
    valid: bool,
) -> None:
    (operation,) = document["paths"][path].values()
    (parameter,) = [p for p in operation["parameters"] if p["name"] == name]
    accepted = (
        _document_accepts(document, parameter["schema"], value),
        _gateway_accepts(check, value),
    )
    assert accepted == (valid, valid)
