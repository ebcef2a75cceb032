from __future__ import annotations

from pathlib import Path

import pytest

import wastream
from wastream.exceptions import ConfigurationError
from wastream.settings import Settings, load_settings


def test_public_surface() -> None:
    assert wastream.__all__ == ["ConfigurationError", "Settings", "WastreamError", "load_settings"]


def test_defaults_match_the_design(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("WASTREAM_"):
            monkeypatch.delenv(name)
    settings = load_settings()
    assert settings.kafka_bootstrap == "localhost:9092"
    assert settings.redis_url == "redis://localhost:6379/0"
    assert settings.gateway_port == 8080
    assert settings.sandbox_port == 8090
    assert settings.partitions == 12
    assert settings.state_dir == Path(".wastream")


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASTREAM_PARTITIONS", "24")
    monkeypatch.setenv("WASTREAM_KAFKA_BOOTSTRAP", "k1:9092,k2:9092")
    settings = load_settings()
    assert settings.partitions == 24
    assert settings.kafka_bootstrap == "k1:9092,k2:9092"


@pytest.mark.parametrize(("raw", "expected"), [("false", False), ("0", False), ("true", True)])
def test_booleans_are_parsed_strictly(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    monkeypatch.setenv("WASTREAM_LOG_JSON", raw)
    assert load_settings().log_json is expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WASTREAM_LOG_JSON", "maybe"),
        ("WASTREAM_PARTITIONS", "0"),
        ("WASTREAM_PARTITIONS", "twelve"),
        ("WASTREAM_GATEWAY_PORT", "70000"),
        ("WASTREAM_JWT_SECRET", "short"),
    ],
)
def test_invalid_values_fail_with_the_variable_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as info:
        load_settings()
    assert name.removeprefix("WASTREAM_").lower() in str(info.value)


def test_settings_are_immutable() -> None:
    settings = load_settings()
    with pytest.raises(ValueError, match="frozen"):
        settings.partitions = 3
    assert isinstance(settings.model_copy(update={"partitions": 3}), Settings)


def test_the_readme_documents_every_setting() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for name in Settings.model_fields:
        assert f"`WASTREAM_{name.upper()}`" in readme, f"README lacks WASTREAM_{name.upper()}"
