"""assemble(): one named graph per input, provenance on the things of each source, metadata."""

from __future__ import annotations

import pytest
from pipeline_fixtures import EXPECTED, PIPELINE, ROOT, SOURCES, assert_isomorphic, load_turtle
from rdflib import Graph, URIRef
from rdflib.namespace import SH

from scgraph.assemble import (
    PROVENANCE_UPDATE,
    assemble,
    data_graphs,
    graph_name,
    named_graphs,
    union_graph,
)
from scgraph.errors import SourceError
from scgraph.namespaces import GRAPH, ID, INFERRED_GRAPH, METADATA_GRAPH, ONTOLOGY_GRAPH, SCG
from scgraph.reason import infer

SOURCE = GRAPH["source/unit-chart"]
REFERENCE = GRAPH["reference/organisations"]


@pytest.fixture(scope="module")
def ds():
    return assemble(ROOT)


def test_one_named_graph_per_input(ds):
    assert named_graphs(ds) == [METADATA_GRAPH, ONTOLOGY_GRAPH, REFERENCE, SOURCE]
    assert data_graphs(ds) == [REFERENCE, SOURCE]


def test_ontology_graph_holds_every_ontology_file_but_the_shapes(ds):
    expected = load_turtle(ROOT / "ontology" / "mini.ttl") + load_turtle(ROOT / "ontology" / "alignments.ttl")
    assert_isomorphic(ds.graph(ONTOLOGY_GRAPH), expected)
    assert not list(ds.graph(ONTOLOGY_GRAPH).triples((None, SH.targetClass, None)))


def test_reference_graph_is_the_file_unchanged(ds):
    assert_isomorphic(ds.graph(REFERENCE), load_turtle(ROOT / "data" / "reference" / "organisations.ttl"))


def test_source_things_get_stated_in_their_document(ds):
    stated = set(ds.quads((None, SCG.statedIn, None, None)))
    doc = ID["source/unit-chart"]
    assert {(s, o, g) for s, _p, o, g in stated} == {(ID["org/cnect-c3"], doc, SOURCE)}
    expected = load_turtle(ROOT / "data" / "sources" / "unit_chart.ttl")
    expected.add((ID["org/cnect-c3"], SCG.statedIn, doc))
    assert_isomorphic(ds.graph(SOURCE), expected)


def test_provenance_is_what_the_sparql_update_says():
    """add_provenance (one Python pass) adds exactly what PROVENANCE_UPDATE defines."""
    from rdflib import Dataset

    from scgraph.assemble import add_provenance

    def fresh() -> Dataset:
        d = Dataset()
        for path, name in ((ROOT / "data" / "sources" / "unit_chart.ttl", SOURCE),
                           (SOURCES / "extra_unit.ttl", GRAPH["source/extra-unit"])):
            d.graph(name).parse(path, format="turtle")
        return d

    by_python, by_sparql = fresh(), fresh()
    add_provenance(by_python)
    by_sparql.update(PROVENANCE_UPDATE)
    assert PROVENANCE_UPDATE.count("INSERT") == 1
    assert set(by_python.quads()) == set(by_sparql.quads())
    assert len(set(by_python.quads((None, SCG.statedIn, None, None)))) == 2


def test_metadata_graph_describes_each_graph(ds):
    assert_isomorphic(ds.graph(METADATA_GRAPH), load_turtle(EXPECTED / "metadata.ttl"))


def test_extra_source_gets_its_own_graph_with_hyphens():
    ds = assemble(ROOT, extra=[SOURCES / "extra_unit.ttl"])
    name = GRAPH["source/extra-unit"]
    assert name in named_graphs(ds)
    assert set(ds.graph(name).subjects(SCG.statedIn, None)) == {ID["org/cnect-h4"]}
    assert (name, URIRef("http://purl.org/dc/terms/identifier"), None) in ds.graph(METADATA_GRAPH)


def test_graph_name_replaces_underscores():
    assert graph_name("source", PIPELINE / "a_b_c.ttl") == GRAPH["source/a-b-c"]


@pytest.mark.parametrize("name, count", [("two_documents", 2), ("no_document", 0)])
def test_source_without_exactly_one_document_is_an_error(name, count):
    path = SOURCES / f"{name}.ttl"
    with pytest.raises(SourceError) as e:
        assemble(ROOT, extra=[path])
    assert str(e.value) == (
        f"{path}: declares {count} scg:SourceDocument; a source file declares exactly one "
        "(an IRI, typed scg:SourceDocument, or scg:WebPage for a web page)"
    )


def test_syntax_error_names_file_and_line():
    path = PIPELINE / "user" / "malformed.ttl"
    with pytest.raises(SourceError) as e:
        assemble(ROOT, extra=[path])
    assert str(e.value) == f"{path}:4: bad syntax: expected '.' or '}}' or ']' at end of statement"


def test_union_graph_leaves_out_inferred_unless_asked():
    ds = infer(assemble(ROOT))
    asserted = sum(len(ds.graph(g)) for g in named_graphs(ds) if g != INFERRED_GRAPH)
    assert len(union_graph(ds)) == asserted  # no triple is in two asserted graphs here
    assert len(union_graph(ds, include_inferred=True)) == asserted + 16
    assert isinstance(union_graph(ds), Graph)
