"""The analyses at scale: the igraph engine gives the networkx engine's answers (exact
betweenness, betweenness sampled from the same pivots, components, brokers, PageRank), the
vectorised projections and suggestions give what the pairwise definitions give, and the
results of 'scgraph analyse' are queryable next to the data ('scgraph query' and 'scgraph
serve' load build/analysis/analysis.trig)."""

from __future__ import annotations

import csv
import io as _io
import math
import random
import shutil
from itertools import combinations

import networkx as nx
import pytest
from typer.testing import CliRunner

from scgraph.analysis import analyse
from scgraph.analysis.metrics import (
    articulation_points,
    betweenness,
    betweenness_samples,
    bridges,
    communities,
    components,
    from_arrays,
    node_metrics,
    pagerank,
    to_igraph,
)
from scgraph.analysis.networks import EVIDENCE, HeteroGraph, projection, projection_arrays, shared_nodes
from scgraph.analysis.synergies import Scorer, suggest
from scgraph.analysis.synthetic import generate
from scgraph.cli import app
from scgraph.namespaces import ID
from scgraph.store import MemoryStore, OxigraphStore

pytestmark = pytest.mark.slow  # see [tool.pytest.ini_options] markers

pytest.importorskip("igraph")

runner = CliRunner()


def random_graph(seed: int, n: int = 70, m: int = 150) -> nx.Graph:
    rng = random.Random(seed)
    g = nx.gnm_random_graph(n, m, seed=seed)
    g = nx.relabel_nodes(g, {i: f"n{i:03d}" for i in g})
    g.add_node("zz-isolated")
    for a, b in g.edges:
        g.edges[a, b]["weight"] = rng.randint(1, 4)
    return g


@pytest.mark.parametrize("seed", range(4))
def test_igraph_gives_the_networkx_answers(seed):
    g = random_graph(seed)
    exact_i, exact_n = betweenness(g, engine="igraph"), betweenness(g, engine="networkx")
    assert max(abs(exact_i[v] - exact_n[v]) for v in g) < 1e-12
    # sampled: the same pivots, the same estimator as networkx.betweenness_centrality(k, seed)
    kw = {"exact_limit": 10, "samples": 12, "seed": seed}
    s_i, s_n = betweenness(g, engine="igraph", **kw), betweenness(g, engine="networkx", **kw)
    assert max(abs(s_i[v] - s_n[v]) for v in g) < 1e-12
    assert s_i != exact_i
    pr_i, pr_n = pagerank(g, engine="igraph"), pagerank(g, engine="networkx")
    assert max(abs(pr_i[v] - pr_n[v]) for v in g) < 1e-8
    for f in (components, bridges, articulation_points):
        assert f(g, engine="igraph") == f(g, engine="networkx")


def test_communities_repeat_with_their_seed_and_cover_every_node():
    g = random_graph(7, n=200, m=420)
    first = communities(g, seed=3, engine="igraph")
    assert first == communities(g, seed=3, engine="igraph")
    assert sorted(v for c in first for v in c) == sorted(g.nodes)
    assert ["zz-isolated"] in first
    # the same graph built in another order gives the same partition
    h = nx.Graph()
    h.add_nodes_from(sorted(g.nodes, reverse=True))
    h.add_edges_from(sorted(g.edges(data=True), reverse=True))
    assert communities(h, seed=3, engine="igraph") == first


def test_metrics_from_arrays_equal_metrics_from_the_graph():
    g = random_graph(2)
    ig = to_igraph(g)
    edges = ig.graph.get_edgelist()
    copy = from_arrays(ig.nodes, [a for a, _ in edges], [b for _, b in edges], ig.graph.es["weight"])
    assert node_metrics(copy, seed=1) == node_metrics(g, seed=1)


def test_sampling_budget():
    assert betweenness_samples(1000, 2000, engine="networkx") == 500
    assert betweenness_samples(10**5, 10**7, engine="networkx") == 32
    assert betweenness_samples(10**5, 10**7, engine="igraph") == 32
    assert betweenness_samples(10**4, 10**5, engine="igraph") == 272
    assert betweenness_samples(20, 30, engine="igraph", samples=8) == 8


