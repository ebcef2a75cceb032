"""The Avro codec of the contract: single-object encoding of every record in ``schemas/avro``.

Wire format (Avro single-object encoding): ``C3 01``, then the 8-byte little-endian CRC-64-AVRO
fingerprint of the writer schema's parsing canonical form, then the schemaless Avro body.

Datums are plain dicts. A union of several records (the envelope's ``payload``) is given and
returned as a ``(short name, dict)`` tuple, e.g. ``("SendMessage", {...})``; an optional record is a
dict or None. Timestamps are ``int`` milliseconds since the Unix epoch, both ways. Enums are their
symbol strings, ``bytes`` fields are bytes.

Records are written by a writer compiled from each schema at construction (closures appending to
a bytearray, about twice as fast as fastavro's generic writer). It covers what the contract
uses; a datum it cannot write (a shape it does not know, a value fastavro would coerce) goes to
fastavro's writer, which either writes it as it always did or fails and is explained.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from io import BytesIO
from typing import Any, NamedTuple

from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.schema import fingerprint, to_parsing_canonical_form

from schemas.checker import Checker, Mismatch, compile_checker
from schemas.exceptions import DecodeError, EncodeError, SchemaError, UnknownSchemaError
from schemas.loader import SchemaSource, read_named_types, resolve, wire_form

__all__ = ["HEADER_SIZE", "MAGIC", "AvroCodec", "Decoded"]

#: The two bytes every single-object encoded record starts with.
MAGIC = b"\xc3\x01"
#: The magic and the 8-byte fingerprint.
HEADER_SIZE = 10


class Decoded(NamedTuple):
    """A decoded record and the short name of its schema."""

    name: str
    record: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Schema:
    """Everything encode and decode need about one record, built once."""

    name: str
    full_name: str
    fingerprint: bytes
    header: bytes
    wire: dict[str, Any]  # parsed fastavro schema: short names, no logical types
    check: Checker
    check_deeply: Checker  # also encodes every string: run only to explain a writer failure
    write: _Writer | None  # the compiled writer; None when the schema has a shape it lacks


class AvroCodec:
    """Encodes and decodes every record of the contract.

    Parameters:
        schema_dir: the directory of ``*.avsc`` files to load (a path or a package resource
            directory). Default: the package's own ``schemas/avro``. Named types may be defined
            in other files of the directory and are referred to by name.

    Every schema is loaded, resolved, fingerprinted and compiled once, here. An instance holds
    no mutable state after construction and may be shared between threads and tasks.
    """

    __slots__ = ("_by_fingerprint", "_by_name", "_names")

    def __init__(self, schema_dir: SchemaSource | None = None) -> None:
        types = read_named_types(schema_dir)
        by_name: dict[str, _Schema] = {}
        by_fingerprint: dict[bytes, _Schema] = {}
        for full_name, definition in types.items():
            if definition["type"] not in ("record", "error"):
                continue
            schema = _build(full_name, types)
            if schema.name in by_name:
                other = by_name[schema.name].full_name
                raise SchemaError(f"{full_name} and {other} share the short name {schema.name}")
            if schema.fingerprint in by_fingerprint:
                other = by_fingerprint[schema.fingerprint].full_name
                raise SchemaError(
                    f"{full_name} and {other} have the same fingerprint "
                    f"{schema.fingerprint.hex()} (identical canonical forms)"
                )
            by_name[schema.name] = schema
            by_fingerprint[schema.fingerprint] = schema
        self._names = tuple(sorted(by_name))
        for schema in list(by_name.values()):
            by_name[schema.full_name] = schema
        self._by_name = by_name
        self._by_fingerprint = by_fingerprint

    @property
    def names(self) -> tuple[str, ...]:
        """The short names of every record this codec encodes, sorted."""
        return self._names

    def fingerprint(self, name: str) -> bytes:
        """The 8 fingerprint bytes of record *name* (short or full), as they appear on the wire."""
        return self._schema(name).fingerprint

    def encode(self, name: str, datum: Mapping[str, Any], *, trusted: bool = False) -> bytes:
        """Encode *datum* as one single-object encoded record of *name* (short or full).

        *trusted* skips the strict checks that run before the writer, for a caller whose datums
        are built only from values already validated to their fields' exact Python types and
        ranges (the gateway's commands, made from strict request models): what the writer would
        coerce silently (a float into a long, a bool into an int, an int over 32 bits into an
        int) is then that caller's to rule out. What the writer rejects still raises
        EncodeError naming the field.

        Raises:
            UnknownSchemaError: no record is called *name*.
            EncodeError: *datum* does not fit the schema; the message names the field.
        """
        schema = self._by_name.get(name) if type(name) is str else None
        if schema is None:
            schema = self._schema(name)  # raises UnknownSchemaError
        if not trusted:
            try:
                schema.check(datum)
            except Mismatch as mismatch:
                raise EncodeError(mismatch.describe(schema.name)) from None
            except Exception as exc:  # a Mapping whose own methods fail
                raise EncodeError(
                    f"cannot encode {schema.name}: {type(exc).__name__}: {exc}"
                ) from exc
        if schema.write is not None:
            out = bytearray(schema.header)
            try:
                schema.write(datum, out)
            except Exception:  # fastavro's writer decides, below
                pass
            else:
                return bytes(out)
        buffer = BytesIO()
        buffer.write(schema.header)
        try:
            schemaless_writer(buffer, schema.wire, datum)
        except Exception as exc:
            raise _writer_error(schema, datum, exc) from exc
        return buffer.getvalue()

    def decode(self, data: bytes | bytearray | memoryview) -> Decoded:
        """Decode one single-object encoded record of any known schema.

        Raises:
            UnknownSchemaError: the fingerprint is not one of a loaded schema.
            DecodeError: *data* is not one complete, valid record.
        """
        schema = self._schema_of(data)
        return Decoded(schema.name, _read_body(schema, data))

    def decode_as(self, name: str, data: bytes | bytearray | memoryview) -> dict[str, Any]:
        """Decode one record that must be of record *name* (short or full).

        Raises:
            UnknownSchemaError: *name* is unknown, or *data* holds another (or unknown) record.
            DecodeError: *data* is not one complete, valid record.
        """
        expected = self._schema(name)
        schema = self._schema_of(data)
        if schema is not expected:
            raise UnknownSchemaError(
                f"expected a {expected.name} record (fingerprint "
                f"{expected.fingerprint.hex()}), got a {schema.name} record"
            )
        return _read_body(schema, data)

    def _schema(self, name: str) -> _Schema:
        try:
            return self._by_name[name]
        except (KeyError, TypeError):
            raise UnknownSchemaError(
                f"no record schema named {name!r}; known: {', '.join(self._names)}"
            ) from None

    def _schema_of(self, data: bytes | bytearray | memoryview) -> _Schema:
        """The schema a record's header names, after checking the header."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise DecodeError(f"expected bytes, got {type(data).__name__}")
        size = len(data)
        if size < HEADER_SIZE:
            what = "empty" if size == 0 else f"too short: {_bytes(size)}"
            raise DecodeError(
                f"not a single-object encoded record: {what}; the header alone is "
                f"{HEADER_SIZE} bytes (C3 01 and an 8-byte fingerprint)"
            )
        if data[:2] != MAGIC:
            raise DecodeError(
                f"not a single-object encoded record: bad magic {bytes(data[:2]).hex()}, "
                f"expected {MAGIC.hex()}"
            )
        key = bytes(data[2:HEADER_SIZE])
        try:
            return self._by_fingerprint[key]
        except KeyError:
            raise UnknownSchemaError(
                f"unknown schema fingerprint {key.hex()} (CRC-64-AVRO, little-endian as on "
                f"the wire): not one of the {len(self._by_fingerprint)} loaded record schemas"
            ) from None


def _build(full_name: str, types: dict[str, dict[str, Any]]) -> _Schema:
    resolved = resolve(full_name, types)
    try:
        canonical = to_parsing_canonical_form(resolved)
        crc = bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))
        wire = parse_schema(wire_form(resolved))
    except Exception as exc:
        raise SchemaError(f"{full_name} cannot be prepared for encoding: {exc}") from exc
    if not isinstance(wire, dict):
        raise SchemaError(f"{full_name} is not a record schema")
    return _Schema(
        name=full_name.rpartition(".")[2],
        full_name=full_name,
        fingerprint=crc,
        header=MAGIC + crc,
        wire=wire,
        check=compile_checker(resolved),
        check_deeply=compile_checker(resolved, deep=True),
        write=_compile_writer(wire),
    )


