"""infer(): the new instance-level triples of the OWL RL closure, in graph:inferred."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipeline_fixtures import EXPECTED, PIPELINE, ROOT, assert_isomorphic, load_turtle
from rdflib import BNode, Dataset, Literal, URIRef
from rdflib.namespace import FOAF, OWL, RDF, RDFS

from scgraph import parse
from scgraph.assemble import assemble, named_graphs
from scgraph.errors import InconsistencyError, ReasoningError
from scgraph.namespaces import ID, INFERRED_GRAPH, SCG
from scgraph.reason import infer
from scgraph.reason.keep import keep

INCONSISTENT = sorted((PIPELINE / "inconsistent").glob("*.trig"))
EC, DG = ID["org/ec"], ID["org/dg-cnect"]


def test_infers_exactly_the_instance_level_facts():
    ds = infer(assemble(ROOT))
    assert_isomorphic(ds.graph(INFERRED_GRAPH), load_turtle(EXPECTED / "inferred.ttl"))


def test_inferred_graph_is_replaced_not_added_to():
    ds = infer(assemble(ROOT))
    ds.graph(INFERRED_GRAPH).add((EC, RDFS.label, Literal("stale")))
    infer(ds)
    assert_isomorphic(ds.graph(INFERRED_GRAPH), load_turtle(EXPECTED / "inferred.ttl"))


def test_asserted_graphs_are_left_alone():
    before = assemble(ROOT)
    sizes = {g: len(before.graph(g)) for g in named_graphs(before)}
    after = infer(before)
    assert {g: len(after.graph(g)) for g in named_graphs(after) if g != INFERRED_GRAPH} == sizes


@pytest.mark.parametrize("path", INCONSISTENT, ids=lambda p: p.stem)
def test_inconsistency_is_an_error(path: Path):
    ds = Dataset()
    parse.parse_into(ds, path)
    with pytest.raises(InconsistencyError) as e:
        infer(ds)
    assert str(e.value).startswith("the ontology and data are inconsistent: ")
    assert "\n" not in str(e.value)


def test_unknown_engine():
    with pytest.raises(ReasoningError, match="unknown reasoning engine 'vampire'"):
        infer(Dataset(), engine="vampire")


@pytest.mark.parametrize("triple, kept", [
    ((DG, RDF.type, SCG.Organisation), True),
    ((DG, OWL.sameAs, DG), False),
    ((DG, RDF.type, OWL.Thing), False),
    ((DG, RDF.type, RDFS.Resource), False),
    ((DG, RDF.type, OWL.NamedIndividual), False),
    ((SCG.unitOf, RDF.type, OWL.TransitiveProperty), False),
    ((DG, RDF.type, OWL.ObjectProperty), False),
    ((SCG.Organisation, RDFS.subClassOf, SCG.Organisation), False),
    ((FOAF.Person, RDFS.subClassOf, FOAF.Agent), False),
    ((BNode(), RDF.type, SCG.Organisation), False),
    ((Literal("x"), RDF.type, RDFS.Literal), False),
    ((URIRef("https://example.org/thing"), RDF.type, FOAF.Agent), False),
])
def test_keep_drops_noise(triple, kept):
    assert keep(triple, data_subjects=set()) is kept


def test_keep_accepts_outside_things_described_in_the_data():
    thing = URIRef("https://example.org/thing")
    assert keep((thing, RDF.type, FOAF.Agent), data_subjects={thing})
