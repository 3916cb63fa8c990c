"""Child processes for the benchmarks: each command runs in its own process, reaped with
``wait4`` so that its peak resident memory is its own, not the benchmark's."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_child(argv: list[str], *, who: str = "bench") -> tuple[float, float, str]:
    """Run ``argv`` from the repository root; return its wall seconds, its peak resident memory
    (MiB) and its standard output. A non-zero exit stops the benchmark with the child's error."""
    t = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()  # small outputs: read one pipe, then the other
    err = proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    if code != 0:
        sys.exit(f"{who}: {' '.join(argv)} exited {code}: "
                 f"{err.decode(errors='replace').strip()[-400:]}")
    return wall, usage.ru_maxrss / 1024, out.decode()


def folder_bytes(path: Path) -> int:
    """The bytes of every file under ``path`` (links followed once, at the top)."""
    path = path.resolve()
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
