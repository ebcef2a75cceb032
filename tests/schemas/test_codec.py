"""AvroCodec: round trips of every record, the wire format, and every kind of bad input."""

from __future__ import annotations

import datetime
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastavro
import pytest
from fastavro.schema import load_schema

from schemas import (
    HEADER_SIZE,
    MAGIC,
    AvroCodec,
    Decoded,
    DecodeError,
    EncodeError,
    SchemaError,
    UnknownSchemaError,
)
from tests.schemas.samples import ALL_RECORDS, AVRO_DIR, COMMANDS, T0, with_defaults
from wastream.exceptions import WastreamError

Sample = Callable[..., dict[str, Any]]
Envelope = Callable[..., dict[str, Any]]

MIB = 1024 * 1024


def roundtrip(codec: AvroCodec, name: str, datum: dict[str, Any]) -> dict[str, Any]:
    data = codec.encode(name, datum)
    decoded = codec.decode(data)
    assert decoded.name == name
    assert codec.decode_as(name, data) == decoded.record
    return decoded.record


# -- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ALL_RECORDS))
@pytest.mark.parametrize("full", [False, True], ids=["minimal", "full"])
def test_every_record_round_trips(codec: AvroCodec, sample: Sample, name: str, full: bool) -> None:
    datum = sample(name, full=full)
    assert roundtrip(codec, name, datum) == with_defaults(name, datum)


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("full", [False, True], ids=["minimal", "full"])
def test_every_command_round_trips_in_the_envelope(
    codec: AvroCodec, envelope: Envelope, command: str, full: bool
) -> None:
    datum = envelope(command, dict(COMMANDS[command][1 if full else 0]))
    record = roundtrip(codec, "CommandEnvelope", datum)
    name, payload = record["payload"]
    assert name == command
    assert payload == with_defaults(command, datum["payload"][1])
    assert record == with_defaults("CommandEnvelope", datum)


def test_names_are_every_record_of_the_contract(codec: AvroCodec) -> None:
    assert codec.names == tuple(sorted(ALL_RECORDS))


def test_full_names_work_like_short_names(codec: AvroCodec, sample: Sample) -> None:
    datum = sample("MarkRead")
    data = codec.encode("wastream.v1.MarkRead", datum)
    assert data == codec.encode("MarkRead", datum)
    assert codec.decode_as("wastream.v1.MarkRead", data) == datum
    assert codec.fingerprint("wastream.v1.MarkRead") == codec.fingerprint("MarkRead")


def test_decoded_is_a_named_tuple(codec: AvroCodec, sample: Sample) -> None:
    decoded = codec.decode(codec.encode("MarkRead", sample("MarkRead")))
    assert isinstance(decoded, Decoded)
    name, record = decoded
    assert (name, record) == ("MarkRead", {"chat": sample("MarkRead")["chat"]})


def test_optional_fields_absent_present_and_explicitly_null(
    codec: AvroCodec, envelope: Envelope
) -> None:
    absent = roundtrip(codec, "CommandEnvelope", envelope("SendMessage", {"to": "1", "text": "t"}))
    assert absent["payload"][1] == {"to": "1", "text": "t", "reply_to": None, "mentions": []}
    null = envelope("SendMessage", {"to": "1", "text": "t", "reply_to": None, "mentions": []})
    assert roundtrip(codec, "CommandEnvelope", null) == absent
    present = envelope("SendMessage", {"to": "1", "text": "t", "reply_to": "m", "mentions": ["a"]})
    assert roundtrip(codec, "CommandEnvelope", present)["payload"][1]["reply_to"] == "m"


def test_defaults_fill_absent_fields(codec: AvroCodec, envelope: Envelope) -> None:
    datum = envelope("StartSession", {})
    assert "attempt" not in datum
    record = roundtrip(codec, "CommandEnvelope", datum)
    assert record["attempt"] == 1
    assert record["payload"] == ("StartSession", {"pairing": "QR", "phone": None})


def test_empty_records_stay_distinct(codec: AvroCodec, envelope: Envelope) -> None:
    stop = codec.decode(codec.encode("CommandEnvelope", envelope("StopSession", {})))
    logout = codec.decode(codec.encode("CommandEnvelope", envelope("LogoutSession", {})))
    assert stop.record["payload"] == ("StopSession", {})
    assert logout.record["payload"] == ("LogoutSession", {})


