"""The W3C SPARQL 1.1 results-format tests (CSV/TSV and JSON, ../shared/standards/) through
:func:`scgraph.terms.write_select` and :func:`scgraph.terms.write_boolean` over Oxigraph's
answers, as the endpoint writes them.

Blank nodes compare by first appearance (the queries are ordered). Numbers compare by datatype
and value: Oxigraph stores numbers by value and gives their canonical lexical form
(``"1.0E6"^^xsd:double`` comes back ``1000000``), see docs/serving.md, "Conformance".
"""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

from scgraph.terms import write_boolean, write_select

STANDARDS = Path(__file__).resolve().parents[2] / "shared" / "standards"
if not STANDARDS.is_dir():
    STANDARDS = Path("/work/shared/standards")
CSVTSV = STANDARDS / "sparql11-csv-tsv-results-tests"
JSONRES = STANDARDS / "sparql11-json-results-tests"
pytestmark = pytest.mark.skipif(not CSVTSV.is_dir() or not JSONRES.is_dir(), reason="W3C tests not present")

XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + "integer": int, XSD + "decimal": Decimal, XSD + "double": float}

# name: (folder, query, data, expected)
CASES = {
    "csv01": (CSVTSV, "csvtsv01.rq", "data.ttl", "csvtsv01.csv"),
    "csv02": (CSVTSV, "csvtsv02.rq", "data.ttl", "csvtsv02.csv"),
    "csv03": (CSVTSV, "csvtsv01.rq", "data2.ttl", "csvtsv03.csv"),
    "tsv01": (CSVTSV, "csvtsv01.rq", "data.ttl", "csvtsv01.tsv"),
    "tsv02": (CSVTSV, "csvtsv02.rq", "data.ttl", "csvtsv02.tsv"),
    "tsv03": (CSVTSV, "csvtsv01.rq", "data2.ttl", "csvtsv03.tsv"),
    "jsonres01": (JSONRES, "jsonres01.rq", "data.ttl", "jsonres01.srj"),
    "jsonres02": (JSONRES, "jsonres02.rq", "data.ttl", "jsonres02.srj"),
    "jsonres03": (JSONRES, "jsonres03.rq", "data.ttl", "jsonres03.srj"),
    "jsonres04": (JSONRES, "jsonres04.rq", "data.ttl", "jsonres04.srj"),
}


def _answer(folder: Path, query: str, data: str, fmt: str) -> bytes:
    store = ox.Store()
    # in a named graph, queried through the union default graph, as the endpoint does
    store.load(path=str(folder / data), format=ox.RdfFormat.TURTLE, base_iri="http://example.org/",
               to_graph=ox.NamedNode("http://example.org/graph"))
    res = store.query((folder / query).read_text(), use_default_graph_as_union=True)
    if isinstance(res, ox.QueryBoolean):
        return write_boolean(fmt, res)
    variables = [v.value for v in res.variables]
    return write_select(fmt, variables, [[sol[i] for i in range(len(variables))] for sol in res])


class _Blanks:
    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def __call__(self, label: str) -> str:
        return self.seen.setdefault(label, f"b{len(self.seen)}")


def _literal(value: str, lang: str, datatype: str) -> tuple:
    if datatype in NUMERIC:
        return ("number", datatype, NUMERIC[datatype](value))
    return ("literal", value, lang, "" if datatype == XSD + "string" else datatype)


_TSV_TERM = re.compile(r'^(?:<(?P<iri>[^>]*)>|_:(?P<bnode>\S+)|"(?P<lit>(?:[^"\\]|\\.)*)"'
                       r'(?:@(?P<lang>[\w-]+)|\^\^<(?P<dt>[^>]*)>)?|(?P<num>[-+]?[\d.]+(?:[eE][-+]?\d+)?)|(?P<bool>true|false))$')


