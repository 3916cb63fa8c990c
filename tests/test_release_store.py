"""A release of a build with registry data (issue 15, part 1): ``scgraph publish`` writes what the
build's store holds (curated graphs, the registry graph, the inferences and the analysis graph),
and a consumer who loads the release into another store gets the answers ``scgraph query`` gives.

The build is the official CORDIS fixture imported, built and analysed; every count below is
checked against the store itself, read independently with pyoxigraph.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, VOID, XSD
from registry_fixtures import SCGRAPH, registry_build
from registry_fixtures import ok as _ok
from test_release_standards import dcat_ap_violations, needs_dcat_ap, own_violations

from scgraph import catalogue
from scgraph.namespaces import (
    ANALYSIS_GRAPH,
    DATASET_IRI,
    DISTRIBUTION,
    GRAPH,
    INFERRED_GRAPH,
)
from scgraph.publish.dumps import graph_file
from scgraph.store import OxigraphStore
from scgraph.validate.shacl import load_shapes

pytestmark = [pytest.mark.slow, pytest.mark.repo_data]

REGISTRY = str(GRAPH["registry/cordis"])


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The official CORDIS fixture imported, built and analysed: a build with a store."""
    return registry_build(tmp_path_factory.mktemp("registry") / "build", analyse=True)


@pytest.fixture(scope="module")
def store_quads(build: Path) -> list[ox.Quad]:
    st = ox.Store.read_only(str(build / "store"))
    try:
        return list(st)
    finally:
        del st