@pytest.mark.parametrize(
    "text",
    [
        "",
        "héllo wörld — “quotes” ß",
        "你好世界",
        "مرحبا بالعالم",
        "👋🏽 👨‍👩‍👧‍👦 🇩🇪 ❤️",
        "nul\x00inside and \t\r\n controls",
        "\U0010ffff max code point",
    ],
)
def test_unicode_and_emoji_survive(codec: AvroCodec, envelope: Envelope, text: str) -> None:
    datum = envelope("SendMessage", {"to": text, "text": text, "mentions": [text, ""]})
    assert roundtrip(codec, "CommandEnvelope", datum)["payload"][1]["text"] == text


def test_empty_strings_everywhere(codec: AvroCodec) -> None:
    datum: dict[str, Any] = {
        "command_id": "",
        "session_id": "",
        "tenant_id": "",
        "issued_at": 0,
        "expires_at": 0,
        "attempt": 0,
        "trace_id": "",
        "source": "",
        "payload": ("SendMessage", {"to": "", "text": "", "reply_to": "", "mentions": [""]}),
    }
    assert roundtrip(codec, "CommandEnvelope", datum) == datum


def test_text_of_65536_characters(codec: AvroCodec, envelope: Envelope) -> None:
    text = ("0123456789abcdeé" * 4096)[:65_536]
    assert len(text) == 65_536
    data = codec.encode("CommandEnvelope", envelope("SendMessage", {"to": "1", "text": text}))
    assert codec.decode(data).record["payload"][1]["text"] == text