def _tsv(text: str) -> list[list]:
    blanks = _Blanks()
    lines = text.rstrip("\n").split("\n")
    out = [[v.lstrip("?") for v in lines[0].split("\t")]]
    for line in lines[1:]:
        row = []
        for field in line.split("\t"):
            if field == "":
                row.append(None)
                continue
            m = _TSV_TERM.match(field)
            assert m, field
            if m["iri"] is not None:
                row.append(("uri", m["iri"]))
            elif m["bnode"] is not None:
                row.append(("bnode", blanks(m["bnode"])))
            elif m["num"] is not None:
                n = m["num"]
                dt = XSD + ("double" if "e" in n.lower() else "decimal" if "." in n else "integer")
                row.append(_literal(n, "", dt))
            elif m["bool"] is not None:
                row.append(("literal", m["bool"], "", XSD + "boolean"))
            else:
                value = json.loads('"' + m["lit"] + '"')
                row.append(_literal(value, m["lang"] or "", m["dt"] or ""))
        out.append(row)
    return out


def _csv(text: str) -> list[list]:
    blanks = _Blanks()
    rows = list(csv.reader(io.StringIO(text)))
    out = [rows[0]]
    for row in rows[1:]:
        cells = []
        for f in row:
            if f.startswith("_:"):
                cells.append(blanks(f))
            else:
                try:
                    cells.append(Decimal(f))  # numbers by value (CSV keeps no datatype)
                except ArithmeticError:
                    cells.append(f)
        out.append(cells)
    return out


def _json(text: str) -> object:
    doc = json.loads(text)
    if "boolean" in doc:
        return doc["boolean"]
    blanks = _Blanks()
    out = [doc["head"]["vars"]]
    for b in doc["results"]["bindings"]:
        row = {}
        for var, t in b.items():
            if t["type"] == "uri":
                row[var] = ("uri", t["value"])
            elif t["type"] == "bnode":
                row[var] = ("bnode", blanks(t["value"]))
            else:
                row[var] = _literal(t["value"], t.get("xml:lang", ""), t.get("datatype", ""))
        out.append(row)
    return out


#: Cases the store's canonical forms break: Oxigraph keeps "-3"^^xsd:negativeInteger as
#: "-3"^^xsd:integer (docs/serving.md, "Conformance"; issue 15, part 5).
STORE_CANONICALISES = {"tsv03"}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(
    strict=True, reason="Oxigraph stores xsd:negativeInteger as xsd:integer")) if n in STORE_CANONICALISES
    else n for n in CASES])
def test_w3c_results_format(name):
    folder, query, data, expected = CASES[name]
    fmt = {"csv": "csv", "tsv": "tsv", "srj": "json"}[expected.rsplit(".", 1)[1]]
    ours = _answer(folder, query, data, fmt).decode("utf-8")
    theirs = (folder / expected).read_text(encoding="utf-8")
    parse = {"csv": _csv, "tsv": _tsv, "json": _json}[fmt]
    assert _table(parse(ours)) == _table(parse(theirs))


def _table(parsed: object) -> object:
    """Variables as a set (SELECT * leaves their order open) and rows as dicts, in order."""
    if isinstance(parsed, bool):
        return parsed
    head, *rows = parsed
    return sorted(head), [r if isinstance(r, dict) else {v: c for v, c in zip(head, r) if c not in (None, "")}
                          for r in rows]


def test_double_keeps_the_store_lexical_form():
    """The writers write the lexical form the store gives, typed: a double stays a double."""
    store = ox.Store()
    store.update('INSERT DATA { <http://e/s> <http://e/p> "1.0E6"^^<http://www.w3.org/2001/XMLSchema#double> }')
    res = store.query("SELECT ?o { ?s ?p ?o }")
    (o,) = [sol[0] for sol in res]
    doc = json.loads(write_select("json", ["o"], [[o]]))
    term = doc["results"]["bindings"][0]["o"]
    assert term == {"type": "literal", "value": o.value, "datatype": XSD + "double"}
    assert float(term["value"]) == 1.0e6
    tsv = write_select("tsv", ["o"], [[o]]).decode()
    assert tsv.splitlines()[1] == f'"{o.value}"^^<{XSD}double>'
