"""The streaming reasoner's fast paths (issue 18) answer exactly what the forms they replace
answered: transitivity computed from one scan of each transitive property (not a SPARQL
property path over every graph), the equality test as one grouped scan per functional or
inverse-functional property (not a self-join), the keep rule's shortcut for the things of the
data (``id/``), and the store build's per-graph counts."""

from __future__ import annotations

import itertools

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import OWL, RDF

from scgraph.namespaces import BASE, ID
from scgraph.pipeline.targets import counts, graph_counts
from scgraph.reason.keep import DROP, IF_DATA_SUBJECT, KEEP, keep, keeps_nt
from scgraph.reason.rules import Schema
from scgraph.reason.stream import _needs_equality, transitive_step
from scgraph.store import OxigraphStore

EX = "https://example.org/"
P = EX + "partOf"
G1, G2, OTHER = (ox.NamedNode(EX + g) for g in ("g1", "g2", "other"))


def _n(name: str) -> ox.NamedNode:
    return ox.NamedNode(EX + name)


def _sparql_step(store: ox.Store, p: str, graphs: list[ox.NamedNode]) -> set[tuple[str, str, str]]:
    """The rule as the engine ran it before: a CONSTRUCT over the union of ``graphs``."""
    head = f"?x <{p}> ?z"
    query = f"CONSTRUCT {{ {head} }} WHERE {{ ?x <{p}> ?y . ?y <{p}>+ ?z . FILTER NOT EXISTS {{ {head} }} }}"
    return {(str(t.subject), str(t.predicate), str(t.object)) for t in store.query(query, default_graph=graphs)}


def test_transitive_step_is_the_sparql_rule():
    store = ox.Store()
    links = [  # a chain across two graphs, a cycle, a shortcut already stated, a blank node,
        ("a", "b", G1), ("b", "c", G2), ("c", "d", G1), ("a", "c", G2),  # and a graph left out
        ("x", "y", G1), ("y", "x", G1), ("d", "outside", OTHER), ("outside", "far", G1)]
    for s, o, g in links:
        store.add(ox.Quad(_n(s), ox.NamedNode(P), _n(o), g))
    blank = ox.BlankNode("b0")
    store.add(ox.Quad(_n("d"), ox.NamedNode(P), blank, G2))
    store.add(ox.Quad(blank, ox.NamedNode(P), _n("e"), G2))
    store.add(ox.Quad(_n("e"), ox.NamedNode(EX + "other"), _n("f"), G1))  # another property
    graphs = [G1, G2]
    got = list(transitive_step(store, P, graphs))
    expected = _sparql_step(store, P, graphs)
    assert set(got) == expected
    assert len(got) == len(set(got)) and got == sorted(got)
    pairs = {(s.removeprefix(f"<{EX}").rstrip(">"), o.removeprefix(f"<{EX}").rstrip(">")) for s, _p, o in got}
    assert pairs == {("a", "d"), ("a", "_:b0"), ("a", "e"), ("b", "d"), ("b", "_:b0"), ("b", "e"),
                     ("c", "_:b0"), ("c", "e"), ("d", "e"), ("x", "x"), ("y", "y")}


def test_transitive_step_finds_nothing_on_a_closed_graph():
    store = ox.Store()
    for s, o in [("a", "b"), ("b", "c"), ("a", "c")]:
        store.add(ox.Quad(_n(s), ox.NamedNode(P), _n(o), G1))
    assert list(transitive_step(store, P, [G1])) == [] == sorted(_sparql_step(store, P, [G1]))


FUNCTIONAL, INVERSE_FUNCTIONAL = EX + "country", EX + "vat"


@pytest.mark.parametrize(("quads", "needs"), [
    ([], False),
    # two literal values of a functional property: no equality follows (OWL RL's prp-fp needs things)
    ([("o1", FUNCTIONAL, Literal("a"), G1), ("o1", FUNCTIONAL, Literal("b"), G2)], False),
    # the same value stated in two graphs: one value
    ([("o1", FUNCTIONAL, "c1", G1), ("o1", FUNCTIONAL, "c1", G2)], False),
    # two things as values, across graphs
    ([("o1", FUNCTIONAL, "c1", G1), ("o1", FUNCTIONAL, "c2", G2)], True),
    # ... but one of them in a graph outside the union
    ([("o1", FUNCTIONAL, "c1", G1), ("o1", FUNCTIONAL, "c2", OTHER)], False),
    # a thing and a literal
    ([("o1", FUNCTIONAL, "c1", G1), ("o1", FUNCTIONAL, Literal("c2"), G1)], False),
    # two subjects of an inverse-functional property's value
    ([("o1", INVERSE_FUNCTIONAL, Literal("v"), G1), ("o2", INVERSE_FUNCTIONAL, Literal("v"), G2)], True),
    ([("o1", INVERSE_FUNCTIONAL, Literal("v"), G1), ("o1", INVERSE_FUNCTIONAL, Literal("v"), G2)], False),
    ([("o1", INVERSE_FUNCTIONAL, Literal("v"), G1), ("o2", INVERSE_FUNCTIONAL, Literal("w"), G1)], False),
    # owl:sameAs between two things
    ([("o1", str(OWL.sameAs), "o2", G1)], True),
    ([("o1", str(OWL.sameAs), "o1", G1)], False),
], ids=lambda v: None)
def test_needs_equality_is_the_self_join(quads, needs):
    store = ox.Store()
    for s, p, o, g in quads:
        obj = ox.Literal(str(o)) if isinstance(o, Literal) else _n(o)
        store.add(ox.Quad(_n(s), ox.NamedNode(p), obj, g))
    schema = Schema(functional={FUNCTIONAL}, inverse_functional={INVERSE_FUNCTIONAL})
    graphs = [G1, G2]
    assert _needs_equality(store, schema, graphs) is needs
    # the forms it replaces
    joined = bool(store.query(f"ASK {{ ?x <{OWL.sameAs}> ?y FILTER (?x != ?y) }}", default_graph=graphs)) or bool(
        store.query(f"ASK {{ ?x <{FUNCTIONAL}> ?a . ?x <{FUNCTIONAL}> ?b "
                    "FILTER (?a != ?b && !isLiteral(?a) && !isLiteral(?b)) }", default_graph=graphs)) or bool(
        store.query(f"ASK {{ ?a <{INVERSE_FUNCTIONAL}> ?y . ?b <{INVERSE_FUNCTIONAL}> ?y FILTER (?a != ?b) }}",
                    default_graph=graphs))
    assert joined is needs


