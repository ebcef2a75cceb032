"""Strict datum checks, compiled once per schema, that say which field is wrong.

fastavro's writer coerces silently where the contract must not: a float into a long (truncated),
any value into a boolean (truthiness), a string into an array (one item per character), an int
out of the 32-bit range into an int; and its errors seldom name the field. The checkers run
before the writer and reject such datums with the field's path.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Checker", "Mismatch", "compile_checker"]

#: Raises :class:`Mismatch` when a datum does not fit; returns nothing otherwise.
Checker = Callable[[Any], None]

_MISSING: Any = object()  # a field absent from the datum
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_BYTES_LIKE = (bytes, bytearray, memoryview)
_SEQUENCES = (list, tuple)
_PRIMITIVES = frozenset(
    {"null", "boolean", "int", "long", "float", "double", "bytes", "string"},
)
_RECORDS = frozenset({"record", "error"})
_NAMED = frozenset({"record", "error", "enum", "fixed"})
_repr = reprlib.Repr()
_repr.maxstring = 60
_repr.maxother = 60


class Mismatch(Exception):
    """A datum that does not fit: what was expected where, and what was found."""

    def __init__(self, expected: str, value: Any, problem: str | None = None) -> None:
        super().__init__(expected)
        self.expected = expected
        self.value = value
        self.problem = problem  # replaces "expected …, got …" when set
        self.path: list[str] = []  # innermost segment first, appended while unwinding

    def describe(self, record: str) -> str:
        """The message for an :class:`~schemas.exceptions.EncodeError` about *record*."""
        where = "".join(reversed(self.path)).lstrip(".")
        if self.problem is not None:
            subject = f"field {where}" if where else record
            return f"cannot encode {record}: {subject} {self.problem}"
        field = f"field {where}: " if where else ""
        return (
            f"cannot encode {record}: {field}expected {self.expected}, "
            f"got {_describe_value(self.value)}"
        )


def compile_checker(schema: dict[str, Any], *, deep: bool = False) -> Checker:
    """The checker of a parsed, self-contained schema (as :func:`schemas.loader.resolve` gives).

    With *deep*, strings are also checked to be encodable as UTF-8 (no lone surrogates), which
    costs an encoding of each: the codec uses that only to explain a failure of the writer.
    """
    named: dict[str, Any] = dict(schema.get("__named_schemas", {}))
    return _Compiler(named, deep).compile(schema)


def _describe_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, _BYTES_LIKE):
        return f"{type(value).__name__} of {len(value)} bytes"
    return f"{type(value).__name__} {_repr.repr(value)}"


def _short(name: str) -> str:
    return name.rpartition(".")[2]


class _Compiler:
    def __init__(self, named: dict[str, Any], deep: bool) -> None:
        self._named = named
        self._deep = deep
        self._compiled: dict[str, tuple[Checker, str]] = {}

    def compile(self, schema: Any) -> Checker:
        return self._compile(schema)[0]

    def _compile(self, schema: Any) -> tuple[Checker, str]:
        """A checker and the words for what it expects."""
        if isinstance(schema, list):
            return self._union(schema)
        if isinstance(schema, str):
            if schema in _PRIMITIVES:
                return _primitive(schema, None, self._deep)
            if schema in self._compiled:
                return self._compiled[schema]
            return self._compile(self._named[schema])
        kind = schema["type"]
        if kind in _PRIMITIVES:
            return _primitive(kind, schema.get("logicalType"), self._deep)
        if kind in _RECORDS:
            return self._record(schema)
        if kind == "enum":
            return self._remember(schema["name"], _enum(schema))
        if kind == "fixed":
            return self._remember(schema["name"], _fixed(schema))
        if kind == "array":
            return self._array(schema["items"])
        if kind == "map":
            return self._map(schema["values"])
        # A named type used by name inside a dict ({"type": "wastream.v1.X"}).
        return self._compile(kind)

    def _remember(self, name: str, compiled: tuple[Checker, str]) -> tuple[Checker, str]:
        self._compiled[name] = compiled
        return compiled

    def _record(self, schema: dict[str, Any]) -> tuple[Checker, str]:
        short = _short(schema["name"])
        expected = f"a {short} record (a mapping)"
        # (name, checker, required, path segment); filled after registering, for recursive types.
        fields: list[tuple[str, Checker, bool, str]] = []
        names: frozenset[str] = frozenset(field["name"] for field in schema["fields"])

        def check_record(value: Any) -> None:
            if type(value) is not dict and not isinstance(value, Mapping):
                raise Mismatch(expected, value)
            found = 0
            for name, check, required, segment in fields:
                item = value.get(name, _MISSING)
                if item is _MISSING:
                    if required:
                        missing = Mismatch("a value", None, "is missing (required, no default)")
                        missing.path.append(segment)
                        raise missing
                    continue
                found += 1
                try:
                    check(item)
                except Mismatch as exc:
                    exc.path.append(segment)
                    raise
            if found != len(value):
                extra = ", ".join(sorted(repr(key) for key in value if key not in names))
                known = ", ".join(field[0] for field in fields) or "none"
                raise Mismatch(
                    f"only the fields of {short}",
                    value,
                    f"has unexpected field(s) {extra} ({short} has: {known})",
                )

        self._compiled[schema["name"]] = (check_record, expected)
        for field in schema["fields"]:
            check, _ = self._compile(field["type"])
            fields.append((field["name"], check, "default" not in field, f".{field['name']}"))
        return check_record, expected

    def _array(self, items: Any) -> tuple[Checker, str]:
        check_item, item_expected = self._compile(items)
        expected = f"an array (list or tuple) of {item_expected}"
        strings = items == "string" and not self._deep

        def check_array(value: Any) -> None:
            if not isinstance(value, _SEQUENCES):
                raise Mismatch(expected, value)
            if strings and all(type(item) is str for item in value):
                return
            for index, item in enumerate(value):
                try:
                    check_item(item)
                except Mismatch as exc:
                    exc.path.append(f"[{index}]")
                    raise

        return check_array, expected

    def _map(self, values: Any) -> tuple[Checker, str]:
        check_value, value_expected = self._compile(values)
        expected = f"a map (mapping of string keys) of {value_expected}"

        def check_map(value: Any) -> None:
            if type(value) is not dict and not isinstance(value, Mapping):
                raise Mismatch(expected, value)
            for key, item in value.items():
                if not isinstance(key, str):
                    raise Mismatch("string map keys", key)
                try:
                    check_value(item)
                except Mismatch as exc:
                    exc.path.append(f"[{key!r}]")
                    raise

        return check_map, expected

    def _union(self, members: list[Any]) -> tuple[Checker, str]:
        compiled = [self._compile(member) for member in members]
        # fastavro's tuple notation: ("Name", value) picks the member called Name.
        by_tag: dict[str, Checker] = {}
        records = 0
        for member, (check, _) in zip(members, compiled, strict=True):
            tag, is_record = self._tag(member)
            by_tag[tag] = check
            records += is_record
        tags = ", ".join(by_tag)
        if records > 1:
            # Several records: a plain mapping could fit more than one, so the name is required.
            expected = f"a (name, record) tuple naming one of {tags}"
            untagged: list[tuple[Checker, str]] = []
        else:
            expected = " or ".join(words for _, words in compiled)
            untagged = compiled
        nullable = "null" in members
        others = [check for check, _ in untagged if check is not _check_null]

        def check_union(value: Any) -> None:
            if type(value) is tuple and len(value) == 2 and type(value[0]) is str:
                check = by_tag.get(value[0])
                if check is None:
                    raise Mismatch(expected, value, f"names {value[0]!r}, not one of {tags}")
                try:
                    check(value[1])
                except Mismatch as exc:
                    exc.path.append(f"({value[0]})")
                    raise
                return
            if value is None and nullable:
                return
            if len(others) == 1:
                try:
                    others[0](value)
                except Mismatch as exc:
                    if not exc.path and exc.problem is None:
                        exc.expected = expected  # "null or X" rather than "X"
                    raise  # deeper down, the member's own complaint is the precise one
                return
            for check in others:
                try:
                    check(value)
                except Mismatch:
                    continue
                return
            raise Mismatch(expected, value)

        return check_union, expected

    def _tag(self, member: Any) -> tuple[str, bool]:
        """The name tuple notation uses for a union member, and whether it is a record."""
        if isinstance(member, str):
            if member in _PRIMITIVES:
                return member, False
            member = self._named[member]
        kind = member["type"]
        if kind in _NAMED:
            return _short(member["name"]), kind in _RECORDS
        if isinstance(kind, str) and kind not in _PRIMITIVES and kind in self._named:
            return self._tag(kind)
        return kind if isinstance(kind, str) else str(kind), False


def _check_null(value: Any) -> None:
    if value is not None:
        raise Mismatch("null", value)


def _check_boolean(value: Any) -> None:
    if value is not True and value is not False:
        raise Mismatch("boolean", value)


def _check_string(value: Any) -> None:
    if type(value) is not str and not isinstance(value, str):
        raise Mismatch("string", value)


def _check_utf8(value: Any) -> None:
    _check_string(value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise Mismatch("string (encodable as UTF-8, no lone surrogates)", value) from None


def _check_bytes(value: Any) -> None:
    if not isinstance(value, _BYTES_LIKE):
        raise Mismatch("bytes", value)


def _check_float(value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Mismatch("a number", value)


def _integer(expected: str, low: int, high: int) -> Checker:
    def check_integer(value: Any) -> None:
        if type(value) is not int and (isinstance(value, bool) or not isinstance(value, int)):
            raise Mismatch(expected, value)
        if not low <= value <= high:
            raise Mismatch(expected, value)

    return check_integer


_SIMPLE: dict[str, tuple[Checker, str]] = {
    "null": (_check_null, "null"),
    "boolean": (_check_boolean, "boolean"),
    "string": (_check_string, "string"),
    "bytes": (_check_bytes, "bytes"),
    "float": (_check_float, "float"),
    "double": (_check_float, "double"),
}


def _primitive(kind: str, logical_type: str | None, deep: bool) -> tuple[Checker, str]:
    if kind == "string" and deep:
        return _check_utf8, "string (encodable as UTF-8)"
    if kind == "int":
        words = "int (32-bit)"
        return _integer(words, _INT_MIN, _INT_MAX), words
    if kind == "long":
        if logical_type in ("timestamp-millis", "timestamp-micros"):
            unit = "milliseconds" if logical_type == "timestamp-millis" else "microseconds"
            words = f"{logical_type} (an int, {unit} since the Unix epoch)"
        else:
            words = "long (64-bit)"
        return _integer(words, _LONG_MIN, _LONG_MAX), words
    return _SIMPLE[kind]


def _enum(schema: dict[str, Any]) -> tuple[Checker, str]:
    symbols = frozenset(schema["symbols"])
    expected = f"a {_short(schema['name'])} symbol ({', '.join(schema['symbols'])})"

    def check_enum(value: Any) -> None:
        if not isinstance(value, str) or value not in symbols:
            raise Mismatch(expected, value)

    return check_enum, expected


def _fixed(schema: dict[str, Any]) -> tuple[Checker, str]:
    size = schema["size"]
    expected = f"{size} bytes ({_short(schema['name'])})"

    def check_fixed(value: Any) -> None:
        if not isinstance(value, _BYTES_LIKE) or len(value) != size:
            raise Mismatch(expected, value)

    return check_fixed, expected
