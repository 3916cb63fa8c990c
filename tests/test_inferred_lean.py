"""The lean inferred graph (``scgraph build --inferred lean``, the default) against the full one
(``--inferred full``): docs/decisions/20261206-lean-registry-entailment.md.

One CORDIS import of ``tests/data/cordis/sample`` (100 projects) built twice with the curated
data of the repository, once each way. Then, on both stores:

1. every catalogue question, with the example parameters its description gives, has the same
   answer;
2. ``scgraph analyse`` writes the same bytes;
3. the registry checks and the validation report are the same;
4. lean's ``graph:inferred`` is exactly full's less what the lean rule drops, the rule spelt
   out here on its own (an ``scg:`` predicate, an ``scg:`` class, or one of the standard
   classes a domain or range gives directly), computed from full's graph; the curated graphs'
   entailments are in both, and every asserted graph is the same;
5. the consumer's view: for every term of a standard vocabulary whose triples lean leaves out,
   the plain pattern on full gives the rows the documented rewrite (docs/ontology.md) gives on
   lean.
"""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from scgraph import catalogue
from scgraph.assemble import assemble
from scgraph.namespaces import INFERRED_GRAPH, ONTOLOGY_GRAPH
from scgraph.reason import infer
from scgraph.reason.rules import lean_rule, read_schema
from scgraph.store import OxigraphStore
from scgraph.validate.checks import run_checks

pytestmark = [pytest.mark.slow, pytest.mark.repo_data]

SAMPLE = Path(__file__).parent / "data" / "cordis" / "sample"
INFERRED = ox.NamedNode(str(INFERRED_GRAPH))
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SCG = "https://w3id.org/scgraph/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"
#: The standard classes a domain or range of the ontology gives a thing with no scg: class of
#: the same premise below them: the lean graph keeps them (the rewrite could not find them).
ROOTS = {"https://schema.org/Event", "http://www.w3.org/ns/prov#Agent",
         "http://www.w3.org/2004/02/skos/core#Concept",
         XSD + "boolean", XSD + "decimal", XSD + "integer", XSD + "string"}
#: The terms the issue names: the lean graph must leave each of them out, and give it back.
NAMED = {"class": ["https://schema.org/Organization", "http://www.w3.org/ns/prov#Entity"],
         "property": ["https://schema.org/member", "http://data.europa.eu/s66#isRoleOf",
                      "https://schema.org/value"]}

# docs/ontology.md, "The lean registry graph": the rewrite, as a consumer copies it
SUB, INV = "rdfs:subPropertyOf", "(owl:inverseOf|^owl:inverseOf)"
EVEN = f"({SUB}|{INV}/{SUB}*/{INV})*"
PREFIXES = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            "PREFIX owl: <http://www.w3.org/2002/07/owl#>\n")


def class_rewrite(c: str) -> str:
    return PREFIXES + f"SELECT DISTINCT ?x WHERE {{ ?x a/rdfs:subClassOf* <{c}> }}"


def property_rewrite(q: str) -> str:
    return (PREFIXES + "SELECT DISTINCT ?x ?y WHERE {\n"
            f"  {{ ?x ?p ?y . ?p {EVEN} <{q}> }}\n"
            f"  UNION {{ ?y ?p ?x . ?p {EVEN}/{INV}/{EVEN} <{q}> FILTER (!isLiteral(?x)) }}\n}}")


def class_plain(c: str) -> str:
    return f"SELECT DISTINCT ?x WHERE {{ ?x a <{c}> }}"


def property_plain(q: str) -> str:
    return f"SELECT DISTINCT ?x ?y WHERE {{ ?x <{q}> ?y }}"


def _scgraph(*args: str | Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "scgraph", *map(str, args)], check=False,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``scgraph import cordis SAMPLE`` then ``scgraph build`` twice: ``--inferred full`` and
    the default (lean)."""
    work = tmp_path_factory.mktemp("lean")
    full, lean = work / "full", work / "lean"
    _scgraph("import", "cordis", SAMPLE, "--build-dir", full, "-q")
    shutil.copytree(full, lean)  # the registry file only: nothing is built yet
    _scgraph("build", "--out", full, "-q", "--inferred", "full")
    _scgraph("build", "--out", lean, "-q")
    return {"full": full, "lean": lean}


@pytest.fixture(scope="module")
def stores(builds: dict[str, Path]) -> dict[str, ox.Store]:
    return {k: ox.Store.read_only(str(b / "store")) for k, b in builds.items()}


def _inferred(store: ox.Store) -> set[tuple]:
    return {(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, INFERRED)}


def _rows(store: ox.Store, sparql: str) -> set[tuple[str, ...]]:
    res = store.query(sparql, use_default_graph_as_union=True)
    return {tuple(str(s[v]) for v in res.variables) for s in res}


@pytest.fixture(scope="module")
def curated() -> set[tuple]:
    """The curated graphs' entailments, reasoned here (``sparql`` engine), as Oxigraph stores them."""
    store = OxigraphStore()
    store.load_dataset(infer(assemble(), "sparql"))
    return _inferred(store.store)


# --------------------------------------------------------------------------- 1. the catalogue


def _example(query: catalogue.Query) -> dict[str, str]:
    import re

    found = dict(re.findall(r"(\w+)=(https://\S+)", query.description))
    return {p.name: found[p.name] for p in query.params if not p.optional}


