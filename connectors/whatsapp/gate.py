"""Lets page operations run side by side, and a page recycle run alone."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

__all__ = ["OperationGate"]


class OperationGate:
    """``async with gate.operation()`` around each page call; ``async with
    gate.exclusive(t)`` holds new calls back and waits up to ``t`` seconds for running ones."""

    def __init__(self) -> None:
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._open = asyncio.Event()
        self._open.set()

    @contextlib.asynccontextmanager
    async def operation(self) -> AsyncIterator[None]:
        await self._open.wait()
        self._running += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._running -= 1
            if self._running == 0:
                self._idle.set()

    @contextlib.asynccontextmanager
    async def exclusive(self, wait_s: float) -> AsyncIterator[None]:
        self._open.clear()
        try:
            # A call stuck in a hung page must not keep the page from being replaced.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait_s):
                    await self._idle.wait()
            yield
        finally:
            self._open.set()
