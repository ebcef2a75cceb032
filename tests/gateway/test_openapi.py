"""``GET /openapi.json`` describes every endpoint, body and response."""

from __future__ import annotations

from typing import Any

import httpx

from gateway.endpoints import COMMAND_ENDPOINTS, READ_ENDPOINTS

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
    assert schemas["MediaBody"]["properties"]["data"]["anyOf"][0]["format"].startswith("base64")
    names = {p["name"] for p in messages["parameters"]}
    assert {"sid", "Idempotency-Key", "traceparent"} <= names
    assert document["paths"]["/healthz"]["get"]["security"] == []
