"""Linking pages in real Chromium: QR, code, rotation, logout, profiles, conflicts, failures."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

from connectors.sandbox import PhoneApiError, PhoneClient


async def test_qr_pairing_through_the_phone(pages: Any, phone: PhoneClient) -> None:
    number = await pages.account("Quinn")
    page = await pages.open()
    payload = await pages.qr(page)
    ref, noise, identity, adv = payload.split(",")
    assert ref == await page.evaluate("() => window.require('WAWebConnModel').Conn.ref")
    assert len(identity) == 88  # a 65-byte P-256 point, base64
    assert len(noise) == 44
    assert len(adv) == 44
    assert await pages.state(page) == "UNPAIRED"
    assert await page.locator("div[data-ref] canvas").count() == 1
    await pages.link(page, number)
    me = await page.evaluate(
        "() => window.require('WAWebUserPrefsMeUser').getMaybeMePnUser()._serialized"
    )
    assert me == f"{number}@c.us"
    states = [e["state"] for e in await pages.log(page, "state")]
    assert states[-2:] == ["PAIRING", "CONNECTED"]
    info = await phone.account(number)
    assert [d["connected"] for d in info["devices"]] == [True]
    with pytest.raises(PhoneApiError) as err:
        await phone.link(number, payload)
    assert err.value.status == 404


async def test_code_pairing_through_the_module_surface(pages: Any, phone: PhoneClient) -> None:
    number = await pages.account("Coda")
    page = await pages.open()
    code = await page.evaluate(
        """async (phone) => {
          const api = window.require('WAWebAltDeviceLinkingApi');
          api.setPairingType('ALT_DEVICE_LINKING');
          await api.initializeAltDeviceLinking();
          return api.startAltLinkingFlow(phone, true);
        }""",
        number,
    )
    assert len(code) == 8
    other = await pages.account()
    with pytest.raises(PhoneApiError) as err:
        await phone.link_code(other, code)
    assert err.value.status == 403
    await phone.link_code(number, f"{code[:4]}-{code[4:]}")
    await pages.wait_synced(page)


async def test_code_pairing_through_the_visible_page(pages: Any, phone: PhoneClient) -> None:
    number = await pages.account("Vera")
    page = await pages.open()
    await pages.qr(page)
    await page.click("#toggle-link-mode")
    await page.fill("#link-phone-number", number)
    await page.click("#link-phone-next")
    shown = await page.wait_for_selector("[data-link-code]")
    assert shown is not None
    text = await shown.inner_text()
    assert text[4] == "-"
    await phone.link_code(number, text)
    await pages.wait_synced(page)
    await page.wait_for_selector(f"text=+{number}")


async def test_qr_ref_rotates_then_idles_until_refresh(pages: Any, phone: PhoneClient) -> None:
    number = await pages.account()
    page = await pages.open("?qr_first_ms=1500&qr_ms=300&qr_refs=3")
    first = await pages.qr(page)
    await pages.wait_state(page, "UNPAIRED_IDLE")
    refs = await pages.log(page, "ref")
    assert len({e["ref"] for e in refs}) == 3
    assert refs[1]["t"] - refs[0]["t"] >= 1400  # the first ref lives longer
    assert refs[2]["t"] - refs[1]["t"] < 1200
    assert await page.locator("div[data-ref] > span > button").count() == 1
    with pytest.raises(PhoneApiError) as err:
        await phone.link(number, first)
    assert err.value.status == 409
    await page.evaluate("() => window.require('WAWebCmd').Cmd.refreshQR()")
    await pages.wait_state(page, "UNPAIRED")
    fresh = await pages.qr(page)
    assert fresh.split(",")[0] not in {e["ref"] for e in refs}
    assert fresh.split(",")[1:] == first.split(",")[1:]  # same page keys, new ref
    await phone.link(number, fresh)
    await pages.wait_synced(page)


async def test_logout_from_the_phone_reaches_the_page(pages: Any, phone: PhoneClient) -> None:
    number, page = await pages.linked("Leo")
    await phone.unlink(number)
    await page.wait_for_url("**post_logout=1**")
    await page.wait_for_function("() => window.Debug && window.Debug.VERSION")
    assert await page.evaluate("() => sessionStorage.getItem('sandbox-logout-seen')") == "1"
    await pages.qr(page)
    assert await pages.state(page) == "UNPAIRED"
    assert (await phone.account(number))["devices"] == []


async def test_logout_from_the_page(pages: Any, phone: PhoneClient) -> None:
    number, page = await pages.linked()
    await page.evaluate("() => { window.require('WAWebSocketModel').Socket.logout(); }")
    await page.wait_for_url("**post_logout=1**")
    assert (await phone.account(number))["devices"] == []


async def test_the_profile_restores_the_login_but_cookies_and_storage_do_not(
    pages: Any, phone: PhoneClient, tmp_path: Path
) -> None:
    number = await pages.account("Rita")
    profile = tmp_path / "profile"
    context = await pages.persistent(profile)
    page = await pages.open(context=context)
    device = await pages.link(page, number)
    cookies = await context.cookies()
    storage = await page.evaluate("() => JSON.stringify(Object.entries(localStorage))")
    assert device in storage  # the device id is in localStorage, the key is not
    await context.close()

    context = await pages.persistent(profile)
    page = await pages.open(context=context)
    await pages.wait_synced(page)
    assert "UNPAIRED" not in [e["state"] for e in await pages.log(page, "state")]
    assert [d["id"] for d in (await phone.account(number))["devices"]] == [device]
    await context.close()

    fresh = await pages.persistent(tmp_path / "fresh")
    await fresh.add_cookies(cookies)
    page = await pages.open(context=fresh)
    await page.evaluate(
        "(entries) => { for (const [k, v] of JSON.parse(entries)) localStorage.setItem(k, v); }",
        storage,
    )
    await page.reload()
    await page.wait_for_function("() => window.Debug && window.Debug.VERSION")
    await pages.qr(page)
    assert await pages.state(page) == "UNPAIRED"
    assert await page.evaluate(
        "() => window.require('WAWebUserPrefsMeUser').getMaybeMePnUser() === undefined"
    )
    await fresh.close()


async def test_the_older_of_two_browsers_gets_conflict(
    pages: Any, phone: PhoneClient, tmp_path: Path
) -> None:
    number = await pages.account("Cora")
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    context = await pages.persistent(first_dir)
    await pages.link(await pages.open(context=context), number)
    await context.close()
    shutil.copytree(first_dir, second_dir, ignore=shutil.ignore_patterns("Singleton*"))
    older = await pages.persistent(first_dir)
    newer = await pages.persistent(second_dir)
    try:
        old_page = await pages.open(context=older)
        await pages.wait_synced(old_page)
        new_page = await pages.open(context=newer)
        await pages.wait_synced(new_page)
        await pages.wait_state(old_page, "CONFLICT")
        await asyncio.sleep(0.5)
        assert await pages.state(new_page) == "CONNECTED"
        result = await pages.send(old_page, f"{number}@c.us", "from the old window")
        assert result["result"]["messageSendResult"] == "ERROR"
        await old_page.evaluate("() => window.require('WAWebSocketModel').Socket.takeover()")
        await pages.wait_state(old_page, "CONNECTED")
        await pages.wait_state(new_page, "CONFLICT")
    finally:
        await older.close()
        await newer.close()


async def test_a_forced_disconnect_reconnects(pages: Any, phone: PhoneClient) -> None:
    number, page = await pages.linked()
    peer = await pages.account()
    await phone.disconnect(number, down_ms=800)
    await pages.wait_state(page, "TIMEOUT")
    pending = asyncio.ensure_future(pages.send(page, f"{peer}@c.us", "sent while away"))
    await pages.wait_state(page, "CONNECTED")
    states = [e["state"] for e in await pages.log(page, "state")]
    assert states[-3:] == ["TIMEOUT", "OPENING", "CONNECTED"] or states[-1] == "CONNECTED"
    assert "TIMEOUT" in states
    result = await pending
    assert result["result"]["messageSendResult"] == "OK"
    assert [m["text"] for m in await phone.inbox(peer)] == ["sent while away"]


async def test_a_rate_limit_ban_and_its_recovery(pages: Any, phone: PhoneClient) -> None:
    number, page = await pages.linked("Spammy")
    peers = [await pages.account() for _ in range(3)]
    await phone.set_limits(new_recipients_per_min=2, ban_s=1.5)
    for peer in peers[:2]:
        ok = await pages.send(page, f"{peer}@c.us", "hi")
        assert ok["result"]["messageSendResult"] == "OK"
    banned = await pages.send(page, f"{peers[2]}@c.us", "hi")
    assert banned["result"]["messageSendResult"] == "ERROR"
    assert banned["result"]["code"] == "account-banned"
    await pages.wait_state(page, "TOS_BLOCK")
    refused = await pages.send(page, f"{peers[0]}@c.us", "still banned?")
    assert refused["ack"] == -1
    with pytest.raises(PhoneApiError) as err:
        await phone.send(number, peers[0], "from the phone")
    assert err.value.status == 403
    await pages.wait_state(page, "CONNECTED", wait_ms=6000)
    again = await pages.send(page, f"{peers[0]}@c.us", "back")
    assert again["result"]["messageSendResult"] == "OK"
    assert [m["text"] for m in await phone.inbox(peers[2])] == []
