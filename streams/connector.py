"""The one place the stream processors reach ``connectors.whatsapp``: imported on first use, so
this package works (and its tests run) before or without a browser connector."""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path
from typing import Any

from streams.exceptions import CommandFailure, PermanentFailure, TransientFailure
from streams.types import BrowserSession, EventSink, SessionFactory
from wastream.settings import Settings

__all__ = ["browser_pids", "classify", "default_session_factory", "message_id_for"]


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise PermanentFailure("CONNECTOR_UNAVAILABLE", f"cannot import {name}: {exc}") from exc


def default_session_factory(settings: Settings) -> SessionFactory:
    """Sessions of ``connectors.whatsapp.WhatsAppSession`` on ``settings.worker_session_url``."""

    def build(session_id: str, *, profile_dir: Path, on_event: EventSink) -> BrowserSession:
        module = _module("connectors.whatsapp")
        session: BrowserSession = module.WhatsAppSession(
            session_id,
            profile_dir=profile_dir,
            url=settings.worker_session_url,
            browser=None,
            on_event=on_event,
            settings=settings,
        )
        return session

    return build


def message_id_for(command_id: str, index: int = 0) -> str:
    """The WhatsApp message id a command's ``index``-th send uses (the connector derives it)."""
    return str(_module("connectors.whatsapp.ids").message_id_for(command_id, index))


def classify(exc: BaseException) -> CommandFailure | None:
    """The connector's ``PermanentError``/``TransientError`` (and timeouts) as command failures;
    None for anything else (a bug: the caller fails the command with ``INTERNAL``)."""
    if isinstance(exc, CommandFailure):
        return exc
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
        return TransientFailure("TIMEOUT", str(exc) or "the browser operation timed out")
    names = {cls.__name__ for cls in type(exc).__mro__}
    code = str(getattr(exc, "code", "") or type(exc).__name__.upper())
    detail = str(getattr(exc, "detail", "") or exc)
    if "PermanentError" in names:
        return PermanentFailure(code, detail)
    if "TransientError" in names:
        return TransientFailure(code, detail)
    return None


def browser_pids(session: BrowserSession) -> list[int]:
    """The pids of the session's Chromium processes, when the connector exposes them."""
    pids = getattr(session, "browser_pids", None)
    if callable(pids):
        pids = pids()
    return [int(pid) for pid in pids or ()]
