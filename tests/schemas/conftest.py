"""Fixtures of the schema tests: one codec, and factories of valid datums."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from schemas import AvroCodec
from tests.schemas.samples import ALL_RECORDS, COMMANDS, ENVELOPE_FIELDS


@pytest.fixture(scope="session")
def codec() -> AvroCodec:
    return AvroCodec()


@pytest.fixture
def sample() -> Callable[..., dict[str, Any]]:
    """``sample(name, full=False, **fields)``: a fresh valid datum of record *name*."""

    def make(name: str, full: bool = False, **fields: Any) -> dict[str, Any]:
        datum = copy.deepcopy(ALL_RECORDS[name][1 if full else 0])
        datum.update(fields)
        return datum

    return make


@pytest.fixture
def envelope() -> Callable[..., dict[str, Any]]:
    """``envelope(command, payload=None, **fields)``: a fresh valid CommandEnvelope datum."""

    def make(command: str, payload: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        body = copy.deepcopy(COMMANDS[command][1]) if payload is None else payload
        return {**copy.deepcopy(ENVELOPE_FIELDS), "payload": (command, body), **fields}

    return make
