"""One immutable, validated settings object, read from ``WASTREAM_*`` environment variables.

Every environment variable wastream reads is a field here; the README's settings table lists
them. Booleans are parsed strictly (``true/false/1/0/yes/no/on/off``; anything else is an error).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from wastream.exceptions import ConfigurationError

__all__ = ["DEV_JWT_SECRET", "Settings", "load_settings"]

DEV_JWT_SECRET = "wastream-development-secret-change-me-0123456789"


class Settings(BaseSettings):
    """wastream's configuration; each field is set by ``WASTREAM_<FIELD NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="WASTREAM_", frozen=True, extra="ignore", case_sensitive=False
    )

    # where things are
    kafka_bootstrap: str = Field("localhost:9092", description="Kafka bootstrap servers")
    redis_url: str = Field("redis://localhost:6379/0", description="Redis URL")
    state_dir: Path = Field(Path(".wastream"), description="data, logs and caches of the stack")
    partitions: int = Field(12, ge=1, le=1024, description="partitions of every session topic")
    cache_dir: Path = Field(
        Path.home() / ".cache" / "wastream",
        description="downloads kept between runs (the Kafka broker's jars)",
    )

    # local stack ports
    kafka_port: int = Field(9092, ge=1, le=65535, description="local stack: Kafka listener")
    kafka_controller_port: int = Field(
        9093, ge=1, le=65535, description="local stack: KRaft controller listener"
    )
    redis_port: int = Field(6379, ge=1, le=65535, description="local stack: Redis port")
    kafka_heap: str = Field("512m", description="local stack: Kafka JVM heap (-Xmx)")

    # gateway
    gateway_host: str = Field("127.0.0.1", description="gateway bind address")
    gateway_port: int = Field(8080, ge=1, le=65535, description="gateway port")
    jwt_secret: str = Field(DEV_JWT_SECRET, min_length=16, description="HS256 JWT secret")
    jwt_public_key: str = Field(
        "", description="PEM public key (or @path) for RS256/ES256 tokens; empty: HS256 only"
    )
    jwt_audience: str = Field("", description="required `aud` claim; empty: not checked")
    jwt_issuer: str = Field("", description="required `iss` claim; empty: not checked")
    max_body_bytes: int = Field(
        25 * 1024 * 1024 + 65536, ge=1024, description="largest accepted request body"
    )
    max_media_bytes: int = Field(
        16 * 1024 * 1024, ge=1, description="largest inline media (decoded bytes)"
    )
    max_recipients: int = Field(
        256, ge=1, description="most recipients of one broadcast, check or group command"
    )
    rate_tenant_per_s: float = Field(200.0, gt=0, description="commands per second per tenant")
    rate_tenant_burst: int = Field(400, ge=1, description="burst per tenant")
    rate_session_per_s: float = Field(20.0, gt=0, description="commands per second per session")
    rate_session_burst: int = Field(40, ge=1, description="burst per session")
    idempotency_ttl_s: int = Field(86400, ge=1, description="how long an Idempotency-Key holds")
    command_ttl_s: int = Field(
        3600, ge=1, description="default time to live of a command (expires_at - issued_at)"
    )
    publish_timeout_s: float = Field(
        5.0, gt=0, description="longest wait for Kafka's acknowledgement before a 503"
    )
    gateway_linger_ms: float = Field(
        0.5, ge=0, le=100, description="how long the gateway's producer batches records (ms)"
    )

    # sandbox
    sandbox_host: str = Field("127.0.0.1", description="sandbox bind address")
    sandbox_port: int = Field(8090, ge=1, le=65535, description="sandbox port")
    sandbox_state_file: str = Field(
        "", description="sandbox: JSON file keeping accounts, devices and chats; empty: memory"
    )
    sandbox_qr_first_ttl_s: float = Field(60.0, gt=0, description="sandbox: first QR ref life")
    sandbox_qr_ttl_s: float = Field(20.0, gt=0, description="sandbox: later QR refs' life")
    sandbox_qr_max_refs: int = Field(6, ge=1, description="sandbox: QR refs before UNPAIRED_IDLE")
    sandbox_pair_code_ttl_s: float = Field(180.0, gt=0, description="sandbox: pairing code life")
    sandbox_history_sync_count: int = Field(
        50, ge=1, description="sandbox: messages per chat a page gets at login and per page"
    )
    sandbox_messages_per_min: int = Field(
        600, ge=0, description="sandbox: sends per minute before a ban (0: no limit)"
    )
    sandbox_new_recipients_per_min: int = Field(
        100, ge=0, description="sandbox: new recipients per minute before a ban (0: no limit)"
    )
    sandbox_ban_s: float = Field(120.0, gt=0, description="sandbox: temporary ban length")

    # worker
    vault_keys: str = Field(
        "",
        description="auth vault keys, `kid:base64(32 bytes)[,kid:…]`; the first encrypts, "
        "all decrypt (rotation)",
        repr=False,
    )
    vault_ttl_s: int = Field(
        30 * 86400, ge=60, description="how long an unused login stays in the auth vault"
    )
    worker_id: str = Field(
        "", description="this worker's name in session snapshots; empty: <hostname>-<pid>"
    )
    worker_metrics_port: int = Field(
        9464, ge=0, le=65535, description="worker: Prometheus metrics port (0: not served)"
    )
    worker_metrics_host: str = Field("127.0.0.1", description="worker: metrics bind address")
    worker_profiles_dir: Path = Field(
        Path(".wastream/profiles"), description="worker: browser profile directories"
    )
    worker_session_url: str = Field(
        "https://web.whatsapp.com/", description="worker: the WhatsApp Web URL (or the sandbox's)"
    )
    command_timeout_s: float = Field(
        60.0, gt=0, description="worker: longest run of one browser operation (then transient)"
    )
    command_retries: int = Field(
        4, ge=0, description="worker: retries of a transient failure before FAILED"
    )
    retry_backoff_s: float = Field(
        0.5, gt=0, description="worker: first retry delay; doubles each retry, with jitter"
    )
    retry_backoff_max_s: float = Field(30.0, gt=0, description="worker: longest retry delay")
    result_ttl_s: int = Field(
        7 * 86400, ge=60, description="worker: how long command outcomes stay in Redis (dedup)"
    )
    send_rate_per_min: float = Field(
        20.0, ge=0, description="worker: sends per minute per session (0: pacing off)"
    )
    send_burst: int = Field(3, ge=1, description="worker: sends a session may make back to back")
    send_jitter: float = Field(
        0.3, ge=0, le=1, description="worker: random extra pause, a fraction of the send interval"
    )
    scrape_crontab: str = Field(
        "", description="worker: crontab of periodic scrapes of READY sessions (empty: off)"
    )
    scrape_crontab_kinds: str = Field(
        "CHATS,CONTACTS", description="worker: what the periodic scrape collects"
    )
    scrape_page_limit: int = Field(
        1000, ge=1, description="worker: most history messages a scrape reads per chat"
    )
    vault_snapshot_interval_s: float = Field(
        900.0, gt=0, description="worker: how often READY sessions' logins are saved to the vault"
    )
    session_start_timeout_s: float = Field(
        120.0, gt=0, description="worker: longest wait for a session to open"
    )
    worker_group_timeout_s: float = Field(
        60.0,
        ge=6,
        description="worker: Kafka consumer-group session timeout; a worker silent this long "
        "(killed) loses its partitions and sessions to the others",
    )
    session_restart_limit: int = Field(
        5,
        ge=0,
        description="worker: browser restarts of a crashed session allowed within "
        "`session_restart_window_s`; one more and the session ends FAILED",
    )
    worker_stall_s: float = Field(
        15.0,
        gt=0,
        description="worker: a partition of `wa.commands` whose fetched records have not reached "
        "the commands agent for this long is read again from the first one it missed",
    )
    session_lease_s: float = Field(
        15.0,
        ge=1,
        description="worker: lifetime of a session's lease, renewed while its browser is open; "
        "another worker opens the session once the lease is given back or has lapsed",
    )
    session_open_concurrency: int = Field(
        4,
        ge=1,
        description="worker: session browsers opening at the same time (a worker taking over "
        "many sessions starts them this many at a time)",
    )
    session_flap_limit: int = Field(
        10,
        ge=0,
        description="worker: disconnects of a READY session allowed within "
        "`session_restart_window_s`; one more and the session ends FAILED instead of "
        "reconnecting again",
    )
    session_restart_window_s: float = Field(
        600.0,
        gt=0,
        description="worker: the window in which a session's restarts and disconnects are counted",
    )
    session_restart_backoff_s: float = Field(
        1.0, gt=0, description="worker: pause before a crashed session's first restart; doubles"
    )
    chromium_path: Path = Field(Path("/usr/bin/chromium"), description="Chromium executable")
    chromium_lean_args: str = Field(
        "--single-process --no-zygote --disable-software-rasterizer --disable-gpu-compositing"
        " --enable-low-end-device-mode",
        description="connector: memory-lean Chromium flags added to every session's browser "
        "(space-separated; measured in bench/sessions.py)",
    )
    page_timeout_s: float = Field(
        30.0, gt=0, description="connector: longest wait for one page call (then TIMEOUT)"
    )
    page_ready_timeout_s: float = Field(
        60.0, gt=0, description="connector: longest wait for WhatsApp Web to load and settle"
    )
    page_recycle_pss_mb: int = Field(
        768, ge=0, description="connector: reload a session's page past this PSS (0: never)"
    )
    page_check_interval_s: float = Field(
        30.0,
        gt=0,
        description="connector: how often a session's page health and memory are checked",
    )
    pairing_code_interval_s: float = Field(
        170.0, gt=0, description="connector: how often a new pairing code is asked while unpaired"
    )
    media_allow_private: bool = Field(
        False, description="connector: let media URLs reach private, loopback and link-local hosts"
    )
    media_fetch_timeout_s: float = Field(
        30.0, gt=0, description="connector: longest download of a media URL"
    )
    media_mime_types: str = Field(
        "image/*,video/*,audio/*,application/*,text/*",
        description="connector: MIME types (comma-separated, `type/*` allowed) media may have",
    )
    log_level: str = Field("INFO", description="log level")
    log_json: bool = Field(True, description="structured JSON logs")


def load_settings(**overrides: object) -> Settings:
    """Read the settings from the environment, with explicit overrides taking precedence."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigurationError(f"invalid WASTREAM_* settings: {exc}") from exc
