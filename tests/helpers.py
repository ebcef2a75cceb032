"""Factories shared by tests."""

from __future__ import annotations

from pathlib import Path

from wastream.settings import Settings, load_settings
from wastream.stack import free_port

__all__ = ["stack_settings"]


def stack_settings(state_dir: Path, **overrides: object) -> Settings:
    """Settings for a stack of its own on free loopback ports, under ``state_dir``."""
    values: dict[str, object] = {
        "state_dir": state_dir,
        "kafka_port": free_port(),
        "kafka_controller_port": free_port(),
        "redis_port": free_port(),
        "log_json": False,
    }
    values.update(overrides)
    return load_settings(**values)
