"""A session's Chromium processes, found in ``/proc``, and their memory (PSS) and CPU time."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ProcessUsage", "browser_pid", "process_tree", "usage"]

_PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True, slots=True)
class ProcessUsage:
    pss_bytes: int
    cpu_seconds: float
    processes: int

    @property
    def pss_mb(self) -> float:
        return self.pss_bytes / 2**20


def _parent(pid: int) -> int:
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return 0
    return int(stat.rpartition(")")[2].split()[1])


def browser_pid(profile_dir: Path) -> int | None:
    """The pid of the Chromium browser process running on ``profile_dir`` (None when none).

    Playwright starts Chromium with ``--user-data-dir=<profile_dir>``; its own children may
    repeat the flag, so the browser is the matching process whose parent does not match.
    """
    flag = f"--user-data-dir={profile_dir.resolve()}".encode()
    found: set[int] = set()
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        for arg in cmdline.replace(b" ", b"\0").split(b"\0"):
            if arg == flag:
                found.add(int(entry.name))
                break
    roots = [pid for pid in found if _parent(pid) not in found]
    return min(roots) if roots else None


def process_tree(pids: Iterable[int]) -> list[int]:
    """``pids`` and every process below them (renderers, GPU and utility processes)."""
    seen: dict[int, None] = {}
    stack = list(pids)
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen[pid] = None
        try:
            tasks = list((_PROC / str(pid) / "task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                stack.extend(int(child) for child in (task / "children").read_text().split())
            except (OSError, ValueError):
                continue
    return list(seen)


def _pss(pid: int) -> int:
    try:
        text = (_PROC / str(pid) / "smaps_rollup").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def _cpu(pid: int) -> float:
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def usage(pids: Iterable[int]) -> ProcessUsage:
    """Summed PSS (``/proc/<pid>/smaps_rollup``) and CPU time of ``pids`` and their children."""
    every = process_tree(pids)
    return ProcessUsage(
        pss_bytes=sum(_pss(pid) for pid in every),
        cpu_seconds=sum(_cpu(pid) for pid in every),
        processes=len(every),
    )
