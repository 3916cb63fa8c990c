"""``scgraph analyse``: every analysis in one call, and the files it writes.

:func:`analyse` reads the graph through a Store and returns an :class:`AnalysisResult`;
:func:`write_results` writes it into a folder (default ``build/analysis/``) as CSV, JSON and
RDF, each file atomically and byte for byte the same for the same input.
"""

from __future__ import annotations

import csv
import io as _io
import json
import time
from collections.abc import Callable, Container, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np

from .. import io
from ..store import Store
from . import gaps as _gaps
from .metrics import (
    NodeMetrics,
    articulation_points,
    bridges,
    Network,
    check_engine,
    from_arrays,
    communities,
    components,
    node_metrics,
)
from .networks import (
    KINDS,
    MAX_SHARED,
    PROJECTED,
    HeteroGraph,
    Networks,
    node_label,
    projection_arrays,
    read_graph,
)
from .synergies import (
    METHODS,
    AnalysisError,
    EvalRow,
    Suggestion,
    check_method,
    evaluate,
    explanation,
    suggest,
)

#: The networks that get metrics: the heterogeneous graph and each projection.
NETWORKS: tuple[str, ...] = ("heterogeneous", *PROJECTED)
#: The kinds that get suggested synergies.
SUGGESTED: tuple[str, ...] = ("project", "city")
RANKED = ("weighted_degree", "betweenness", "pagerank")
TOP_RANKED = 10

Progress = Callable[[str], None]


@dataclass
class GroupSummary:
    """An initiative or cluster: its projects, meetings and themes, and how its projects sit in
    the project network."""

    group: str
    label: str
    kind: str
    projects: int
    meetings: int
    themes: int
    themes_covered: int
    themes_not_covered: list[str]
    communities: int
    most_central_project: str


@dataclass
class AnalysisResult:
    """Everything ``scgraph analyse`` computes."""

    hetero: HeteroGraph  # the heterogeneous graph as arrays (``graph``: as NetworkX)
    networks: Mapping[str, nx.Graph]  # a Networks: graphs built on first look-up
    metrics: dict[str, list[NodeMetrics]]
    communities: dict[str, list[list[str]]]
    components: dict[str, list[list[str]]]
    bridges: dict[str, list[tuple[str, str]]]
    articulation_points: dict[str, list[str]]
    summaries: list[GroupSummary]
    suggestions: dict[str, list[Suggestion]]
    coverage: _gaps.Coverage
    coverage_gaps: list[_gaps.Gap]
    data_gaps: list[_gaps.Gap]
    evaluation: list[EvalRow] = field(default_factory=list)
    params: dict[str, object] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step, not written

    @property
    def graph(self) -> nx.Graph:
        """The heterogeneous graph as NetworkX (built on first use, for figures)."""
        if isinstance(self.networks, Networks):
            return self.networks["heterogeneous"]
        return self.hetero.to_networkx()

    def shape(self, net: str) -> tuple[int, int]:
        """(nodes, edges) of a network, without building a projection's NetworkX graph."""
        if isinstance(self.networks, Networks):
            return self.networks.shape(net)
        g = self.networks[net]
        return g.number_of_nodes(), g.number_of_edges()

    def left_out(self, net: str) -> int:
        if isinstance(self.networks, Networks):
            return self.networks.left_out(net)
        return int(self.networks[net].graph.get("left_out", 0))

    def label(self, node: str) -> str:
        return node_label(self.hetero, node)

    def kind(self, node: str) -> str:
        return self.hetero.kind(node) if node in self.hetero else ""


