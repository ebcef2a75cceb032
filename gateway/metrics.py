"""Prometheus metrics of the gateway, and the ASGI middleware that counts every request.

Requests are labelled by route template (``/v1/sessions/{sid}/messages``, not the concrete
path), so label cardinality stays bounded; unmatched paths count as ``unmatched``. Their count
and latency are plain numbers kept on the event loop and turned into a Prometheus counter and
histogram when scraped: prometheus_client's own take locks on every observation, which cost
the hot path several microseconds a request.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["GatewayMetrics", "MetricsMiddleware"]

_LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.0075,
    0.01,
    0.015,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)


# as prometheus_client labels them: repr of the float, "+Inf" for the last
_BUCKET_LABELS = [repr(float(bound)) for bound in _LATENCY_BUCKETS] + ["+Inf"]


class _RequestStats(Collector):
    """Requests by route template, method and status, and their latency by route template.

    Updated and collected on the event loop only, hence no locks.
    """

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str, int], int] = {}
        # per route: a count per bucket (not cumulative), the last one +Inf, then the sum
        self._latency: dict[str, list[float]] = {}
        self._created: dict[object, float] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        count = self._counts.get(key)
        if count is None:
            count = 0
            self._created[key] = time.time()
        self._counts[key] = count + 1
        histogram = self._latency.get(route)
        if histogram is None:
            histogram = self._latency[route] = [0.0] * (len(_BUCKET_LABELS) + 1)
            self._created[route] = time.time()
        histogram[bisect_left(_LATENCY_BUCKETS, seconds)] += 1
        histogram[-1] += seconds

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "wastream_gateway_requests",
            "HTTP requests by route template, method and status",
            labels=("route", "method", "status"),
        )
        for key, total in self._counts.items():
            route, method, status = key
            requests.add_metric([route, method, str(status)], total, self._created[key])
        yield requests
        name = "wastream_gateway_request_duration_seconds"
        latency = HistogramMetricFamily(
            name, "time to answer an HTTP request, by route template", labels=("route",)
        )
        for route, histogram in self._latency.items():
            cumulative, buckets = 0.0, []
            for label, in_bucket in zip(_BUCKET_LABELS, histogram, strict=False):
                cumulative += in_bucket
                buckets.append((label, cumulative))
            latency.add_metric([route], buckets, histogram[-1])
            latency.add_sample(f"{name}_created", {"route": route}, self._created[route])
        yield latency


class GatewayMetrics:
    """The gateway's metrics in a registry of its own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._requests = _RequestStats()
        self.registry.register(self._requests)
        self.publish_failures = Counter(
            "wastream_gateway_publish_failures",
            "commands Kafka did not acknowledge, by reason",
            ("reason",),
            registry=self.registry,
        )
        self.rejections = Counter(
            "wastream_gateway_rejections",
            "commands refused by admission (rate limit, ownership, idempotency), by code",
            ("code",),
            registry=self.registry,
        )
        self.observe = self._requests.observe

    async def endpoint(self, request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Counts and times every HTTP request (a plain ASGI middleware: no per-request task)."""

    def __init__(self, app: ASGIApp, metrics: GatewayMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_counting(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_counting)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.observe(template, scope["method"], status, time.perf_counter() - started)
