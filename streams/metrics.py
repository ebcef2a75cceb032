"""The worker's Prometheus metrics (served on ``WASTREAM_WORKER_METRICS_PORT``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

__all__ = ["WorkerMetrics"]

_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800)


class WorkerMetrics:
    """Every worker metric, on a registry of its own (several apps may share a process)."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.sessions = Gauge(
            "wastream_worker_sessions",
            "Sessions of this worker by state",
            ["state"],
            registry=registry,
        )
        self.browser_pss = Gauge(
            "wastream_worker_browser_pss_bytes",
            "Proportional set size of each session's Chromium processes",
            ["session_id"],
            registry=registry,
        )
        self.browser_cpu = Gauge(
            "wastream_worker_browser_cpu_seconds",
            "CPU time used by each session's Chromium processes",
            ["session_id"],
            registry=registry,
        )
        self.browser_pss_total = Gauge(
            "wastream_worker_browser_pss_bytes_total",
            "Proportional set size of every session's Chromium processes",
            registry=registry,
        )
        self.messages_sent = Counter(
            "wastream_worker_messages_sent", "Messages sent by sessions", registry=registry
        )
        self.messages_received = Counter(
            "wastream_worker_messages_received",
            "Messages received by sessions",
            registry=registry,
        )
        self.consumer_lag = Gauge(
            "wastream_worker_consumer_lag",
            "Commands not yet done per partition of wa.commands (highwater - next to ack)",
            ["partition"],
            registry=registry,
        )
        self.inflight = Gauge(
            "wastream_worker_commands_inflight",
            "Commands consumed and not yet acknowledged, per partition",
            ["partition"],
            registry=registry,
        )
        self.command_latency = Histogram(
            "wastream_worker_command_latency_seconds",
            "From a command's issued_at to its terminal result",
            ["outcome"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.commands = Counter(
            "wastream_worker_commands",
            "Terminal results by command and outcome",
            ["command", "outcome"],
            registry=registry,
        )
        self.errors = Counter(
            "wastream_worker_errors",
            "Command failures by error code",
            ["code"],
            registry=registry,
        )
        self.retries = Counter(
            "wastream_worker_retries",
            "Retries of transient failures",
            ["code"],
            registry=registry,
        )
        self.dead_letters = Counter(
            "wastream_worker_dead_letters", "Records sent to wa.dlq", registry=registry
        )
        self.restarts = Counter(
            "wastream_worker_session_restarts",
            "Browser restarts of crashed sessions",
            registry=registry,
        )

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        """Serve ``/metrics`` from a background thread (port 0: not served)."""
        if port:
            start_http_server(port, addr=host, registry=self.registry)