# -- the compiled writer -----------------------------------------------------------------------
#
# Each writer appends one value's Avro binary encoding to a bytearray, and raises (anything) for a
# value it does not write exactly as fastavro would: the caller then hands the datum to fastavro.

_Writer = Callable[[Any, bytearray], None]
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


_PRIMITIVE_WRITERS: dict[str, _Writer] = {
    "null": _write_null,
    "boolean": _write_boolean,
    "int": _write_int,
    "long": _write_long,
    "float": _write_float,
    "double": _write_double,
    "bytes": _write_bytes,
    "string": _write_string,
}


def _compile_writer(wire: dict[str, Any]) -> _Writer | None:
    """The writer of a parsed record schema, or None when it has a shape left to fastavro."""
    named: dict[str, _Writer] = {}
    try:
        return _WriterCompiler(named).compile(wire)
    except _Unsupported:
        return None


class _WriterCompiler:
    def __init__(self, named: dict[str, _Writer]) -> None:
        self._named = named

    def compile(self, schema: Any) -> _Writer:
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

    def _record(self, schema: dict[str, Any]) -> _Writer:
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

    def _enum(self, schema: dict[str, Any]) -> _Writer:
        indexes = {symbol: index for index, symbol in enumerate(schema["symbols"])}

        def write_enum(value: str, out: bytearray) -> None:
            _write_long(indexes[value], out)

        self._named[schema["name"]] = write_enum
        return write_enum

    def _fixed(self, schema: dict[str, Any]) -> _Writer:
        size = schema["size"]

        def write_fixed(value: bytes, out: bytearray) -> None:
            if not isinstance(value, (bytes, bytearray)) or len(value) != size:
                raise TypeError("not fixed bytes")
            out += value

        self._named[schema["name"]] = write_fixed
        return write_fixed

    @staticmethod
    def _array(write_item: _Writer) -> _Writer:
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
    def _map(write_value: _Writer) -> _Writer:
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

    def _union(self, members: list[Any]) -> _Writer:
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


