"""Fixtures for the sandbox: one server and one Chromium for the session, pages per test."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Page, Playwright, async_playwright

from connectors.sandbox import PhoneClient, SandboxConfig, SandboxServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TEST_CONFIG = SandboxConfig(
    qr_first_ttl_s=30.0,
    qr_ttl_s=10.0,
    qr_max_refs=3,
    pair_code_ttl_s=60.0,
    history_sync_count=20,
    messages_per_min=100_000,
    new_recipients_per_min=100_000,
    ban_s=2.0,
)
DEFAULT_LIMITS = {"messages_per_min": 100_000, "new_recipients_per_min": 100_000, "ban_s": 2.0}
_numbers = itertools.count(15_551_000_000)

# Records what the page's modules emit, as a connector's bridge would listen to them.
RECORDER_JS = """() => {
  if (window.__log) return;
  const log = window.__log = [];
  const req = window.require;
  const { Msg } = req('WAWebCollections');
  const { Socket } = req('WAWebSocketModel');
  const brief = m => ({ id: m.id._serialized, fromMe: m.id.fromMe, remote: m.id.remote._serialized,
    type: m.type, subtype: m.subtype, body: m.body, ack: m.ack, isNewMsg: m.isNewMsg,
    author: m.author ? m.author._serialized : null,
    recipients: (m.recipients || []).map(r => r._serialized) });
  Msg.on('add', m => log.push({ ev: 'add', ...brief(m) }));
  Msg.on('change:ack', (m, ack) => log.push({ ev: 'ack', id: m.id._serialized, ack }));
  Msg.on('change:type', (m, type) => log.push({ ev: 'type', id: m.id._serialized, type }));
  Msg.on('change:body', (m, body) => log.push({ ev: 'body', id: m.id._serialized, body }));
  Msg.on('remove', m => log.push({ ev: 'remove', id: m.id._serialized }));
  Socket.on('change:state', (s, state) => log.push({ ev: 'state', state }));
  const { Conn } = req('WAWebConnModel');
  Conn.on('change:ref', (c, ref) => log.push({ ev: 'ref', ref, t: Date.now() }));
  req('WAWebCmd').Cmd.on('logout', () => sessionStorage.setItem('sandbox-logout-seen', '1'));
  const table = req('WAWebAddonReactionTableMode').reactionTableMode;
  const original = table.bulkUpsert;
  table.bulkUpsert = (...args) => {
    for (const r of args[0]) log.push({ ev: 'reaction', parent: r.reactionParentKey._serialized,
      text: r.reactionText, sender: r.senderUserJid });
    return original.apply(table, args);
  };
}"""

# Installs the recorder the moment the page sets window.Debug, before its socket opens.
INIT_JS = (
    "(() => { let debug; Object.defineProperty(window, 'Debug', { configurable: true,"
    " get() { return debug; }, set(value) { debug = value; (" + RECORDER_JS + ")(); } }); })()"
)

SEND_JS = """async ([to, text, id]) => {
  const req = window.require;
  const from = req('WAWebUserPrefsMeUser').getMaybeMePnUser();
  const wid = req('WAWebWidFactory').createWid(to);
  const { chat } = await req('WAWebFindChatAction').findOrCreateLatestChat(wid);
  const MsgKey = req('WAWebMsgKey');
  const key = new MsgKey({ from, to: chat.id, id: id || MsgKey.newId(),
    participant: chat.id.isGroup() ? from : undefined, selfDir: 'out' });
  const [msgPromise, resultPromise] = req('WAWebSendMsgChatAction').addAndSendMsgToChat(chat, {
    id: key, ack: 0, body: text, from, to: chat.id, local: true, self: 'out',
    t: Math.floor(Date.now() / 1000), isNewMsg: true, type: 'chat' });
  const msg = await msgPromise;
  const result = await resultPromise;
  return { key: msg.id._serialized, id: key.id, ack: msg.ack, result };
}"""


class Pages:
    """Opens sandbox pages in the shared browser and links them through the phone API."""

    def __init__(self, server: SandboxServer, phone: PhoneClient, playwright: Playwright) -> None:
        self.server = server
        self.phone = phone
        self.playwright = playwright
        self.browser: Any = None
        self.contexts: list[BrowserContext] = []

    async def account(self, name: str = "User") -> str:
        number = str(next(_numbers))
        await self.phone.create_account(number, name)
        return number

    async def open(self, query: str = "", context: BrowserContext | None = None) -> Page:
        if context is None:
            context = await self.browser.new_context()
            self.contexts.append(context)
        page = await context.new_page() if context.pages == [] else context.pages[0]
        await page.add_init_script(INIT_JS)
        await page.goto(f"{self.server.url}/{query}")
        await page.wait_for_function("() => window.Debug && window.Debug.VERSION", timeout=10_000)
        return page

    async def persistent(self, profile: Path) -> BrowserContext:
        return await self.playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )

    async def qr(self, page: Page) -> str:
        handle = await page.wait_for_selector('div[data-ref]:not([data-ref=""])', timeout=10_000)
        assert handle is not None
        return str(await handle.get_attribute("data-ref"))

    async def wait_synced(self, page: Page) -> None:
        await page.wait_for_function(
            "() => { const s = window.require('WAWebSocketModel').Socket;"
            " return s.state === 'CONNECTED' && s.hasSynced; }",
            timeout=10_000,
        )

    async def link(self, page: Page, number: str) -> str:
        device = await self.phone.link(number, await self.qr(page))
        await self.wait_synced(page)
        return device

    async def linked(self, name: str = "User", query: str = "") -> tuple[str, Page]:
        number = await self.account(name)
        page = await self.open(query)
        await self.link(page, number)
        return number, page

    async def state(self, page: Page) -> str:
        return str(await page.evaluate("() => window.require('WAWebSocketModel').Socket.state"))

    async def wait_state(self, page: Page, state: str, wait_ms: float = 10_000) -> None:
        await page.wait_for_function(
            "s => window.require('WAWebSocketModel').Socket.state === s", arg=state, timeout=wait_ms
        )

    async def send(self, page: Page, to: str, text: str, msg_id: str | None = None) -> Any:
        return await page.evaluate(SEND_JS, [to, text, msg_id])

    async def log(self, page: Page, ev: str | None = None) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = await page.evaluate("() => window.__log")
        return [e for e in entries if ev is None or e["ev"] == ev]

    async def wait_log(
        self, page: Page, predicate_js: str, wait_ms: float = 10_000
    ) -> list[dict[str, Any]]:
        """Wait until an entry of ``window.__log`` satisfies ``e => <predicate_js>``."""
        await page.wait_for_function(
            f"() => window.__log.some(e => {predicate_js})", timeout=wait_ms
        )
        return await self.log(page)


@pytest.fixture(scope="session")
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(TEST_CONFIG) as server:
        yield server


@pytest.fixture(scope="session")
async def phone(sandbox: SandboxServer) -> AsyncIterator[PhoneClient]:
    client = PhoneClient(sandbox.url)
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
async def playwright() -> AsyncIterator[Playwright]:
    async with async_playwright() as p:
        yield p


@pytest.fixture(scope="session")
async def browser(playwright: Playwright) -> AsyncIterator[Any]:
    browser = await playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    await browser.close()


@pytest.fixture
async def pages(
    sandbox: SandboxServer, phone: PhoneClient, playwright: Playwright, browser: Any
) -> AsyncIterator[Pages]:
    helper = Pages(sandbox, phone, playwright)
    helper.browser = browser
    yield helper
    for context in helper.contexts:
        await context.close()
    await phone.set_limits(**DEFAULT_LIMITS)


@pytest.fixture
def account(pages: Pages) -> Callable[[str], Awaitable[str]]:
    return pages.account
