"""The public surfaces: the package's ``__all__`` and the page's module list."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import connectors.sandbox as sandbox

SURFACE = Path(sandbox.__file__).with_name("SURFACE.md")


def test_package_surface() -> None:
    assert sorted(sandbox.__all__) == sorted(
        [
            "DEMO_ACCOUNTS",
            "AccountBannedError",
            "ConflictError",
            "ForbiddenError",
            "InvalidRequestError",
            "Network",
            "NotFoundError",
            "PersistenceError",
            "PhoneApiError",
            "PhoneClient",
            "ProblemError",
            "SandboxConfig",
            "SandboxError",
            "SandboxServer",
            "create_app",
            "run",
            "serve",
        ]
    )
    for name in sandbox.__all__:
        assert getattr(sandbox, name) is not None


def documented_modules() -> list[str]:
    return sorted(set(re.findall(r"`(WA[A-Za-z0-9]+)`", SURFACE.read_text())))


async def test_every_documented_module_is_there(pages: Any) -> None:
    names = documented_modules()
    assert "WAWebSendMsgChatAction" in names
    assert len(names) > 25
    page = await pages.open()
    missing = await page.evaluate(
        """(names) => names.filter(n => {
          try { return !window.require(n); } catch (e) { return true; }
        })""",
        names,
    )
    assert missing == []
    error = await page.evaluate(
        "() => { try { window.require('WAWebNoSuchModule'); } catch (e) { return e.message; } }"
    )
    assert error == 'Requiring unknown module "WAWebNoSuchModule"'
    version = await page.evaluate("() => window.Debug.VERSION")
    assert re.fullmatch(r"2\.3000\.\d+", version)