def analyse(store: Store, *, method: str = "adamic-adar", top: int = 20, seed: int = 0,
            run_evaluation: bool = False, share: float = 0.2, splits: int = 10, k: int = 10,
            max_shared: int = MAX_SHARED, progress: Progress | None = None,
            engine: str | None = None) -> AnalysisResult:
    """Build the networks from ``store`` and compute metrics, synergies, gaps (and, if asked,
    the evaluation of the synergy scores). ``engine``: ``igraph`` (the default when installed)
    or ``networkx`` for the metrics; ``result.timings`` has the seconds of each step."""
    check_method(method)
    try:
        engine = check_engine(engine)
    except ValueError as e:
        raise AnalysisError(str(e)) from None
    say = progress or (lambda _m: None)
    timings: dict[str, float] = {}
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        timings[name] = timings.get(name, 0.0) + now - clock[0]
        clock[0] = now

    say("Building the networks from SPARQL")
    g = read_graph(store, max_shared=max_shared)
    lap("sparql to graph")
    networks = Networks(g, {kind: projection_arrays(g, kind, max_shared=max_shared) for kind in PROJECTED})
    lap("projections")
    say("Computing the metrics")
    # what the metrics read: the heterogeneous graph, and each projection straight from its
    # arrays (igraph), or as a NetworkX graph for the networkx engine
    nets: dict[str, Network] = {}
    for n in NETWORKS:
        if engine != "igraph":
            nets[n] = networks[n]
        elif n in networks.arrays:
            a = networks.arrays[n]
            nets[n] = from_arrays(a.things, a.rows, a.cols, a.weights)
        else:
            nets[n] = from_arrays(g.nodes, *g.pairs())
    lap("projections")
    comps = {n: components(nets[n], engine=engine) for n in NETWORKS}
    lap("components")
    comms = {n: communities(nets[n], seed=seed, engine=engine) for n in NETWORKS}
    lap("communities")
    brs = {n: bridges(nets[n], engine=engine) for n in NETWORKS}
    arts = {n: articulation_points(nets[n], engine=engine) for n in NETWORKS}
    lap("brokers")
    metrics = {n: node_metrics(nets[n], seed=seed, comps=comps[n], comms=comms[n], arts=arts[n],
                               engine=engine, timings=timings) for n in NETWORKS}
    del nets
    clock[0] = time.perf_counter()
    say("Suggesting synergies")
    suggestions = {kind: suggest(g, kind, method=method, top=top, max_shared=max_shared)
                   for kind in SUGGESTED}
    lap("synergy ranking")
    say("Looking for gaps")
    cov = _gaps.coverage(store)
    coverage_gaps = (_gaps.theme_gaps(cov) + _gaps.mechanism_gaps(store)
                     + _gaps.data_space_gaps(store))
    data_gaps = _gaps.data_gaps(store)
    summaries = group_summaries(g, set(networks.arrays["project"].things), metrics["project"], cov)
    lap("gaps and summaries")
    evaluation: list[EvalRow] = []
    if run_evaluation:
        say("Evaluating the synergy scores")
        for kind in PROJECTED:
            evaluation += evaluate(g, kind, share=share, splits=splits, k=k, seed=seed,
                                   max_shared=max_shared)
        lap("evaluation")
    params = {"method": method, "top": top, "seed": seed, "max_shared": max_shared}
    if run_evaluation:
        params.update({"hidden_share": share, "splits": splits, "k": k})
    return AnalysisResult(g, networks, metrics, comms, comps, brs, arts, summaries, suggestions,
                          cov, coverage_gaps, data_gaps, evaluation, params, timings)


def group_summaries(g: HeteroGraph | nx.Graph, projects: Container[str], metrics: list[NodeMetrics],
                    cov: _gaps.Coverage) -> list[GroupSummary]:
    """One summary per initiative and cluster (those of the coverage query)."""
    from .networks import as_hetero

    h = as_hetero(g)
    by_node = {m.node: m for m in metrics}
    out = []
    for grp in sorted(cov.groups):
        members = sorted(p for p in cov.projects.get(grp, set()) if p in projects)
        meetings = h.linked(grp, "meeting of", "meeting")
        themes = sorted(cov.themes(grp))
        covered = [t for t in themes if cov.count(grp, t) > 0]
        central = max(members, key=lambda p: (by_node[p].pagerank, p), default="")
        out.append(GroupSummary(
            grp, node_label(h, grp), cov.groups[grp],
            len(members), len(meetings), len(themes), len(covered),
            [t for t in themes if t not in covered],
            len({by_node[p].community for p in members}), central))
    return out


# --------------------------------------------------------------------------- writing


def _num(x: float) -> float:
    return float(f"{x:.6f}")


def _csv(header: list[str], rows: list[list[object]]) -> bytes:
    buf = _io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow([f"{v:.6f}" if isinstance(v, float) else ("true" if v is True else "false" if v is False else v)
                    for v in r])
    return buf.getvalue().encode("utf-8")