@pytest.fixture(scope="module")
def release(build: Path) -> Path:
    out = build.parent / "release"
    r = subprocess.run([SCGRAPH, "publish", "--build-dir", str(build), "-o", str(out),
                        "--date", "2026-12-05", "--version", "2.0.0"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


def _by_graph(quads: list[ox.Quad]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for q in quads:
        out.setdefault(q.graph_name.value, set()).add(f"{q.subject} {q.predicate} {q.object}")  # type: ignore[union-attr]
    return out


def test_the_release_holds_every_quad_of_the_store(release, store_quads):
    graphs = _by_graph(store_quads)
    assert REGISTRY in graphs and str(INFERRED_GRAPH) in graphs and str(ANALYSIS_GRAPH) in graphs
    for name, fmt in [("dataset.nq", ox.RdfFormat.N_QUADS), ("dataset.trig", ox.RdfFormat.TRIG),
                      ("dataset.jsonld", ox.RdfFormat.JSON_LD)]:
        assert _by_graph(list(ox.parse(path=str(release / name), format=fmt))) == graphs, name
    for g, triples in graphs.items():
        got = {str(t).removesuffix(" .") for t in ox.parse(path=str(release / graph_file(g)), format=ox.RdfFormat.TURTLE)}
        assert {f"{t}" for t in got} == {t for t in triples}, g


def test_merged_dumps_are_the_distinct_triples(release, store_quads):
    inferred = str(INFERRED_GRAPH)
    asserted = {f"{q.subject} {q.predicate} {q.object} ." for q in store_quads if q.graph_name.value != inferred}
    everything = {f"{q.subject} {q.predicate} {q.object} ." for q in store_quads}
    assert len(everything) < len(store_quads)  # some triples sit in several graphs: the test means something
    for name, expected in [("graph.nt", asserted), ("graph-inferred.nt", everything)]:
        lines = (release / name).read_text("utf-8").splitlines()
        assert len(lines) == len(expected) and set(lines) == expected, name
    for name, expected in [("graph.ttl", asserted), ("graph-inferred.ttl", everything)]:
        triples = {f"{t} ." for t in ox.parse(path=str(release / name), format=ox.RdfFormat.TURTLE)}
        assert triples == expected, name


def test_void_counts_are_the_stores(release, store_quads):
    void = Graph().parse(release / "void.ttl")

    def count(s: URIRef, p: URIRef) -> int:
        v = void.value(s, p)
        assert isinstance(v, Literal) and v.datatype == XSD.integer
        return int(v)

    triples = {(q.subject, q.predicate, q.object) for q in store_quads}
    assert count(DATASET_IRI, VOID.triples) == len(triples)
    assert count(DATASET_IRI, VOID.distinctSubjects) == len({s for s, _, _ in triples})
    assert count(DATASET_IRI, VOID.distinctObjects) == len({o for _, _, o in triples})
    per_property = Counter(p.value for _, p, _ in triples)
    parts = {str(void.value(part, VOID.property)): count(part, VOID.triples)
             for part in void.objects(DATASET_IRI, VOID.propertyPartition)}
    assert parts == dict(per_property)
    per_graph = Counter(q.graph_name.value for q in store_quads)  # type: ignore[union-attr]
    subsets = {str(s): count(s, VOID.triples) for s in void.objects(DATASET_IRI, VOID.subset)}
    assert subsets == dict(per_graph)
    countries = {q.object.value for q in store_quads if isinstance(q.object, ox.NamedNode)
                 and q.object.value.startswith("http://publications.europa.eu/resource/authority/country/")}
    assert len(countries) > 5  # the registry's partners' countries
    assert {str(c) for c in void.objects(DATASET_IRI, DCTERMS.spatial)} == countries
    scg = "https://w3id.org/scgraph/ontology#"
    starts = [q.object.value[:10] for q in store_quads if q.predicate.value == scg + "startDate"]
    ends = [q.object.value[:10] for q in store_quads if q.predicate.value == scg + "endDate"]
    period = void.value(DATASET_IRI, DCTERMS.temporal)
    assert (str(void.value(period, DCAT.startDate)), str(void.value(period, DCAT.endDate))) == (min(starts), max(ends))
    assert set(void.objects(URIRef(REGISTRY), VOID.dataDump)) == {
        DISTRIBUTION["graphs/registry/cordis.ttl"], DISTRIBUTION["graphs/registry/cordis.ttl.gz"]}


def _example(query: catalogue.Query) -> dict[str, str]:
    """The example values a question's description gives for its required parameters."""
    found = dict(re.findall(r"(\w+)=(https://\S+)", query.description))
    return {p.name: found[p.name] for p in query.params if not p.optional}


def _rows(result) -> list[tuple[str, ...]]:
    if result.boolean is not None:
        return [(str(result.boolean),)]
    if result.graph is not None:
        return sorted(tuple(str(x) for x in t) for t in result.graph)
    return sorted(tuple("" if x is None else x.n3() for x in row) for row in result.rows)


@pytest.mark.parametrize("fmt", ["dataset.nq", "dataset.trig"])
def test_the_release_in_oxigraph_answers_the_catalogue_as_scgraph_query(build, release, fmt):
    """Every question and analysis export of the catalogue, on the build's store (as
    'scgraph query' runs it) and on a fresh Oxigraph store loaded from the release."""
    consumer = OxigraphStore()
    consumer.bulk_load(release / fmt)
    own = OxigraphStore(build / "store", read_only=True)
    try:
        answered = 0
        for name, query in catalogue.load_catalogue().items():
            params = _example(query)
            ours, theirs = catalogue.run(own, query, params), catalogue.run(consumer, query, params)
            assert _rows(theirs) == _rows(ours), name
            answered += bool(_rows(ours))
        assert answered >= 35  # the questions have answers on this build: the comparison means something
    finally:
        own.close()
        consumer.close()


def test_changelog_of_the_first_registry_release(tmp_path, release, curated_build):
    """A release of the curated graph, then one with the registry: the changelog names the
    registry graph as new, with its triple count and things, and the inferred graph as grown."""
    curated = curated_build
    out = tmp_path / "release"
    _ok("publish", "--build-dir", str(curated), "-o", str(out), "--date", "2026-12-01", "--version", "1.0.0")
    r = subprocess.run([SCGRAPH, "publish", "--build-dir", str(release.parent / "build"), "-o", str(out),
                        "--date", "2026-12-05", "--version", "2.0.0"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    log = (out / "CHANGELOG.md").read_text("utf-8")
    registry = Counter(q.graph_name.value for q in ox.parse(path=str(out / "dataset.nq"), format=ox.RdfFormat.N_QUADS))[REGISTRY]
    subjects = {q.subject.value for q in ox.parse(path=str(out / "graphs/registry/cordis.ttl"), format=ox.RdfFormat.TURTLE)
                if isinstance(q.subject, ox.NamedNode)}
    assert f"| graph:registry/cordis | {registry} | 0 | {len(subjects)} | 0 |" in log
    assert re.search(r"\| graph:inferred \| [1-9]\d* \| \d+ \|", log)
    assert "## 1.0.0 (2026-12-01)" in log and log.index("## 2.0.0") < log.index("## 1.0.0")
    assert r.stdout.startswith("scgraph release 2.0.0 (2026-12-05): ")


@needs_dcat_ap
def test_the_registry_release_validates_against_dcat_ap(release):
    violations = dcat_ap_violations(Graph().parse(release / "void.ttl"))
    assert not violations, "\n".join(violations)


def test_the_registry_release_conforms_to_our_shapes(release):
    shapes = load_shapes()
    ontology = Graph().parse(release / "ontology.ttl")
    for name in ("graph.ttl", "graph-inferred.ttl"):
        assert own_violations(Graph().parse(release / name), shapes, ontology) == [], name


def test_streamed_csv_is_the_csv_of_the_answer(build):
    """'scgraph query -f csv' lets Oxigraph write a SELECT's CSV as it reads the rows (bulk
    exports at the store's row rate): the same lines as scgraph's own CSV writer, for every
    question and analysis export of the catalogue."""
    import io

    from scgraph import results

    own = OxigraphStore(build / "store", read_only=True)
    try:
        for name, query in catalogue.load_catalogue().items():
            params = _example(query)
            out = io.BytesIO()
            assert catalogue.run_csv(own, query, out, params) is None, name
            streamed = out.getvalue().decode("utf-8").split("\r\n")
            ours = results.to_csv(catalogue.run(own, query, params)).split("\r\n")
            # the same header and lines; the analysis exports are unordered (no ORDER BY)
            assert streamed[0] == ours[0] and sorted(streamed) == sorted(ours), name
    finally:
        own.close()