def test_inline_media_of_16_mib(codec: AvroCodec, envelope: Envelope) -> None:
    blob = bytes(range(256)) * (16 * MIB // 256)
    media = {"kind": "VIDEO", "mimetype": "video/mp4", "data": blob}
    data = codec.encode("CommandEnvelope", envelope("SendMedia", {"to": "1", "media": media}))
    assert len(data) > 16 * MIB
    decoded = codec.decode(data).record["payload"][1]["media"]["data"]
    assert decoded == blob


def test_empty_arrays_and_maps(codec: AvroCodec, sample: Sample) -> None:
    result = sample("CommandResult", output={})
    assert roundtrip(codec, "CommandResult", result)["output"] == {}
    snapshot = sample("SessionSnapshot", counters={})
    assert roundtrip(codec, "SessionSnapshot", snapshot)["counters"] == {}
    numbers = roundtrip(codec, "CheckNumbers", {"numbers": []})
    assert numbers == {"numbers": []}


def test_maps_with_unicode_keys(codec: AvroCodec, sample: Sample) -> None:
    output = {"": "", "número": "1", "🔑": "x" * 1000}
    assert roundtrip(codec, "CommandResult", sample("CommandResult", output=output))["output"] == (
        output
    )


@pytest.mark.parametrize("value", [0, 1, -1, 2**31 - 1, -(2**31)])
def test_int_range(codec: AvroCodec, sample: Sample, value: int) -> None:
    assert roundtrip(codec, "ScrapedChat", sample("ScrapedChat", seq=value))["seq"] == value


@pytest.mark.parametrize("value", [0, -1, 2**63 - 1, -(2**63), -62_135_596_800_000])
def test_long_and_timestamp_range(codec: AvroCodec, sample: Sample, value: int) -> None:
    datum = sample("DeadLetter", offset=value, failed_at=value)
    record = roundtrip(codec, "DeadLetter", datum)
    assert (record["offset"], record["failed_at"]) == (value, value)
    assert type(record["failed_at"]) is int


def test_bytes_like_inputs(codec: AvroCodec, sample: Sample) -> None:
    datum = sample("VaultBackup", nonce=bytearray(b"n" * 12), ciphertext=memoryview(b"c" * 33))
    record = roundtrip(codec, "VaultBackup", datum)
    assert (record["nonce"], record["ciphertext"]) == (b"n" * 12, b"c" * 33)


def test_tuples_are_accepted_as_arrays(codec: AvroCodec) -> None:
    assert roundtrip(codec, "CheckNumbers", {"numbers": ("1", "2")}) == {"numbers": ["1", "2"]}


def test_enum_symbols_may_be_str_subclasses(codec: AvroCodec, sample: Sample) -> None:
    import enum

    class State(enum.StrEnum):
        READY = "READY"

    record = roundtrip(codec, "SessionEvent", sample("SessionEvent", state=State.READY))
    assert record["state"] == "READY"


def test_decode_accepts_bytearray_and_memoryview(codec: AvroCodec, sample: Sample) -> None:
    data = codec.encode("MarkRead", sample("MarkRead"))
    assert codec.decode(bytearray(data)) == codec.decode(data)
    assert codec.decode(memoryview(data)) == codec.decode(data)


# -- wire format ------------------------------------------------------------------------------


def crc64_avro(data: bytes) -> int:
    """The Avro specification's reference CRC-64-AVRO (Rabin) fingerprint."""
    empty = 0xC15D213AA4D7A795
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (empty & -(fp & 1))
        table.append(fp)
    fp = empty
    for byte in data:
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp


@pytest.mark.parametrize(
    ("schema", "expected"),
    # From the Avro project's schema fingerprint test data (signed 64-bit values).
    [('"null"', 7195948357588979594), ('"boolean"', -6970731678124411036)],
)
def test_reference_fingerprint_matches_avro_test_vectors(schema: str, expected: int) -> None:
    assert crc64_avro(schema.encode()) == expected % 2**64


def test_header_bytes_literally(codec: AvroCodec) -> None:
    canonical = (
        '{"name":"wastream.v1.MarkRead","type":"record","fields":[{"name":"chat","type":"string"}]}'
    )
    fingerprint = crc64_avro(canonical.encode()).to_bytes(8, "little")
    assert codec.fingerprint("MarkRead") == fingerprint
    data = codec.encode("MarkRead", {"chat": "x@c.us"})
    # C3 01, the fingerprint, then the string: zigzag length 6 -> 0x0c, and its UTF-8 bytes.
    assert data == b"\xc3\x01" + fingerprint + b"\x0c" + b"x@c.us"
    assert MAGIC == b"\xc3\x01"
    assert HEADER_SIZE == 10


def test_every_record_has_its_own_fingerprint(codec: AvroCodec, sample: Sample) -> None:
    fingerprints = {codec.fingerprint(name) for name in codec.names}
    assert len(fingerprints) == len(codec.names)
    for name in codec.names:
        data = codec.encode(name, sample(name))
        assert data[:2] == b"\xc3\x01"
        assert data[2:10] == codec.fingerprint(name)
        assert len(codec.fingerprint(name)) == 8


def test_body_is_the_declared_schema_binary_encoding(codec: AvroCodec, envelope: Envelope) -> None:
    """The body decodes with plain fastavro and the declared schema (logical types and all)."""
    declared = load_schema(str(AVRO_DIR / "wastream.v1.CommandEnvelope.avsc"))
    datum = envelope("Scrape")
    data = codec.encode("CommandEnvelope", datum)
    plain = fastavro.schemaless_reader(
        io.BytesIO(data[HEADER_SIZE:]), declared, None, return_record_name=True
    )
    assert isinstance(plain, dict)
    assert plain["issued_at"] == datetime.datetime.fromtimestamp(T0 / 1000, datetime.UTC)
    name, payload = plain["payload"]
    assert name == "wastream.v1.Scrape"
    assert payload["kind"] == "MESSAGES"
    expected_since = datetime.datetime.fromtimestamp(
        datum["payload"][1]["since"] / 1000, datetime.UTC
    )
    assert payload["since"] == expected_since


# -- encode errors ----------------------------------------------------------------------------


def bad_envelope(envelope: Envelope, **payload: Any) -> dict[str, Any]:
    return envelope("SendMessage", {"to": "1", "text": "t", **payload})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda e: bad_envelope(e, to=5),
            "field payload(SendMessage).to: expected string, got int",
        ),
        (lambda e: bad_envelope(e, to=None), "payload(SendMessage).to: expected string, got null"),
        (
            lambda e: bad_envelope(e, mentions="4915"),
            "payload(SendMessage).mentions: expected an array",
        ),
        (
            lambda e: bad_envelope(e, mentions=["a", 7]),
            "payload(SendMessage).mentions[1]: expected string",
        ),
        (
            lambda e: bad_envelope(e, reply_to=b"id"),
            "payload(SendMessage).reply_to: expected null or string",
        ),
        (
            lambda e: bad_envelope(e, txt="typo"),
            "payload(SendMessage) has unexpected field(s) 'txt'",
        ),
        (lambda e: e("SendMessage", {"text": "t"}), "payload(SendMessage).to is missing"),
        (
            lambda e: {**e("StopSession"), "payload": {}},
            "field payload: expected a (name, record) tuple",
        ),
        (
            lambda e: {**e("StopSession"), "payload": ("Nope", {})},
            "payload names 'Nope', not one of",
        ),
        (
            lambda e: {**e("StopSession"), "issued_at": datetime.datetime.now(datetime.UTC)},
            "field issued_at: expected timestamp-millis",
        ),
        (
            lambda e: {**e("StopSession"), "issued_at": 1.5},
            "field issued_at: expected timestamp-millis",
        ),
        (
            lambda e: {**e("StopSession"), "attempt": 2**31},
            "field attempt: expected int (32-bit), got int 2147483648",
        ),
        (
            lambda e: {**e("StopSession"), "attempt": True},
            "field attempt: expected int (32-bit), got bool",
        ),
        (
            lambda e: {**e("StopSession"), "extra": 1},
            "CommandEnvelope has unexpected field(s) 'extra'",
        ),
        (
            lambda e: {k: v for k, v in e("StopSession").items() if k != "trace_id"},
            "field trace_id is missing",
        ),
        (
            lambda e: e("StartSession", {"pairing": "qr"}),
            "payload(StartSession).pairing: expected a PairingMethod symbol (QR, CODE)",
        ),
        (
            lambda e: e("SendMedia", {"to": "1", "media": {"kind": "IMAGE", "data": "base64?"}}),
            "payload(SendMedia).media.data: expected null or bytes, got str",
        ),
        (
            lambda e: e("SendMedia", {"to": "1", "media": {"url": "u"}}),
            "payload(SendMedia).media.kind is missing",
        ),
        (
            lambda e: e("Broadcast", {"recipients": [], "pace_ms": "100"}),
            "payload(Broadcast).pace_ms: expected null or int",
        ),
        (
            lambda e: bad_envelope(e, to="\ud800"),
            "payload(SendMessage).to: expected string (encodable as UTF-8",
        ),
        (
            lambda e: [1, 2],
            "cannot encode CommandEnvelope: expected a CommandEnvelope record (a mapping), got",
        ),
    ],
)
def test_encode_errors_name_the_field(
    codec: AvroCodec, envelope: Envelope, change: Callable[[Envelope], Any], message: str
) -> None:
    with pytest.raises(EncodeError) as caught:
        codec.encode("CommandEnvelope", change(envelope))
    assert message in str(caught.value)
    assert str(caught.value).startswith("cannot encode CommandEnvelope")


