"""wastream: WhatsApp Web sessions in headless Chromium as a Kafka event-streaming pipeline."""

from __future__ import annotations

from wastream.exceptions import ConfigurationError, WastreamError
from wastream.settings import Settings, load_settings

__all__ = ["ConfigurationError", "Settings", "WastreamError", "load_settings"]
__version__ = "0.1.0"
