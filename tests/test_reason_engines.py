"""The reasoning engines give the same answers: owlrl (the reference), reasonable and SPARQL rules.

"The same answers": after the same noise filter (``reason.keep``), the inferred graph of each
engine is the same set of triples as owlrl's, on the curated graph plus a CORDIS import (whose
entailments hold every one of the curated graph alone), and on small cases for the equality
rules. ``infer_store`` (the rules run in
place in an Oxigraph store, as large builds do) gives the graph owlrl gives, as Oxigraph stores it.
The same holds for the lean graph (``inferred="lean"``: of the registry graphs' entailments
only those in scgraph's vocabulary, :class:`scgraph.reason.keep.Lean`).
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from pipeline_fixtures import PIPELINE, ROOT
from rdflib import Dataset, Graph, URIRef

from scgraph import parse
from scgraph.assemble import assemble
from scgraph.errors import InconsistencyError
from scgraph.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH
from scgraph.errors import UnsupportedOntology
from scgraph.reason import GRAPH_ENGINES, STORE_ENGINES, infer, infer_store
from scgraph.store import OxigraphStore
from scgraph.terms import from_ox, to_ox

DATA = Path(__file__).parent / "data"
FAST = ["reasonable", "sparql"]


def _inferred(ds: Dataset, engine: str, inferred: str = "full") -> set:
    infer(ds, engine, inferred)
    return set(ds.graph(INFERRED_GRAPH))


def _copy(ds: Dataset) -> Dataset:
    out = Dataset()
    for q in ds.quads((None, None, None, None)):
        out.add(q)
    return out


def _as_oxigraph_stores_it(triples: set) -> set:
    """The triples as they read back from Oxigraph (typed literals in canonical form)."""
    store = ox.Store()
    store.extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in triples)
    return {(from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)) for q in store}


def _diff(a: set, b: set) -> str:
    only_a = "\n".join(f"  only first: {t}" for t in sorted(a - b)[:10])
    only_b = "\n".join(f"  only second: {t}" for t in sorted(b - a)[:10])
    return f"{len(a - b)} and {len(b - a)} triples differ\n{only_a}\n{only_b}"


def _check_same_answers(ds: Dataset, inferred: str = "full") -> set:
    reference = _inferred(_copy(ds), "owlrl", inferred)
    assert reference, "the reference inferred nothing: the comparison would prove nothing"
    for engine in FAST:
        got = _inferred(_copy(ds), engine, inferred)
        assert got == reference, f"{engine}: {_diff(got, reference)}"
    expected = _as_oxigraph_stores_it(reference)
    for engine in STORE_ENGINES:
        store = OxigraphStore()
        store.load_dataset(ds)
        infer_store(store, engine=engine, inferred=inferred)
        got = {(from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))
               for q in store.store.quads_for_pattern(None, None, None, ox.NamedNode(str(INFERRED_GRAPH)))}
        assert got == expected, f"infer_store ({engine}): {_diff(got, expected)}"
        assert not [g for g in store.store.named_graphs() if g.value.startswith("urn:scgraph:")], \
            "a scratch graph was left behind"
    return reference


def test_engines_are_registered():
    assert sorted(GRAPH_ENGINES) == ["owlrl", "reasonable", "sparql"]


def test_same_answers_on_the_pipeline_fixture():
    _check_same_answers(assemble(ROOT))


@pytest.mark.slow
@pytest.mark.repo_data
def test_same_answers_on_the_curated_graph_plus_a_cordis_import():
    from scgraph.importers.cordis import REGISTRY_GRAPH, import_cordis, load_curated

    ds = assemble()
    import_cordis(DATA / "cordis" / "official", curated=load_curated(), dataset=ds)
    assert len(ds.graph(REGISTRY_GRAPH)) > 100
    reference = _check_same_answers(ds)
    registry_subjects = {s for s in ds.graph(REGISTRY_GRAPH).subjects()}
    assert any(s in registry_subjects for s, _p, _o in reference)


@pytest.mark.slow
@pytest.mark.repo_data
def test_same_lean_graph_on_the_curated_graph_plus_a_cordis_import():
    from scgraph.importers.cordis import REGISTRY_GRAPH, import_cordis, load_curated

    ds = assemble()
    import_cordis(DATA / "cordis" / "official", curated=load_curated(), dataset=ds)
    lean = _check_same_answers(ds, "lean")
    full = _inferred(_copy(ds), "sparql")
    curated = _inferred(assemble(), "sparql")
    assert curated <= lean < full
    scg = "https://w3id.org/scgraph/ontology#"
    registry_subjects = {s for s in ds.graph(REGISTRY_GRAPH).subjects()}
    assert any(s in registry_subjects for s, _p, _o in lean)
    assert all(str(p).startswith(scg) or str(o).startswith(scg) for _s, p, o in lean - curated
               if str(o) not in ("https://schema.org/Event", "http://www.w3.org/ns/prov#Agent",
                                 "http://www.w3.org/2004/02/skos/core#Concept"))


#: A curated graph and a registry graph over a small ontology mixing scg: and outside terms:
#: scg: facts reachable only through outside steps (a sub-property, a transitive chain across
#: the two graphs), an outside class a range gives alone, classes above and below scg: ones.
LEAN_CASES = """
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix ex: <https://example.org/vocab#> .
@prefix scg: <https://w3id.org/scgraph/ontology#> .
@prefix id: <https://w3id.org/scgraph/id/> .
@prefix graph: <https://w3id.org/scgraph/graph/> .
graph:ontology {
    ex:partOf a owl:ObjectProperty , owl:TransitiveProperty ; rdfs:subPropertyOf scg:within ;
        rdfs:range ex:Whole .
    ex:wingOf rdfs:subPropertyOf ex:partOf .
    ex:hasPart owl:inverseOf ex:partOf .
    scg:within rdfs:domain scg:Part .
    scg:Part rdfs:subClassOf ex:Thing .
    ex:Lab rdfs:subClassOf scg:Place .
    scg:Place rdfs:subClassOf ex:Place .
}
<https://w3id.org/scgraph/graph/source/a> {
    id:wing ex:partOf id:building .
    id:building ex:partOf id:campus .
}
<https://w3id.org/scgraph/graph/registry/r> {
    id:room ex:wingOf id:wing .
    id:campus ex:partOf id:city .
    id:lab a ex:Lab .
    id:park ex:hasPart id:lab .
}
"""


def test_same_lean_graph_through_outside_steps():
    ds = Dataset()
    ds.parse(data=LEAN_CASES, format="trig")
    lean = _check_same_answers(ds, "lean")
    full = _check_same_answers(ds, "full")
    ex, scg, idn = "https://example.org/vocab#", "https://w3id.org/scgraph/ontology#", "https://w3id.org/scgraph/id/"
    a = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

    def t(s: str, p: str, o: str) -> tuple:
        return URIRef(idn + s), URIRef(p), URIRef(o if "://" in o else idn + o)

    within, part_of = scg + "within", ex + "partOf"
    # scg: facts found only through ex:wingOf, and through ex:partOf chains across the graphs
    for s, o in [("room", "wing"), ("room", "building"), ("room", "city"), ("building", "city")]:
        assert t(s, within, o) in lean and t(s, part_of, o) in full - lean
    assert t("lab", part_of, "park") in full - lean and t("lab", within, "park") in lean
    # the curated graph's entailments stay, outside terms too
    assert {t("wing", part_of, "campus"), t("wing", a, ex + "Thing")} <= lean
    # an outside class a range gives alone is kept; one an scg: class implies is not
    assert t("city", a, ex + "Whole") in lean
    assert t("lab", a, scg + "Place") in lean and t("lab", a, ex + "Place") in full - lean
    assert t("room", a, scg + "Part") in lean and t("room", a, ex + "Thing") in full - lean


def test_same_answers_with_equality_rules():
    ds = Dataset()
    parse.parse_into(ds, DATA / "reason" / "same_as.trig")
    reference = _check_same_answers(ds)
    # the cases the file sets up did fire
    p1, p2 = URIRef("https://w3id.org/scgraph/id/person/p1"), URIRef("https://w3id.org/scgraph/id/person/p2")
    a, b = URIRef("https://w3id.org/scgraph/id/org/a"), URIRef("https://w3id.org/scgraph/id/org/b")
    same = URIRef("http://www.w3.org/2002/07/owl#sameAs")
    assert {(p1, same, p2), (p2, same, p1), (a, same, b), (b, same, a)} <= reference


def test_same_answers_on_transitive_chains():
    ds = Dataset()
    parse.parse_into(ds, DATA / "reason" / "transitive.trig")
    reference = _check_same_answers(ds)
    idn, ex = "https://w3id.org/scgraph/id/", "https://example.org/vocab#"
    part_of = URIRef(ex + "partOf")
    # room 1 is part of the building only through the outside floor, whose own link to the
    # building is derived (by the inverse) and left out of the published graph
    assert (URIRef(idn + "room-1"), part_of, URIRef(idn + "building-b")) in reference
    assert (URIRef(idn + "room-2"), part_of, URIRef("https://example.org/outside/region")) in reference
    assert (URIRef("https://example.org/outside/floor"), part_of, URIRef(idn + "building-b")) not in reference


@pytest.mark.parametrize("engine", STORE_ENGINES)
@pytest.mark.parametrize("path", sorted((PIPELINE / "inconsistent").glob("*.trig")), ids=lambda p: p.stem)
def test_every_store_engine_finds_the_inconsistencies(engine: str, path: Path):
    ds = Dataset()
    parse.parse_into(ds, path)
    store = OxigraphStore()
    store.load_dataset(ds)
    with pytest.raises(InconsistencyError) as e:
        infer_store(store, engine=engine)
    assert str(e.value).startswith("the ontology and data are inconsistent: ")
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("engine", sorted(GRAPH_ENGINES))
@pytest.mark.parametrize("path", sorted((PIPELINE / "inconsistent").glob("*.trig")), ids=lambda p: p.stem)
def test_every_engine_finds_the_inconsistencies(engine: str, path: Path):
    ds = Dataset()
    parse.parse_into(ds, path)
    with pytest.raises(InconsistencyError) as e:
        infer(ds, engine)
    assert str(e.value).startswith("the ontology and data are inconsistent: ")
    assert "\n" not in str(e.value)


def test_sparql_engine_refuses_constructs_it_does_not_implement():
    ds = Dataset()
    parse.parse_into(ds, DATA / "reason" / "unsupported.trig")
    with pytest.raises(UnsupportedOntology) as e:
        infer(ds, "sparql")
    assert str(e.value) == (
        "the ontology or data uses owl:Restriction, which the 'sparql' reasoning engine does not "
        "implement; use the 'owlrl' or 'reasonable' engine")


def test_infer_store_replaces_the_inferred_graph_and_leaves_the_rest():
    ds = assemble(ROOT)
    store = OxigraphStore()
    store.load_dataset(ds)
    stale = ox.Quad(ox.NamedNode("https://w3id.org/scgraph/id/x"), ox.NamedNode("https://example.org/p"),
                    ox.Literal("stale"), ox.NamedNode(str(INFERRED_GRAPH)))
    store.store.add(stale)
    before = {q for q in store.store if q.graph_name != ox.NamedNode(str(INFERRED_GRAPH))}
    result = infer_store(store)
    after = {q for q in store.store if q.graph_name != ox.NamedNode(str(INFERRED_GRAPH))}
    assert after == before
    assert stale not in store.store
    assert result.triples == len(infer(_copy(ds)).graph(INFERRED_GRAPH))
    assert result.passes >= 2  # the last pass finds nothing new


def test_ontology_graph_alone_infers_nothing_about_vocabulary_terms():
    ds = Dataset()
    g = ds.graph(ONTOLOGY_GRAPH)
    for t in Graph().parse(ROOT / "ontology" / "mini.ttl"):
        g.add(t)
    for engine in sorted(GRAPH_ENGINES):
        assert _inferred(_copy(ds), engine) == set(), engine


@pytest.mark.repo_data
def test_grouped_expansion_is_the_per_triple_expansion():
    """``LocalRules.expand_all`` (types once per subject run) derives exactly what ``expand``
    derives triple by triple, whatever the order of the triples."""
    import random

    from scgraph.reason.rules import read_schema
    from scgraph.reason.stream import LocalRules, split_nt

    store = OxigraphStore()
    store.load_dataset(assemble())
    graphs = list(store.store.named_graphs())
    local = LocalRules.from_schema(read_schema(store.store, graphs))
    lines = [split_nt(f"{q.subject} {q.predicate} {q.object} .\n") for q in store.store]
    expected = {t for s, p, o in lines for t in local.expand(s, p, o)}
    assert len(expected) > 1000
    random.Random(7).shuffle(lines)
    assert set(local.expand_all(lines)) == expected
    assert set(local.expand_all(sorted(lines))) == expected