def _nt(term: object) -> str:
    if isinstance(term, Literal):
        return f'"{term}"'
    return f"<{term}>"


def test_keep_rule_shortcut_for_the_things_of_the_data():
    """keeps_nt's answer for subjects under id/ is keep()'s, over every kind of triple."""
    subjects = [URIRef(ID["project/p1"]), URIRef(ID["org/o1"])]
    objects = [URIRef(ID["org/o2"]), URIRef(EX + "Class"), OWL.Thing, OWL.ObjectProperty,
               OWL.NamedIndividual, Literal("x"), URIRef(ID["project/p1"])]
    predicates = [RDF.type, OWL.sameAs, URIRef(EX + "p"), URIRef(BASE + "ontology#partnerIn")]
    seen = set()
    for s, p, o in itertools.product(subjects, predicates, objects):
        verdict = keeps_nt(_nt(s), _nt(p), _nt(o))
        assert verdict in (KEEP, DROP)  # never "if the data has it": id/ is the project's namespace
        assert (verdict == KEEP) is keep((s, p, o), set()), (s, p, o)
        seen.add(verdict)
    assert seen == {KEEP, DROP}
    # no vocabulary of the project or of the standards lives under id/
    assert keeps_nt(f"<{EX}thing>", _nt(RDF.type), f"<{EX}Class>") == IF_DATA_SUBJECT
    assert keeps_nt(f"<{BASE}ontology#Project>", _nt(RDF.type), f"<{EX}Class>") == DROP


def test_graph_counts_are_the_grouped_counts():
    store = OxigraphStore()
    for i in range(5):
        store.store.add(ox.Quad(_n(f"s{i}"), _n("p"), ox.Literal(str(i)), G1))
    store.store.add(ox.Quad(_n("s"), _n("p"), _n("o"), G2))
    store.store.add(ox.Quad(_n("s"), _n("p"), _n("o"), ox.DefaultGraph()))  # in no named graph
    store.store.add_graph(OTHER)  # a graph with no triples
    assert graph_counts(store) == counts(store) == {URIRef(G1.value): 5, URIRef(G2.value): 1}


def test_the_lean_rule_is_one_rule_in_three_renderings():
    """``Lean.keeps`` (rdflib), ``Lean.nt`` (N-Triples text) and ``Lean.filter_update`` (SPARQL
    ``DELETE``, sparing what the curated graph states) agree, triple by triple."""
    from scgraph.reason.keep import Lean

    scg = BASE + "ontology#"
    rule = Lean(frozenset({EX + "Root"}))
    subjects = [URIRef(ID["org/o1"])]
    predicates = [RDF.type, URIRef(scg + "partnerIn"), URIRef(EX + "p"), OWL.sameAs]
    objects = [URIRef(scg + "Project"), URIRef(EX + "Root"), URIRef(EX + "Other"), URIRef(ID["org/o2"]),
               Literal("x")]
    triples = list(itertools.product(subjects, predicates, objects))
    keeps = rule.nt()
    for s, p, o in triples:
        assert keeps(_nt(p), _nt(o)) is rule.keeps((s, p, o)), (p, o)
    store = ox.Store()
    target, curated = _n("target"), _n("curated")
    quads = [ox.Quad(ox.NamedNode(str(s)), ox.NamedNode(str(p)),
                     ox.Literal(str(o)) if isinstance(o, Literal) else ox.NamedNode(str(o)), target)
             for s, p, o in triples]
    store.extend(quads)
    spared = quads[-3]  # a triple the rule drops, stated by the curated graph
    assert not rule.keeps(triples[-3])
    store.add(ox.Quad(spared.subject, spared.predicate, spared.object, curated))
    store.update(rule.filter_update(target.value, curated.value))
    left = set(store.quads_for_pattern(None, None, None, target))
    assert left == {q for q, t in zip(quads, triples) if rule.keeps(t)} | {spared}
    assert 0 < len(left) < len(quads)


@pytest.mark.repo_data
def test_restricted_local_rules_derive_what_the_full_ones_derive_less_the_heads_left_out():
    from scgraph.assemble import assemble
    from scgraph.reason.rules import lean_rule, read_schema
    from scgraph.reason.stream import LocalRules, split_nt

    store = OxigraphStore()
    store.load_dataset(assemble())
    ax = read_schema(store.store, list(store.store.named_graphs()))
    full = LocalRules.from_schema(ax)
    keeps = lean_rule(ax).nt()
    lean = full.restricted(lambda q: keeps(q, ""), lambda c: keeps(_nt(RDF.type), c))
    lines = [split_nt(f"{q.subject} {q.predicate} {q.object} .\n") for q in store.store]
    everything = set(full.expand_all(lines))
    kept = set(lean.expand_all(lines))
    assert kept == {t for t in everything if keeps(t[1], t[2])}
    assert 1000 < len(kept) < len(everything)
