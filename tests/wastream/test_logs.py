"""Log set-up: JSON lines on stderr, without a line per HTTP request of httpx."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import orjson
import pytest

from wastream.logs import configure_logging


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    chatty = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in chatty.items():
        logging.getLogger(name).setLevel(old)


def _served(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"ok": True})


@pytest.mark.usefixtures("restore_logging")
def test_info_logs_are_json_without_httpx_requests(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    logging.getLogger("wastream.test").info("hello", extra={"session_id": "s-1"})
    with httpx.Client(transport=httpx.MockTransport(_served)) as client:
        assert client.get("http://sandbox.test/phone").status_code == 200
    lines = [orjson.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(line["logger"], line["message"]) for line in lines] == [("wastream.test", "hello")]
    assert lines[0]["session_id"] == "s-1"
    assert lines[0]["level"] == "INFO"


@pytest.mark.usefixtures("restore_logging")
def test_debug_shows_httpx_requests(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("DEBUG", json=False)
    with httpx.Client(transport=httpx.MockTransport(_served)) as client:
        client.get("http://sandbox.test/phone")
    assert "HTTP Request: GET http://sandbox.test/phone" in capsys.readouterr().err