@pytest.mark.parametrize(
    ("name", "change", "message"),
    [
        ("CommandResult", {"output": {"n": 1}}, "field output['n']: expected string, got int 1"),
        ("CommandResult", {"output": {1: "x"}}, "expected string map keys, got int 1"),
        ("SessionSnapshot", {"counters": {"sent": 1.0}}, "field counters['sent']: expected long"),
        ("MessageReceived", {"from_me": 1}, "field from_me: expected boolean, got int 1"),
        ("MessageReceived", {"media": {"size": 3}}, "field media.mimetype is missing"),
        ("DeadLetter", {"offset": 2**63}, "field offset: expected long (64-bit)"),
        ("SessionEvent", {"state": "ready"}, "field state: expected a SessionState symbol"),
        ("SessionEvent", {"previous": "GONE"}, "field previous: expected null or a SessionState"),
        ("VaultBackup", {"nonce": "0" * 12}, "field nonce: expected bytes, got str"),
    ],
)
def test_encode_errors_of_events(
    codec: AvroCodec, sample: Sample, name: str, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(EncodeError, match=r"^cannot encode " + name) as caught:
        codec.encode(name, sample(name, **change))
    assert message in str(caught.value)


def test_encode_error_of_huge_bytes_stays_short(codec: AvroCodec, sample: Sample) -> None:
    with pytest.raises(EncodeError) as caught:
        codec.encode("VaultBackup", sample("VaultBackup", key_id=b"k" * (16 * MIB)))
    assert "bytes of 16777216 bytes" in str(caught.value)
    assert len(str(caught.value)) < 300


def test_encode_of_an_unknown_record(codec: AvroCodec) -> None:
    with pytest.raises(
        UnknownSchemaError, match=r"no record schema named 'Nope'; known: .*MarkRead"
    ):
        codec.encode("Nope", {})


def test_enums_and_shared_types_are_not_records_to_encode(codec: AvroCodec) -> None:
    with pytest.raises(UnknownSchemaError):
        codec.encode("SessionState", {})
    with pytest.raises(UnknownSchemaError):
        codec.fingerprint("Outcome")


# -- decode errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not a single-object encoded record: empty"),
        (b"\xc3", "too short: 1 byte"),
        (b"\xc3\x01\x00\x00\x00", "too short: 5 bytes"),
        (b"\x00\x01" + b"\x00" * 20, "bad magic 0001, expected c301"),
        (b"\x4f\x62\x6a\x01" + b"\x00" * 20, "bad magic 4f62"),
        (b'{"json": "record"}', "bad magic 7b22"),
    ],
)
def test_malformed_headers(codec: AvroCodec, data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match="^.*" + message):
        codec.decode(data)


