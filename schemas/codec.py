"""The Avro codec of the contract: single-object encoding of every record in ``schemas/avro``.

Wire format (Avro single-object encoding): ``C3 01``, then the 8-byte little-endian CRC-64-AVRO
fingerprint of the writer schema's parsing canonical form, then the schemaless Avro body.

Datums are plain dicts. A union of several records (the envelope's ``payload``) is given and
returned as a ``(short name, dict)`` tuple, e.g. ``("SendMessage", {...})``; an optional record is a
dict or None. Timestamps are ``int`` milliseconds since the Unix epoch, both ways. Enums are their
symbol strings, ``bytes`` fields are bytes.

Records are written by a writer compiled from each schema at construction
(:mod:`schemas.writer`); a datum it cannot write (a shape it does not know, a value fastavro
would coerce) goes to fastavro's writer, which either writes it as it always did or fails and is
explained.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO
from typing import Any, NamedTuple

from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.schema import fingerprint, to_parsing_canonical_form

from schemas.checker import Checker, Mismatch, compile_checker
from schemas.exceptions import DecodeError, EncodeError, SchemaError, UnknownSchemaError
from schemas.loader import SchemaSource, read_named_types, resolve, wire_form
from schemas.writer import Writer, compile_writer

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
    write: Writer | None  # the compiled writer; None when the schema has a shape it lacks


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
        write=compile_writer(wire),
    )


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
