"""Properties of the codec under generated input: round trips, and no crash on any bytes."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import MAGIC, AvroCodec, Decoded, EncodeError, SchemaError

# No example database: nothing written into the working tree; deadlines off on a shared machine.
PROPERTY = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

LONG = st.integers(min_value=-(2**63), max_value=2**63 - 1)
INT = st.integers(min_value=-(2**31), max_value=2**31 - 1)
phones = st.text(alphabet="0123456789", min_size=1, max_size=20)
jids = st.one_of(
    phones.map(lambda digits: f"{digits}@c.us"),
    st.text(alphabet="0123456789-", min_size=1, max_size=30).map(lambda g: f"{g}@g.us"),
    st.text(),  # anything: the codec does not judge what a string means
)
texts = st.text(max_size=2000)


@st.composite
def send_message_envelopes(draw: st.DrawFn) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "to": draw(st.one_of(phones, jids)),
        "text": draw(texts),
        "mentions": draw(st.lists(jids, max_size=8)),
    }
    reply_to = draw(st.one_of(st.none(), st.text(max_size=80)))
    if reply_to is not None or draw(st.booleans()):
        payload["reply_to"] = reply_to
    return {
        "command_id": draw(st.text(max_size=64)),
        "session_id": draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", fullmatch=True)),
        "tenant_id": draw(st.text(max_size=40)),
        "issued_at": draw(LONG),
        "expires_at": draw(LONG),
        "attempt": draw(INT),
        "trace_id": draw(st.text(max_size=64)),
        "source": draw(st.text(max_size=20)),
        "payload": ("SendMessage", payload),
    }


@PROPERTY
@given(datum=send_message_envelopes())
def test_send_message_envelopes_round_trip(codec: AvroCodec, datum: dict[str, Any]) -> None:
    data = codec.encode("CommandEnvelope", datum)
    assert data[:2] == MAGIC
    record = codec.decode_as("CommandEnvelope", data)
    name, payload = record.pop("payload")
    sent = datum["payload"][1]
    assert name == "SendMessage"
    assert payload == {"reply_to": None, **sent}
    assert record == {key: value for key, value in datum.items() if key != "payload"}


def assert_decodes_or_schema_error(codec: AvroCodec, data: bytes) -> None:
    try:
        decoded = codec.decode(data)
    except SchemaError:
        return
    # Garbage may happen to decode (every byte string is some value of a small record).
    assert isinstance(decoded, Decoded)
    assert decoded.name in codec.names
    assert isinstance(decoded.record, dict)


@PROPERTY
@given(data=st.binary(max_size=256))
def test_random_bytes_never_crash_decode(codec: AvroCodec, data: bytes) -> None:
    assert_decodes_or_schema_error(codec, data)


@st.composite
def headed_bodies(draw: st.DrawFn, codec: AvroCodec) -> bytes:
    """Random bodies behind a valid header, so that the body readers get exercised."""
    name = draw(st.sampled_from(codec.names))
    return MAGIC + codec.fingerprint(name) + draw(st.binary(max_size=128))


@PROPERTY
@given(data=st.data())
def test_random_bodies_behind_real_headers_never_crash_decode(
    codec: AvroCodec, data: st.DataObject
) -> None:
    assert_decodes_or_schema_error(codec, data.draw(headed_bodies(codec)))


@PROPERTY
@given(
    datum=send_message_envelopes(),
    flips=st.lists(
        st.tuples(st.integers(min_value=0), st.integers(1, 255)), min_size=1, max_size=4
    ),
    cut=st.integers(min_value=0, max_value=8),
)
def test_corrupted_records_never_crash_decode(
    codec: AvroCodec, datum: dict[str, Any], flips: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(codec.encode("CommandEnvelope", datum))
    for position, mask in flips:
        index = 10 + position % (len(data) - 10)  # corrupt the body, keep the header
        data[index] ^= mask
    assert_decodes_or_schema_error(codec, bytes(data[: len(data) - cut]))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10) | st.binary(),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=5), children, max_size=3)
        | st.tuples(st.text(max_size=12), children)
    ),
    max_leaves=8,
)


@PROPERTY
@given(
    datum=send_message_envelopes(),
    field=st.sampled_from(
        ["command_id", "issued_at", "attempt", "payload", "to", "text", "reply_to", "mentions"]
    ),
    value=json_values,
)
def test_any_value_in_any_field_encodes_or_raises_encode_error(
    codec: AvroCodec, datum: dict[str, Any], field: str, value: Any
) -> None:
    if field in datum:
        datum[field] = value
    else:
        datum["payload"][1][field] = value
    try:
        data = codec.encode("CommandEnvelope", datum)
    except EncodeError as exc:
        message = str(exc)
    else:
        assert codec.decode(data).name == "CommandEnvelope"
        return
    assert message.startswith("cannot encode CommandEnvelope: field ")
