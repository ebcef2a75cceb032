"""The request counter and latency histogram, as Prometheus reads them."""

from __future__ import annotations

from prometheus_client import generate_latest

from gateway.metrics import GatewayMetrics

ROUTE = "/v1/sessions/{sid}/messages"


def test_requests_are_counted_by_route_method_and_status() -> None:
    metrics = GatewayMetrics()
    for status in (202, 202, 422):
        metrics.observe(ROUTE, "POST", status, 0.002)
    metrics.observe("unmatched", "GET", 404, 0.0001)
    value = metrics.registry.get_sample_value
    labels = {"route": ROUTE, "method": "POST"}
    assert value("wastream_gateway_requests_total", {**labels, "status": "202"}) == 2
    assert value("wastream_gateway_requests_total", {**labels, "status": "422"}) == 1
    assert value("wastream_gateway_requests_total", {**labels, "status": "500"}) is None
    assert value("wastream_gateway_requests_created", {**labels, "status": "202"}) is not None
    unmatched = {"route": "unmatched", "method": "GET", "status": "404"}
    assert value("wastream_gateway_requests_total", unmatched) == 1


def test_latency_buckets_are_cumulative_and_inclusive() -> None:
    metrics = GatewayMetrics()
    for seconds in (0.0005, 0.001, 0.0011, 0.025, 0.3, 42.0):
        metrics.observe(ROUTE, "POST", 202, seconds)
    value = metrics.registry.get_sample_value
    name = "wastream_gateway_request_duration_seconds"

    def bucket(le: str) -> float | None:
        return value(f"{name}_bucket", {"route": ROUTE, "le": le})

    assert bucket("0.001") == 2  # an observation on a bound counts in that bucket
    assert bucket("0.0025") == 3
    assert bucket("0.025") == 4
    assert bucket("0.25") == 4
    assert bucket("0.5") == 5
    assert bucket("10.0") == 5
    assert bucket("+Inf") == 6
    assert value(f"{name}_count", {"route": ROUTE}) == 6
    assert abs((value(f"{name}_sum", {"route": ROUTE}) or 0) - 42.3276) < 1e-9
    assert value(f"{name}_created", {"route": ROUTE}) is not None
    text = generate_latest(metrics.registry).decode()
    assert f"# TYPE {name} histogram" in text
    assert "# TYPE wastream_gateway_requests_total counter" in text
