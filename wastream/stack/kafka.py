"""Apache Kafka as one KRaft node (combined broker and controller) from Maven jars."""

from __future__ import annotations

import base64
import shutil
import subprocess
import uuid
from importlib import resources
from pathlib import Path

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from wastream.stack.exceptions import ServiceStartError, StackError
from wastream.stack.jars import kafka_classpath
from wastream.stack.process import ManagedProcess, log_tail

__all__ = ["KafkaServer", "kafka_reachable"]


def kafka_reachable(bootstrap: str, timeout_s: float = 2.0) -> bool:
    """True when a metadata request to ``bootstrap`` succeeds (an open port is not enough)."""
    # log_level 0: librdkafka's connection-refused chatter while we poll is expected
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
    try:
        metadata = admin.list_topics(timeout=timeout_s)
    except KafkaException:
        return False
    return bool(metadata.brokers)


class KafkaServer:
    """A single-node Kafka 4 in KRaft mode.

    ``data_dir`` holds the storage (formatted on first start, kept across restarts) and
    ``server.properties``; ``log_dir`` the broker's log. ``port`` is the client listener,
    ``controller_port`` the KRaft controller's. ``heap`` is the JVM's ``-Xmx``.
    """

    def __init__(
        self,
        *,
        data_dir: Path,
        log_dir: Path,
        cache_dir: Path,
        port: int,
        controller_port: int,
        partitions: int,
        heap: str = "512m",
        host: str = "127.0.0.1",
    ) -> None:
        self.data_dir = data_dir
        self.cache_dir = cache_dir
        self.host = host
        self.port = port
        self.controller_port = controller_port
        self.partitions = partitions
        self.heap = heap
        self.process = ManagedProcess(
            "kafka",
            [],
            log_path=log_dir / "kafka.log",
            pid_path=data_dir / "kafka.pid",
        )

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def _java(self) -> str:
        java = shutil.which("java")
        if java is None:
            raise StackError(
                "Java 17+ is needed to run Kafka; install a JDK (Debian: openjdk-17-jre)"
            )
        return java

    def _write_config(self) -> Path:
        logs = self.data_dir / "kraft"
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@{self.host}:{self.controller_port}",
            "listeners": f"PLAINTEXT://{self.host}:{self.port},CONTROLLER://{self.host}:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://{self.host}:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(logs),
            "num.partitions": str(self.partitions),
            "default.replication.factor": "1",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": str(self.partitions),
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": str(self.partitions),
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
            "message.max.bytes": str(32 * 1024 * 1024),
            "replica.fetch.max.bytes": str(32 * 1024 * 1024),
        }
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "server.properties"
        path.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        return path

    def _log4j_config(self) -> Path:
        path = self.data_dir / "log4j2.properties"
        path.write_bytes(
            resources.files("wastream.stack").joinpath("log4j2.properties").read_bytes()
        )
        return path

    def _jvm(self, classpath: str) -> list[str]:
        return [
            self._java(),
            f"-Xmx{self.heap}",
            "-Xms128m",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self._log4j_config()}",
            "-cp",
            classpath,
        ]

    def _format(self, classpath: str, config: Path) -> None:
        """Format the storage once; a formatted directory is kept as it is."""
        if (self.data_dir / "kraft" / "meta.properties").exists():
            return
        argv = [
            *self._jvm(classpath),
            "kafka.tools.StorageTool",
            "format",
            # one token: an id may start with "-", which argparse would take for an option
            "--cluster-id=" + base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="),
            "-c",
            str(config),
        ]
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise ServiceStartError(
                "kafka storage format failed:\n" + (proc.stdout + proc.stderr)[-3000:]
            )

    def start(self, timeout_s: float = 90.0) -> None:
        classpath = kafka_classpath(self.cache_dir)
        config = self._write_config()
        self._format(classpath, config)
        self.process.argv = [*self._jvm(classpath), "kafka.Kafka", str(config)]
        self.process.start()
        self.process.wait_ready(lambda: kafka_reachable(self.bootstrap, 1.0), timeout_s)

    def stop(self) -> None:
        self.process.stop(timeout_s=45.0)

    def kill(self) -> None:
        self.process.kill()

    def running(self) -> bool:
        return self.process.running()

    def log_tail(self) -> str:
        return log_tail(self.process.log_path)
