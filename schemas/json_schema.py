"""JSON Schemas of the contract's records as the HTTP API answers them in JSON.

The gateway's read endpoints answer a session's ``SessionSnapshot`` and a command's
``CommandResult`` as JSON objects with the Avro field names; :func:`json_schema` describes such
an object from the ``.avsc`` files themselves, so the OpenAPI document cannot drift from the
contract. Timestamps stay numbers (milliseconds since the Unix epoch), a union with ``null`` is a
nullable value, a map is an object.
"""

from __future__ import annotations

from typing import Any

from schemas.exceptions import SchemaError
from schemas.loader import read_named_types

__all__ = ["json_schema"]

_PRIMITIVES: dict[str, dict[str, Any]] = {
    "null": {"type": "null"},
    "boolean": {"type": "boolean"},
    "int": {"type": "integer"},
    "long": {"type": "integer"},
    "float": {"type": "number"},
    "double": {"type": "number"},
    "string": {"type": "string"},
    "bytes": {"type": "string"},
}
_LOGICAL = {
    "timestamp-millis": "milliseconds since the Unix epoch",
    "timestamp-micros": "microseconds since the Unix epoch",
}


def json_schema(full_name: str, types: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The JSON Schema of the named record ``full_name`` (e.g. ``wastream.v1.CommandResult``),
    self-contained: the named types it uses are written inline."""
    named = types if types is not None else read_named_types()
    if full_name not in named:
        raise SchemaError(f"no schema named {full_name}")
    return _convert(named[full_name], named, full_name.rpartition(".")[0])


def _convert(avro: Any, named: dict[str, dict[str, Any]], namespace: str) -> dict[str, Any]:
    if isinstance(avro, str):
        if avro in _PRIMITIVES:
            return dict(_PRIMITIVES[avro])
        full = avro if "." in avro else f"{namespace}.{avro}"
        if full not in named:
            raise SchemaError(f"{avro} names no type of the contract")
        return _convert(named[full], named, full.rpartition(".")[0])
    if isinstance(avro, list):
        return {"anyOf": [_convert(branch, named, namespace) for branch in avro]}
    kind = avro["type"]
    namespace = avro.get("namespace", namespace)
    schema: dict[str, Any]
    if kind == "record":
        fields = avro["fields"]
        schema = {
            "type": "object",
            "properties": {f["name"]: _field(f, named, namespace) for f in fields},
            "required": [f["name"] for f in fields if "default" not in f],
            "additionalProperties": False,
        }
    elif kind == "enum":
        schema = {"type": "string", "enum": list(avro["symbols"])}
    elif kind == "map":
        schema = {
            "type": "object",
            "additionalProperties": _convert(avro["values"], named, namespace),
        }
    elif kind == "array":
        schema = {"type": "array", "items": _convert(avro["items"], named, namespace)}
    elif kind == "fixed":
        schema = {"type": "string"}
    elif kind in _PRIMITIVES:
        schema = dict(_PRIMITIVES[kind])
        if avro.get("logicalType") in _LOGICAL:
            schema["description"] = _LOGICAL[avro["logicalType"]]
    else:
        raise SchemaError(f"Avro type {kind!r} has no JSON form here")
    if "doc" in avro:
        schema["description"] = avro["doc"]
    return schema


def _field(field: dict[str, Any], named: dict[str, dict[str, Any]], namespace: str) -> Any:
    schema = _convert(field["type"], named, namespace)
    kind = field["type"]
    unit = _LOGICAL.get(kind.get("logicalType", "")) if isinstance(kind, dict) else None
    if "doc" in field:
        schema["description"] = f"{field['doc'].rstrip('.')} ({unit})." if unit else field["doc"]
    return schema
