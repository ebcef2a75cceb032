"""Reading the contract's ``.avsc`` files and resolving named types across them."""

from __future__ import annotations

import copy
import json
import os
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeAlias

from fastavro.repository.base import AbstractSchemaRepository, SchemaRepositoryError
from fastavro.schema import UnknownType, load_schema

from schemas.exceptions import SchemaError

__all__ = ["SchemaSource", "default_schema_dir", "read_named_types", "resolve", "wire_form"]

#: Where schemas come from: a directory path or a package resource directory.
SchemaSource: TypeAlias = Traversable | str | os.PathLike[str]

_NAMED_KINDS = frozenset({"record", "error", "enum", "fixed"})
# Keys the binary encoding does not depend on; the wire form drops them (see wire_form).
_WIRE_DROPPED = frozenset({"namespace", "doc", "aliases", "logicalType", "order"})


def default_schema_dir() -> Path:
    """The package's own ``schemas/avro`` directory."""
    # Beside this module rather than importlib.resources.files("schemas"): the latter fails
    # when an editable install maps the package as a namespace package.
    return Path(__file__).with_name("avro")


def read_named_types(source: SchemaSource | None = None) -> dict[str, dict[str, Any]]:
    """Every named type defined at the top of the ``*.avsc`` files in *source*, by full name.

    A file holds one named type or a JSON list of them; files are read in name order.
    """
    root = _as_traversable(source)
    if not root.is_dir():
        raise SchemaError(f"schema directory {root} does not exist")
    types: dict[str, dict[str, Any]] = {}
    for entry in sorted(root.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".avsc"):
            continue
        try:
            content = json.loads(entry.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SchemaError(f"{entry.name}: not a readable JSON schema: {exc}") from exc
        for definition in content if isinstance(content, list) else [content]:
            full_name = _full_name(definition, entry.name)
            if full_name in types:
                raise SchemaError(f"{entry.name}: {full_name} is defined more than once")
            types[full_name] = definition
    if not types:
        raise SchemaError(f"no .avsc schema in {root}")
    return types


def resolve(full_name: str, types: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The parsed, self-contained schema of one named type.

    Every named type it uses is defined once, at its first use, and referred to by name after
    that: the shape the parsing canonical form (and so the fingerprint) is defined on.
    """
    try:
        schema = load_schema(full_name, repo=_TypesRepository(types))
    except UnknownType as exc:
        raise SchemaError(f"{full_name} uses {exc.name}, which no schema defines") from exc
    except Exception as exc:  # fastavro reports bad schemas with many exception types
        raise SchemaError(f"{full_name} is not a valid Avro schema: {exc}") from exc
    if not isinstance(schema, dict):
        raise SchemaError(f"{full_name} did not resolve to a named type")
    return schema


def wire_form(schema: Any) -> Any:
    """*schema* reduced to what its binary encoding depends on, with short (unqualified) names.

    The encoding of a datum is the same under both, but the reduced form lets fastavro take
    and return union members by short name and timestamps as plain ints, with no conversion.
    Short names must be unique across the loaded types (the codec checks it).
    """
    if isinstance(schema, list):
        return [wire_form(member) for member in schema]
    if isinstance(schema, str):
        return _short(schema)
    if not isinstance(schema, dict):
        return schema
    reduced: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _WIRE_DROPPED or key.startswith("__"):
            continue
        if key in ("type", "items", "values"):
            reduced[key] = wire_form(value)
        elif key == "fields":
            reduced[key] = [wire_form(field) for field in value]
        elif key == "name" and isinstance(value, str):
            reduced[key] = _short(value)
        else:
            reduced[key] = value
    return reduced


def _short(name: str) -> str:
    return name.rpartition(".")[2]


def _as_traversable(source: SchemaSource | None) -> Traversable:
    if source is None:
        return default_schema_dir()
    if isinstance(source, (str, os.PathLike)):
        return Path(source)
    return source


def _full_name(definition: Any, file_name: str) -> str:
    if not isinstance(definition, dict) or definition.get("type") not in _NAMED_KINDS:
        raise SchemaError(f"{file_name}: expected a named type (record, enum or fixed)")
    name = definition.get("name")
    if not isinstance(name, str) or not name:
        raise SchemaError(f"{file_name}: a named type without a name")
    namespace = definition.get("namespace")
    if "." in name or not namespace:
        return name
    return f"{namespace}.{name}"


class _TypesRepository(AbstractSchemaRepository):
    """Serves fastavro's ``load_schema`` the named types read from the files."""

    def __init__(self, types: dict[str, dict[str, Any]]) -> None:
        self._types = types

    def load(self, name: str) -> dict[str, Any]:
        try:
            definition = self._types[name]
        except KeyError:
            raise SchemaRepositoryError(f"no schema named {name}") from None
        # load_schema edits what it loads in place when it splices definitions in.
        return copy.deepcopy(definition)
