"""The JSON Schemas made from the contract's records (the HTTP API's read answers)."""

from __future__ import annotations

import jsonschema_rs
import orjson
import pytest

from schemas.codec import AvroCodec
from schemas.exceptions import SchemaError
from schemas.json_schema import json_schema
from schemas.loader import read_named_types
from tests.schemas.samples import ALL_RECORDS

RECORDS = [name for name, t in read_named_types().items() if t["type"] == "record"]


@pytest.mark.parametrize("name", RECORDS)
def test_every_record_of_the_contract_has_a_json_schema(name: str) -> None:
    schema = json_schema(name)
    jsonschema_rs.Draft202012Validator(schema)  # a valid schema, or this raises
    assert schema["type"] == "object"
    fields = read_named_types()[name]["fields"]
    assert list(schema["properties"]) == [f["name"] for f in fields]


@pytest.mark.parametrize("name", ["SessionSnapshot", "CommandResult"])
@pytest.mark.parametrize("variant", ["minimal", "full"])
def test_the_records_the_api_answers_fit_their_schema(name: str, variant: str) -> None:
    codec = AvroCodec()
    datum = ALL_RECORDS[name][0 if variant == "minimal" else 1]
    answered = orjson.loads(orjson.dumps(codec.decode_as(name, codec.encode(name, datum))))
    validator = jsonschema_rs.Draft202012Validator(json_schema(f"wastream.v1.{name}"))
    assert validator.is_valid(answered)
    first = next(iter(answered))
    assert not validator.is_valid({k: v for k, v in answered.items() if k != first})
    assert not validator.is_valid({**answered, "unknown": 1})


def test_an_unknown_name_is_a_schema_error() -> None:
    with pytest.raises(SchemaError, match="no schema named"):
        json_schema("wastream.v1.Nope")
    with pytest.raises(SchemaError, match="names no type"):
        json_schema(
            "x.Broken",
            {
                "x.Broken": {
                    "type": "record",
                    "name": "Broken",
                    "fields": [{"name": "a", "type": "Missing"}],
                }
            },
        )
