"""The query catalogue: headers, parameters, running, and deterministic output formats."""

from __future__ import annotations

import json

import pytest
from pipeline_fixtures import PIPELINE, ROOT
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDFS, XSD

from scgraph.assemble import assemble
from scgraph.catalogue import (
    Param,
    get_query,
    load_catalogue,
    parse_query,
    run,
    to_term,
)
from scgraph.errors import QueryError
from scgraph.namespaces import ID
from scgraph.reason import infer
from scgraph.results import to_csv, to_json, to_terminal, to_text, to_tsv
from scgraph.store import MemoryStore, OxigraphStore, QueryResult

QUERIES = ROOT / "queries"
EC, DG, C3 = ID["org/ec"], ID["org/dg-cnect"], ID["org/cnect-c3"]


@pytest.fixture(scope="module", params=["memory", "oxigraph"])
def store(request):
    s = MemoryStore() if request.param == "memory" else OxigraphStore()
    s.load_dataset(infer(assemble(ROOT), "sparql"))
    return s


def test_catalogue_is_sorted_by_name():
    cat = load_catalogue(QUERIES)
    assert list(cat) == ["has_label", "organisations", "units_of"]
    assert {n: q.title for n, q in cat.items()} == {
        "has_label": "Has a label", "organisations": "Organisations",
        "units_of": "Units of an organisation"}


def test_header():
    q = load_catalogue(QUERIES)["units_of"]
    assert q.name == "units_of"
    assert q.description == ("Every organisation that is a (direct or indirect) unit of the "
                             "given one, by label.")
    assert q.params == (Param("org", "iri"),)
    assert q.path == QUERIES / "units_of.rq"
    assert q.sparql == (QUERIES / "units_of.rq").read_text()
    assert load_catalogue(QUERIES)["has_label"].params == (Param("thing", "iri"), Param("label", "string"))


def test_optional_parameter_and_bad_type():
    q = parse_query("# title: T\n# params: year: integer?\nASK {}\n", "t")
    assert q.params == (Param("year", "integer", optional=True),)
    with pytest.raises(QueryError) as e:
        parse_query("# title: T\n# params: year: number\nASK {}\n", "t", PIPELINE / "t.rq")
    assert str(e.value) == (f"{PIPELINE / 't.rq'}:2: bad parameter 'year: number' in the header; "
                            "write 'name: type' with type one of iri, string, integer, decimal, "
                            "double, boolean, date, datetime, year")


def test_run_with_parameters(store):
    q = get_query("units_of", QUERIES)
    result = run(store, q, {"org": "id:org/ec"})
    assert result.rows == [(DG, Literal("DG CNECT", lang="en")), (C3, Literal("Unit C.3", lang="en"))]
    assert run(store, q, {"org": str(DG)}).rows == [(C3, Literal("Unit C.3", lang="en"))]


def test_run_ask_with_string_parameter(store):
    q = get_query("has_label", QUERIES)
    assert run(store, q, {"thing": f"<{DG}>", "label": "DG CNECT"}).boolean is True
    assert run(store, q, {"thing": f"<{DG}>", "label": "DG"}).boolean is False


def test_unknown_missing_and_ill_typed_parameters(store):
    q = get_query("units_of", QUERIES)
    with pytest.raises(QueryError, match=r"^unknown parameter 'organisation' for query 'units_of'; it takes: org$"):
        run(store, q, {"organisation": "id:org/ec"})
    with pytest.raises(QueryError, match=r"^missing parameter 'org' \(iri\) for query 'units_of'$"):
        run(store, q, {})
    with pytest.raises(QueryError, match=r"^parameter 'org' must be an IRI"):
        run(store, q, {"org": "not an iri"})


@pytest.mark.parametrize("value, type_, term", [
    ("id:city/porto", "iri", ID["city/porto"]),
    ("https://example.org/x", "iri", URIRef("https://example.org/x")),
    ("<https://example.org/x>", "iri", URIRef("https://example.org/x")),
    ("Porto", "string", Literal("Porto")),
    ("42", "integer", Literal(42)),
    ("2023-05-04", "date", Literal("2023-05-04", datatype=XSD.date)),
    ("true", "boolean", Literal(True)),
    ("2023", "year", Literal("2023", datatype=XSD.gYear)),
])
def test_to_term(value, type_, term):
    assert to_term(value, type_) == term


def test_ill_typed_literal():
    with pytest.raises(QueryError) as e:
        to_term("forty", "integer", "n")
    assert str(e.value) == "parameter 'n' must be of type integer, got 'forty'"


