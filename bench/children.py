"""Child processes for the benchmarks: each command runs in its own process, reaped with
``wait4`` so that its peak resident memory is its own, not the benchmark's."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_child(argv: list[str], *, who: str = "bench", env: dict[str, str] | None = None
              ) -> tuple[float, float, str]:
    """Run ``argv`` from the repository root to its end (``env``: its whole environment, default
    this one's); return its wall seconds, its own peak resident memory (MiB) and its standard
    output. Both outputs go through temporary files, so a talkative child cannot block on a full
    pipe. A non-zero exit stops the benchmark with the end of the child's error, named ``who``."""
    wall, mib, _cpu, text = run_child_cpu(argv, who=who, env=env)
    return wall, mib, text


def run_child_cpu(argv: list[str], *, who: str = "bench", env: dict[str, str] | None = None
                  ) -> tuple[float, float, float, str]:
    """:func:`run_child`, with the child's CPU seconds (user + system, all its threads and
    the children it waited for) before its output."""
    t = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, cwd=REPO, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code
        out.seek(0)
        err.seek(0)
        text, error = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if code != 0:
        sys.exit(f"{who}: {' '.join(argv)} exited {code}: {error.strip()[-600:]}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, text


def folder_bytes(path: Path) -> int:
    """The bytes of every file under ``path`` (links followed once, at the top)."""
    path = path.resolve()
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
