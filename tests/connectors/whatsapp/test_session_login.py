"""Linking, restoring, logging out and failing: a WhatsAppSession against the sandbox page."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest

from connectors.sandbox import PhoneClient
from connectors.vault import pack_login, unpack_login
from connectors.whatsapp import PermanentError, StateChanged, TransientError, message_id_for
from tests.connectors.whatsapp.conftest import Sessions, connector_settings

# Makes `window.require('WAWebSendMsgChatAction')` throw, as a WhatsApp Web build that renamed
# the module would.
BREAK_SEND_MODULE = """(() => {
  let real;
  Object.defineProperty(window, 'require', { configurable: true,
    get() { return real && ((name) => {
      if (name === 'WAWebSendMsgChatAction') throw new Error(`Requiring unknown module "${name}"`);
      return real(name);
    }); },
    set(value) { real = value; } });
})()"""


async def test_qr_scan_links_the_session_and_reports_ready(
    sessions: Sessions, phone: PhoneClient
) -> None:
    number = await sessions.account("Ann")
    session, events = sessions.new()
    await session.open()

    assert session.state == "SCAN_QR"
    scan = await events.wait_state("SCAN_QR")
    assert scan.qr is not None
    assert scan.qr.count(",") >= 3
    page_qr = await session._host.page.get_attribute("div[data-ref]", "data-ref")  # type: ignore[union-attr]
    assert scan.qr == page_qr
    assert scan.version  # WhatsApp Web's build comes with every report

    await phone.link(number, scan.qr)
    ready = await events.wait_state("READY")
    assert ready.me == f"{number}@c.us" == session.me
    states = events.states()
    assert states.index("SCAN_QR") < states.index("AUTHENTICATED") < states.index("READY")
    devices = (await phone.account(number))["devices"]
    assert len(devices) == 1
    assert devices[0]["connected"]


async def test_qr_refs_rotate_and_refresh_after_idle(sessions: Sessions) -> None:
    # Two short refs, then the page idles: the bridge asks for fresh ones by itself.
    session, events = sessions.new(query="?qr_first_ms=1200&qr_ms=800&qr_refs=2")
    await session.open()
    await events.wait(lambda e: len({q.qr for q in events.of(StateChanged) if q.qr}) >= 4, 12)
    refs = [e.qr.split(",")[0] for e in events.of(StateChanged) if e.qr]
    assert len(set(refs)) == len(refs) >= 4
    assert session.state == "SCAN_QR"


async def test_pairing_code_links_the_session(sessions: Sessions, phone: PhoneClient) -> None:
    number = await sessions.account("Ben")
    session, events = sessions.new()
    await session.open("CODE", number)

    assert session.state == "PAIRING_CODE"
    event = await events.wait_state("PAIRING_CODE")
    assert event.pairing_code is not None
    assert len(event.pairing_code) == 9
    assert event.pairing_code[4] == "-"
    await phone.link_code(number, event.pairing_code)
    ready = await events.wait_state("READY")
    assert ready.me == f"{number}@c.us"


async def test_pairing_codes_are_renewed_while_unpaired(sessions: Sessions) -> None:
    number = await sessions.account("Bea")
    session, events = sessions.new(settings=connector_settings(pairing_code_interval_s=1.0))
    await session.open("CODE", number)

    await events.wait(lambda e: len({c.pairing_code for c in events.of(StateChanged)}) >= 2, 10)
    codes = [e.pairing_code for e in events.of(StateChanged)]
    assert all(codes)
    assert len(set(codes)) == len(codes)


async def test_pairing_by_code_needs_a_phone_number(sessions: Sessions) -> None:
    session, _ = sessions.new()
    with pytest.raises(PermanentError) as caught:
        await session.open("CODE", None)
    assert caught.value.code == "INVALID_RECIPIENT"


async def test_reopened_profile_comes_back_ready_without_a_qr(sessions: Sessions) -> None:
    number, session, _ = await sessions.linked("Cat")
    await session.close()
    assert session.state == "STOPPED"

    again, events = sessions.new(profile=session.profile_dir)
    started = time.monotonic()
    await again.open()
    elapsed = time.monotonic() - started

    assert again.state == "READY"
    assert again.me == f"{number}@c.us"
    assert "SCAN_QR" not in events.states()
    assert elapsed < 10, elapsed


async def test_logout_from_the_phone_ends_the_session(
    sessions: Sessions, phone: PhoneClient
) -> None:
    number, session, events = await sessions.linked("Dan")
    await phone.unlink(number)

    logged_out = await events.wait_state("LOGGED_OUT")
    assert logged_out.me is None
    await asyncio.sleep(1.0)  # the page reloads to a QR screen: not reported as this session's
    assert session.state == "LOGGED_OUT"
    assert events.states()[-1] == "LOGGED_OUT"
    with pytest.raises(PermanentError) as caught:
        await session.send_text(
            "15550000009", "x", message_id=message_id_for("c"), reply_to=None, mentions=[]
        )
    assert caught.value.code == "LOGGED_OUT"


async def test_logout_from_the_session_unlinks_the_device(
    sessions: Sessions, phone: PhoneClient
) -> None:
    number, session, events = await sessions.linked("Eve")
    await session.logout()

    assert session.state == "LOGGED_OUT"
    assert "LOGGED_OUT" in events.states()
    assert (await phone.account(number))["devices"] == []


async def test_a_missing_module_fails_the_session_naming_it(sessions: Sessions) -> None:
    session, events = sessions.new(init_scripts=(BREAK_SEND_MODULE,))
    started = time.monotonic()
    with pytest.raises(PermanentError) as caught:
        await session.open()

    assert time.monotonic() - started < 10
    assert caught.value.code == "MODULE_MISSING"
    assert "WAWebSendMsgChatAction" in caught.value.detail
    failed = await events.wait_state("FAILED")
    assert failed.code == "MODULE_MISSING"
    assert "WAWebSendMsgChatAction" in (failed.reason or "")


async def test_a_page_without_whatsapp_web_fails_instead_of_hanging(sessions: Sessions) -> None:
    session, events = sessions.new(
        query="static/style.css", settings=connector_settings(page_ready_timeout_s=2.0)
    )
    started = time.monotonic()
    with pytest.raises(PermanentError) as caught:
        await session.open()
    assert caught.value.code == "WHATSAPP_NOT_LOADED"
    assert time.monotonic() - started < 10
    assert (await events.wait_state("FAILED")).code == "WHATSAPP_NOT_LOADED"


async def test_a_killed_browser_is_reported_as_page_crashed(sessions: Sessions) -> None:
    number, session, events = await sessions.linked("Fay")
    pids = session.browser_pids()
    assert pids
    os.kill(pids[0], signal.SIGKILL)

    failed = await events.wait_state("FAILED", 10)
    assert failed.code == "PAGE_CRASHED"
    assert session.state == "FAILED"
    assert session.browser_pids() == []
    with pytest.raises(TransientError) as caught:
        await session.check_numbers([number])
    assert caught.value.code == "PAGE_CRASHED"

    # What a supervisor does next: reopen on the same profile, no QR.
    await session.close()
    await session.open()
    assert session.state == "READY"
    assert await session.check_numbers([number]) == {number: f"{number}@c.us"}


async def test_a_recycled_page_comes_back_ready(sessions: Sessions, phone: PhoneClient) -> None:
    _number, session, events = await sessions.linked("Gus")
    peer = await sessions.account("Peer")
    await session.recycle("test")

    assert session.state == "READY"
    assert session.recycles == 1
    recycled = [e for e in events.of(StateChanged) if e.state == "DISCONNECTED"]
    assert recycled
    assert "recycled" in (recycled[-1].reason or "")
    assert events.states()[-2:] == ["DISCONNECTED", "READY"]
    sent = await session.send_text(
        peer, "after recycle", message_id=message_id_for("r"), reply_to=None, mentions=[]
    )
    assert sent.endswith(message_id_for("r"))
    assert [m["text"] for m in await phone.inbox(peer)] == ["after recycle"]


async def test_the_watchdog_recycles_a_page_past_its_memory_limit(sessions: Sessions) -> None:
    settings = connector_settings(page_recycle_pss_mb=1, page_check_interval_s=0.5)
    _, session, events = await sessions.linked("Hal", settings=settings)
    assert session.memory().pss_mb > 1

    await events.wait(lambda e: isinstance(e, StateChanged) and e.state == "DISCONNECTED", 10)
    await events.wait(lambda e: session.recycles >= 1 and session.state == "READY", 15)
    reason = next(e.reason for e in events.of(StateChanged) if e.state == "DISCONNECTED")
    assert reason is not None
    assert "PSS" in reason


async def test_a_login_restored_elsewhere_takes_the_device_over(sessions: Sessions) -> None:
    number, first, first_events = await sessions.linked("Ida")
    # What the auth vault keeps of a profile is enough to log in from a fresh directory.
    fresh = first.profile_dir.parent / "restored"
    unpack_login(pack_login(first.profile_dir), fresh)

    second, second_events = sessions.new(profile=fresh)
    await second.open()
    assert second.state == "READY"
    assert second.me == f"{number}@c.us"
    assert "SCAN_QR" not in second_events.states()
    conflict = await first_events.wait_state("CONFLICT")
    assert conflict.reason is not None
    assert first.state == "CONFLICT"


async def test_a_dropped_socket_reconnects(sessions: Sessions, phone: PhoneClient) -> None:
    number, session, events = await sessions.linked("Jo")
    await phone.disconnect(number, down_ms=1000)

    await events.wait_state("DISCONNECTED")
    assert session.state in ("DISCONNECTED", "READY")
    await events.wait(
        lambda e: events.states()[-1] == "READY" and "DISCONNECTED" in events.states()
    )
    assert session.state == "READY"


async def test_a_ban_is_reported_and_fails_sends(sessions: Sessions, phone: PhoneClient) -> None:
    number, session, events = await sessions.linked("Kim")
    peer = await sessions.account("Lou")
    await phone.set_limits(messages_per_min=2, new_recipients_per_min=100_000, ban_s=2.0)
    try:
        for i in range(2):
            await session.send_text(
                peer, f"m{i}", message_id=message_id_for(f"ban-{i}"), reply_to=None, mentions=[]
            )
        with pytest.raises(PermanentError) as caught:
            await session.send_text(
                peer, "too many", message_id=message_id_for("ban-2"), reply_to=None, mentions=[]
            )
        assert caught.value.code == "BANNED"
        banned = await events.wait_state("BANNED")
        assert banned.me == f"{number}@c.us"
    finally:
        await phone.set_limits(messages_per_min=100_000, new_recipients_per_min=100_000)
    # A temporary ban ends and the page comes back by itself.
    await events.wait(lambda e: events.states()[-1] == "READY" and "BANNED" in events.states())
