"""The command endpoints' own router, and the app serving them past Starlette's."""

from __future__ import annotations

import httpx
import pytest

from gateway.app import create_app
from gateway.dispatch import CommandRoutes
from gateway.endpoints import COMMAND_ENDPOINTS
from tests.gateway.support import auth
from wastream.settings import Settings

ROUTES = CommandRoutes(
    [
        ("POST", "/v1/sessions", "create"),
        ("POST", "/v1/sessions/{sid}/messages", "send"),
        ("POST", "/v1/sessions/{sid}/groups", "group"),
        ("PATCH", "/v1/sessions/{sid}/groups/{gid}", "patch"),
        ("DELETE", "/v1/sessions/{sid}/groups/{gid}", "leave"),
        ("POST", "/v1/sessions/{sid}/groups/{gid}/invite", "invite"),
    ]
)


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("POST", "/v1/sessions", ("create", {})),
        ("POST", "/v1/sessions/s-1/messages", ("send", {"sid": "s-1"})),
        ("POST", "/v1/sessions/groups/groups", ("group", {"sid": "groups"})),
        ("PATCH", "/v1/sessions/s/groups/1@g.us", ("patch", {"sid": "s", "gid": "1@g.us"})),
        ("DELETE", "/v1/sessions/s/groups/1@g.us", ("leave", {"sid": "s", "gid": "1@g.us"})),
        ("POST", "/v1/sessions/s/groups/g/invite", ("invite", {"sid": "s", "gid": "g"})),
        # what Starlette answers instead: wrong methods, unknown or partial paths, empty segments
        ("GET", "/v1/sessions/s-1/messages", None),
        ("POST", "/v1/sessions/s/groups/g", None),
        ("POST", "/v1/sessions/", None),
        ("POST", "/v1/sessions//messages", None),
        ("POST", "/v1/sessions/s-1/messages/", None),
        ("POST", "/v1/sessions/s-1/messages/x", None),
        ("POST", "/v1/sessions/s-1", None),
        ("POST", "/v1/session", None),
        ("POST", "", None),
        ("POST", "/", None),
    ],
)
def test_match(method: str, path: str, expected: tuple[str, dict[str, str]] | None) -> None:
    assert ROUTES.match(method, path) == expected


def test_conflicting_routes_are_refused() -> None:
    with pytest.raises(ValueError, match="routed twice"):
        CommandRoutes([("POST", "/a/{x}", 1), ("POST", "/a/{x}", 2)])
    with pytest.raises(ValueError, match="beside"):
        CommandRoutes([("POST", "/a/{x}", 1), ("POST", "/a/{y}/b", 2)])


def test_every_command_endpoint_is_served_past_the_router(offline_settings: Settings) -> None:
    routes = create_app(offline_settings).command_routes
    for endpoint in COMMAND_ENDPOINTS:
        path = endpoint.path.replace("{sid}", "s1").replace("{gid}", "123456@g.us")
        found = routes.match(endpoint.method, path)
        assert found is not None, path
        assert found[0].endpoint is endpoint


async def test_the_direct_path_answers_as_the_router_would(offline_settings: Settings) -> None:
    # A root path sends requests through Starlette's router and middleware instead.
    app = create_app(offline_settings)
    headers = auth(offline_settings, "acme")
    requests = [
        ({"to": "not a number", "text": "hi"}, headers),  # 422
        ({"to": "4915112345678", "text": "hi"}, {}),  # 401
        ({"to": "4915112345678", "text": "hi"}, auth(offline_settings, "acme", [])),  # 403
    ]
    answers = []
    for root_path in ("", "/behind-a-proxy"):
        transport = httpx.ASGITransport(app=app, root_path=root_path)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            for body, request_headers in requests:
                response = await client.post(
                    f"{root_path}/v1/sessions/s1/messages", json=body, headers=request_headers
                )
                answers.append(
                    (
                        response.status_code,
                        response.headers["content-type"],
                        response.headers.get("www-authenticate"),
                        response.json(),
                    )
                )
    direct, routed = answers[: len(requests)], answers[len(requests) :]
    assert [answer[0] for answer in direct] == [422, 401, 403]
    assert direct == routed
    metrics = app.state.gateway.metrics.registry
    for status in (422, 401, 403):
        labels = {"route": "/v1/sessions/{sid}/messages", "method": "POST", "status": str(status)}
        assert metrics.get_sample_value("wastream_gateway_requests_total", labels) == 2
