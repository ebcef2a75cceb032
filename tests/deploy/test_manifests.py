"""The deployment files agree with the code: settings names, topics, groups, partitions."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from schemas.topics import COMMANDS
from streams.app import APP_ID
from wastream.settings import Settings

ROOT = Path(__file__).parents[2]
MANIFESTS = sorted((ROOT / "k8s").glob("*.yaml"))


def _documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in MANIFESTS:
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs


def _by_kind(kind: str, name: str) -> dict[str, Any]:
    for doc in _documents():
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return doc
    raise AssertionError(f"no {kind} {name} in k8s/")


@pytest.mark.parametrize(
    "path",
    [
        *(path for path in MANIFESTS if path.name != "namespace.yaml"),
        ROOT / "docker-compose.kafka.yml",
        ROOT / "Dockerfile",
    ],
    ids=lambda p: p.name,
)
def test_every_variable_is_a_setting(path: Path) -> None:
    names = set(re.findall(r"\bWASTREAM_[A-Z0-9_]+", path.read_text()))
    known = {f"WASTREAM_{field.upper()}" for field in Settings.model_fields}
    assert names, f"{path.name} sets no WASTREAM_* variable"
    assert names <= known, f"{path.name} names unknown settings: {sorted(names - known)}"


def test_workers_scale_on_the_command_lag_up_to_the_partition_count() -> None:
    config = _by_kind("ConfigMap", "wastream")
    scaler = _by_kind("ScaledObject", "wastream-worker")
    trigger = scaler["spec"]["triggers"][0]
    assert trigger["type"] == "kafka"
    assert trigger["metadata"]["topic"] == COMMANDS
    assert trigger["metadata"]["consumerGroup"] == APP_ID
    assert scaler["spec"]["maxReplicaCount"] <= int(config["data"]["WASTREAM_PARTITIONS"])


def test_probes_use_the_gateway_health_endpoints() -> None:
    container = _by_kind("Deployment", "wastream-gateway")["spec"]["template"]["spec"][
        "containers"
    ][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_the_image_carries_every_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("wastream", "schemas", "gateway", "streams", "connectors"):
        assert f"COPY {package} ./{package}" in dockerfile


def test_compose_runs_the_same_kafka_as_the_local_stack() -> None:
    pom = (ROOT / "wastream" / "stack" / "kafka-pom.xml").read_text()
    version = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom)
    assert version is not None
    compose = yaml.safe_load((ROOT / "docker-compose.kafka.yml").read_text())
    assert compose["services"]["kafka"]["image"] == f"apache/kafka:{version.group(1)}"
    assert set(compose["services"]) >= {"kafka", "redis", "sandbox", "gateway", "worker"}