def test_unknown_query():
    with pytest.raises(QueryError) as e:
        get_query("nope", QUERIES)
    assert str(e.value) == "unknown query 'nope'; run 'scgraph queries' to list the queries"


def test_bad_syntax_names_file_and_line(store):
    path = PIPELINE / "broken_query.rq"
    with pytest.raises(QueryError) as e:
        run(store, get_query(path))
    assert str(e.value) == f"{path}:5: bad SPARQL: Expected SelectQuery, found ')'"


def test_every_fixture_query_parses(store):
    for q in load_catalogue(QUERIES).values():
        assert q.title


RESULT = QueryResult(vars=["thing", "label", "n"], rows=[
    (EC, Literal("European Commission", lang="en"), Literal(3)),
    (URIRef("https://example.org/a,b"), Literal('say "hi"'), None),
])


def test_csv():
    assert to_csv(RESULT) == (
        "thing,label,n\r\n"
        "https://w3id.org/scgraph/id/org/ec,European Commission,3\r\n"
        '"https://example.org/a,b","say ""hi""",\r\n')


def test_tsv():
    assert to_tsv(RESULT) == (
        "?thing\t?label\t?n\n"
        '<https://w3id.org/scgraph/id/org/ec>\t"European Commission"@en\t'
        '"3"^^<http://www.w3.org/2001/XMLSchema#integer>\n'
        '<https://example.org/a,b>\t"say \\"hi\\""\t\n')


def test_json():
    assert json.loads(to_json(RESULT)) == {
        "head": {"vars": ["thing", "label", "n"]},
        "results": {"bindings": [
            {"thing": {"type": "uri", "value": str(EC)},
             "label": {"type": "literal", "value": "European Commission", "xml:lang": "en"},
             "n": {"type": "literal", "value": "3", "datatype": str(XSD.integer)}},
            {"thing": {"type": "uri", "value": "https://example.org/a,b"},
             "label": {"type": "literal", "value": 'say "hi"'}},
        ]},
    }
    assert to_json(RESULT) == to_json(RESULT)
    assert json.loads(to_json(QueryResult(boolean=False))) == {"head": {}, "boolean": False}


def test_text_table():
    assert to_text(RESULT) == (
        "thing                      label                     n\n"
        "-------------------------  ------------------------  -\n"
        'id:org/ec                  "European Commission"@en  3\n'
        '<https://example.org/a,b>  say "hi"\n'
    )


def test_graph_results_are_sorted_triples():
    g = Graph()
    g.add((DG, RDFS.label, Literal("b")))
    g.add((C3, RDFS.label, Literal("a")))
    g.add((BNode("x"), RDFS.label, Literal("c")))
    text = to_tsv(QueryResult(graph=g))
    assert text.splitlines()[0] == "?subject\t?predicate\t?object"
    assert [line.split("\t")[0] for line in text.splitlines()[1:]] == ["_:x", f"<{C3}>", f"<{DG}>"]


def test_terminal_table_fits_80_columns():
    """At 80 columns every row stays on one line, long values cut with an ellipsis (not
    wrapped mid-word), language tags kept; --wide cuts nothing."""
    long = "A very long title of a project that goes on and on about smart cities in Europe"
    result = QueryResult(vars=["project", "title", "label"], rows=[
        (URIRef("https://w3id.org/scgraph/id/project/triangulum"), Literal(long), Literal("Bruxelles", lang="fr"))])
    lines = to_terminal(result, 80, title="T").splitlines()
    assert lines[0] == "T" and lines[-1] == "(1 row)"
    assert all(len(line) <= 80 for line in lines)
    assert lines[1].split() == ["project", "title", "label"]
    row = lines[3]
    assert row.startswith("id:project/triangulum  A very long title") and "…" in row
    assert row.endswith('"Bruxelles"@fr')
    wide = to_terminal(result, 80, wide=True).splitlines()
    assert long in wide[2] and len(wide[2]) > 80


def test_terminal_records_when_columns_cannot_fit():
    names = [f"column{i}" for i in range(12)]
    result = QueryResult(vars=names, rows=[tuple(Literal(f"value {i} " * 2 + f"value {i}") for i in range(12))] * 2)
    lines = to_terminal(result, 80).splitlines()
    assert lines[0] == "-[ 1 ]" + "-" * 74
    assert lines[1] == "column0  | value 0 value 0 value 0"
    assert lines.count("-[ 2 ]" + "-" * 74) == 1 and lines[-1] == "(2 rows)"
    assert all(len(line) <= 80 for line in lines)
    # a narrow terminal cuts each value, never wraps it
    narrow = to_terminal(result, 20).splitlines()
    assert narrow[1] == "column0  | value 0…" and all(len(line) <= 20 for line in narrow)