def _json(doc: object) -> bytes:
    def fix(o: object) -> object:
        if isinstance(o, float):
            return _num(o)
        if isinstance(o, dict):
            return {str(k): fix(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [fix(v) for v in o]
        return o
    return (json.dumps(fix(doc), indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _json_listed(doc: dict[str, dict[str, object]]) -> bytes:
    """JSON for a document of two levels of keys whose values are lists (metrics.json: 10^5
    nodes per network): the keys indented as :func:`_json` does, each list item on a line of
    its own, written by the json module's C encoder (``indent`` makes it fall back to Python,
    ten times slower). Floats must be rounded already."""
    dumps = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(", ", ": ")).encode
    out = ["{"]
    for i, net in enumerate(sorted(doc)):
        out.append(f"  {dumps(str(net))}: {{")
        fields = doc[net]
        for j, key in enumerate(sorted(fields)):
            value = fields[key]
            end = "," if j + 1 < len(fields) else ""
            if isinstance(value, (list, tuple)) and value:
                out.append(f"    {dumps(str(key))}: [")
                out.append(",\n".join("      " + dumps(item) for item in value))
                out.append(f"    ]{end}")
            else:
                out.append(f"    {dumps(str(key))}: {dumps(value)}{end}")
        out.append("  }," if i + 1 < len(doc) else "  }")
    out.append("}")
    return ("\n".join(out) + "\n").encode("utf-8")


def top_ranked(r: AnalysisResult, net: str, metric: str, n: int = TOP_RANKED) -> list[NodeMetrics]:
    """The ``n`` nodes of ``net`` with the highest ``metric`` (ties by label, then IRI): the
    nodes whose value reaches the n-th highest, sorted (no sort of all 10^5)."""
    ms = r.metrics[net]
    if len(ms) <= n:
        chosen = ms
    else:
        values = np.fromiter((getattr(m, metric) for m in ms), dtype=float, count=len(ms))
        cut = np.partition(values, len(ms) - n)[len(ms) - n]
        chosen = [ms[i] for i in np.flatnonzero(values >= cut).tolist()]
    label = r.hetero.labels
    index = r.hetero.index
    return sorted(chosen, key=lambda m: (-getattr(m, metric), label[index[m.node]], m.node))[:n]


def suggestion_record(r: AnalysisResult, s: Suggestion) -> dict[str, object]:
    return {
        "kind": s.kind, "rank": s.rank, "a": s.a, "label_a": r.label(s.a), "b": s.b,
        "label_b": r.label(s.b), "score": s.score, "method": s.method,
        "shared": [{"node": n, "label": r.label(n), "kind": r.kind(n),
                    "contribution": w} for n, w in s.shared],
        "evidence": s.evidence, "explanation": explanation(r.hetero, s),
    }


def gap_record(r: AnalysisResult, gap: _gaps.Gap) -> dict[str, object]:
    d = asdict(gap)
    d["label"] = r.label(gap.subject)
    d["about_label"] = r.label(gap.about) if gap.about else ""
    return d


def outputs(r: AnalysisResult) -> dict[str, bytes]:
    """Every output file of the analysis, by file name."""
    from .rdf import to_dataset, to_graph
    from ..publish import trig, turtle

    files: dict[str, bytes] = {}
    rows = []
    h = r.hetero
    index, labels, kinds = h.index, h.labels, h.kinds
    for net in NETWORKS:
        for m in r.metrics[net]:
            i = index[m.node]
            rows.append([net, m.node, labels[i], KINDS[kinds[i]], m.degree,
                         m.weighted_degree, m.betweenness, m.pagerank, m.component, m.community,
                         m.articulation_point])
    header = ["network", "node", "label", "kind", "degree", "weighted_degree", "betweenness",
              "pagerank", "component", "community", "articulation_point"]
    files["metrics.csv"] = _csv(header, rows)
    keys = header[1:]
    files["metrics.json"] = _json_listed({net: {
        "nodes": [dict(zip(keys, [_num(v) if isinstance(v, float) else v for v in row[1:]]))
                  for row in rows if row[0] == net],
        "components": r.components[net], "communities": r.communities[net],
        "bridges": [list(b) for b in r.bridges[net]],
        "articulation_points": r.articulation_points[net],
        "nodes_count": r.shape(net)[0],
        "edges_count": r.shape(net)[1],
    } for net in NETWORKS})

    rank_rows = []
    for net in NETWORKS:
        for metric in RANKED:
            for i, m in enumerate(top_ranked(r, net, metric), start=1):
                rank_rows.append([net, metric, i, m.node, r.label(m.node), float(getattr(m, metric))])
    files["rankings.csv"] = _csv(["network", "metric", "rank", "node", "label", "value"], rank_rows)
    files["rankings.json"] = _json([dict(zip(["network", "metric", "rank", "node", "label", "value"], x))
                                    for x in rank_rows])

    comm_rows = [[net, i, len(c), "; ".join(r.label(n) for n in c), "; ".join(c)]
                 for net in NETWORKS for i, c in enumerate(r.communities[net], start=1)]
    files["communities.csv"] = _csv(["network", "community", "size", "labels", "members"], comm_rows)
    broker_rows = [[net, "articulation point", n, r.label(n), "", ""] for net in NETWORKS
                   for n in r.articulation_points[net]]
    broker_rows += [[net, "bridge", a, r.label(a), b, r.label(b)] for net in NETWORKS
                    for a, b in r.bridges[net]]
    files["brokers.csv"] = _csv(["network", "broker", "node", "label", "other_node", "other_label"],
                                broker_rows)

    files["summaries.csv"] = _csv(
        ["group", "label", "kind", "projects", "meetings", "themes", "themes_covered",
         "themes_not_covered", "communities", "most_central_project"],
        [[s.group, s.label, s.kind, s.projects, s.meetings, s.themes, s.themes_covered,
          "; ".join(s.themes_not_covered), s.communities, s.most_central_project] for s in r.summaries])
    files["summaries.json"] = _json([asdict(s) for s in r.summaries])

    recs = [suggestion_record(r, s) for kind in SUGGESTED for s in r.suggestions[kind]]
    files["synergies.json"] = _json(recs)
    files["synergies.csv"] = _csv(
        ["kind", "rank", "a", "label_a", "b", "label_b", "score", "method", "shared", "evidence", "explanation"],
        [[x["kind"], x["rank"], x["a"], x["label_a"], x["b"], x["label_b"], x["score"], x["method"],
          "; ".join(str(sh["label"]) for sh in x["shared"]),  # type: ignore[union-attr]
          "; ".join(f"{k}: {v}" for k, v in x["evidence"].items()),  # type: ignore[union-attr]
          x["explanation"]] for x in recs])

    gap_header = ["gap", "subject", "label", "about", "about_label", "projects", "declared", "named",
                  "detail", "related"]
    for name, gs in (("coverage_gaps", r.coverage_gaps), ("data_gaps", r.data_gaps)):
        grecs = [gap_record(r, gp) for gp in gs]
        files[f"{name}.json"] = _json(grecs)
        files[f"{name}.csv"] = _csv(gap_header, [[x[h] if h != "related" else "; ".join(x[h])  # type: ignore[arg-type]
                                                  for h in gap_header] for x in grecs])

    if r.evaluation:
        eh = ["kind", "method", "auc", "auc_sd", "precision", "precision_sd", "k", "splits", "edges",
              "hidden", "negatives", "reliable", "note"]
        files["evaluation.csv"] = _csv(eh, [[getattr(e, h) for h in eh] for e in r.evaluation])
        files["evaluation.json"] = _json([asdict(e) for e in r.evaluation])

    files["summary.json"] = _json({
        "parameters": r.params,
        "networks": {net: {"nodes": r.shape(net)[0],
                           "edges": r.shape(net)[1],
                           "components": len(r.components[net]),
                           "communities": len(r.communities[net]),
                           "bridges": len(r.bridges[net]),
                           "articulation_points": len(r.articulation_points[net]),
                           "shared_nodes_left_out": r.left_out(net)}
                     for net in NETWORKS},
        "suggested_synergies": {k: len(v) for k, v in r.suggestions.items()},
        "coverage_gaps": len(r.coverage_gaps),
        "data_gaps": len(r.data_gaps),
    })
    graph = to_graph(r)
    files["analysis.ttl"] = turtle(graph)
    files["analysis.trig"] = trig(to_dataset(r, graph))
    return files


def write_results(r: AnalysisResult, out_dir: Path | str) -> dict[str, Path]:
    """Write every output file into ``out_dir`` (atomically, one by one); return their paths."""
    out_dir = Path(out_dir)
    files = outputs(r)  # compute everything before touching the folder
    return {name: io.write_atomic(out_dir / name, data) for name, data in sorted(files.items())}


__all__ = ["METHODS", "AnalysisResult", "analyse", "outputs", "write_results"]
