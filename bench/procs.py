"""Processes as /proc sees them: resident memory, CPU time, open files, command line."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Proc:
    pid: int
    parent: int
    rss: int  # bytes
    cpu_s: float
    fds: int
    args: tuple[str, ...]


def tree(pid: int) -> dict[int, Proc]:
    """A process and each of its descendants (those that are gone by the time they are read are left out)."""
    found: dict[int, Proc] = {}
    pending = [(pid, 0)]
    while pending:
        current, parent = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            args = Path(f"/proc/{current}/cmdline").read_bytes().decode(errors="replace").split("\0")
            fds = len(os.listdir(f"/proc/{current}/fd"))
        except OSError:
            continue
        rss = next((int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0)
        found[current] = Proc(current, parent, rss, cpu_seconds(current), fds, tuple(a for a in args if a))
        pending.extend((int(child), current) for child in children)
    return found


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def matching(*words: str) -> list[int]:
    """Every process whose command line holds all of `words` as arguments."""
    wanted = {w.encode() for w in words}
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = set(cmdline.read_bytes().split(b"\0"))
        except OSError:
            continue
        if wanted <= args:
            found.append(int(cmdline.parent.name))
    return found
