"""The strict datum checkers, on schema shapes the contract does not use (yet)."""

from __future__ import annotations

from typing import Any

import pytest
from fastavro import parse_schema

from schemas.checker import Mismatch, compile_checker


def check(schema: dict[str, Any], datum: Any) -> str | None:
    """The EncodeError message the codec would give, or None when *datum* fits."""
    parsed = parse_schema(schema)
    assert isinstance(parsed, dict)
    try:
        compile_checker(parsed)(datum)
    except Mismatch as mismatch:
        return mismatch.describe("R")
    return None


def record(*fields: tuple[str, Any]) -> dict[str, Any]:
    return {"type": "record", "name": "R", "fields": [{"name": n, "type": t} for n, t in fields]}


def test_floats_and_doubles() -> None:
    schema = record(("f", "float"), ("d", "double"))
    assert check(schema, {"f": 1, "d": 2.5}) is None
    assert check(schema, {"f": True, "d": 2.5}) == (
        "cannot encode R: field f: expected a number, got bool True"
    )
    assert (
        check(schema, {"f": 1.0, "d": "2"})
        == "cannot encode R: field d: expected a number, got str '2'"
    )


def test_fixed() -> None:
    schema = record(("id", {"type": "fixed", "name": "Id", "size": 4}))
    assert check(schema, {"id": b"abcd"}) is None
    assert check(schema, {"id": b"abc"}) == (
        "cannot encode R: field id: expected 4 bytes (Id), got bytes of 3 bytes"
    )


def test_recursive_records() -> None:
    node = {
        "type": "record",
        "name": "Node",
        "fields": [{"name": "value", "type": "int"}, {"name": "next", "type": ["null", "Node"]}],
    }
    assert check(node, {"value": 1, "next": {"value": 2, "next": None}}) is None
    message = check(node, {"value": 1, "next": {"value": 2, "next": {"value": "3", "next": None}}})
    assert message == "cannot encode R: field next.next.value: expected int (32-bit), got str '3'"


def test_untagged_union_of_primitives() -> None:
    schema = record(("v", ["null", "int", "string"]))
    for value in (None, 1, "x"):
        assert check(schema, {"v": value}) is None
    assert check(schema, {"v": 1.5}) == (
        "cannot encode R: field v: expected null or int (32-bit) or string, got float 1.5"
    )


def test_tagged_primitive_members() -> None:
    schema = record(("v", ["int", "string"]))
    assert check(schema, {"v": ("string", "x")}) is None
    assert check(schema, {"v": ("int", "x")}) == (
        "cannot encode R: field v(int): expected int (32-bit), got str 'x'"
    )


def test_paths_through_maps_and_arrays_of_records() -> None:
    item = {"type": "record", "name": "Item", "fields": [{"name": "n", "type": "long"}]}
    schema = record(("m", {"type": "map", "values": {"type": "array", "items": item}}))
    assert check(schema, {"m": {"a": [{"n": 1}]}}) is None
    assert check(schema, {"m": {"a": [{"n": 1}, {"n": None}]}}) == (
        "cannot encode R: field m['a'][1].n: expected long (64-bit), got null"
    )


def test_long_strings_are_shortened_in_messages() -> None:
    message = check(record(("n", "int")), {"n": "x" * 10_000})
    assert message is not None
    assert len(message) < 200


def test_deep_checks_find_lone_surrogates() -> None:
    parsed = parse_schema(record(("s", {"type": "array", "items": "string"})))
    assert isinstance(parsed, dict)
    compile_checker(parsed)({"s": ["ok", "\udc80"]})  # the fast check lets it through
    with pytest.raises(Mismatch) as caught:
        compile_checker(parsed, deep=True)({"s": ["ok", "\udc80"]})
    assert caught.value.describe("R").startswith("cannot encode R: field s[1]: expected string")
