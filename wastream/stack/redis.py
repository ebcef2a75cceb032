"""Redis for the local stack (Debian's ``redis-server``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import redis

from wastream.stack.exceptions import StackError
from wastream.stack.process import ManagedProcess, log_tail

__all__ = ["RedisServer", "redis_reachable"]


def redis_reachable(url: str, timeout_s: float = 1.0) -> bool:
    client = redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


class RedisServer:
    """A ``redis-server`` on ``host:port`` with its files in ``data_dir``.

    Persistence is off: wastream's durable state is in Kafka (the table changelogs and the
    vault backup topic), and Redis losing its data is a fault the platform recovers from.
    """

    def __init__(
        self, *, data_dir: Path, log_dir: Path, port: int, host: str = "127.0.0.1"
    ) -> None:
        self.data_dir = data_dir
        self.host = host
        self.port = port
        self.process = ManagedProcess(
            "redis", [], log_path=log_dir / "redis.log", pid_path=data_dir / "redis.pid"
        )

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def start(self, timeout_s: float = 20.0) -> None:
        server = shutil.which("redis-server")
        if server is None:
            raise StackError(
                "redis-server is not installed; run `make run` as root or "
                "`apt-get install redis-server`"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process.argv = [
            server,
            "--bind",
            self.host,
            "--port",
            str(self.port),
            "--dir",
            str(self.data_dir),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--protected-mode",
            "no",
        ]
        self.process.start()
        self.process.wait_ready(lambda: redis_reachable(self.url), timeout_s)

    def stop(self) -> None:
        self.process.stop(timeout_s=15.0)

    def kill(self) -> None:
        self.process.kill()

    def running(self) -> bool:
        return self.process.running()

    def log_tail(self) -> str:
        return log_tail(self.process.log_path)