def test_unknown_fingerprint_names_it_in_hex(codec: AvroCodec) -> None:
    data = b"\xc3\x01" + bytes.fromhex("0123456789abcdef") + b"\x00"
    with pytest.raises(UnknownSchemaError, match="unknown schema fingerprint 0123456789abcdef"):
        codec.decode(data)


def test_record_of_another_contract_is_unknown(
    codec: AvroCodec, tmp_path: Path, sample: Sample
) -> None:
    # The same record under another namespace: another canonical form, another fingerprint.
    schema = json.loads((AVRO_DIR / "wastream.v1.MarkRead.avsc").read_text(encoding="utf-8"))
    schema["namespace"] = "wastream.v2"
    (tmp_path / "wastream.v2.MarkRead.avsc").write_text(json.dumps(schema), encoding="utf-8")
    other = AvroCodec(tmp_path)
    data = other.encode("MarkRead", sample("MarkRead"))
    assert other.decode(data).record == sample("MarkRead")
    with pytest.raises(UnknownSchemaError, match=data[2:10].hex()):
        codec.decode(data)


def test_every_truncation_is_a_decode_error(codec: AvroCodec, envelope: Envelope) -> None:
    data = codec.encode("CommandEnvelope", envelope("SendMedia"))
    for end in range(len(data)):
        with pytest.raises(DecodeError):
            codec.decode(data[:end])
    with pytest.raises(DecodeError, match="truncated CommandEnvelope body"):
        codec.decode(data[:-1])


@pytest.mark.parametrize("extra", [b"\x00", b"trailing", b"\xc3\x01" + b"\x00" * 8])
def test_trailing_bytes_are_a_decode_error(
    codec: AvroCodec, envelope: Envelope, extra: bytes
) -> None:
    data = codec.encode("CommandEnvelope", envelope("SendMessage"))
    with pytest.raises(DecodeError, match=f"{len(extra)} bytes? trailing after a complete"):
        codec.decode(data + extra)


