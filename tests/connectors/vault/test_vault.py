"""The auth vault against real Redis, Kafka and Chromium."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from playwright.async_api import async_playwright

from connectors.vault import AuthVault, KafkaVaultBackup, RedisVaultStore, VaultKeys
from schemas.codec import AvroCodec
from schemas.topics import VAULT_BACKUP
from wastream.settings import Settings

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# A page that keeps a non-extractable AES key in IndexedDB, as WhatsApp Web keeps its keys.
PAGE = b"""<!doctype html><title>vault</title><script>
function db() {
  return new Promise((ok, ko) => {
    const req = indexedDB.open('login', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('keys');
    req.onsuccess = () => ok(req.result); req.onerror = () => ko(req.error);
  });
}
async function put(key) {
  const d = await db();
  return new Promise((ok) => { const tx = d.transaction('keys', 'readwrite');
    tx.objectStore('keys').put(key, 'k'); tx.oncomplete = ok; });
}
async function get() {
  const d = await db();
  return new Promise((ok) => { const req = d.transaction('keys').objectStore('keys').get('k');
    req.onsuccess = () => ok(req.result); });
}
window.enroll = async (text) => {
  const key = await crypto.subtle.generateKey({name: 'AES-GCM', length: 256}, false,
                                              ['encrypt', 'decrypt']);
  await put(key);
  const iv = new Uint8Array(12);
  const plain = new TextEncoder().encode(text);
  const ct = await crypto.subtle.encrypt({name: 'AES-GCM', iv}, key, plain);
  localStorage.setItem('ct', btoa(String.fromCharCode(...new Uint8Array(ct))));
  return key.extractable;
};
window.recall = async () => {
  const key = await get();
  if (!key) return null;
  const ct = Uint8Array.from(atob(localStorage.getItem('ct')), c => c.charCodeAt(0));
  const pt = await crypto.subtle.decrypt({name: 'AES-GCM', iv: new Uint8Array(12)}, key, ct);
  return new TextDecoder().decode(pt);
};
</script>"""


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def page_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
async def vault_parts(
    settings: Settings,
) -> AsyncIterator[tuple[AuthVault, RedisVaultStore, aioredis.Redis]]:
    client = aioredis.Redis.from_url(settings.redis_url)
    store = RedisVaultStore(client, ttl_s=600)
    backup = KafkaVaultBackup(
        settings.kafka_bootstrap,
        AvroCodec(),
        topic=VAULT_BACKUP,
        partitions=settings.partitions,
    )
    yield AuthVault(VaultKeys(VaultKeys.generate()), store, backup), store, client
    backup.close()
    await client.aclose()


async def _in_browser(profile: Path, url: str, script: str) -> object:
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(profile), executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            await page.goto(url)
            return await page.evaluate(script)
        finally:
            await context.close()


async def test_a_login_moves_to_a_fresh_profile_through_the_vault(
    vault_parts: tuple[AuthVault, RedisVaultStore, aioredis.Redis],
    page_url: str,
    tmp_path: Path,
) -> None:
    vault, _, client = vault_parts
    first, fresh, empty = tmp_path / "first", tmp_path / "fresh", tmp_path / "empty"
    assert await _in_browser(first, page_url, "enroll('logged in')") is False
    assert await vault.save("vault-move", 1, first)

    await client.delete("wa:vault:vault-move")  # Redis lost it: the backup topic answers
    assert await vault.restore("vault-move", fresh) == 1
    assert await _in_browser(fresh, page_url, "recall()") == "logged in"
    assert await _in_browser(empty, page_url, "recall()") is None
    assert await client.exists("wa:vault:vault-move")  # put back into Redis


async def test_a_session_never_linked_does_not_read_the_backup(
    vault_parts: tuple[AuthVault, RedisVaultStore, aioredis.Redis], tmp_path: Path
) -> None:
    vault, _, client = vault_parts
    profile = tmp_path / "p"
    (profile / "Default" / "IndexedDB").mkdir(parents=True)
    (profile / "Default" / "IndexedDB" / "x").write_bytes(b"k")
    assert await vault.save("vault-unknown", 1, profile)
    await client.delete("wa:vault:vault-unknown")
    assert await vault.restore("vault-unknown", tmp_path / "a", known_login=False) is None
    assert not (tmp_path / "a" / "Default").exists()
    assert await vault.restore("vault-unknown", tmp_path / "b") == 1


async def test_versions_only_move_forward(
    vault_parts: tuple[AuthVault, RedisVaultStore, aioredis.Redis], tmp_path: Path
) -> None:
    vault, store, _ = vault_parts
    profile = tmp_path / "p"
    (profile / "Default" / "Local Storage").mkdir(parents=True)
    (profile / "Default" / "Local Storage" / "v").write_text("two")
    assert await vault.save("vault-mono", 2, profile)
    (profile / "Default" / "Local Storage" / "v").write_text("one")
    assert not await vault.save("vault-mono", 1, profile)
    assert not await vault.save("vault-mono", 2, profile)
    blob = await store.get("vault-mono")
    assert blob is not None
    assert blob.version == 2
    restored = tmp_path / "r"
    assert await vault.restore("vault-mono", restored) == 2
    assert (restored / "Default" / "Local Storage" / "v").read_text() == "two"


async def test_logout_deletes_both_copies(
    vault_parts: tuple[AuthVault, RedisVaultStore, aioredis.Redis], tmp_path: Path
) -> None:
    vault, store, _ = vault_parts
    profile = tmp_path / "p"
    (profile / "Default" / "IndexedDB").mkdir(parents=True)
    (profile / "Default" / "IndexedDB" / "x").write_bytes(b"k")
    assert await vault.save("vault-out", 1, profile)
    await vault.delete("vault-out")
    assert await store.get("vault-out") is None
    assert await vault.restore("vault-out", tmp_path / "r") is None
