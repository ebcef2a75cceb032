"""The sandbox's tunables, built once from :class:`wastream.settings.Settings`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wastream.settings import Settings, load_settings

__all__ = ["SandboxConfig"]


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """How the sandbox network behaves.

    Parameters (default; environment variable):
        state_file: JSON file the network is kept in, ``None`` for memory only
            (``None``; ``WASTREAM_SANDBOX_STATE_FILE``).
        qr_first_ttl_s / qr_ttl_s: life of the first and of later QR refs
            (60 / 20; ``WASTREAM_SANDBOX_QR_FIRST_TTL_S`` / ``WASTREAM_SANDBOX_QR_TTL_S``).
            A page may ask for shorter ones with ``?qr_first_ms=&qr_ms=&qr_refs=``.
        qr_max_refs: refs shown before the page goes ``UNPAIRED_IDLE``
            (6; ``WASTREAM_SANDBOX_QR_MAX_REFS``).
        pair_code_ttl_s: life of an 8-character pairing code
            (180; ``WASTREAM_SANDBOX_PAIR_CODE_TTL_S``).
        history_sync_count: messages per chat sent at login and per ``loadEarlierMsgs`` page
            (50; ``WASTREAM_SANDBOX_HISTORY_SYNC_COUNT``; a page may ask ``?history=``).
        messages_per_min / new_recipients_per_min / ban_s: the ban rule (600 / 100 / 120;
            ``WASTREAM_SANDBOX_MESSAGES_PER_MIN`` …); 0 disables a limit; ``PUT /phone/limits``
            changes them at run time.
        max_devices: linked devices per account (4).
        max_media_bytes: largest media upload (``WASTREAM_MAX_MEDIA_BYTES``).
        pending_max: messages kept for a device while it is offline (1000).
        persist_interval_s: how often a changed network is written to ``state_file`` (1.0).
    """

    state_file: Path | None = None
    qr_first_ttl_s: float = 60.0
    qr_ttl_s: float = 20.0
    qr_max_refs: int = 6
    pair_code_ttl_s: float = 180.0
    history_sync_count: int = 50
    messages_per_min: int = 600
    new_recipients_per_min: int = 100
    ban_s: float = 120.0
    max_devices: int = 4
    max_media_bytes: int = 16 * 1024 * 1024
    pending_max: int = 1000
    persist_interval_s: float = 1.0

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> SandboxConfig:
        s = settings if settings is not None else load_settings()
        return cls(
            state_file=Path(s.sandbox_state_file) if s.sandbox_state_file else None,
            qr_first_ttl_s=s.sandbox_qr_first_ttl_s,
            qr_ttl_s=s.sandbox_qr_ttl_s,
            qr_max_refs=s.sandbox_qr_max_refs,
            pair_code_ttl_s=s.sandbox_pair_code_ttl_s,
            history_sync_count=s.sandbox_history_sync_count,
            messages_per_min=s.sandbox_messages_per_min,
            new_recipients_per_min=s.sandbox_new_recipients_per_min,
            ban_s=s.sandbox_ban_s,
            max_media_bytes=s.max_media_bytes,
        )
