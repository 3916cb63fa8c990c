"""Reasoning in the engine (issue 16): on a SPARQL server, :func:`scgraph.reason.infer_store`
runs the rules as SPARQL updates there, and the inferred graph it leaves is, triple for triple,
the one the embedded build infers (``infer_store`` in an Oxigraph store, the ``stream`` engine),
on Oxigraph server and on Virtuoso: the curated graph plus a CORDIS import, the equality rules,
transitive chains; inconsistent data is refused with a one-line error and leaves no scratch
graph. One server per engine for the module; each test empties scgraph's graphs first.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from pipeline_fixtures import PIPELINE
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import XSD
from reliability_fixtures import OXIGRAPH, oxigraph_server
from virtuoso_fixtures import SKIP_REASON, VIRTUOSO, virtuoso_server

from scgraph import parse
from scgraph.assemble import assemble
from scgraph.errors import InconsistencyError
from scgraph.namespaces import GRAPH, INFERRED_GRAPH
from scgraph.reason import infer_store
from scgraph.store import SCRATCH_PREFIX, OxigraphStore, SparqlStore
from scgraph.terms import from_ox

pytestmark = [pytest.mark.slow]

DATA = Path(__file__).parent / "data"
THEIRS = "http://example.org/theirs"


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def spec(request, tmp_path_factory) -> Iterator[str]:
    """The ``sparql:`` spec (after the colon) of a server of each engine, for the module."""
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "oxigraph":
        if OXIGRAPH is None:
            pytest.skip("the oxigraph server (pip install oxigraph) is not installed")
        with oxigraph_server(tmp / "oxdb") as url:
            yield url
    else:
        if VIRTUOSO is None:
            pytest.skip(SKIP_REASON)
        with virtuoso_server(tmp / "vdb", max_rows=10_000) as v:
            base = v.url.rsplit("/", 1)[0]
            yield f"{v.url};update={v.url};store={base}/sparql-graph-crud"


_DAY = {XSD.date: lambda v: v, XSD.gYearMonth: lambda v: v + "-01", XSD.gYear: lambda v: v + "-01-01"}


def _as_virtuoso_keys(triples: set) -> set:
    """The triples as Virtuoso tells them apart: it stores an xsd:gYear, xsd:gYearMonth or
    xsd:date by its first day, so ``"2015"^^xsd:gYear`` and ``"2015-01-01"^^xsd:date`` of one
    subject and property are one triple in a graph (whichever came first), whether sent by a
    Graph Store POST or made by an update."""
    return {(s, p, ("day", _DAY[o.datatype](str(o))) if isinstance(o, Literal) and o.datatype in _DAY else o)
            for s, p, o in triples}


def _fresh(spec: str, ds: Dataset) -> SparqlStore:
    """The endpoint holding ``ds`` alone among scgraph's graphs (another dataset beside it)."""
    store = SparqlStore(spec)
    for g in store.own_graphs():
        store.delete_graph(g)
    store.load_dataset(ds)
    return store


def _embedded(ds: Dataset, inferred: str = "full") -> set:
    """The inferred graph the embedded build makes of ``ds`` (as Oxigraph stores it)."""
    store = OxigraphStore()
    store.load_dataset(ds)
    infer_store(store, inferred=inferred)
    return {(from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))
            for q in store.store.quads_for_pattern(None, None, None, ox.NamedNode(str(INFERRED_GRAPH)))}


def _diff(a: set, b: set) -> str:
    only_a = "\n".join(f"  only remote: {t}" for t in sorted(a - b)[:10])
    only_b = "\n".join(f"  only embedded: {t}" for t in sorted(b - a)[:10])
    return f"{len(a - b)} and {len(b - a)} triples differ\n{only_a}\n{only_b}"


def _check(spec: str, ds: Dataset, inferred: str = "full") -> set:
    expected = _embedded(ds, inferred)
    assert expected, "the embedded build inferred nothing: the comparison would prove nothing"
    store = _fresh(spec, ds)
    result = infer_store(store, inferred=inferred)
    got = set(store.get_graph(INFERRED_GRAPH))
    if "/sparql;" in spec:  # Virtuoso: every triple one of the embedded build's, none missing
        assert got <= expected, _diff(got, expected)  # but for dates it holds as one
        assert _as_virtuoso_keys(got) == _as_virtuoso_keys(expected), _diff(got, expected)
        assert result.triples == len(got)
    else:
        assert got == expected, _diff(got, expected)
        assert result.triples == len(expected)
    assert not [g for g in store.own_graphs() if str(g).startswith(SCRATCH_PREFIX)], "a scratch graph was left"
    return got


