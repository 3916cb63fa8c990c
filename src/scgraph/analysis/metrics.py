"""Network metrics: centralities, components, communities, brokers (articulation points and
bridges), with fixed seeds so that every result repeats.

Two engines compute them. ``igraph`` (python-igraph, whose algorithms are written in C) is the
default when it is installed; ``networkx`` (pure Python) is the reference the tests compare it
with and the fallback. On the same graph both give the same betweenness (exact, or estimated
from the same pivots), the same components, bridges and articulation points, and PageRank equal
to 10^-8. Communities maximise modularity on both, with another method on each: Leiden
(Traag, Waltman and van Eck, 2019) with igraph, twice as fast as Louvain there and of higher
modularity on the registry, and Louvain (Blondel et al., 2008) with networkx, which has no
Leiden of its own; so the partitions of ambiguous graphs may differ between engines (each
repeats with its seed).

Betweenness is exact up to :data:`EXACT_BETWEENNESS` nodes and estimated from a fixed-seed
sample of ``k`` pivots above (Brandes and Pich, 2007), the estimator and the pivots of
``networkx.betweenness_centrality(g, k=k, seed=seed)``: ``k`` is as many pivots as fit the
engine's budget of node-and-edge visits (:data:`BETWEENNESS_BUDGET`), between 32 and
:data:`BETWEENNESS_SAMPLES`.
"""

from __future__ import annotations

import ctypes
import random
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from ..errors import AnalysisError

EXACT_BETWEENNESS = 2000
BETWEENNESS_SAMPLES = 500
#: Node-and-edge visits a sampled betweenness may spend, per engine and network: a bounded
#: share of an analysis, whatever the network's size (docs/analyses.md, Metrics).
BETWEENNESS_BUDGET: dict[str, int] = {"networkx": 20_000_000, "igraph": 30_000_000}
ENGINES: tuple[str, ...] = ("igraph", "networkx")
#: Iterations of Leiden (igraph's default): two give nearly the modularity of iterating to
#: convergence at a small fraction of its time, and more than Louvain (docs/analyses.md,
#: Metrics).
LEIDEN_ITERATIONS = 2

try:  # python-igraph: the C engine
    import igraph as _ig
except ImportError:  # pragma: no cover - igraph is a dependency; networkx is the fallback
    _ig = None


def default_engine() -> str:
    """``igraph`` when python-igraph is installed, else ``networkx``."""
    return "igraph" if _ig is not None else "networkx"


def check_engine(engine: str | None) -> str:
    """The engine to use for ``engine`` (None: the default); an AnalysisError for an unknown one."""
    engine = engine or default_engine()
    if engine not in ENGINES:
        raise AnalysisError(f"unknown engine {engine!r}; use one of {', '.join(ENGINES)}")
    if engine == "igraph" and _ig is None:
        raise AnalysisError("the igraph engine needs python-igraph (pip install igraph)")
    return engine


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


# --------------------------------------------------------------------------- igraph copies


@dataclass
class _IGraph:
    graph: Any  # igraph.Graph
    nodes: list[str]  # vertex i is nodes[i]
    shape: tuple[int, int]


def from_arrays(nodes: list[str], rows: np.ndarray, cols: np.ndarray,
                weights: np.ndarray | None = None) -> _IGraph:
    """An igraph graph straight from edge arrays (vertex i is ``nodes[i]``; edges in the order
    given, which should be sorted): the metrics of a projection never go through NetworkX."""
    rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    # a list of int pairs: igraph's constructor reads it faster than a numpy array
    h = _ig.Graph(n=len(nodes), edges=list(zip(rows.tolist(), cols.tolist())), directed=False)
    h.es["weight"] = (np.ones(len(rows)) if weights is None else np.asarray(weights, dtype=float)).tolist()
    return _IGraph(h, list(nodes), (len(nodes), len(rows)))


Network = nx.Graph | _IGraph


def _ig_of(g: Network, weight: str = "weight") -> _IGraph:
    return g if isinstance(g, _IGraph) else to_igraph(g, weight)


def _engine_for(g: Network, engine: str | None) -> str:
    engine = check_engine(engine)
    if isinstance(g, _IGraph) and engine != "igraph":
        raise ValueError("an igraph copy needs the igraph engine")
    return engine


_COPIES: weakref.WeakKeyDictionary[nx.Graph, dict[str, _IGraph]] = weakref.WeakKeyDictionary()


