"""The README's table of command error codes names every code a command result can carry."""

from __future__ import annotations

import re
from pathlib import Path

from connectors.whatsapp import Codes

ROOT = Path(__file__).resolve().parents[2]


def _table() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Command results and error codes")
    return readme[start : readme.index("\n## ", start + 1)]


def _raised_codes() -> set[str]:
    """Codes the worker and the page's bridge put in results, read from their sources."""
    codes = {value for name, value in vars(Codes).items() if name.isupper()}
    for path in (ROOT / "streams").glob("*.py"):
        text = path.read_text()
        codes |= set(re.findall(r"(?:Permanent|Transient)Failure\(\s*\"([A-Z_]+)\"", text))
        codes |= set(re.findall(r"self\._result\(\s*envelope,\s*\"[A-Z]+\",\s*\"([A-Z_]+)\"", text))
        codes |= set(re.findall(r"\(\"(SESSION_[A-Z_]+)\", \"", text))
    bridge = (ROOT / "connectors" / "whatsapp" / "bridge.js").read_text()
    codes |= set(re.findall(r"fail\('([A-Z_]+)'", bridge))
    codes |= set(re.findall(r"BridgeError\('([A-Z_]+)'", bridge))
    codes |= set(re.findall(r"\['([A-Z_]+)', (?:true|false)\]", bridge))
    return codes


def test_every_error_code_is_in_the_readme() -> None:
    codes = _raised_codes()
    # the scan finds what it should: codes of the worker, the connector and the page
    assert {"COMMAND_EXPIRED", "WRONG_PARTITION", "SESSION_BANNED", "INTERNAL"} <= codes
    assert {
        "NOT_ON_WHATSAPP",
        "SEND_FAILED",
        "MEDIA_UPLOAD_FAILED",
        "NOT_GROUP_PARTICIPANT",
    } <= codes
    table = _table()
    missing = sorted(code for code in codes if f"`{code}`" not in table)
    assert not missing, f"README's error code table lacks {missing}"
