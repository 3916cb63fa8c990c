"""Literals kept as published: what the SPARQL endpoint gives back is what the release holds.

Oxigraph, the store behind ``scgraph serve``, keeps typed literals in canonical form: a value of a
datatype derived from ``xsd:integer`` (``"1"^^xsd:positiveInteger``) comes back as an
``xsd:integer``. The curated data therefore types whole numbers as ``xsd:integer`` (the shapes
add ``sh:minInclusive`` where a count or a position needs it), so that the graph loaded into the
store and read back is the graph published, literal for literal, and conforms to the shapes.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import XSD

from scgraph.assemble import assemble, data_graphs, named_graphs
from scgraph.namespaces import SCG
from scgraph.validate.shacl import validate


@pytest.fixture(scope="module")
def published() -> Dataset:
    return assemble()


@pytest.fixture(scope="module")
def read_back(published: Dataset) -> Dataset:
    """The published graph (N-Quads) loaded into pyoxigraph and read back, graph by graph."""
    store = ox.Store()
    store.load(published.serialize(format="nquads", encoding="utf-8"), format=ox.RdfFormat.N_QUADS)
    out = Dataset()
    for name in named_graphs(published):
        g = out.graph(name)
        text = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(str(name)))
        g.parse(data=text, format="nt")
    return out


def test_the_store_canonicalises_derived_integer_types():
    """The premise: what pyoxigraph does with an xsd:positiveInteger."""
    store = ox.Store()
    one = ox.Literal("1", datatype=ox.NamedNode(str(XSD.positiveInteger)))
    store.add(ox.Quad(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), one, ox.NamedNode("urn:x:g")))
    (quad,) = list(store)
    assert quad.object.datatype.value in (str(XSD.integer), str(XSD.positiveInteger))


def test_the_data_uses_no_datatype_the_store_rewrites(published: Dataset):
    rewritten = {XSD.positiveInteger, XSD.nonNegativeInteger, XSD.negativeInteger, XSD.nonPositiveInteger,
                 XSD.long, XSD.int, XSD.short, XSD.byte, XSD.unsignedLong, XSD.unsignedInt,
                 XSD.unsignedShort, XSD.unsignedByte}
    found = sorted({(str(p), str(o.datatype)) for name in data_graphs(published)
                    for _, p, o in published.graph(name)
                    if isinstance(o, Literal) and o.datatype in rewritten})
    assert found == []


def test_every_graph_reads_back_as_published(published: Dataset, read_back: Dataset):
    for name in named_graphs(published):
        sent = {t for t in published.graph(name) if isinstance(t[2], Literal)}
        got = {t for t in read_back.graph(name) if isinstance(t[2], Literal)}
        changed = sorted((str(s), str(p), o.n3()) for s, p, o in sent ^ got)
        assert changed == [], f"<{name}>: literals changed through the store: {changed[:10]}"
        assert len(read_back.graph(name)) == len(published.graph(name)), f"<{name}>"


def test_what_the_store_gives_back_conforms_to_the_shapes(read_back: Dataset):
    report = validate(read_back)
    assert report.violations == [], report.summary()


@pytest.mark.parametrize("datatype", [XSD.integer, XSD.positiveInteger])
def test_the_shapes_accept_both_forms_of_a_position(datatype: URIRef, published: Dataset):
    """Data typed by another publisher as xsd:positiveInteger also conforms, and so does the
    same value once a store has made it an xsd:integer."""
    ds = Dataset()
    for name in named_graphs(published):
        g = ds.graph(name)
        for s, p, o in published.graph(name):
            if p == SCG.order and isinstance(o, Literal):
                o = Literal(str(o), datatype=datatype)
            g.add((s, p, o))
    report = validate(ds)
    assert [r for r in report.violations if r.path == SCG.order] == []
