"""``scgraph analyse``: every analysis in one call, and the files it writes.

:func:`analyse` reads the graph through a Store and returns an :class:`AnalysisResult`;
:func:`write_results` writes it into a folder (default ``build/analysis/``) as CSV, JSON and
RDF, each file atomically and byte for byte the same for the same input.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

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
from .networks import HeteroGraph, Networks, node_label, projection_arrays, read_graph
from .params import MAX_SHARED, PROJECTED
from .synergies import AnalysisError, EvalRow, Suggestion, check_method, evaluate, suggest
from .params import METHODS
from .params import NETWORKS, SUGGESTED

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


__all__ = ["METHODS", "AnalysisResult", "analyse"]