# --------------------------------------------------------------------------- projections


@pytest.fixture(scope="module")
def synthetic():
    ds = generate(projects=60, seed=4)
    st = OxigraphStore()
    st.load_dataset(ds)
    yield st
    st.close()


@pytest.fixture(scope="module")
def het(synthetic):
    from scgraph.analysis.networks import heterogeneous_graph

    return heterogeneous_graph(synthetic)


@pytest.mark.parametrize("kind", ["project", "organisation", "city"])
def test_projection_equals_the_pairwise_definition(het, kind):
    """Every edge of the sparse projection is a pair that shares something, with the counts of
    shared_nodes (the definition, pair by pair), and every such pair is an edge."""
    p = projection(het, kind, max_shared=10**6)
    things = sorted(n for n, k in het.nodes(data="kind") if k == kind)
    expected = {}
    for a, b in combinations(things, 2):
        shared = shared_nodes(het, kind, a, b)
        synergy = "synergy" in het.edges[a, b]["relation"] if het.has_edge(a, b) else False
        if shared or synergy:
            expected[(a, b)] = {ev: len(v) for ev, v in shared.items()} | ({"recorded synergy": 1} if synergy else {})
    got = {(a, b) if a < b else (b, a): {ev: d["n_" + ev.replace(" ", "_")] for ev in EVIDENCE
                                         if "n_" + ev.replace(" ", "_") in d}
           for a, b, d in p.edges(data=True)}
    assert got == expected
    assert len(got) > 20
    arrays = projection_arrays(het, kind, max_shared=10**6)
    assert arrays.shape == (p.number_of_nodes(), p.number_of_edges())
    assert arrays.weights.tolist() == [d["weight"] for _a, _b, d in sorted(
        ((min(a, b), max(a, b), d) for a, b, d in p.edges(data=True)), key=lambda x: (x[0], x[1]))]


