"""``wastream worker``: one stream-processing worker, until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio

import faust

from streams.app import CHANGELOG_TOPIC, create_app
from streams.snapshots import SESSION_UPDATES
from streams.types import SessionFactory
from wastream.exceptions import ConfigurationError
from wastream.logs import configure_logging
from wastream.settings import Settings
from wastream.stack.topics import ensure_topics

__all__ = ["run"]


def run(settings: Settings, *, session_factory: SessionFactory | None = None) -> int:
    """Run a worker with ``settings``; answers the exit status.

    Raises ``ConfigurationError`` (before anything starts) without ``WASTREAM_VAULT_KEYS``.
    Serves Prometheus metrics on ``WASTREAM_WORKER_METRICS_PORT`` (0: not served).
    """
    if not settings.vault_keys.strip():
        raise ConfigurationError(
            "the worker refuses to start without an auth vault key: set WASTREAM_VAULT_KEYS to "
            "`kid:base64(32 random bytes)` (the logins it keeps are encrypted with it)"
        )
    configure_logging(settings.log_level, json=settings.log_json)
    (settings.state_dir / "worker").mkdir(parents=True, exist_ok=True)
    # Faust's first assignment ignores topics it is still creating, and would leave the
    # internal ones unconsumed until a metadata refresh: create them up front.
    ensure_topics(
        settings.kafka_bootstrap,
        [SESSION_UPDATES, CHANGELOG_TOPIC],
        partitions=settings.partitions,
        compacted=[CHANGELOG_TOPIC],
    )
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    app = create_app(settings, session_factory=session_factory)
    app.runtime.metrics.serve(settings.worker_metrics_port, settings.worker_metrics_host)
    worker = faust.Worker(
        app,
        loop=loop,
        loglevel=settings.log_level,
        override_logging=False,
        redirect_stdouts=False,
    )
    try:
        worker.execute_from_commandline()
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int | None) else 1
    return 0
