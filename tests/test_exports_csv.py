"""``scgraph query -f csv``, ``-f tsv`` and ``-f json`` on an embedded Oxigraph store: the answer
is written as the store gives the rows (bulk exports at the store's row rate, issue 18), and the
bytes are scgraph's own CSV, TSV and JSON (:func:`scgraph.results.to_csv`,
:func:`~scgraph.results.to_tsv`, :func:`~scgraph.results.to_json`): on the curated build, on the
sample registry, and where Oxigraph's writers, which write the CSV and TSV through
:class:`scgraph.results.StreamGuard`, differ (CSV: an IRI holding a comma, which it leaves
unquoted, and a one-column row with an empty or unbound value, which it writes as an empty
line; TSV: numbers and booleans, which it abbreviates). The JSON is scgraph's template writer
(:func:`scgraph.terms.json_select`), checked here against ``json.dumps`` of the whole
document."""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from test_queries import EXPECTED, PARAMS, SAMPLE
from typer.testing import CliRunner

from scgraph import catalogue, results
from scgraph.cli import app
from scgraph.cli.common import fill_store
from scgraph.errors import QueryError
from scgraph.store import OxigraphStore

SCGRAPH = str(Path(sys.executable).parent / "scgraph")
QUERIES = catalogue.load_catalogue()
QUESTIONS, EXPORTS = catalogue.split_catalogue(QUERIES)


def streamed(store: OxigraphStore, query: catalogue.Query, params: dict[str, str] | None = None,
             fmt: str = "csv") -> bytes:
    out = io.BytesIO()
    assert catalogue.run_streamed(store, query, out, fmt, params) is None, query.name
    return out.getvalue()


def ours(store: OxigraphStore, query: catalogue.Query, params: dict[str, str] | None = None,
         fmt: str = "csv") -> bytes:
    return results.FORMATTERS[fmt](catalogue.run(store, query, params)).encode("utf-8")


def same_unordered(a: bytes, b: bytes, fmt: str = "csv") -> bool:
    """The same header and the same lines, in any order (the analysis exports have no ORDER BY:
    two runs may give their rows in two orders); in JSON, the same variables and bindings."""
    if fmt == "json":
        da, db = json.loads(a), json.loads(b)
        key = lambda b: json.dumps(b, sort_keys=True)  # noqa: E731
        return (da["head"] == db["head"] and len(a) == len(b)
                and sorted(map(key, da["results"]["bindings"])) == sorted(map(key, db["results"]["bindings"])))
    end = b"\r\n" if fmt == "csv" else b"\n"
    la, lb = a.split(end), b.split(end)
    return la[0] == lb[0] and sorted(la) == sorted(lb) and len(a) == len(b)


