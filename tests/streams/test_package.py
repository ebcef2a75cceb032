"""The package's public surface, and the worker's refusal to run without a vault key."""

from __future__ import annotations

import pytest

import streams
from streams.worker import run
from wastream.exceptions import ConfigurationError
from wastream.settings import load_settings


def test_public_surface() -> None:
    assert sorted(streams.__all__) == sorted(
        [
            "APP_ID",
            "SESSIONS_TABLE",
            "BrowserSession",
            "CommandFailure",
            "OrderedAcks",
            "Pacer",
            "PermanentFailure",
            "RedisStore",
            "SessionFactory",
            "StreamsError",
            "Ticket",
            "TokenBucket",
            "TransientFailure",
            "Vault",
            "create_app",
            "read_command_result",
            "read_qr",
            "read_session",
            "run",
            "session_key",
        ]
    )
    for name in streams.__all__:
        assert getattr(streams, name) is not None


def test_a_worker_without_a_vault_key_refuses_to_start() -> None:
    with pytest.raises(ConfigurationError, match="WASTREAM_VAULT_KEYS"):
        run(load_settings(vault_keys=""))


def test_create_app_refuses_a_bad_vault_key() -> None:
    with pytest.raises(ConfigurationError, match="vault key"):
        streams.create_app(load_settings(vault_keys="k1:bm90LTMyLWJ5dGVz"))


def test_the_readers_do_not_import_faust() -> None:
    import subprocess
    import sys

    code = "import sys, streams.readers; print('faust' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
