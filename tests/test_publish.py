"""Dumps and validation files: atomic, round-tripping, byte-identical across processes;
and build(), which replaces the dumps only when the data conforms."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pipeline_fixtures import ROOT, SOURCES, USER, assert_isomorphic
from rdflib import Dataset, Graph

from scgraph.assemble import assemble, named_graphs, union_graph
from scgraph.errors import NotConformant
from scgraph.namespaces import GRAPH, INFERRED_GRAPH, METADATA_GRAPH, ONTOLOGY_GRAPH
from scgraph.pipeline import build
from scgraph.publish.serialise import write_dumps, write_validation
from scgraph.reason import infer
from scgraph.validate.shacl import validate_files

FILES = ["dataset.nq", "dataset.trig", "graph-inferred.ttl", "graph.ttl", "validation.ttl", "validation.txt"]

SCRIPT = """
import sys
from pathlib import Path
from scgraph.assemble import assemble
from scgraph.publish.serialise import write_dumps, write_validation
from scgraph.reason import infer
from scgraph.validate.shacl import validate_files
root, user, out = (Path(a) for a in sys.argv[1:])
write_dumps(infer(assemble(root), "sparql"), out)
write_validation(validate_files([user], root=root), out)
"""


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return infer(assemble(ROOT), "sparql")


@pytest.fixture(scope="module")
def dumps(ds, tmp_path_factory) -> dict[str, Path]:
    return write_dumps(ds, tmp_path_factory.mktemp("dumps"))


def test_writes_four_dumps(dumps):
    assert sorted(p.name for p in dumps.values()) == FILES[:4]
    assert not [p for p in dumps["graph"].parent.iterdir() if p.name.startswith(".")]  # no temp files


def test_graph_ttl_is_the_asserted_union(ds, dumps):
    assert_isomorphic(Graph().parse(dumps["graph"]), union_graph(ds))


def test_graph_inferred_ttl_adds_the_inferred_graph(ds, dumps):
    assert_isomorphic(Graph().parse(dumps["graph-inferred"]), union_graph(ds, include_inferred=True))


@pytest.mark.parametrize("key, fmt", [("trig", "trig"), ("nquads", "nquads")])
def test_quad_dumps_keep_every_named_graph(ds, dumps, key, fmt):
    back = Dataset()
    back.parse(dumps[key], format=fmt)
    assert named_graphs(back) == named_graphs(ds)
    for name in named_graphs(ds):
        assert_isomorphic(back.graph(name), ds.graph(name))


def test_nquads_lines_are_sorted(dumps):
    lines = dumps["nquads"].read_text().splitlines()
    assert lines == sorted(lines) and len(lines) == len(set(lines)) > 0


def test_validation_files(tmp_path):
    report = validate_files([USER / "bad_unit.ttl"], root=ROOT)
    paths = write_validation(report, tmp_path)
    assert paths["validation-summary"].read_text() == report.summary()
    assert_isomorphic(Graph().parse(paths["validation"]), report.graph)


def test_byte_identical_across_processes(tmp_path):
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"run{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT), str(USER / "bad_unit.ttl"), str(out)],
                       check=True, env=env)
        outs.append(out)
    assert sorted(p.name for p in outs[0].iterdir()) == FILES
    for name in FILES:
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


# --------------------------------------------------------------------------- build()


def test_build_writes_everything_and_counts(tmp_path):
    result = build(tmp_path / "out", root=ROOT)
    assert result.triples == {
        INFERRED_GRAPH: 16, METADATA_GRAPH: 14, ONTOLOGY_GRAPH: 23,
        GRAPH["reference/organisations"]: 6, GRAPH["source/unit-chart"]: 7}
    assert (result.inferred, result.asserted, result.violations, result.warnings) == (16, 50, 0, 1)
    assert sorted(p.name for p in result.outputs.values()) == FILES
    assert set(result.timings) == {"assemble", "infer", "validate", "publish"}


def test_build_reports_progress(tmp_path):
    steps: list[str] = []
    build(tmp_path, root=ROOT, progress=steps.append)
    assert len(steps) == 4


def test_non_conformant_build_keeps_the_previous_dumps(tmp_path):
    root = tmp_path / "root"
    shutil.copytree(ROOT, root)
    out = tmp_path / "out"
    build(out, root=root)
    before = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}  # .outputs: the generations

    shutil.copy(SOURCES / "nameless_unit.ttl", root / "data" / "sources")
    with pytest.raises(NotConformant) as e:
        build(out, root=root)
    assert str(e.value) == (f"the data has 1 SHACL violation; see {out / 'validation.txt'} "
                            "(the previous dumps were kept)")
    assert len(e.value.report.violations) == 1
    after = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}
    assert sorted(after) == FILES
    for name in FILES[:4]:
        assert after[name] == before[name], name
    assert after["validation.txt"].startswith(b"Conforms: no (1 violation, ")