def to_igraph(g: nx.Graph, weight: str = "weight") -> _IGraph:
    """An igraph copy of ``g``: vertices in sorted node order, edges sorted, ``weight`` as the
    edge attribute "weight" (1 where missing), so the same graph gives the same copy however
    it was built; cached while ``g`` keeps its size."""
    shape = (g.number_of_nodes(), g.number_of_edges())
    cached = _COPIES.setdefault(g, {}).get(weight)
    if cached is not None and cached.shape == shape:
        return cached
    nodes = sorted(g.nodes)
    idx = {n: i for i, n in enumerate(nodes)}
    m = shape[1]
    a = np.empty(m, dtype=np.int64)
    b = np.empty(m, dtype=np.int64)
    w = np.empty(m, dtype=float)
    for e, (x, y, wt) in enumerate(g.edges(data=weight, default=1)):
        i, j = idx[x], idx[y]
        a[e], b[e], w[e] = (i, j, wt) if i <= j else (j, i, wt)
    order = np.lexsort((b, a))
    copy = from_arrays(nodes, a[order], b[order], w[order])
    _COPIES[g][weight] = copy
    return copy


# --------------------------------------------------------------------------- metrics


def components(g: Network, *, engine: str | None = None) -> list[list[str]]:
    """Connected components, largest first (ties by smallest node), members sorted."""
    if _engine_for(g, engine) == "igraph":
        ig = _ig_of(g)
        comps = [sorted(ig.nodes[i] for i in c) for c in ig.graph.connected_components()]
    else:
        comps = [sorted(c) for c in nx.connected_components(g)]
    return sorted(comps, key=lambda c: (-len(c), c[0]))


def communities(g: Network, *, seed: int = 0, weight: str = "weight",
                engine: str | None = None) -> list[list[str]]:
    """Communities that maximise modularity (fixed seed), largest first, members sorted;
    isolated nodes are communities of their own. igraph: Leiden (Traag, Waltman and van Eck,
    2019) with :data:`LEIDEN_ITERATIONS` iterations; networkx: Louvain (Blondel et al.,
    2008)."""
    if _shape(g)[0] == 0:
        return []
    if _engine_for(g, engine) == "igraph":
        ig = _ig_of(g, weight)
        _ig.set_random_number_generator(random.Random(seed))
        try:
            clustering = ig.graph.community_leiden(objective_function="modularity", weights="weight",
                                                   n_iterations=LEIDEN_ITERATIONS)
        finally:
            _ig.set_random_number_generator(random)
        out = [sorted(ig.nodes[i] for i in c) for c in clustering]
    else:
        h = nx.Graph()  # a canonical copy: the same graph gives the same partition
        h.add_nodes_from(sorted(g.nodes))
        h.add_weighted_edges_from(sorted((min(a, b), max(a, b), float(w))
                                         for a, b, w in g.edges(data=weight, default=1)))
        out = [sorted(c) for c in nx.community.louvain_communities(h, weight="weight", seed=seed)]
    return sorted(out, key=lambda c: (-len(c), c[0]))


def _shape(g: Network) -> tuple[int, int]:
    return g.shape if isinstance(g, _IGraph) else (g.number_of_nodes(), g.number_of_edges())


def pivots(g: Network, k: int, seed: int) -> list[str]:
    """The ``k`` pivots of a sampled betweenness: those networkx draws with the same seed (from
    the nodes in graph order; an igraph copy's order is sorted, as the graphs here are built)."""
    return random.Random(seed).sample(list(g.nodes if isinstance(g, _IGraph) else g.nodes()), k)


