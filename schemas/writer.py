"""A writer compiled from a record schema: closures appending each value's Avro binary encoding
to a bytearray, about twice as fast as fastavro's generic writer.

It covers what the contract uses. A writer raises (anything) for a value it does not write
exactly as fastavro would, and :func:`compile_writer` answers None for a schema with a shape it
does not know: :class:`schemas.codec.AvroCodec` then hands the datum to fastavro.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Writer", "compile_writer"]

#: Appends one value's Avro binary encoding to a bytearray.
Writer = Callable[[Any, bytearray], None]
_SMALL_LONGS = [bytes([n << 1]) for n in range(64)]  # zig-zag varints of 0..63: one byte
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_PACK_DOUBLE = struct.Struct("<d").pack
_PACK_FLOAT = struct.Struct("<f").pack


class _Unsupported(Exception):
    """A schema shape the compiled writer leaves to fastavro."""


def _write_long(value: int, out: bytearray) -> None:
    if type(value) is int and 0 <= value < 64:
        out += _SMALL_LONGS[value]
        return
    if type(value) is not int or not _LONG_MIN <= value <= _LONG_MAX:
        raise TypeError("not a long")
    n = (value << 1) ^ (value >> 63)
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _write_int(value: int, out: bytearray) -> None:
    if type(value) is not int or not _INT_MIN <= value <= _INT_MAX:
        raise TypeError("not an int")
    _write_long(value, out)


def _write_string(value: str, out: bytearray) -> None:
    if type(value) is not str and not isinstance(value, str):
        raise TypeError("not a string")
    data = value.encode()
    _write_long(len(data), out)
    out += data


def _write_bytes(value: bytes | bytearray | memoryview, out: bytearray) -> None:
    if not isinstance(value, (bytes, bytearray)):
        raise TypeError("not bytes")
    _write_long(len(value), out)
    out += value


def _write_null(value: None, out: bytearray) -> None:
    if value is not None:
        raise TypeError("not null")


def _write_boolean(value: bool, out: bytearray) -> None:
    if value is not True and value is not False:
        raise TypeError("not a boolean")
    out.append(value)


def _write_double(value: float, out: bytearray) -> None:
    if type(value) is not float:
        raise TypeError("not a float")
    out += _PACK_DOUBLE(value)


def _write_float(value: float, out: bytearray) -> None:
    if type(value) is not float:
        raise TypeError("not a float")
    out += _PACK_FLOAT(value)


_PRIMITIVE_WRITERS: dict[str, Writer] = {
    "null": _write_null,
    "boolean": _write_boolean,
    "int": _write_int,
    "long": _write_long,
    "float": _write_float,
    "double": _write_double,
    "bytes": _write_bytes,
    "string": _write_string,
}


def compile_writer(wire: dict[str, Any]) -> Writer | None:
    """The writer of a parsed record schema, or None when it has a shape left to fastavro."""
    named: dict[str, Writer] = {}
    try:
        return WriterCompiler(named).compile(wire)
    except _Unsupported:
        return None


class WriterCompiler:
    def __init__(self, named: dict[str, Writer]) -> None:
        self._named = named

    def compile(self, schema: Any) -> Writer:
        if isinstance(schema, str):
            if schema in _PRIMITIVE_WRITERS:
                return _PRIMITIVE_WRITERS[schema]
            if schema not in self._named:
                raise _Unsupported(schema)  # a recursive reference: left to fastavro
            return self._named[schema]
        if isinstance(schema, list):
            return self._union(schema)
        kind = schema.get("type")
        if isinstance(kind, str) and kind in _PRIMITIVE_WRITERS and len(schema) == 1:
            return _PRIMITIVE_WRITERS[kind]
        if kind in ("record", "error"):
            return self._record(schema)
        if kind == "enum":
            return self._enum(schema)
        if kind == "array":
            return self._array(self.compile(schema["items"]))
        if kind == "map":
            return self._map(self.compile(schema["values"]))
        if kind == "fixed":
            return self._fixed(schema)
        raise _Unsupported(str(kind))

    def _record(self, schema: dict[str, Any]) -> Writer:
        fields = tuple(
            (field["name"], self.compile(field["type"]), "default" in field, field.get("default"))
            for field in schema["fields"]
        )

        def write_record(value: Mapping[str, Any], out: bytearray) -> None:
            get = value.get
            for name, write, has_default, default in fields:
                if has_default:
                    write(get(name, default), out)
                else:
                    write(value[name], out)

        self._named[schema["name"]] = write_record
        return write_record

    def _enum(self, schema: dict[str, Any]) -> Writer:
        indexes = {symbol: index for index, symbol in enumerate(schema["symbols"])}

        def write_enum(value: str, out: bytearray) -> None:
            _write_long(indexes[value], out)

        self._named[schema["name"]] = write_enum
        return write_enum

    def _fixed(self, schema: dict[str, Any]) -> Writer:
        size = schema["size"]

        def write_fixed(value: bytes, out: bytearray) -> None:
            if not isinstance(value, (bytes, bytearray)) or len(value) != size:
                raise TypeError("not fixed bytes")
            out += value

        self._named[schema["name"]] = write_fixed
        return write_fixed

    @staticmethod
    def _array(write_item: Writer) -> Writer:
        def write_array(value: list[Any] | tuple[Any, ...], out: bytearray) -> None:
            if type(value) is not list and type(value) is not tuple:
                raise TypeError("not a list")
            if value:
                _write_long(len(value), out)
                for item in value:
                    write_item(item, out)
            out.append(0)

        return write_array

    @staticmethod
    def _map(write_value: Writer) -> Writer:
        def write_map(value: dict[str, Any], out: bytearray) -> None:
            if type(value) is not dict:
                raise TypeError("not a dict")
            if value:
                _write_long(len(value), out)
                for key, item in value.items():
                    _write_string(key, out)
                    write_value(item, out)
            out.append(0)

        return write_map

    def _union(self, members: list[Any]) -> Writer:
        tags = [self._tag(member) for member in members]
        writers = [self.compile(member) for member in members]
        if len(members) == 2 and tags[0] == "null" and tags[1] != "null":
            # ["null", X]: None, X's value, or X's value in tuple notation
            write_other, other_tag = writers[1], tags[1]

            def write_optional(value: Any, out: bytearray) -> None:
                if value is None:
                    out.append(0)
                    return
                if type(value) is tuple:
                    tag, value = value
                    if tag == "null" and value is None:
                        out.append(0)
                        return
                    if tag != other_tag:
                        raise TypeError("no such member")
                out.append(2)
                write_other(value, out)

            return write_optional
        if all(isinstance(tag, str) and tag not in _PRIMITIVE_WRITERS for tag in tags):
            # records (or other named types) in tuple notation only
            by_tag = {tag: (index, writers[index]) for index, tag in enumerate(tags)}

            def write_named(value: tuple[str, Any], out: bytearray) -> None:
                if type(value) is not tuple:
                    raise TypeError("not in tuple notation")
                index, write = by_tag[value[0]]
                _write_long(index, out)
                write(value[1], out)

            return write_named
        raise _Unsupported("union")

    def _tag(self, member: Any) -> str:
        if isinstance(member, str):
            return member
        if isinstance(member, dict) and member.get("type") in ("record", "error", "enum", "fixed"):
            return str(member["name"])
        if isinstance(member, dict) and isinstance(member.get("type"), str):
            return str(member["type"])
        raise _Unsupported("union member")
