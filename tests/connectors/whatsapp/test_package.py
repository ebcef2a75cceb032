"""The connector's public surface, and where WhatsApp Web's own names may appear."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import connectors.whatsapp as package
from connectors.whatsapp import WhatsAppSession
from connectors.whatsapp.bridge import bridge_script
from streams.types import BrowserSession

PACKAGE_DIR = Path(package.__file__).parent


def test_public_surface() -> None:
    assert sorted(package.__all__) == [
        "AckChanged",
        "BrowserPool",
        "Codes",
        "GroupChanged",
        "Media",
        "MediaError",
        "MessageIn",
        "MessageKey",
        "MessageSent",
        "PageEvent",
        "PermanentError",
        "ProcessUsage",
        "Reaction",
        "Revoked",
        "StateChanged",
        "TransientError",
        "WhatsAppError",
        "WhatsAppSession",
        "browser_pid",
        "chat_jid",
        "default_pool",
        "load_media",
        "message_id_for",
        "parse_key",
        "usage",
    ]
    for name in package.__all__:
        assert getattr(package, name) is not None


def test_whatsapp_names_live_only_in_the_bridge() -> None:
    bridge = (PACKAGE_DIR / "bridge.js").read_text()
    modules = set(re.findall(r"'(WAWeb\w+)'", bridge))
    assert {"WAWebSendMsgChatAction", "WAWebMsgKey", "WAWebSocketModel", "WAWebCmd"} <= modules
    for path in PACKAGE_DIR.glob("*.py"):
        text = path.read_text()
        for name in ("WAWeb", "Debug.VERSION", "data-ref", "UNPAIRED", "TOS_BLOCK", "gp2"):
            assert name not in text, f"{path.name} mentions {name}"


def test_the_init_script_applies_the_bridge_to_its_configuration() -> None:
    script = bridge_script(
        pairing="CODE", phone="15550001111", ready_timeout_s=2.5, pairing_code_interval_s=60
    )
    assert script.startswith("/*")
    assert script.rstrip().endswith(");")
    assert '"pairing": "CODE"' in script
    assert '"readyTimeoutMs": 2500' in script


def test_the_session_is_what_the_stream_processors_call() -> None:
    def as_protocol(session: WhatsAppSession) -> BrowserSession:
        return session  # mypy checks the structural match

    assert callable(as_protocol)
    for name, member in vars(BrowserSession).items():
        if name.startswith("_") or not callable(member):
            continue
        ours = getattr(WhatsAppSession, name)
        expected = [(p.name, p.kind) for p in inspect.signature(member).parameters.values()]
        actual = [(p.name, p.kind) for p in inspect.signature(ours).parameters.values()]
        assert actual[: len(expected)] == expected, name
        assert inspect.iscoroutinefunction(ours) or inspect.isasyncgenfunction(ours), name