def betweenness_samples(n: int, m: int, *, engine: str | None = None,
                        samples: int = BETWEENNESS_SAMPLES) -> int:
    """How many pivots a sampled betweenness of a graph of ``n`` nodes and ``m`` edges uses."""
    budget = BETWEENNESS_BUDGET[check_engine(engine)]
    return min(n, max(min(32, samples), min(samples, budget // max(n + m, 1))))


def betweenness(g: Network, *, seed: int = 0, exact_limit: int = EXACT_BETWEENNESS,
                samples: int = BETWEENNESS_SAMPLES, engine: str | None = None) -> dict[str, float]:
    """Normalised shortest-path betweenness (hops, not weights); sampled above ``exact_limit``."""
    engine = _engine_for(g, engine)
    n, m = _shape(g)
    if n <= exact_limit:
        if engine == "networkx":
            return nx.betweenness_centrality(g, normalized=True)
        ig = _ig_of(g)
        if n <= 2:
            return dict.fromkeys(ig.nodes, 0.0)
        raw = ig.graph.betweenness(directed=False)
        scale = 2.0 / ((n - 1) * (n - 2))  # igraph counts each unordered pair once
        return {v: b * scale for v, b in zip(ig.nodes, raw)}
    k = betweenness_samples(n, m, engine=engine, samples=samples)
    if engine == "networkx":
        return nx.betweenness_centrality(g, k=k, normalized=True, seed=seed)
    # networkx's estimator: the sum over pivots s of the dependencies of v on s (ordered
    # pairs), divided by k (n - 2), or by (k - 1)(n - 2) for a pivot itself.
    ig = _ig_of(g)
    chosen = pivots(g, k, seed)
    index = {v: i for i, v in enumerate(ig.nodes)}
    raw = ig.graph.betweenness(directed=False, sources=[index[v] for v in chosen])
    picked = set(chosen)
    out = {}
    for v, b in zip(ig.nodes, raw):
        if v in picked:
            out[v] = 2.0 * b / ((k - 1) * (n - 2)) if k > 1 else float("nan")
        else:
            out[v] = 2.0 * b / (k * (n - 2))
    return out


def pagerank(g: Network, *, weight: str = "weight", engine: str | None = None) -> dict[str, float]:
    """Weighted PageRank (damping 0.85); an empty graph gives nothing."""
    if _shape(g)[0] == 0:
        return {}
    if _engine_for(g, engine) == "igraph":
        ig = _ig_of(g, weight)
        with _one_openmp_thread():
            values = ig.graph.pagerank(directed=False, damping=0.85, weights="weight",
                                       implementation="prpack")
        return dict(zip(ig.nodes, values))
    return nx.pagerank(g, alpha=0.85, weight=weight, tol=1e-10, max_iter=1000)


@contextmanager
def _one_openmp_thread() -> Iterator[None]:
    """Run igraph's OpenMP code (PRPACK's PageRank) in one thread. On a busy machine its
    threads wait for each other spinning, which costs far more CPU than the computation
    itself. The python-igraph
    wheels bring their own libgomp; where there is none, nothing is changed."""
    omp = _libgomp()
    if omp is None:
        yield
        return
    before = omp.omp_get_max_threads()
    omp.omp_set_num_threads(1)
    try:
        yield
    finally:
        omp.omp_set_num_threads(before)


_GOMP: list[Any] = []


def _libgomp() -> Any:
    if not _GOMP:
        found = None
        if _ig is not None:
            libs = Path(_ig.__file__).resolve().parent.parent / "igraph.libs"
            for path in sorted(libs.glob("libgomp*.so*")):
                try:
                    found = ctypes.CDLL(str(path))
                    found.omp_get_max_threads.restype = ctypes.c_int
                    found.omp_set_num_threads.argtypes = [ctypes.c_int]
                    break
                except (OSError, AttributeError):
                    found = None
        _GOMP.append(found)
    return _GOMP[0]


def bridges(g: Network, *, engine: str | None = None) -> list[tuple[str, str]]:
    """Edges whose removal splits a component, each as (a, b) with a < b, sorted."""
    if _engine_for(g, engine) == "igraph":
        ig = _ig_of(g)
        pairs = (ig.graph.es[e].tuple for e in ig.graph.bridges())
        return sorted((min(ig.nodes[a], ig.nodes[b]), max(ig.nodes[a], ig.nodes[b])) for a, b in pairs)
    return sorted((min(a, b), max(a, b)) for a, b in nx.bridges(g))


def articulation_points(g: Network, *, engine: str | None = None) -> list[str]:
    """Nodes whose removal splits a component, sorted."""
    if _engine_for(g, engine) == "igraph":
        ig = _ig_of(g)
        return sorted(ig.nodes[i] for i in ig.graph.articulation_points())
    return sorted(nx.articulation_points(g))


def node_metrics(g: Network, *, seed: int = 0, weight: str = "weight",
                 comps: list[list[str]] | None = None,
                 comms: list[list[str]] | None = None,
                 arts: list[str] | None = None,
                 engine: str | None = None,
                 timings: dict[str, float] | None = None) -> list[NodeMetrics]:
    """Every metric of every node of ``g``, in node order (``comps``, ``comms``, ``arts``:
    components, communities and articulation points if already computed; ``timings``, if
    given, gets the seconds each metric took added to it)."""
    import time

    def timed(name: str, fn: Any) -> Any:
        t = time.perf_counter()
        out = fn()
        if timings is not None:
            timings[name] = timings.get(name, 0.0) + time.perf_counter() - t
        return out

    bc = timed("betweenness", lambda: betweenness(g, seed=seed, engine=engine))
    pr = timed("pagerank", lambda: pagerank(g, weight=weight, engine=engine))
    if comps is None:
        comps = timed("components", lambda: components(g, engine=engine))
    if comms is None:
        comms = timed("communities", lambda: communities(g, seed=seed, weight=weight, engine=engine))
    if arts is None:
        arts = timed("brokers", lambda: articulation_points(g, engine=engine))
    comp = {n: i for i, c in enumerate(comps, start=1) for n in c}
    comm = {n: i for i, c in enumerate(comms, start=1) for n in c}
    art = set(arts)
    if isinstance(g, _IGraph):
        deg = dict(zip(g.nodes, g.graph.degree()))
        wdeg = dict(zip(g.nodes, g.graph.strength(weights="weight")))
        nodes = sorted(g.nodes)
    else:
        deg = dict(g.degree())
        wdeg = dict(g.degree(weight=weight))
        nodes = sorted(g.nodes)
    return [NodeMetrics(n, deg[n], float(wdeg[n]), bc.get(n, 0.0), pr.get(n, 0.0), comp[n],
                        comm[n], n in art)
            for n in nodes]