@pytest.mark.repo_data
def test_the_curated_graph_and_a_cordis_import_infer_what_the_embedded_build_infers(spec):
    from scgraph.importers.cordis import REGISTRY_GRAPH, import_cordis, load_curated

    ds = assemble()
    import_cordis(DATA / "cordis" / "official", curated=load_curated(), dataset=ds)
    assert len(ds.graph(REGISTRY_GRAPH)) > 100
    got = _check(spec, ds)
    registry_subjects = set(ds.graph(REGISTRY_GRAPH).subjects())
    assert any(s in registry_subjects for s, _p, _o in got)


@pytest.mark.repo_data
def test_the_lean_graph_is_the_embedded_build_s(spec):
    """``--inferred lean`` on an endpoint: the curated graphs reasoned first into a scratch
    graph, the lean rule's DELETE sparing what it states (docs/decisions/
    20261206-lean-registry-entailment.md), gives the embedded build's lean graph."""
    from scgraph.importers.cordis import REGISTRY_GRAPH, import_cordis, load_curated

    ds = assemble()
    import_cordis(DATA / "cordis" / "official", curated=load_curated(), dataset=ds)
    lean = _check(spec, ds, "lean")
    assert len(lean) < len(_embedded(ds))
    registry_subjects = set(ds.graph(REGISTRY_GRAPH).subjects())
    assert any(s in registry_subjects for s, _p, _o in lean)
    if "/sparql;" in spec:
        # Virtuoso stores a date and the gYear of the same day as one triple, so the count the
        # client reasoned (before the upload) is not the graph's: the client path is compared
        # on Oxigraph server, as for the full graph (test_the_client_fallback_infers_the_same_graph)
        return
    monkeypatch = pytest.MonkeyPatch()
    try:  # and reasoned on the client, from the same graphs
        monkeypatch.setenv("SCGRAPH_REMOTE_REASONING", "client")
        assert _check(spec, ds, "lean") == lean
    finally:
        monkeypatch.undo()


def test_the_equality_rules_run_in_the_engine(spec):
    ds = Dataset()
    parse.parse_into(ds, DATA / "reason" / "same_as.trig")
    got = _check(spec, ds)
    p1, p2 = URIRef("https://w3id.org/scgraph/id/person/p1"), URIRef("https://w3id.org/scgraph/id/person/p2")
    same = URIRef("http://www.w3.org/2002/07/owl#sameAs")
    assert {(p1, same, p2), (p2, same, p1)} <= got


def test_transitive_chains_run_in_the_engine(spec):
    ds = Dataset()
    parse.parse_into(ds, DATA / "reason" / "transitive.trig")
    got = _check(spec, ds)
    idn, ex = "https://w3id.org/scgraph/id/", "https://example.org/vocab#"
    assert (URIRef(idn + "room-1"), URIRef(ex + "partOf"), URIRef(idn + "building-b")) in got


def test_the_client_fallback_infers_the_same_graph(spec, monkeypatch):
    ds = Dataset()
    parse.parse_into(ds, DATA / "reason" / "same_as.trig")
    in_engine = _check(spec, ds)
    monkeypatch.setenv("SCGRAPH_REMOTE_REASONING", "client")
    assert _check(spec, ds) == in_engine


@pytest.mark.parametrize("path", sorted((PIPELINE / "inconsistent").glob("*.trig")), ids=lambda p: p.stem)
def test_inconsistent_data_is_refused_and_leaves_no_scratch_graph(spec, path):
    ds = Dataset()
    parse.parse_into(ds, path)
    store = _fresh(spec, ds)
    with pytest.raises(InconsistencyError) as e:
        infer_store(store)
    assert str(e.value).startswith("the ontology and data are inconsistent: ")
    assert "\n" not in str(e.value)
    assert GRAPH["scratch/inferred"] not in store.own_graphs()
    assert INFERRED_GRAPH not in store.named_graphs()
