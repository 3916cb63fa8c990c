"""A build with registry data for the tests: the official CORDIS fixture (tests/data/cordis/
official) imported and built through the CLI, so the build has its own Oxigraph store."""

from __future__ import annotations

import sys
from pathlib import Path

from typer.testing import CliRunner

from scgraph.cli import app

OFFICIAL = Path(__file__).parent / "data" / "cordis" / "official"
SCGRAPH = str(Path(sys.executable).parent / "scgraph")
runner = CliRunner()


def ok(*args: str) -> str:
    """Run ``scgraph ARGS`` in this process; assert it exits 0; return its output."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def registry_build(build: Path, *, analyse: bool = False) -> Path:
    """``build``: the official fixture imported and built (and analysed, with ``analyse``)."""
    ok("import", "cordis", str(OFFICIAL), "--build-dir", str(build), "-q")
    ok("build", "--out", str(build), "-q")
    assert (build / "store").is_dir()
    if analyse:
        ok("analyse", "--build-dir", str(build), "-q")
    return build
