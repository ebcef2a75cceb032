"""Memory (PSS) and CPU time of a set of processes and their descendants, from ``/proc``."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ProcessUsage", "descendants", "usage"]

_PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True, slots=True)
class ProcessUsage:
    pss_bytes: int
    cpu_seconds: float
    processes: int


def descendants(pids: Iterable[int]) -> list[int]:
    """``pids`` and every process below them (Chromium's renderers, GPU and utility processes)."""
    seen: list[int] = []
    stack = list(pids)
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.append(pid)
        try:
            tasks = list((_PROC / str(pid) / "task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                stack.extend(int(child) for child in (task / "children").read_text().split())
            except (OSError, ValueError):
                continue
    return seen


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
    # The command name (field 2) may hold spaces: split after its closing parenthesis.
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def usage(pids: Iterable[int]) -> ProcessUsage:
    """Summed PSS and CPU time of ``pids`` and their descendants (gone processes count 0)."""
    every = descendants(pids)
    return ProcessUsage(
        pss_bytes=sum(_pss(pid) for pid in every),
        cpu_seconds=sum(_cpu(pid) for pid in every),
        processes=len(every),
    )
