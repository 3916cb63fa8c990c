"""Property-based tests (hypothesis) of the entry points that take outside text: the CORDIS
importer, query parameter binding, and the dumps' round trip.

The CI run is short: ``SCGRAPH_FUZZ_EXAMPLES`` examples per property (default 60). A longer
run: ``SCGRAPH_FUZZ_EXAMPLES=5000 .venv/bin/pytest tests/test_fuzz.py`` (docs/reliability.md).
"""

from __future__ import annotations

import csv
import io as _io
import os
import re
import tempfile
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.term import Node

from scgraph import catalogue
from scgraph.errors import QueryError, SourceError
from scgraph.importers.cordis import import_cordis
from scgraph.publish.serialise import jsonld, write_dumps
from scgraph.store import OxigraphStore, bind_values

EXAMPLES = int(os.environ.get("SCGRAPH_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 100,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# text as registry exports and people write it: any Unicode but surrogates, with the
# characters that matter to CSV, SPARQL and N-Triples drawn more often
NASTY = st.sampled_from(['"', "'", ";", ",", "\n", "\r", "\\", "{", "}", "<", ">", "#", "\t", " ",
                         "\u00a0", "\u2028", "\x00", "\x7f", "é", "Ã©", "\ufeff", "🏙"])
TEXT = st.lists(st.one_of(st.characters(blacklist_categories=("Cs",)), NASTY), max_size=30).map("".join)


# --------------------------------------------------------------------------- importer

HEADER = ["id", "acronym", "status", "title", "startDate", "endDate", "frameworkProgramme"]
VALID_ID = st.integers(min_value=1, max_value=10**9).map(str)
FIELD = st.one_of(TEXT, st.just(""), st.dates().map(str))
ROW = st.fixed_dictionaries({
    "id": st.one_of(VALID_ID, VALID_ID, TEXT),
    "acronym": st.one_of(TEXT, st.just("")), "status": st.sampled_from(["SIGNED", "CLOSED", ""]),
    "title": TEXT, "startDate": FIELD, "endDate": FIELD,
    "frameworkProgramme": st.sampled_from(["H2020", "HORIZON", "", "FP7"]),
})


def _csv(rows: list[dict[str, str]], delimiter: str) -> tuple[str, list[int]]:
    """The table as CSV text, and the physical line each record starts on (lines end at
    CR LF, CR or LF, as Python reads a file opened with newline="")."""
    buf = _io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")  # quotes fields with CR or LF
    w.writerow(HEADER)
    starts = []
    for row in rows:
        starts.append(len(re.findall(r"\r\n|\r|\n", buf.getvalue())) + 1)
        w.writerow([row[c] for c in HEADER])
    return buf.getvalue(), starts


@FUZZ
@given(rows=st.lists(ROW, max_size=8), delimiter=st.sampled_from([";", ","]))
def test_importer_accepts_or_rejects_every_row_with_its_line(rows: list[dict[str, str]], delimiter: str) -> None:
    text, starts = _csv(rows, delimiter)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "project.csv").write_text(text, encoding="utf-8", newline="")
        try:
            result = import_cordis(tmp)
        except SourceError as e:  # a structural problem only: the header is fixed and whole
            pytest.fail(f"SourceError on a well-formed table: {e}")
    report = result.report
    for r in report.rejected:
        assert r.file == "project.csv" and r.line in starts and r.reason.strip()
        assert "\n" not in r.reason
    rejected_lines = {r.line for r in report.rejected}
    graph = result.dataset.graph(URIRef("https://w3id.org/scgraph/graph/registry/cordis"))
    subjects = {str(s) for s in graph.subjects()}
    seen: set[int] = set()
    for row, line in zip(rows, starts):
        iri = None
        if row["id"].strip().isdigit():
            iri = f"https://w3id.org/scgraph/id/project/cordis-{int(row['id'].strip())}"
        if line in rejected_lines:
            continue
        # accepted: its id round-trips into the project's IRI (a duplicate id is rejected)
        assert iri is not None and iri in subjects, (row, report.rejected)
        assert int(row["id"].strip()) not in seen
        seen.add(int(row["id"].strip()))
    assert report.projects == len(seen)


# --------------------------------------------------------------------------- parameter binding

TEMPLATE = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            "SELECT ?x ?label WHERE { ?x rdfs:label ?l . FILTER (STR(?l) = STR(?label)) }\n"
            "ORDER BY ?x")
ECHO = "SELECT ?v WHERE { BIND (?value AS ?v) }"


def _skeleton(node: object) -> object:
    """The algebra with every RDF term replaced by its kind: the shape of the query."""
    if isinstance(node, dict):
        name = getattr(node, "name", "dict")
        return (name, tuple(sorted((k, _skeleton(v)) for k, v in node.items() if k != "_vars")))
    if isinstance(node, (list, tuple)):
        return tuple(_skeleton(x) for x in node)
    if isinstance(node, (set, frozenset)):
        return tuple(sorted(repr(_skeleton(x)) for x in node))
    if isinstance(node, (Literal, URIRef, BNode)):
        return "TERM"  # which term it is, the echo test checks
    return repr(node) if not isinstance(node, str) else node


def _shape(sparql: str) -> object:
    return _skeleton(translateQuery(parseQuery(sparql)).algebra)


BENIGN_SHAPE = _shape(bind_values(TEMPLATE, {"label": Literal("benign")}))
IRI_TEXT = st.one_of(TEXT, TEXT.map(lambda t: "https://example.org/" + t), TEXT.map(lambda t: "urn:x:" + t))