def test_every_catalogue_question_answers_the_same(builds):
    stores = {k: OxigraphStore(b / "store", read_only=True) for k, b in builds.items()}
    try:
        questions = catalogue.load_catalogue()
        assert len(questions) > 20
        answered = 0
        for name, query in sorted(questions.items()):
            params = _example(query)
            full = catalogue.run(stores["full"], query, params)
            lean = catalogue.run(stores["lean"], query, params)
            assert Counter(full.rows) == Counter(lean.rows), name
            assert full.vars == lean.vars, name
            answered += bool(full.rows)
        assert answered > 10  # the comparison is about answers, not empty results
    finally:
        for s in stores.values():
            s.close()


# --------------------------------------------------------------------------- 2. analyse


def test_analyse_writes_the_same_files(builds, tmp_path):
    outs = {}
    for k, b in builds.items():
        copy = tmp_path / k
        shutil.copytree(b, copy, symlinks=True)
        outs[k] = tmp_path / f"{k}-analysis"
        _scgraph("analyse", "--build-dir", copy, "--out", outs[k], "-q")
    names = sorted(p.relative_to(outs["full"]) for p in outs["full"].rglob("*") if p.is_file())
    assert len(names) > 5
    assert names == sorted(p.relative_to(outs["lean"]) for p in outs["lean"].rglob("*") if p.is_file())
    _match, mismatch, errors = filecmp.cmpfiles(outs["full"], outs["lean"], [str(n) for n in names], shallow=False)
    assert (mismatch, errors) == ([], [])


# --------------------------------------------------------------------------- 3. checks and report


def test_the_registry_checks_and_the_report_are_the_same(builds):
    found = {}
    for k, b in builds.items():
        store = OxigraphStore(b / "store", read_only=True)
        try:
            found[k] = run_checks(store)
        finally:
            store.close()
    assert found["full"] == found["lean"]
    for name in ("validation.txt", "validation.ttl", "graph.ttl", "graph-inferred.ttl", "dataset.nq"):
        assert (builds["full"] / name).read_bytes() == (builds["lean"] / name).read_bytes(), name


# --------------------------------------------------------------------------- 4. the graphs


def _lean_keeps(t: tuple) -> bool:
    """The lean rule, spelt out on its own."""
    p, o = t[1].value, t[2]
    if p.startswith(SCG):
        return True
    return p == RDF_TYPE and isinstance(o, ox.NamedNode) and (o.value.startswith(SCG) or o.value in ROOTS)


def test_the_roots_are_the_rule_s(stores):
    ontology = [ox.NamedNode(str(ONTOLOGY_GRAPH))]
    assert set(lean_rule(read_schema(stores["full"], ontology)).roots) == ROOTS


def test_lean_is_full_less_what_the_rule_drops(stores, curated):
    full, lean = _inferred(stores["full"]), _inferred(stores["lean"])
    expected = {t for t in full if t in curated or _lean_keeps(t)}
    assert lean == expected, (sorted(map(str, lean - expected))[:5], sorted(map(str, expected - lean))[:5])
    assert curated <= lean and curated <= full
    dropped = full - lean
    assert len(dropped) > len(full) / 4
    predicates = {t[1].value for t in dropped} | {t[2].value for t in dropped if t[1].value == RDF_TYPE}
    assert set(NAMED["class"]) | set(NAMED["property"]) <= predicates
    # the asserted graphs are the same quads
    rest = {k: {q for q in s if q.graph_name != INFERRED} for k, s in stores.items()}
    assert rest["full"] == rest["lean"]


# --------------------------------------------------------------------------- 5. the consumer's view


def _standard_terms(stores) -> tuple[set[str], set[str]]:
    """The classes and properties of the triples full has and lean leaves out."""
    dropped = _inferred(stores["full"]) - _inferred(stores["lean"])
    classes = {t[2].value for t in dropped if t[1].value == RDF_TYPE}
    properties = {t[1].value for t in dropped if t[1].value != RDF_TYPE}
    return classes, properties


def test_the_rewrite_on_lean_gives_what_full_states(stores):
    classes, properties = _standard_terms(stores)
    assert set(NAMED["class"]) <= classes and set(NAMED["property"]) <= properties
    assert len(classes) >= 20 and len(properties) >= 20  # 23 and 24 on the sample
    differ = {}
    for c in sorted(classes):
        plain, rewrite = _rows(stores["full"], class_plain(c)), _rows(stores["lean"], class_rewrite(c))
        if plain != rewrite:
            differ[c] = (len(plain), len(rewrite), sorted(plain ^ rewrite)[:3])
    for q in sorted(properties):
        plain = _rows(stores["full"], property_plain(q))
        rewrite = _rows(stores["lean"], property_rewrite(q))
        if plain != rewrite:
            differ[q] = (len(plain), len(rewrite), sorted(plain ^ rewrite)[:3])
    assert differ == {}
    # and the named terms have rows at all
    for c in NAMED["class"]:
        assert _rows(stores["lean"], class_rewrite(c))
    for q in NAMED["property"]:
        assert _rows(stores["lean"], property_rewrite(q))


def test_the_plain_pattern_on_lean_misses_them(stores):
    """What the rewrite is for: lean does not state them."""
    for c in NAMED["class"]:
        assert _rows(stores["full"], class_plain(c)) > _rows(stores["lean"], class_plain(c))
