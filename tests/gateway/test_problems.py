"""Errors are problem bodies; nothing a client sends answers a 500."""

from __future__ import annotations

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.problems import Problem, problem_type
from tests.gateway.support import auth
from wastream.settings import Settings


def test_problem_body() -> None:
    problem = Problem(422, "to: bad", field="to", extra={"command_id": "c"})
    assert problem.body() == {
        "type": "urn:wastream:problem:invalid-field",
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": "to: bad",
        "field": "to",
        "command_id": "c",
    }
    assert problem_type(429) == "urn:wastream:problem:rate-limited"


async def test_unknown_route_and_method(offline_client: httpx.AsyncClient) -> None:
    response = await offline_client.get("/v2/nothing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    response = await offline_client.put("/v1/sessions")
    assert response.status_code == 405
    assert response.json()["status"] == 405
    assert "POST" in response.headers["allow"]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
message_fields = st.fixed_dictionaries(
    {},
    optional={
        "to": json_values | st.sampled_from(["4915112345678", "1@g.us"]),
        "text": json_values,
        "media": json_values,
        "caption": json_values,
        "mentions": json_values,
        "reply_to": json_values,
        "ttl_s": json_values,
    },
)


@settings(max_examples=150, deadline=None)
@given(body=message_fields | json_values, raw=st.binary(max_size=64))
async def test_arbitrary_bodies_never_answer_500(
    client: httpx.AsyncClient, gateway_settings: Settings, body: object, raw: bytes
) -> None:
    headers = auth(gateway_settings, "acme")
    url = "/v1/sessions/never-created/messages"  # a valid body gets as far as 404
    response = await client.post(url, json=body, headers=headers)
    assert response.status_code in (404, 413, 422), response.text
    response = await client.post(
        url, content=raw, headers={**headers, "content-type": "application/json"}
    )
    assert response.status_code in (400, 404, 413, 422), response.text
