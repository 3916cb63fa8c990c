"""A release against the standards (issue 15, parts 2 and 3).

- ``void.ttl`` validates against the official DCAT-AP 3.0.1 shapes
  (``../shared/standards/dcat-ap-3.0.1/dcat-ap-SHACL.ttl``) with pySHACL, no violation. Its
  companion ``ranges.ttl`` is not used: pySHACL refuses it (its property shapes are only named
  there, defined in the main file, and the two together are not well-formed SHACL); the
  range checks that matter (``sh:class`` of licences, media types, formats, checksum
  algorithms, standards, sources) are in the main file.
- Every graph publish writes (``graph.ttl``, ``graph-inferred.ttl``, whose union of named graphs
  is what ``dataset.*`` hold, and the metadata graph on its own) conforms to scgraph's own
  shapes: zero violations.
"""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
from pipeline_fixtures import ROOT
from rdflib import Dataset, Graph
from rdflib.namespace import RDF, SH

from scgraph.assemble import assemble
from scgraph.namespaces import METADATA_GRAPH
from scgraph.publish.release import publish
from scgraph.publish.serialise import nquads
from scgraph.reason import infer
from scgraph.validate.shacl import load_shapes, validate

pytestmark = pytest.mark.slow  # builds and publishes the whole project (about 20 s)

STANDARDS = Path(__file__).resolve().parents[2] / "shared" / "standards"
DCAT_AP = STANDARDS / "dcat-ap-3.0.1" / "dcat-ap-SHACL.ttl"
needs_dcat_ap = pytest.mark.skipif(not DCAT_AP.is_file(), reason=f"{DCAT_AP} is not there")


def _publish(root: Path | None, out: Path, shapes: Path | None = None) -> Path:
    ds = infer(assemble(root), "sparql")
    (out / "dataset.nq").write_bytes(nquads(ds))
    publish(out / "release", dataset=out / "dataset.nq", shapes=shapes, issued="2026-03-01",
            version="1.2.3")
    return out / "release"


@pytest.fixture(scope="module")
def project_release(tmp_path_factory) -> Path:
    """A release of the project itself (``src/scgraph``)."""
    return _publish(None, tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="module")
def pipeline_release(tmp_path_factory) -> Path:
    """A release of the tests' small pipeline project."""
    return _publish(ROOT, tmp_path_factory.mktemp("pipeline"), ROOT / "ontology" / "shapes.ttl")


def dcat_ap_violations(void: Graph) -> list[str]:
    _conforms, report, _text = pyshacl.validate(void, shacl_graph=Graph().parse(DCAT_AP),
                                                allow_warnings=True)
    assert isinstance(report, Graph)
    return sorted(f"{report.value(r, SH.focusNode)} {report.value(r, SH.resultPath)}: "
                  f"{report.value(r, SH.resultMessage)}"
                  for r in report.subjects(RDF.type, SH.ValidationResult)
                  if report.value(r, SH.resultSeverity) == SH.Violation)


@needs_dcat_ap
@pytest.mark.parametrize("which", ["project_release", "pipeline_release"])
def test_description_validates_against_dcat_ap(which, request):
    void = Graph().parse(request.getfixturevalue(which) / "void.ttl")
    violations = dcat_ap_violations(void)
    assert not violations, f"{len(violations)} DCAT-AP 3.0.1 violations:\n" + "\n".join(violations)


def own_violations(data: Graph, shapes: Graph, ontology: Graph) -> list[str]:
    report = validate(data, shapes, ontology=ontology)
    return sorted(f"{r.focus} {r.path}: {r.message}" for r in report.results if r.severity == SH.Violation)


def test_every_published_graph_conforms_to_our_shapes(project_release):
    shapes = load_shapes()
    ontology = Graph().parse(project_release / "ontology.ttl")
    problems = {}
    for name in ("graph.ttl", "graph-inferred.ttl"):
        problems[name] = own_violations(Graph().parse(project_release / name), shapes, ontology)
    ds = Dataset()
    ds.parse(project_release / "dataset.nq", format="nquads")
    problems["graph:metadata"] = own_violations(ds.graph(METADATA_GRAPH), shapes, ontology)
    assert len(ds.graph(METADATA_GRAPH)) > 0
    bad = {k: v for k, v in problems.items() if v}
    assert not bad, "\n".join(f"{k}: {len(v)} violations\n  " + "\n  ".join(v) for k, v in bad.items())
    # what dataset.* hold, merged, is what graph-inferred.ttl holds
    merged = Graph()
    for ctx in ds.graphs():
        for t in ctx:
            merged.add(t)
    assert len(merged) == len(Graph().parse(project_release / "graph-inferred.ttl"))
