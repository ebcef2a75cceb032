"""The Python side of ``bridge.js``: the injected script with its configuration, and calls into
it with a timeout, its failures raised as the connector's errors."""

from __future__ import annotations

import asyncio
import json
from functools import cache
from importlib import resources
from typing import Any

from playwright.async_api import Error, Page

from connectors.whatsapp.exceptions import Codes, PermanentError, TransientError

__all__ = ["BINDING", "GLOBAL", "bridge_script", "call_bridge", "page_error"]

#: The one binding the page reports through, and the global the bridge answers calls on.
BINDING = "__wastreamReport"
GLOBAL = "__wastreamBridge"

_CALL_JS = """([name, op, args]) => {
  const bridge = window[name];
  if (!bridge) {
    return {ok: false, code: 'NOT_READY', detail: 'the bridge is not loaded', transient: true};
  }
  return bridge.call(op, args);
}"""


@cache
def _source() -> str:
    return resources.files("connectors.whatsapp").joinpath("bridge.js").read_text("utf-8")


def bridge_script(
    *,
    pairing: str,
    phone: str | None,
    ready_timeout_s: float,
    pairing_code_interval_s: float,
    history_lookback_pages: int = 3,
) -> str:
    """The init script: ``bridge.js`` applied to its configuration."""
    config = {
        "binding": BINDING,
        "global": GLOBAL,
        "pairing": pairing,
        "phone": phone,
        "readyTimeoutMs": int(ready_timeout_s * 1000),
        "pollMs": 200,
        "pairingCodeIntervalMs": int(pairing_code_interval_s * 1000),
        "historyLookbackPages": history_lookback_pages,
    }
    return f"{_source().rstrip().rstrip(';')}({json.dumps(config)});\n"


def page_error(exc: Error, op: str) -> TransientError:
    """What a Playwright error during ``op`` means for the session."""
    text = str(exc)
    if "closed" in text.lower() or "crash" in text.lower():
        return TransientError(Codes.PAGE_CRASHED, f"{op}: the page or browser is gone ({text})")
    if "context was destroyed" in text or "navigat" in text:
        return TransientError(Codes.PAGE_RELOADED, f"{op}: the page reloaded ({text})")
    return TransientError(Codes.PAGE_ERROR, f"{op}: {text}")


async def call_bridge(page: Page, op: str, args: dict[str, Any], timeout_s: float) -> Any:
    """Run the bridge's operation ``op`` in ``page``; answers its result or raises."""
    try:
        async with asyncio.timeout(timeout_s):
            reply = await page.evaluate(_CALL_JS, [GLOBAL, op, args])
    except TimeoutError as exc:
        raise TransientError(Codes.TIMEOUT, f"{op} took longer than {timeout_s} s") from exc
    except Error as exc:
        raise page_error(exc, op) from exc
    if not isinstance(reply, dict):
        raise TransientError(Codes.PAGE_ERROR, f"{op}: the bridge answered {reply!r}")
    if reply.get("ok"):
        return reply.get("result")
    code = str(reply.get("code") or Codes.PAGE_ERROR)
    detail = str(reply.get("detail") or "")
    if reply.get("transient"):
        raise TransientError(code, detail)
    raise PermanentError(code, detail)
