"""Smoke test of bench/run.py at a tiny size: it runs and writes its report, plot and numbers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # see [tool.pytest.ini_options] markers

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.mark.repo_data
def test_bench_runs_at_a_tiny_size(tmp_path):
    out, raw = tmp_path / "performance.md", tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--sizes", "20", "--baseline-max", "0", "--runs", "1",
         "--out", str(out), "--json", str(raw)],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(raw.read_text())
    fast = {r["stage"]: r for r in results["sizes"]["20"]["fast"]["stages"]}
    assert {"import", "load", "reason", "validate", "queries", "dump"} <= set(fast)
    assert fast["import"]["projects"] == 20
    assert fast["reason"]["inferred"] > 0
    assert results["sizes"]["20"]["baseline"] == {"skipped": "above --baseline-max 0"}
    text = out.read_text()
    assert "python bench/run.py --sizes 20 --baseline-max 0 --runs 1" in text
    assert "| 20 | " in text and "reason" in text
    assert (tmp_path / "performance-time.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_benchmark_replaces_only_its_own_section(tmp_path):
    sys.path.insert(0, str(BENCH))
    try:
        from sections import replace_section
    finally:
        sys.path.remove(str(BENCH))
    page = tmp_path / "performance.md"
    page.write_text("# Performance\n\nintro\n\n<!-- a -->\nold a\n<!-- /a -->\n\n<!-- b -->\nb\n<!-- /b -->\n")
    replace_section(page, "a", "<!-- a -->\nnew a\n<!-- /a -->\n")
    replace_section(page, "c", "<!-- c -->\nc\n<!-- /c -->\n")
    assert page.read_text() == ("# Performance\n\nintro\n\n<!-- a -->\nnew a\n<!-- /a -->\n\n"
                                "<!-- b -->\nb\n<!-- /b -->\n\n<!-- c -->\nc\n<!-- /c -->\n")