@pytest.mark.parametrize("kind", ["project", "organisation", "city"])
def test_max_shared_leaves_out_exactly_the_nodes_shared_by_more_things(het, kind):
    """A shared node tied to more than max_shared things adds no pair and is counted as left
    out; the pairs of the other shared nodes stay as they were."""
    full = projection_arrays(het, kind, max_shared=10**6)
    things = sorted(n for n, k in het.nodes(data="kind") if k == kind)
    tied: dict[str, set[str]] = {}
    for t in things:
        for ev, vs in _shared_with_itself(het, kind, t).items():
            for v in vs:
                tied.setdefault(v, set()).add(t)
    sizes = sorted({len(ts) for ts in tied.values()})
    cut = sizes[len(sizes) // 2]  # a cut that leaves some shared nodes out and keeps others
    small = projection_arrays(het, kind, max_shared=cut)
    assert small.left_out == sum(1 for ts in tied.values() if len(ts) > cut) > 0
    kept = {(a, b) for v, ts in tied.items() if len(ts) <= cut for a in ts for b in ts if a < b}
    kept |= {(a, b) for a, b in combinations(things, 2)
             if het.has_edge(a, b) and "synergy" in het.edges[a, b]["relation"]}
    got = {(small.things[i], small.things[j]) for i, j in zip(small.rows.tolist(), small.cols.tolist())}
    assert got == kept
    assert small.shape[1] < full.shape[1]


def _shared_with_itself(g, kind, t):
    from scgraph.analysis.networks import incidences

    out: dict[str, set[str]] = {}
    for _t, ev, v in incidences(g, kind, (t,)):
        out.setdefault(ev, set()).add(v)
    return out


def test_tsv_results_read_as_the_terms_values():
    """select_values reads Oxigraph's SPARQL TSV: every kind of term gives its lexical value,
    the same as reading the terms one by one (escapes, language tags, datatypes, blank nodes,
    unbound variables)."""
    import pyoxigraph as ox

    from scgraph.analysis.networks import parse_tsv

    st = ox.Store()
    xsd = "http://www.w3.org/2001/XMLSchema#"
    g = ox.NamedNode("http://example.org/g")
    objects = [ox.Literal('tab\there "quoted" back\\slash \\u00e9 new\nline\r é 😀 \\'),
               ox.Literal("3", datatype=ox.NamedNode(xsd + "integer")),
               ox.Literal("-3.5e0", datatype=ox.NamedNode(xsd + "double")),
               ox.Literal("2.50", datatype=ox.NamedNode(xsd + "decimal")),
               ox.Literal("true", datatype=ox.NamedNode(xsd + "boolean")),
               ox.Literal("2023-06-06", datatype=ox.NamedNode(xsd + "date")),
               ox.Literal("Brüssel", language="de"), ox.Literal('x"y', datatype=ox.NamedNode("http://e/dt")),
               ox.Literal(""), ox.NamedNode("http://example.org/o?a=1&b=%3C2%3E#f"), ox.BlankNode("b1")]
    for i, o in enumerate(objects):
        st.add(ox.Quad(ox.NamedNode(f"http://example.org/s{i}"), ox.NamedNode("http://example.org/p"), o, g))
    st.add(ox.Quad(ox.BlankNode("b2"), ox.NamedNode("http://example.org/p"), ox.Literal("b"), g))
    for q in ("SELECT ?s ?o ?unbound WHERE { ?s ?p ?o }", "SELECT ?o WHERE { ?s ?p ?o }",
              "SELECT ?o WHERE { OPTIONAL { ?s <http://example.org/none> ?o } }",
              "SELECT ?o WHERE { ?s <http://example.org/none> ?o }"):
        want = [tuple(None if t is None else t.value for t in sol) for sol in st.query(q, use_default_graph_as_union=True)]
        names, got = parse_tsv(st.query(q, use_default_graph_as_union=True).serialize(format=ox.QueryResultsFormat.TSV))
        assert names == [v.value for v in st.query(q, use_default_graph_as_union=True).variables]
        assert sorted(got, key=repr) == sorted(want, key=repr)
    assert len(got) == 0 and len(want) == 0


@pytest.mark.parametrize("method", ["adamic-adar", "jaccard", "resource-allocation"])
def test_vectorised_candidates_equal_pairwise_scores(het, method):
    from scgraph.analysis.networks import prepare

    scorer = Scorer.build(prepare(het, "project"))
    cands = scorer.candidates(method)
    pairs = sorted(cands)
    assert pairs and all(i < j for i, j in pairs)
    direct = scorer.score_pairs(method, pairs)
    assert max(abs(cands[p] - s) for p, s in zip(pairs, direct)) < 1e-12
    top = suggest(het, "project", method=method, top=5)
    best = sorted(cands.values(), reverse=True)[:5]
    assert [round(s.score, 9) for s in top] == [round(v, 9) for v in best]


def test_both_engines_analyse_alike(synthetic):
    a = analyse(synthetic, engine="igraph", top=5)
    b = analyse(synthetic, engine="networkx", top=5)
    assert a.suggestions == b.suggestions
    assert a.components == b.components and a.bridges == b.bridges
    assert a.articulation_points == b.articulation_points
    for net in a.metrics:
        x = {m.node: m for m in a.metrics[net]}
        y = {m.node: m for m in b.metrics[net]}
        assert x.keys() == y.keys()
        assert all(abs(x[n].betweenness - y[n].betweenness) < 1e-12 and abs(x[n].pagerank - y[n].pagerank) < 1e-8
                   and (x[n].degree, x[n].weighted_degree) == (y[n].degree, y[n].weighted_degree) for n in x)
    assert set(a.timings) >= {"sparql to graph", "projections", "betweenness", "communities", "synergy ranking"}


def test_memory_and_oxigraph_stores_read_the_same_networks(synthetic):
    from scgraph.analysis.networks import heterogeneous_graph

    mem = MemoryStore()
    mem.load_dataset(generate(projects=60, seed=4))
    g1, g2 = heterogeneous_graph(mem), heterogeneous_graph(synthetic)
    assert list(g1.nodes(data=True)) == list(g2.nodes(data=True))
    assert list(g1.edges(data=True)) == list(g2.edges(data=True))


# --------------------------------------------------------------------------- queryable results


@pytest.mark.repo_data
def test_suggested_synergies_are_queryable_after_analyse(tmp_path, curated_build):
    build = tmp_path / "build"
    build.mkdir()
    shutil.copy(curated_build / "dataset.nq", build / "dataset.nq")  # the built graph, no store
    before = runner.invoke(app, ["query", "analysis_suggested_synergies", "--build-dir", str(build), "-f", "csv", "-q"])
    assert before.exit_code == 0, before.output
    assert before.stdout.splitlines() == ["synergy,a,aLabel,b,bLabel,score,rank,method,explanation"]
    result = runner.invoke(app, ["analyse", "--build-dir", str(build), "-o", str(build / "analysis"), "-q"])
    assert result.exit_code == 0, result.output
    for store in ("memory", "oxigraph"):
        out = runner.invoke(app, ["query", "analysis_suggested_synergies", "--build-dir", str(build),
                                  "--store", store, "-f", "csv", "-q"])
        assert out.exit_code == 0, out.output
        rows = list(csv.DictReader(_io.StringIO(out.stdout)))  # stderr may say which graph it is
        assert len(rows) == 40  # the top 20 of projects and of cities
        # scores compared at the six decimals analyse writes (Oxigraph drops trailing zeros)
        got = [(r["aLabel"], r["bLabel"], f"{float(r['score']):.6f}", r["rank"], r["method"], r["explanation"])
               for r in rows]
        assert got[:4] == [
            ("GrowSmarter", "Triangulum", "1.788671", "1", "adamic-adar",
             "GrowSmarter and Triangulum have never collaborated but share initiative Smart Cities and "
             "Communities lighthouse projects; theme SCC-01-2014."),
            ("Barcelona", "Cairo", "1.442695", "1", "adamic-adar",
             "Barcelona and Cairo have never collaborated but share organisation International Smart Cities Network."),
            ("SPARCs", "Triangulum", "1.788671", "2", "adamic-adar",
             "SPARCs and Triangulum have never collaborated but share city Leipzig; initiative Smart Cities "
             "and Communities lighthouse projects."),
            ("Eindhoven", "Espoo", "0.402430", "2", "adamic-adar",
             "Eindhoven and Espoo have never collaborated but share city Leipzig."),
        ]
        # only a draft agenda puts DS4SSCC and Go Li.eu at the 2023 meeting: weaker evidence, said so
        assert [g for g in got if g[:2] == ("DS4SSCC", "Go Li.eu")] == [
            ("DS4SSCC", "Go Li.eu", "0.910239", "7", "adamic-adar",
             "DS4SSCC and Go Li.eu have never collaborated but share meeting (both only invited or "
             "planned, not reported as attending) Second Cluster Meeting for Smart Communities Projects in the EU.")]
        assert [r["synergy"] for r in rows][:2] == [
            str(ID["synergy/suggested/project-growsmarter/project-triangulum"]),
            str(ID["synergy/suggested/city-barcelona/city-cairo"])]


def test_serve_loads_the_analysis_graph_beside_the_dataset(tmp_path):
    from scgraph.server.workers import open_source
    from scgraph.server.app import source_from_options

    (tmp_path / "dataset.nq").write_text(
        f"<{ID['project/x']}> <http://www.w3.org/2000/01/rdf-schema#label> \"X\" <{ID['g']}> .\n")
    assert source_from_options("oxigraph", tmp_path).extra == ()
    (tmp_path / "analysis").mkdir()
    (tmp_path / "analysis" / "analysis.trig").write_text(
        "@prefix scg: <https://w3id.org/scgraph/ontology#> .\n"
        "<https://w3id.org/scgraph/graph/analysis> {\n"
        f"  <{ID['synergy/suggested/x/y']}> scg:rank 1 .\n}}\n")
    source = source_from_options("oxigraph", tmp_path)
    assert source.extra == (tmp_path / "analysis" / "analysis.trig",)
    assert len(open_source(source)) == 2
    # a file given with --dataset is served alone
    assert source_from_options("oxigraph", tmp_path, tmp_path / "dataset.nq").extra == ()


# --------------------------------------------------------------------------- reading the graph

READING = """
@prefix scg:   <https://w3id.org/scgraph/ontology#> .
@prefix rdfs:  <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd:   <http://www.w3.org/2001/XMLSchema#> .
@prefix wgs84: <http://www.w3.org/2003/01/geo/wgs84_pos#> .
@base <https://w3id.org/scgraph/id/> .
<https://w3id.org/scgraph/graph/source/reading> {
  <project/p> a scg:Project ; rdfs:label "P de"@de , "P zz"@en , "P plain" , "P a\\\\tab"@en-gb ;
      scg:hasPartner <org/a> ; scg:hasParticipation <participation/p-a> , <participation/p-b> ;
      scg:callTopic <topic/small> , <topic/hub> ; scg:scientificField <field/hub> .
  <participation/p-a> a scg:Participation ; scg:participant <org/a> .
  <participation/p-b> a scg:Participation ; scg:participant <org/b> .
  <project/q> a scg:Project , scg:Meeting ; rdfs:label "Q \\"quoted\\"\\nline"@en ;
      scg:hasParticipation <participation/q-b> ; scg:callTopic <topic/hub> ; scg:scientificField <field/hub> .
  <participation/q-b> a scg:Participation ; scg:participant <org/b> .
  <project/r> a scg:Project ; scg:callTopic <topic/hub> , <topic/small> ; scg:scientificField <field/hub> .
  <org/a> a scg:Organisation ; rdfs:label "A" ; scg:basedIn <city/c> .
  <org/b> a scg:Organisation ; rdfs:label "B" ; scg:basedIn <city/d> .
  <city/c> a scg:City ; rdfs:label "C"@en ; wgs84:lat "2.5"^^xsd:decimal , "1.5"^^xsd:decimal ; wgs84:long "3.0"^^xsd:double .
  <city/d> a scg:City ; wgs84:lat "1.0"^^xsd:decimal .
  <document/x> a scg:Document ; rdfs:label "a document" ; scg:concerns <project/p> .
}
"""


def reading_stores():
    from rdflib import Dataset

    ds = Dataset()
    ds.parse(data=READING, format="trig")
    mem, oxi = MemoryStore(), OxigraphStore()
    mem.load_dataset(ds)
    oxi.load_dataset(ds)
    return mem, oxi


@pytest.mark.parametrize("which", [0, 1], ids=["memory", "oxigraph"])
def test_read_graph_gives_the_definition(which):
    """Kinds (the first of KINDS), labels (the least English or plain one), coordinates
    (cities with both), partners directly or through a participation (once), call topics and
    fields tied to more than max_shared things left out, links to other things dropped."""
    from scgraph.analysis.networks import read_graph

    store = reading_stores()[which]
    i = {k: str(ID[k]) for k in ("project/p", "project/q", "project/r", "org/a", "org/b", "city/c",
                                 "city/d", "topic/small", "topic/hub", "field/hub")}
    h = read_graph(store, max_shared=2)
    assert h.nodes == sorted(v for k, v in i.items() if "hub" not in k)
    assert {v: h.kind(v) for v in h.nodes} == {
        i["project/p"]: "project", i["project/q"]: "meeting", i["project/r"]: "project",
        i["org/a"]: "organisation", i["org/b"]: "organisation", i["city/c"]: "city",
        i["city/d"]: "city", i["topic/small"]: "theme"}
    assert h.label(i["project/p"]) == "P plain"
    assert h.label(i["project/q"]) == 'Q "quoted"\nline'
    assert h.label(i["project/r"]) == "id:project/r"  # no label: its short name
    assert h.coords == {h.index[i["city/c"]]: (1.5, 3.0)}
    links = {(h.nodes[a], h.relations[r], h.nodes[b]) for a, b, r in zip(h.src, h.dst, h.rel)}
    assert links == {
        (i["org/a"], "partner", i["project/p"]), (i["org/b"], "partner", i["project/p"]),
        (i["org/b"], "partner", i["project/q"]), (i["city/c"], "based in", i["org/a"]),
        (i["city/d"], "based in", i["org/b"]), (i["project/p"], "call topic", i["topic/small"]),
        (i["project/r"], "call topic", i["topic/small"])}
    full = read_graph(store, max_shared=None)
    assert {i["topic/hub"], i["field/hub"]} <= set(full.nodes)
    assert full.shape == (10, h.shape[1] + 6)
    g = h.to_networkx()
    assert g.edges[i["project/p"], i["org/a"]]["relation"] == "partner"
    back = HeteroGraph.from_networkx(g).to_networkx()
    assert list(back.edges(data=True)) == list(g.edges(data=True))
    assert list(back.nodes(data=True)) == list(g.nodes(data=True))


def test_read_graph_is_the_same_on_both_stores_and_in_parallel():
    from scgraph.analysis.networks import raw_rows, raw_rows_many, read_graph

    mem, oxi = reading_stores()
    a, b = read_graph(mem), read_graph(oxi)
    assert list(a.to_networkx().nodes(data=True)) == list(b.to_networkx().nodes(data=True))
    assert list(a.to_networkx().edges(data=True)) == list(b.to_networkx().edges(data=True))
    jobs = [("analysis_edges", {"max": "2"}), ("analysis_nodes", {}), ("analysis_labels", {})]
    for store in (mem, oxi):
        got = [f() for f in raw_rows_many(store, jobs)]
        want = [raw_rows(store, n, p) for n, p in jobs]
        assert [(names, sorted(rows)) for names, rows in got] == [(names, sorted(rows)) for names, rows in want]
    # the rdflib store's terms are written as Oxigraph writes TSV
    assert sorted(raw_rows(mem, "analysis_labels")[1]) == sorted(raw_rows(oxi, "analysis_labels")[1])


def test_hub_collaborators_are_no_shared_neighbours():
    """A collaborator tied to more than max_shared things adds nothing to a pair's score, as a
    context node tied to more does not."""
    g = nx.Graph()
    for p in "abch":
        g.add_node(f"p{p}", kind="project", label=p.upper())
    for p in "abc":
        g.add_edge("ph", f"p{p}", relation="synergy")
    assert [(s.a, s.b, s.score) for s in suggest(g, "project", max_shared=3)] == [
        ("pa", "pb", pytest.approx(1 / math.log(3))), ("pa", "pc", pytest.approx(1 / math.log(3))),
        ("pb", "pc", pytest.approx(1 / math.log(3)))]
    assert suggest(g, "project", max_shared=2) == []


def test_metrics_json_holds_what_metrics_csv_holds(synthetic):
    import json

    from scgraph.analysis import outputs

    r = analyse(synthetic, top=3)
    files = outputs(r)
    doc = json.loads(files["metrics.json"])
    rows = list(csv.DictReader(_io.StringIO(files["metrics.csv"].decode())))
    assert sum(len(doc[n]["nodes"]) for n in doc) == len(rows) > 100
    for row in rows[:: max(1, len(rows) // 50)]:
        rec = next(x for x in doc[row["network"]]["nodes"] if x["node"] == row["node"])
        assert (rec["label"], rec["kind"], rec["degree"], f"{rec['pagerank']:.6f}", rec["community"]) == (
            row["label"], row["kind"], int(row["degree"]), row["pagerank"], int(row["community"]))
    assert doc["project"]["communities"] == r.communities["project"]
    assert doc["city"]["nodes_count"] == r.shape("city")[0]
    # the top of each ranking is the head of the full sort
    from scgraph.analysis.run import top_ranked

    for net in r.metrics:
        full = sorted(r.metrics[net], key=lambda m: (-m.pagerank, r.label(m.node), m.node))
        assert top_ranked(r, net, "pagerank") == full[:10]