@pytest.fixture(scope="module")
def curated(curated_build: Path):
    store = OxigraphStore()
    fill_store(store, curated_build, True)  # what 'scgraph query' does without a store folder
    yield store
    store.close()


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build = tmp_path_factory.mktemp("sample") / "build"
    runner = CliRunner()
    for args in (["import", "cordis", str(SAMPLE), "--skip-invalid", "--build-dir", str(build), "-q"],
                 ["build", "--out", str(build), "-q"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    return build


@pytest.fixture(scope="module")
def sample(sample_build: Path):
    store = OxigraphStore(sample_build / "store", read_only=True)
    yield store
    store.close()


@pytest.mark.parametrize("name", QUESTIONS)
def test_curated_questions_stream_the_expected_bytes(curated, name):
    expected = (EXPECTED / f"{name}.csv").read_bytes()
    assert streamed(curated, QUERIES[name], PARAMS.get(name)) == expected
    assert ours(curated, QUERIES[name], PARAMS.get(name)) == expected


@pytest.mark.parametrize("name", QUESTIONS)
def test_sample_registry_questions_stream_the_expected_bytes(sample, name):
    got = streamed(sample, QUERIES[name], PARAMS.get(name))
    assert got == ours(sample, QUERIES[name], PARAMS.get(name))
    # the expected answers of the registry are kept with LF line ends (test_queries)
    assert got.replace(b"\r\n", b"\n") == (EXPECTED / "registry" / f"{name}.csv").read_bytes()


@pytest.mark.parametrize("fmt", ["tsv", "json"])
@pytest.mark.parametrize("name", QUESTIONS)
def test_questions_stream_scgraphs_tsv_and_json(curated, sample, name, fmt):
    for store in (curated, sample):
        got = streamed(store, QUERIES[name], PARAMS.get(name), fmt)
        assert got == ours(store, QUERIES[name], PARAMS.get(name), fmt)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json"])
@pytest.mark.parametrize("name", EXPORTS)
def test_analysis_exports_stream_scgraphs_bytes(curated, sample, name, fmt):
    for store in (curated, sample):
        got, want = streamed(store, QUERIES[name], fmt=fmt), ours(store, QUERIES[name], fmt=fmt)
        assert same_unordered(got, want, fmt), name
        if name in ("analysis_edges", "analysis_nodes", "analysis_labels"):
            assert got.count(b"\n") > 100, name


_CHARS = "aZ09 \"\\/\b\f\n\r\t\x00\x1f\x7f\u00e9\u2028\u2029\U0001f600\ud7ff,;:{}[]"


def _random_cell(rng: random.Random) -> tuple[str, str, str, str] | None:
    text = "".join(rng.choice(_CHARS) for _ in range(rng.randrange(6)))
    return rng.choice([
        None,
        ("uri", "http://example.org/" + text, "", ""),
        ("bnode", "b" + str(rng.randrange(99)), "", ""),
        ("literal", text, "", "http://www.w3.org/2001/XMLSchema#string"),
        ("literal", text, "", ""),
        ("literal", text, rng.choice(["en", "de-at"]), "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"),
        ("literal", text, "", "http://www.w3.org/2001/XMLSchema#integer"),
        ("triple", "<< <a> <b> <c> >>", "", ""),
    ])


def _document(variables: list[str], rows: list[list[tuple[str, str, str, str] | None]]) -> dict:
    """The results document as json.dumps would be given it (what write_select built before)."""
    def term(cell: tuple[str, str, str, str]) -> dict[str, str]:
        kind, value, lang, datatype = cell
        out = {"type": kind if kind in ("uri", "bnode") else "literal", "value": value}
        if kind not in ("uri", "bnode"):
            if lang:
                out["xml:lang"] = lang
            elif datatype and datatype != "http://www.w3.org/2001/XMLSchema#string":
                out["datatype"] = datatype
        return out
    return {"head": {"vars": variables}, "results": {"bindings": [
        {v: term(c) for v, c in zip(variables, row) if c is not None} for row in rows]}}


@pytest.mark.parametrize("indent", [None, 2, 4])
def test_json_template_writes_what_json_dumps_writes(indent):
    """The template writer against ``json.dumps(..., ensure_ascii=False, indent=...)`` of the
    whole document: no variables, no rows, empty rows, every kind of term, and escapes (quote,
    backslash, control characters, line and paragraph separators, characters past the BMP)."""
    from scgraph.terms import write_json_select, write_select

    rng = random.Random(18)
    cases = [([], []), ([], [[]]), (["a"], []), (["a"], [[None]]), (["a", "b"], [[None, None], [None, None]])]
    for _ in range(300):
        variables = ["v" + "".join(rng.choice("xyzé_1") for _ in range(rng.randrange(1, 4)))
                     for _ in range(rng.randrange(4))]
        variables = list(dict.fromkeys(variables))
        cases.append((variables, [[_random_cell(rng) for _ in variables] for _ in range(rng.randrange(4))]))
    checked = 0
    for variables, rows in cases:
        want = json.dumps(_document(variables, rows), ensure_ascii=False, indent=indent)
        want += "\n" if indent is not None else ""
        assert write_select("json", variables, rows, indent=indent).decode("utf-8") == want, (variables, rows)
        out = io.BytesIO()
        write_json_select(variables, rows, out, indent=indent, batch=2)
        assert out.getvalue() == want.encode("utf-8"), (variables, rows)
        if all(c is None or (c[0] != "triple" and (c[0] != "literal" or c[3])) for row in rows for c in row):
            try:
                terms = [[_ox_term(c) for c in row] for row in rows]  # as a store gives them
            except ValueError:  # a character no IRI may hold
                continue
            checked += 1
            assert write_select("json", variables, terms, indent=indent).decode("utf-8") == want, (variables, rows)
    assert checked > 50, checked


def _ox_term(cell: tuple[str, str, str, str] | None) -> ox.NamedNode | ox.BlankNode | ox.Literal | None:
    if cell is None:
        return None
    kind, value, lang, datatype = cell
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(value)
    return ox.Literal(value, language=lang) if lang else ox.Literal(value, datatype=ox.NamedNode(datatype))


def test_the_command_writes_the_stream_to_stdout(sample_build, sample):
    """The real standard output (a pipe), not a test runner's: a question byte for byte, an
    export line for line."""
    def run(*args: str) -> bytes:
        proc = subprocess.run([SCGRAPH, "query", *args, "--build-dir", str(sample_build), "-q"]
                              + ([] if "-f" in args else ["-f", "csv"]),
                              capture_output=True, check=True)
        assert proc.stderr == b""
        return proc.stdout

    expected = (EXPECTED / "registry" / "projects_per_country.csv").read_bytes().replace(b"\n", b"\r\n")
    assert run("projects_per_country") == expected
    assert same_unordered(run("analysis_nodes"), ours(sample, QUERIES["analysis_nodes"]))
    assert run("projects_per_country", "-f", "tsv") == ours(sample, QUERIES["projects_per_country"], fmt="tsv")
    assert run("projects_per_country", "-f", "json") == ours(sample, QUERIES["projects_per_country"], fmt="json")
    assert same_unordered(run("analysis_edges", "-f", "json"), ours(sample, QUERIES["analysis_edges"], fmt="json"), "json")


# --------------------------------------------------------------------------- Oxigraph's two differences

E = "http://example.org/"


@pytest.fixture(scope="module")
def odd():
    """Rows enough for several of Oxigraph's 8 KiB writes, with an IRI holding a comma near the
    end, values to quote (commas, quotes, line breaks that fall across a write), empty values,
    non-ASCII text."""
    store = OxigraphStore()
    g, p, q = ox.NamedNode(E + "g"), ox.NamedNode(E + "p"), ox.NamedNode(E + "q")
    values = ["plain", 'say "hi", then', "two\r\nlines\n\nand more", "", "tab\there", "é ü 中"]
    quads = []
    for i in range(3000):
        s = ox.NamedNode(f"{E}s{i:05d}" + (",x" if i == 2500 else ""))
        quads.append(ox.Quad(s, p, ox.Literal(values[i % 6] + ("" if i % 6 == 3 else str(i))), g))
        if i % 7 == 0:
            quads.append(ox.Quad(s, q, ox.Literal(""), g))
    store.store.extend(quads)
    yield store
    store.close()


def _query(sparql: str) -> catalogue.Query:
    return catalogue.parse_query(sparql, "t")


@pytest.mark.parametrize("sparql", [
    "SELECT ?s ?o WHERE { ?s <http://example.org/p> ?o } ORDER BY ?s",
    "SELECT ?s WHERE { ?s <http://example.org/p> ?o } ORDER BY ?s",
    "SELECT ?o WHERE { ?s <http://example.org/p> ?o } ORDER BY ?s",
    "SELECT ?e WHERE { ?s <http://example.org/p> ?o OPTIONAL { ?s <http://example.org/q> ?e } } ORDER BY ?s",
    "SELECT ?o ?s WHERE { ?s <http://example.org/p> ?o FILTER(!CONTAINS(STR(?s), ',')) } ORDER BY ?s",
    "SELECT ?x WHERE { }",
    "SELECT * WHERE { }",
], ids=["comma-iri", "comma-iri-one-column", "one-column", "unbound-one-column", "no-comma", "one-empty-row",
        "no-column"])
def test_odd_answers_stream_scgraphs_bytes(odd, sparql):
    for fmt in ("csv", "tsv"):
        assert streamed(odd, _query(sparql), fmt=fmt) == ours(odd, _query(sparql), fmt=fmt), fmt


def test_the_two_differences_as_bytes(odd):
    got = streamed(odd, _query(
        "SELECT ?s WHERE { ?s <http://example.org/p> ?o FILTER(?s IN (<http://example.org/s02499>, "
        "<http://example.org/s02500,x>)) } ORDER BY ?s"))
    assert got == b's\r\nhttp://example.org/s02499\r\n"http://example.org/s02500,x"\r\n'
    got = streamed(odd, _query(
        "SELECT ?e WHERE { ?s <http://example.org/p> ?o OPTIONAL { ?s <http://example.org/q> ?e } "
        "FILTER(?s IN (<http://example.org/s00000>, <http://example.org/s00001>)) } ORDER BY ?s"))
    assert got == b'e\r\n""\r\n""\r\n'  # empty, then unbound: Oxigraph writes two empty lines
    got = streamed(odd, _query(
        "SELECT ?o ?s WHERE { ?s <http://example.org/p> ?o FILTER(?s = <http://example.org/s00002>) }"))
    assert got == b'o,s\r\n"two\r\nlines\n\nand more2",http://example.org/s00002\r\n'


def test_the_rest_after_an_unquoted_comma_is_checked():
    """After an IRI with a comma, the rest comes from the query run again, only when what was
    written is the start of that answer (an unordered answer may come back in another order)."""
    store = OxigraphStore()
    store.store.add(ox.Quad(ox.NamedNode(E + "a,b"), ox.NamedNode(E + "p"), ox.Literal("v"), ox.NamedNode(E + "g")))
    result = catalogue.run(store, _query("SELECT ?s ?o WHERE { ?s ?p ?o }"))
    guard = results.CsvGuard(io.BytesIO())
    guard.write(b"s,o\r\n")
    results.finish_csv(guard, result)
    assert guard.out.getvalue() == b's,o\r\n"http://example.org/a,b",v\r\n'
    guard = results.CsvGuard(io.BytesIO())
    guard.write(b"s,o\r\nhttp://example.org/other,w\r\n")
    with pytest.raises(QueryError, match="another order"):
        results.finish_csv(guard, result)
    with pytest.raises(results.CommaInIri):
        results.CsvGuard(io.BytesIO()).write(b"s,o\r\nhttp://example.org/a,b,v\r\n")
    store.close()


XSD = "http://www.w3.org/2001/XMLSchema#"


def test_tsv_numbers_and_booleans_in_full():
    """Oxigraph's TSV writes ``3``, ``-3.5``, ``1.5E3`` and ``true`` bare (Turtle's short forms);
    scgraph's TSV writes every literal in N-Triples syntax, with its datatype."""
    store = OxigraphStore()
    g, p = ox.NamedNode(E + "g"), ox.NamedNode(E + "p")
    values = [("3", "integer"), ("-3.5", "decimal"), ("true", "boolean"), ("+7", "integer"), (".5", "decimal"),
              ("2020", "gYear"), ("x", "string")]
    store.store.extend(ox.Quad(ox.NamedNode(f"{E}s{i}"), p, ox.Literal(v, datatype=ox.NamedNode(XSD + d)), g)
                       for i, (v, d) in enumerate(values))
    store.store.add(ox.Quad(ox.NamedNode(E + "s9"), p, ox.Literal("tab\there", language="en"), g))
    query = _query("SELECT ?s ?o ?n WHERE { ?s ?p ?o BIND(STRLEN(STR(?o)) AS ?n) } ORDER BY ?s")
    got = streamed(store, query, fmt="tsv")
    assert got == ours(store, query, fmt="tsv")
    assert got.decode("utf-8").splitlines() == [
        "?s\t?o\t?n",
        f'<{E}s0>\t"3"^^<{XSD}integer>\t"1"^^<{XSD}integer>',
        f'<{E}s1>\t"-3.5"^^<{XSD}decimal>\t"4"^^<{XSD}integer>',
        f'<{E}s2>\t"true"^^<{XSD}boolean>\t"4"^^<{XSD}integer>',
        f'<{E}s3>\t"7"^^<{XSD}integer>\t"1"^^<{XSD}integer>',  # the store's canonical form of +7
        f'<{E}s4>\t"0.5"^^<{XSD}decimal>\t"3"^^<{XSD}integer>',
        f'<{E}s5>\t"2020"^^<{XSD}gYear>\t"4"^^<{XSD}integer>',
        f'<{E}s6>\t"x"\t"1"^^<{XSD}integer>',
        f'<{E}s9>\t"tab\\there"@en\t"8"^^<{XSD}integer>',
    ]
    store.close()


def test_streamed_literals_are_the_stores_lexical_forms():
    """Where rdflib rewrites a literal's lexical form (a double as Python's float, a UTC time's
    Z as +00:00, a date's timezone dropped), the streamed CSV, TSV and JSON keep the store's, as
    'scgraph serve' writes it (docs/cli.md, "Output formats"); the table, made from rdflib
    terms, shows rdflib's."""
    from scgraph.terms import write_select

    store = OxigraphStore()
    g, p = ox.NamedNode(E + "g"), ox.NamedNode(E + "p")
    values = [("1.5E3", "double"), ("2023-06-06T09:00:00Z", "dateTime"), ("2023-06-06Z", "date")]
    store.store.extend(ox.Quad(ox.NamedNode(f"{E}s{i}"), p, ox.Literal(v, datatype=ox.NamedNode(XSD + d)), g)
                       for i, (v, d) in enumerate(values))
    query = _query("SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?s")
    assert streamed(store, query) == b"o\r\n1500\r\n2023-06-06T09:00:00Z\r\n2023-06-06Z\r\n"
    assert ours(store, query) == b"o\r\n1500.0\r\n2023-06-06T09:00:00+00:00\r\n2023-06-06\r\n"
    assert b'"value": "2023-06-06T09:00:00Z"' not in ours(store, query, fmt="json")
    assert b'"value": "2023-06-06T09:00:00Z"' in streamed(store, query, fmt="json")
    for fmt in ("csv", "tsv", "json"):  # the endpoint's writer, over the store's own terms
        res = store.store.query(query.sparql, use_default_graph_as_union=True)
        assert streamed(store, query, fmt=fmt) == write_select(
            fmt, ["o"], [[sol[0]] for sol in res], indent=2 if fmt == "json" else None), fmt
    store.close()


@pytest.mark.parametrize("fmt", ["csv", "tsv", "table", "json"])
def test_a_reader_that_stops_early_ends_the_command_quietly(sample_build, fmt):
    """``scgraph query analysis_edges | head -1``: the reader closes the pipe after one line;
    the command stops writing and exits 0 with nothing on stderr (not 'Broken pipe', not a
    traceback). The answer is longer than a pipe's buffer (64 KiB on Linux) and the line
    read, so the writer does meet the closed pipe."""
    args = [SCGRAPH, "query", "analysis_edges", "-f", fmt, "--build-dir", str(sample_build), "-q"]
    whole = subprocess.run(args, capture_output=True, check=True).stdout
    assert len(whole) > 65536 + 16384, len(whole)
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read()
    assert (proc.wait(timeout=60), stderr) == (0, b"")
    assert whole.startswith(first) and first