def test_two_records_back_to_back_are_not_one(codec: AvroCodec, sample: Sample) -> None:
    data = codec.encode("MarkRead", sample("MarkRead"))
    with pytest.raises(DecodeError, match="trailing"):
        codec.decode(data + data)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\x0a", "truncated MarkRead body"),  # a 5-byte string with no bytes
        (b"\x01", "truncated MarkRead body"),  # a negative length
        (b"\x04\xff\xfe", "corrupt MarkRead body: UnicodeDecodeError"),
    ],
)
def test_corrupt_bodies(codec: AvroCodec, body: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        codec.decode(b"\xc3\x01" + codec.fingerprint("MarkRead") + body)


def test_out_of_range_union_and_enum_indexes(codec: AvroCodec, sample: Sample) -> None:
    data = bytearray(codec.encode("SessionEvent", sample("SessionEvent")))
    # session_id "sales-01" and tenant_id "acme" come first; then the state enum index.
    state_at = HEADER_SIZE + 1 + len("sales-01") + 1 + len("acme")
    data[state_at] = 0x7E  # zigzag 63: no such symbol
    with pytest.raises(DecodeError, match="corrupt SessionEvent body"):
        codec.decode(bytes(data))


@pytest.mark.parametrize("data", [None, "c3 01", 42, ["\xc3"]])
def test_decode_of_non_bytes(codec: AvroCodec, data: Any) -> None:
    with pytest.raises(DecodeError, match="expected bytes, got"):
        codec.decode(data)


def test_decode_as_checks_the_record(codec: AvroCodec, sample: Sample) -> None:
    data = codec.encode("SessionEvent", sample("SessionEvent"))
    assert codec.decode_as("SessionEvent", data)["state"] == "STARTING"
    with pytest.raises(
        UnknownSchemaError, match=r"expected a CommandEnvelope record .* got a SessionEvent"
    ):
        codec.decode_as("CommandEnvelope", data)
    with pytest.raises(UnknownSchemaError, match="no record schema named 'Nope'"):
        codec.decode_as("Nope", data)
    with pytest.raises(DecodeError):
        codec.decode_as("SessionEvent", data[:-1])


def test_errors_are_schema_and_wastream_errors() -> None:
    for error in (UnknownSchemaError, DecodeError, EncodeError):
        assert issubclass(error, SchemaError)
    assert issubclass(SchemaError, WastreamError)


def test_decode_errors_keep_the_cause(codec: AvroCodec, sample: Sample) -> None:
    data = codec.encode("MarkRead", sample("MarkRead"))
    with pytest.raises(DecodeError) as caught:
        codec.decode(data[:-1])
    assert isinstance(caught.value.__cause__, EOFError)


# -- construction -----------------------------------------------------------------------------


def write(directory: Path, name: str, schema: Any) -> None:
    (directory / name).write_text(json.dumps(schema), encoding="utf-8")


def record(name: str, *fields: tuple[str, Any]) -> dict[str, Any]:
    return {
        "type": "record",
        "name": name,
        "namespace": "t.v1",
        "fields": [{"name": n, "type": t} for n, t in fields],
    }


def test_named_types_resolve_across_files_and_groups(tmp_path: Path) -> None:
    enum = {"type": "enum", "name": "Color", "namespace": "t.v1", "symbols": ["RED", "BLUE"]}
    write(tmp_path, "types.avsc", [enum, record("Point", ("x", "int"))])
    write(
        tmp_path,
        "shape.avsc",
        record("Shape", ("color", "Color"), ("a", "Point"), ("b", "t.v1.Point")),
    )
    codec = AvroCodec(str(tmp_path))
    assert codec.names == ("Point", "Shape")
    datum = {"color": "BLUE", "a": {"x": 1}, "b": {"x": -2}}
    assert codec.decode_as("Shape", codec.encode("Shape", datum)) == datum


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "no .avsc schema in"),
        ({"a.avsc": "{not json"}, "a.avsc: not a readable JSON schema"),
        ({"a.avsc": {"type": "string"}}, "a.avsc: expected a named type"),
        ({"a.avsc": record("A", ("b", "B"))}, "t.v1.A uses t.v1.B, which no schema defines"),
        (
            {"a.avsc": record("A", ("x", "int")), "b.avsc": record("A", ("y", "int"))},
            "t.v1.A is defined more than once",
        ),
        ({"a.avsc": record("A", ("x", "nonsense-type"))}, "t.v1.A uses t.v1.nonsense-type"),
        (
            {
                "a.avsc": record("A", ("x", "int")),
                "b.avsc": {**record("A", ("x", "int")), "namespace": "u"},
            },
            "share the short name A",
        ),
    ],
)
def test_bad_schema_directories(tmp_path: Path, files: dict[str, Any], message: str) -> None:
    for name, content in files.items():
        text = content if isinstance(content, str) else json.dumps(content)
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(SchemaError, match=message):
        AvroCodec(tmp_path)


def test_missing_schema_directory(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="does not exist"):
        AvroCodec(tmp_path / "nowhere")


def test_a_failing_mapping_is_an_encode_error(codec: AvroCodec) -> None:
    class Broken(dict[str, Any]):
        def get(self, key: str, default: Any = None) -> Any:
            raise RuntimeError("boom")

    with pytest.raises(EncodeError, match="cannot encode MarkRead: RuntimeError: boom"):
        codec.encode("MarkRead", Broken(chat="x"))
