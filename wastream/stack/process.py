"""A child process of the local stack: started detached, logged to a file, stopped cleanly."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from wastream.stack.exceptions import ServiceStartError, StackError

__all__ = ["ManagedProcess", "log_tail", "pid_alive"]


def log_tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of a log file, or a note that it is empty or missing."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    tail = text.splitlines()[-lines:]
    return "\n".join(tail) if tail else f"(log {path} is empty)"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie of ours still answers kill(0); reap it when we can
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True


class ManagedProcess:
    """One service process.

    ``name`` names the service in messages; ``argv`` is its command line; its output goes to
    ``log_path`` and its pid to ``pid_path`` so that another wastream process
    (``wastream stack down``) can stop it. The process runs in its own session, so a Ctrl-C
    in the terminal reaches wastream, which then stops the services in order.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path,
        pid_path: Path,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.pid_path = pid_path
        self.env = env
        self.cwd = cwd
        self._popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        if self._popen is not None:
            return self._popen.pid
        try:
            return int(self.pid_path.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def running(self) -> bool:
        if self._popen is not None:
            return self._popen.poll() is None
        pid = self.pid
        return pid is not None and pid_alive(pid)

    def start(self) -> None:
        if self.running():
            raise StackError(f"{self.name} is already running (pid {self.pid})")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            try:
                self._popen = subprocess.Popen(
                    self.argv,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env=self.env,
                    cwd=self.cwd,
                    start_new_session=True,
                )
            except OSError as exc:
                raise ServiceStartError(f"cannot start {self.name}: {exc}") from exc
        self.pid_path.write_text(str(self._popen.pid))

    def wait_ready(self, probe: Callable[[], bool], timeout_s: float) -> None:
        """Poll ``probe`` until it answers true; fail with the log's tail on exit or timeout."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.running():
                raise ServiceStartError(
                    f"{self.name} exited during start-up; last lines of {self.log_path}:\n"
                    + log_tail(self.log_path)
                )
            if probe():
                return
            time.sleep(0.2)
        self.stop()
        raise ServiceStartError(
            f"{self.name} was not ready after {timeout_s:.0f} s; last lines of {self.log_path}:\n"
            + log_tail(self.log_path)
        )

    def stop(self, timeout_s: float = 30.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout_s``; a no-op when it is not running."""
        pid = self.pid
        if pid is not None and self.running():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout_s
            while self.running() and time.monotonic() < deadline:
                time.sleep(0.1)
            if self.running():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                if self._popen is not None:
                    self._popen.wait(timeout=10)
        if self._popen is not None:
            self._popen.wait(timeout=10)
            self._popen = None
        self.pid_path.unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL at once: a crash, for fault tests."""
        pid = self.pid
        if pid is not None and self.running():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self._popen is not None:
            self._popen.wait(timeout=10)
            self._popen = None
        self.pid_path.unlink(missing_ok=True)