@FUZZ
@given(value=TEXT)
def test_string_parameters_never_change_the_query(value: str) -> None:
    term = catalogue.to_term(value, "string", "label")
    assert _shape(bind_values(TEMPLATE, {"label": term})) == BENIGN_SHAPE
    _assert_echoed(term)


@FUZZ
@given(value=IRI_TEXT)
def test_iri_parameters_are_refused_or_bound_whole(value: str) -> None:
    try:
        term = catalogue.to_term(value, "iri", "label")
    except QueryError as e:
        assert str(e).startswith("parameter 'label' must be an IRI")
        return
    assert _shape(bind_values(TEMPLATE, {"label": term})) == BENIGN_SHAPE
    _assert_echoed(term)


@FUZZ
@given(value=TEXT, datatype=IRI_TEXT, lang=st.sampled_from([None, "en", "pt-BR", "x-private"]))
def test_any_rdflib_term_is_bound_whole_or_refused(value: str, datatype: str, lang: str | None) -> None:
    """bind_values is public: even a Literal with a hostile datatype IRI cannot break out."""
    term: Node = Literal(value, lang=lang) if lang else Literal(value, datatype=URIRef(datatype))
    try:
        text = bind_values(TEMPLATE, {"label": term})
    except QueryError as e:
        assert "label" in str(e)
        return
    assert _shape(text) == BENIGN_SHAPE


def _assert_echoed(term: Node) -> None:
    """Oxigraph answers the bound term back, exactly: it reached the query as one term."""
    res = _ECHO_STORE.query(ECHO, {"value": term})
    assert res.vars == ["v"] and len(res.rows) == 1
    got = res.rows[0][0]
    assert got == term or (isinstance(term, Literal) and term.datatype == XSD.string and got == Literal(str(term)))


_ECHO_STORE = OxigraphStore()


# --------------------------------------------------------------------------- dumps

LANG = st.from_regex(r"\A[a-z]{2,3}(-[A-Z]{2}|-[a-z0-9]{5,8})?\Z")
DATATYPES = st.sampled_from([XSD.string, XSD.integer, XSD.decimal, XSD.date, XSD.boolean,
                             URIRef("https://w3id.org/scgraph/ontology#code"), XSD.anyURI])
LEXICAL = {XSD.integer: st.integers(-10**20, 10**20).map(str),
           XSD.decimal: st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
           XSD.date: st.dates().map(str), XSD.boolean: st.sampled_from(["true", "false"])}


@st.composite
def literals(draw: st.DrawFn) -> Literal:
    kind = draw(st.sampled_from(["plain", "lang", "typed"]))
    if kind == "lang":
        return Literal(draw(TEXT), lang=draw(LANG))
    if kind == "plain":
        return Literal(draw(TEXT))
    dt = draw(DATATYPES)
    return Literal(draw(LEXICAL.get(dt, TEXT)), datatype=dt)


IRI = st.from_regex(r"\A[a-z0-9\-/é]{1,12}\Z").map(lambda s: URIRef("https://w3id.org/scgraph/id/" + s))
OBJECT = st.one_of(IRI, literals())
GRAPHS = st.sampled_from([URIRef("https://w3id.org/scgraph/graph/source/a"),
                          URIRef("https://w3id.org/scgraph/graph/reference/b"),
                          URIRef("https://w3id.org/scgraph/graph/inferred")])


def _rdf11(g: Graph) -> Graph:
    """``g`` with "x"^^xsd:string written "x": the same literal in RDF 1.1, two terms in rdflib."""
    out = Graph()
    for s, p, o in g:
        if isinstance(o, Literal) and o.datatype == XSD.string:
            o = Literal(str(o))
        out.add((s, p, o))
    return out


def _same(a: Graph, b: Graph) -> bool:
    return isomorphic(_rdf11(a), _rdf11(b))


@FUZZ
@given(quads=st.lists(st.tuples(IRI, IRI, OBJECT, GRAPHS), min_size=1, max_size=12))
def test_dumps_parse_back_isomorphic(quads: list[tuple[URIRef, URIRef, Node, URIRef]]) -> None:
    ds = Dataset()
    for s, p, o, g in quads:
        ds.graph(g).add((s, p, o))
    with tempfile.TemporaryDirectory() as tmp:
        files = write_dumps(ds, tmp)
        for name, fmt in (("nquads", "nquads"), ("trig", "trig")):
            back = Dataset()
            back.parse(files[name], format=fmt)
            for g in {q[3] for q in quads}:
                assert _same(back.graph(g), ds.graph(g)), name
            # and a second, independent parser reads the same number of quads
            n = sum(1 for _ in ox.parse(path=str(files[name]),
                                        format=ox.RdfFormat.N_QUADS if fmt == "nquads" else ox.RdfFormat.TRIG))
            assert n == len(set(ds.quads((None, None, None, None))))
        union = Graph()
        for s, p, o, g in quads:
            if g != URIRef("https://w3id.org/scgraph/graph/inferred"):
                union.add((s, p, o))
        assert _same(Graph().parse(files["graph"], format="turtle"), union)
        back = Dataset()
        back.parse(data=jsonld(ds).decode("utf-8"), format="json-ld")
        for g in {q[3] for q in quads}:
            assert _same(back.graph(g), ds.graph(g)), "json-ld"
