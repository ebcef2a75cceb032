"""A property-based fuzz run of every endpoint of the gateway, driven by its OpenAPI document.

The real gateway is served over HTTP by uvicorn (uvloop and httptools, as ``wastream gateway``
serves it) on the test stack. Schemathesis reads the document from ``GET /openapi.json`` and
generates requests for every operation it lists: valid ones (positive mode) and invalid ones
(negative mode), sent with a bearer token of every scope (which negative mode may leave out: a
401 is a rejection like any other). Valid requests to session endpoints go half of the time to
a session the tenant created, so that they reach Kafka and answer 202.

Every answer must come within a timeout (no hang), never be a 5xx (the stack is up), conform to
the document (status, content type, headers, body schema), accept what the document calls valid
and reject what it calls invalid, and answer every 4xx with a problem body whose ``status`` is
the HTTP status. Each mode proves it exercised every operation of the document it can fuzz.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given
from hypothesis import core as hypothesis_core
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.internal import entropy
from hypothesis.internal.conjecture import engine
from hypothesis.strategies._internal import collections as hypothesis_collections
from hypothesis.strategies._internal import core as strategies_core
from schemathesis import Case, GenerationMode, Response
from schemathesis.checks import CheckContext, CheckFunction, not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import hypothesis as schemathesis_hypothesis
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from gateway import SCOPES, create_app
from gateway.problems import PROBLEM_CONTENT_TYPE
from tests.gateway.support import auth, new_session_id
from wastream.settings import Settings

Operation = APIOperation[Any, Any, Any, Any]

# Per operation and mode: about 700 requests in all, some 20 s of CPU time.
MAX_EXAMPLES = 20
REQUEST_TIMEOUT_S = 10.0
STARTUP_TIMEOUT_S = 60.0
TENANT = "fuzz"

# What the document promises: valid requests meet only refusals that depend on state (another
# tenant's session, one never created or not yet known, a taken id, the rate limit), invalid
# ones meet one of the documented rejections.
CONFIG = {
    "checks": {
        "positive_data_acceptance": {"expected-statuses": ["2xx", 403, 404, 409, 429]},
        "negative_data_rejection": {
            "expected-statuses": [400, 401, 403, 404, 409, 413, 415, 422, 429]
        },
    }
}


# What schemathesis patches in Hypothesis when it first builds a strategy: among others a
# printer that prints nothing (falsifying examples go unshown) and a larger buffer.
_PATCHED_BY_SCHEMATHESIS = (
    (hypothesis_core, "RepresentationPrinter"),
    (hypothesis_core, "BUFFER_SIZE"),
    (engine, "BUFFER_SIZE"),
    (hypothesis_collections, "BUFFER_SIZE"),
    (entropy, "register_random"),
    (strategies_core, "is_first_param_referenced_in_function"),
)


@pytest.fixture(scope="module", autouse=True)
def hypothesis_as_it_was() -> Iterator[None]:
    """The property tests of the modules after this one get Hypothesis as it was."""
    saved = [getattr(module, name) for module, name in _PATCHED_BY_SCHEMATHESIS]
    yield
    for (module, name), value in zip(_PATCHED_BY_SCHEMATHESIS, saved, strict=True):
        setattr(module, name, value)
    # so that schemathesis patches again should another module build strategies
    schemathesis_hypothesis.setup._is_patched = False  # type: ignore[attr-defined]


class ServedGateway:
    """The gateway app served by uvicorn on a free loopback port, in a thread of its own."""

    def __init__(self, settings: Settings) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        config = uvicorn.Config(
            create_app(settings),
            loop="uvloop",
            http="httptools",
            lifespan="on",
            access_log=False,
            log_config=None,
            server_header=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def __enter__(self) -> ServedGateway:
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self._server.started:
            assert self._thread.is_alive(), "the gateway stopped while starting"
            assert time.monotonic() < deadline, "the gateway did not start in time"
            time.sleep(0.05)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=STARTUP_TIMEOUT_S)
        self._socket.close()
        assert not self._thread.is_alive(), "the gateway did not shut down"


@pytest.fixture(scope="module")
def served(gateway_settings: Settings) -> Iterator[ServedGateway]:
    with ServedGateway(gateway_settings) as gateway:
        yield gateway


@pytest.fixture(scope="module")
def headers(gateway_settings: Settings) -> dict[str, str]:
    return auth(gateway_settings, TENANT, SCOPES)


@pytest.fixture(scope="module")
def document(served: ServedGateway) -> dict[str, Any]:
    response = requests.get(f"{served.base_url}/openapi.json", timeout=REQUEST_TIMEOUT_S)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture(scope="module")
def schema(document: dict[str, Any]) -> OpenApiSchema:
    # From the served document itself: loaded from its URL, schemathesis would leave out the
    # operation that serves it.
    return schemathesis.openapi.from_dict(document, config=schemathesis.Config.from_dict(CONFIG))


@pytest.fixture(scope="module")
def session_id(served: ServedGateway, headers: dict[str, str]) -> str:
    """A session of the fuzzing tenant."""
    session = new_session_id("fuzz")
    response = requests.post(
        f"{served.base_url}/v1/sessions",
        json={"session_id": session},
        headers=headers,
        timeout=REQUEST_TIMEOUT_S,
    )
    assert response.status_code == 202, response.text
    return session


def problem_bodies(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """Every 4xx is an ``application/problem+json`` object naming its own status."""
    if not 400 <= response.status_code < 500:
        return None
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type == PROBLEM_CONTENT_TYPE, f"a {response.status_code} as {content_type!r}"
    body = response.json()
    assert isinstance(body, dict), f"a problem body is a JSON object, not {body!r}"
    for member in ("type", "title", "detail"):
        assert isinstance(body.get(member), str), f"no {member!r} in the problem {body}"
        assert body[member], f"an empty {member!r} in the problem {body}"
    assert body.get("status") == response.status_code, body
    return True


CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    positive_data_acceptance,
    negative_data_rejection,
    problem_bodies,
]

# An Idempotency-Key names one request: reusing it for another is refused (422) by design, so a
# valid request gets a key of its own, the generated one behind a unique prefix.
_KEY_PREFIXES = itertools.count()


def _own_idempotency_key(case: Case[Any]) -> None:
    key = case.headers.get("Idempotency-Key") if case.headers else None
    if isinstance(key, str):
        case.headers["Idempotency-Key"] = f"{next(_KEY_PREFIXES):x}.{key}"[:255]


def has_inputs(operation: dict[str, Any]) -> bool:
    """Whether a document's operation takes anything to make invalid (negative mode)."""
    return bool(operation.get("parameters")) or "requestBody" in operation