def _writer_error(schema: _Schema, datum: Any, exc: Exception) -> EncodeError:
    """An EncodeError naming the field, for what the fast checker lets through."""
    try:
        schema.check_deeply(datum)
    except Mismatch as mismatch:
        return EncodeError(mismatch.describe(schema.name))
    return EncodeError(f"cannot encode {schema.name}: {type(exc).__name__}: {exc}")


def _read_body(schema: _Schema, data: bytes | bytearray | memoryview) -> dict[str, Any]:
    buffer = BytesIO(data)
    buffer.seek(HEADER_SIZE)
    try:
        record = schemaless_reader(
            buffer, schema.wire, None, return_record_name=True, return_record_name_override=True
        )
    except EOFError as exc:
        detail = f" ({exc})" if str(exc) else ""
        raise DecodeError(
            f"truncated {schema.name} body: its {_bytes(len(data) - HEADER_SIZE)} end "
            f"mid-record{detail}"
        ) from exc
    except Exception as exc:  # fastavro's readers raise many types on corrupt input
        detail = f": {exc}" if str(exc) else ""
        raise DecodeError(f"corrupt {schema.name} body: {type(exc).__name__}{detail}") from exc
    trailing = len(data) - buffer.tell()
    if trailing:
        raise DecodeError(f"{_bytes(trailing)} trailing after a complete {schema.name} body")
    if not isinstance(record, dict):
        raise DecodeError(f"{schema.name} body did not decode to a record")
    return record


def _bytes(count: int) -> str:
    return "1 byte" if count == 1 else f"{count} bytes"
