"""Network metrics: centralities, components, communities, brokers (articulation points and
bridges), with fixed seeds so that every result repeats.

Betweenness is exact up to :data:`EXACT_BETWEENNESS` nodes and estimated from a fixed-seed
sample of pivots above (Brandes and Pich, 2007): as many as fit a budget of
:data:`BETWEENNESS_BUDGET` node-and-edge visits, between 32 and :data:`BETWEENNESS_SAMPLES`;
communities are Louvain's (Blondel et al., 2008) with a fixed seed, numbered by size.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

EXACT_BETWEENNESS = 2000
BETWEENNESS_SAMPLES = 500
BETWEENNESS_BUDGET = 20_000_000


@dataclass
class NodeMetrics:
    """The metrics of one node in one network."""

    node: str
    degree: int
    weighted_degree: float
    betweenness: float
    pagerank: float
    component: int
    community: int
    articulation_point: bool


def components(g: nx.Graph) -> list[list[str]]:
    """Connected components, largest first (ties by smallest node), members sorted."""
    comps = [sorted(c) for c in nx.connected_components(g)]
    return sorted(comps, key=lambda c: (-len(c), c[0]))


def communities(g: nx.Graph, *, seed: int = 0, weight: str = "weight") -> list[list[str]]:
    """Louvain communities (fixed seed), largest first, members sorted; isolated nodes are
    communities of their own."""
    if g.number_of_nodes() == 0:
        return []
    h = nx.Graph()
    h.add_nodes_from(sorted(g.nodes))
    h.add_weighted_edges_from(sorted((min(a, b), max(a, b), float(d.get(weight, 1)))
                                     for a, b, d in g.edges(data=True)))
    comms = nx.community.louvain_communities(h, weight="weight", seed=seed)
    out = [sorted(c) for c in comms]
    return sorted(out, key=lambda c: (-len(c), c[0]))


def betweenness(g: nx.Graph, *, seed: int = 0, exact_limit: int = EXACT_BETWEENNESS,
                samples: int = BETWEENNESS_SAMPLES) -> dict[str, float]:
    """Normalised shortest-path betweenness (hops, not weights); sampled above ``exact_limit``."""
    n, m = g.number_of_nodes(), g.number_of_edges()
    if n <= exact_limit:
        return nx.betweenness_centrality(g, normalized=True)
    k = max(min(32, samples), min(samples, BETWEENNESS_BUDGET // max(n + m, 1)))
    return nx.betweenness_centrality(g, k=min(k, n), normalized=True, seed=seed)


def pagerank(g: nx.Graph, *, weight: str = "weight") -> dict[str, float]:
    """Weighted PageRank (damping 0.85); an empty graph gives nothing."""
    if g.number_of_nodes() == 0:
        return {}
    return nx.pagerank(g, alpha=0.85, weight=weight, tol=1e-10, max_iter=1000)


def bridges(g: nx.Graph) -> list[tuple[str, str]]:
    """Edges whose removal splits a component, each as (a, b) with a < b, sorted."""
    return sorted((min(a, b), max(a, b)) for a, b in nx.bridges(g))


def articulation_points(g: nx.Graph) -> list[str]:
    """Nodes whose removal splits a component, sorted."""
    return sorted(nx.articulation_points(g))


def node_metrics(g: nx.Graph, *, seed: int = 0, weight: str = "weight",
                 comps: list[list[str]] | None = None,
                 comms: list[list[str]] | None = None) -> list[NodeMetrics]:
    """Every metric of every node of ``g``, in node order (``comps``, ``comms``: components and
    communities if already computed)."""
    bc = betweenness(g, seed=seed)
    pr = pagerank(g, weight=weight)
    comp = {n: i for i, c in enumerate(comps if comps is not None else components(g), start=1) for n in c}
    comm = {n: i for i, c in enumerate(comms if comms is not None else communities(g, seed=seed, weight=weight),
                                       start=1) for n in c}
    arts = set(articulation_points(g))
    return [NodeMetrics(n, g.degree(n), float(g.degree(n, weight=weight)), bc.get(n, 0.0),
                        pr.get(n, 0.0), comp[n], comm[n], n in arts)
            for n in sorted(g.nodes)]