class Fuzzer:
    """Sends each operation's generated cases to the gateway; counts what it sent."""

    def __init__(self, base_url: str, headers: dict[str, str], session_id: str) -> None:
        self._base_url = base_url
        self._headers = headers
        self._session_id = session_id
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()

    def fuzz(self, operation: Operation, mode: GenerationMode) -> None:
        strategy = operation.as_strategy(generation_mode=mode)
        if mode is GenerationMode.POSITIVE and "{sid}" in operation.path:
            known = operation.as_strategy(mode, path_parameters={"sid": self._session_id})
            strategy = st.one_of(strategy, known)

        # No example database: this one inner test serves every operation, so an example saved
        # for one would replay against the others. A failure prints its seed instead.
        @hypothesis_settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[
                HealthCheck.too_slow,
                HealthCheck.filter_too_much,
                HealthCheck.data_too_large,
                HealthCheck.large_base_example,
            ],
        )
        @given(case=strategy)
        def send(case: Case[Any]) -> None:
            if mode is GenerationMode.POSITIVE:
                _own_idempotency_key(case)
            response = case.call(
                base_url=self._base_url, headers=self._headers, timeout=REQUEST_TIMEOUT_S
            )
            self.requests[operation.label] += 1
            self.statuses[response.status_code] += 1
            case.validate_response(
                response,
                checks=CHECKS,
                headers=self._headers,
                transport_kwargs={"base_url": self._base_url, "headers": self._headers},
            )

        send()


@pytest.mark.parametrize("mode", list(GenerationMode), ids=str)
def test_every_operation_answers_as_documented(
    served: ServedGateway,
    headers: dict[str, str],
    session_id: str,
    document: dict[str, Any],
    schema: OpenApiSchema,
    mode: GenerationMode,
) -> None:
    documented = {
        f"{method.upper()} {path}": operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    operations: list[Operation] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"schemathesis cannot read an operation: {result.err()}"
        operations.append(result.ok())
    assert {operation.label for operation in operations} == set(documented)

    fuzzer = Fuzzer(served.base_url, headers, session_id)
    started = time.monotonic()
    cpu_started = time.process_time()
    for operation in operations:
        if mode is GenerationMode.POSITIVE or has_inputs(operation.definition.raw):
            fuzzer.fuzz(operation, mode)
    elapsed, cpu = time.monotonic() - started, time.process_time() - cpu_started
    print(
        f"\n{mode.value}: {fuzzer.requests.total()} requests to {len(fuzzer.requests)} "
        f"operations in {elapsed:.1f} s ({cpu:.1f} s CPU); "
        f"statuses {dict(sorted(fuzzer.statuses.items()))}"
    )

    expected = {
        label
        for label, operation in documented.items()
        if mode is GenerationMode.POSITIVE or has_inputs(operation)
    }
    assert set(fuzzer.requests) == expected
    if mode is GenerationMode.POSITIVE:
        assert fuzzer.statuses[202] > 0, "no valid command reached Kafka"
