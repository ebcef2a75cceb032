"""The OpenAPI 3.1 document of the HTTP API, built once from the endpoint table and the body
models (their JSON Schemas), served at ``GET /openapi.json``."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from gateway.bodies import BODY_MODELS, EmptyBody
from gateway.endpoints import COMMAND_ENDPOINTS, READ_ENDPOINTS, ReadEndpoint
from gateway.idempotency import IDEMPOTENCY_KEY_SCHEMA
from gateway.validation import COMMAND_ID_SCHEMA, GROUP_JID_SCHEMA, SESSION_ID_SCHEMA
from schemas.json_schema import json_schema
from schemas.loader import read_named_types
from wastream.settings import Settings

__all__ = ["openapi_document"]

_REF = "#/components/schemas/{model}"
_COUNTED = ("recipients", "numbers", "participants", "mentions")

_PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 7807 problem; `field` names the offending input, when there is one.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": ["string", "null"]},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": ["string", "null"]}, "detail": {"type": "string"}},
            },
        },
    },
}
_ACCEPTED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["command_id", "session_id"],
    "properties": {
        "command_id": {"type": "string", "format": "uuid"},
        "session_id": {"type": "string"},
    },
}
_PROBLEMS = {
    "400": "Malformed JSON",
    "401": "Missing or invalid bearer token",
    "403": "The token lacks the scope, or the session belongs to another tenant",
    "404": "The session was never created",
    "409": "The session id belongs to another tenant, or the Idempotency-Key is in use",
    "413": "The body or its inline media is over the limit",
    "415": "The body is not application/json",
    "422": "A field is invalid (the problem names it)",
    "429": "Rate limit exceeded (see Retry-After)",
    "503": "Kafka or Redis unavailable (see Retry-After)",
}
_READ_PROBLEMS = {
    "404": "The session was never created, or what is asked is not known yet",
    "409": "The session shows no QR code now (its state says why)",
}
_PATH_PARAMETERS = {
    "sid": ("the session id", SESSION_ID_SCHEMA),
    "gid": ("the group JID, `<id>@g.us`", GROUP_JID_SCHEMA),
    "command_id": ("the command id", COMMAND_ID_SCHEMA),
}
_QR_FORMAT = {
    "name": "format",
    "in": "query",
    "required": False,
    "description": "`png` (the default) for an image, `text` for the QR code's payload",
    "schema": {"type": "string", "enum": ["png", "text"], "default": "png"},
}


def _model_name(record: str) -> str:
    """A contract record's schema name in the document: its short name."""
    return record.rpartition(".")[2]


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": _REF.format(model="Problem")}}},
    }


def _parameters(path: str, command: bool) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": description,
            "schema": schema,
        }
        for name, (description, schema) in _PATH_PARAMETERS.items()
        if "{" + name + "}" in path
    ]
    if command:
        parameters += [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "the same key within the TTL returns the same command_id",
                "schema": IDEMPOTENCY_KEY_SCHEMA,
            },
            {
                "name": "traceparent",
                "in": "header",
                "required": False,
                "description": "W3C trace context; its trace id becomes the command's trace_id",
                "schema": {"type": "string"},
            },
        ]
    return parameters


def _read_operation(read: ReadEndpoint) -> dict[str, Any]:
    parameters = _parameters(read.path, command=False)
    content: dict[str, Any] = {"application/json": {}}
    if read.record is not None:
        ref = _REF.format(model=_model_name(read.record))
        content["application/json"]["schema"] = {"$ref": ref}
    problems = ["401", "403", "404", "422", "503"]
    if read.path.endswith("/qr"):
        parameters.append(_QR_FORMAT)
        content = {"image/png": {}, "text/plain": {"schema": {"type": "string"}}}
        problems.append("409")
    return {
        "summary": read.summary,
        "operationId": f"get{read.path}".replace("/", "_"),
        "security": [{"bearer": ["sessions:read"]}],
        "parameters": parameters,
        "responses": {
            "200": {"description": read.summary, "content": content},
            **{
                status: _problem(_READ_PROBLEMS.get(status, _PROBLEMS[status]))
                for status in problems
            },
        },
    }


def openapi_document(settings: Settings) -> dict[str, Any]:
    """The whole document (limits from ``settings`` included in the schemas)."""
    _, top = models_json_schema([(model, "validation") for model in BODY_MODELS], ref_template=_REF)
    schemas: dict[str, Any] = dict(top.get("$defs", {}))
    for schema in schemas.values():
        for name, prop in schema.get("properties", {}).items():
            if name in _COUNTED:
                prop["maxItems"] = settings.max_recipients
    schemas["Problem"] = _PROBLEM_SCHEMA
    schemas["Accepted"] = _ACCEPTED_SCHEMA
    types = read_named_types()
    for read in READ_ENDPOINTS:
        if read.record is not None:
            schemas[_model_name(read.record)] = json_schema(read.record, types)
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in COMMAND_ENDPOINTS:
        operation: dict[str, Any] = {
            "summary": endpoint.summary,
            "operationId": f"{endpoint.method.lower()}{endpoint.path}".replace("/", "_"),
            "security": [{"bearer": [endpoint.scope]}],
            "parameters": _parameters(endpoint.path, command=True),
            "requestBody": {
                "required": endpoint.body is not EmptyBody,
                "content": {
                    "application/json": {
                        "schema": {"$ref": _REF.format(model=endpoint.body.__name__)}
                    }
                },
            },
            "responses": {
                "202": {
                    "description": "Kafka acknowledged the command",
                    "content": {
                        "application/json": {"schema": {"$ref": _REF.format(model="Accepted")}}
                    },
                },
                **{status: _problem(text) for status, text in _PROBLEMS.items()},
            },
        }
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = operation
    for read in READ_ENDPOINTS:
        paths.setdefault(read.path, {})["get"] = _read_operation(read)
    for path, summary, media in (
        ("/healthz", "The process answers", "application/json"),
        ("/readyz", "Kafka and Redis answer (else 503)", "application/json"),
        ("/metrics", "Prometheus metrics", "text/plain"),
        ("/openapi.json", "This document", "application/json"),
    ):
        paths[path] = {
            "get": {
                "summary": summary,
                "operationId": f"get{path}".replace("/", "_").replace(".", "_"),
                "security": [],
                "responses": {"200": {"description": summary, "content": {media: {}}}},
            }
        }
    paths["/readyz"]["get"]["responses"]["503"] = {
        "description": "Kafka or Redis does not answer (see Retry-After)",
        "content": {"application/json": {}},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "wastream gateway",
            "version": "1",
            "description": "Commands for WhatsApp Web sessions, published to Kafka as Avro.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
        "security": [{"bearer": []}],
    }
