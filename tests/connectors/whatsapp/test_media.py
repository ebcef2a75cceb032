"""Media checks: size, type, and where a URL may lead (no browser needed)."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.sandbox import SandboxServer
from connectors.whatsapp import MediaError, load_media
from connectors.whatsapp.media import check_address
from tests.connectors.whatsapp.conftest import connector_settings

PNG_HEAD = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def source(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "IMAGE",
        "mimetype": None,
        "filename": None,
        "url": None,
        "data": None,
    }
    base.update(fields)
    return base


async def test_inline_media_type_is_guessed_and_checked() -> None:
    settings = connector_settings()
    media = await load_media(source(data=PNG_HEAD), settings)
    assert (media.kind, media.mimetype, media.data) == ("IMAGE", "image/png", PNG_HEAD)

    doc = await load_media(source(kind="DOCUMENT", data=b"%PDF-1.7 ..."), settings)
    assert doc.mimetype == "application/pdf"
    assert doc.filename == "document.pdf"

    named = await load_media(source(kind="AUDIO", filename="a.mp3", data=b"\x00\x01"), settings)
    assert named.mimetype == "audio/mpeg"

    with pytest.raises(MediaError) as caught:
        await load_media(source(kind="VIDEO", data=PNG_HEAD), settings)
    assert caught.value.code == "MEDIA_TYPE"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"data": b""}, "MEDIA_INVALID"),
        ({"data": b"x", "url": "http://example.com/x"}, "MEDIA_INVALID"),
        ({"kind": "STICKER", "data": PNG_HEAD}, "MEDIA_INVALID"),
        ({"url": "file:///etc/passwd"}, "MEDIA_INVALID"),
        ({"url": "ftp://example.com/a.png"}, "MEDIA_INVALID"),
        ({"kind": "DOCUMENT", "mimetype": "model/gltf+json", "data": b"{}"}, "MEDIA_TYPE"),
    ],
)
async def test_bad_media_is_refused(fields: dict[str, Any], code: str) -> None:
    with pytest.raises(MediaError) as caught:
        await load_media(source(**fields), connector_settings())
    assert caught.value.code == code


async def test_media_larger_than_the_limit_is_refused() -> None:
    settings = connector_settings(max_media_bytes=16)
    with pytest.raises(MediaError) as caught:
        await load_media(source(data=PNG_HEAD), settings)
    assert caught.value.code == "MEDIA_TOO_LARGE"


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "192.168.0.10", "172.16.5.4", "169.254.169.254", "100.64.0.1",
     "0.0.0.0", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "224.0.0.1"],
)  # fmt: skip
def test_non_public_addresses_are_refused(address: str) -> None:
    with pytest.raises(MediaError) as caught:
        check_address(address, allow_private=False)
    assert caught.value.code == "MEDIA_URL_FORBIDDEN"
    check_address(address, allow_private=True)


def test_public_addresses_pass() -> None:
    check_address("93.184.216.34", allow_private=False)
    check_address("2606:4700::1111", allow_private=False)


async def test_urls_are_checked_after_name_resolution(sandbox: SandboxServer) -> None:
    refused = connector_settings(media_allow_private=False)
    for url in (f"{sandbox.url}/media/x", f"http://localhost:{sandbox.port}/media/x"):
        with pytest.raises(MediaError) as caught:
            await load_media(source(url=url), refused)
        assert caught.value.code == "MEDIA_URL_FORBIDDEN", url


async def test_url_media_is_downloaded_and_limited(sandbox: SandboxServer) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        up = (
            await client.post(
                f"{sandbox.url}/media", content=PNG_HEAD, headers={"Content-Type": "image/png"}
            )
        ).json()
    url = f"http://localhost:{sandbox.port}{up['directPath']}"
    media = await load_media(source(url=url), connector_settings())
    assert media.data == PNG_HEAD
    assert media.mimetype == "image/png"

    with pytest.raises(MediaError) as caught:
        await load_media(source(url=url), connector_settings(max_media_bytes=8))
    assert caught.value.code == "MEDIA_TOO_LARGE"
    with pytest.raises(MediaError) as caught:
        await load_media(source(url=f"{sandbox.url}/media/missing"), connector_settings())
    assert caught.value.code == "MEDIA_FETCH_FAILED"
