"""From RDF to networks: the heterogeneous graph and its one-mode projections.

Every graph here is built from the answers of the ``queries/analysis_*.rq`` files, run through
a :class:`~scgraph.store.Store`, so the same code works on the curated graph in memory and on
the whole registry in Oxigraph. Python takes over after SPARQL: it picks each node's kind,
joins the links into evidence ("met at the same meeting", "shared theme", ...) and projects
with sparse matrices, so that a network of 10^5 projects stays linear in its links.

Node identifiers are the IRIs as strings; every node has ``kind`` and ``label``, cities
``lat`` and ``lon`` where known.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from rdflib import Literal, URIRef
from scipy import sparse

from .. import catalogue
from ..namespaces import short
from ..store import Store

#: Node kinds, in the order that decides a thing's kind when it has several.
KINDS: tuple[str, ...] = ("meeting", "project", "cluster", "initiative", "organisation",
                          "person", "city", "theme")

# Evidence that ties two things of one kind (the names used in every output).
MEETING = "met at the same meeting"
CLUSTER = "same cluster"
INITIATIVE = "same initiative"
THEME = "shared theme"
CITY = "shared city"
PARTNER = "shared partner"
PROJECT = "shared project"
ORGANISATION = "shared organisation"
SYNERGY = "recorded synergy"

EVIDENCE: tuple[str, ...] = (MEETING, SYNERGY, PROJECT, CLUSTER, INITIATIVE, THEME, CITY,
                             PARTNER, ORGANISATION)

#: The kinds that have one-mode projections, and the evidence that counts as a recorded
#: collaboration between two things of that kind (the rest is context).
PROJECTED: tuple[str, ...] = ("project", "organisation", "city")
COLLABORATION: dict[str, frozenset[str]] = {
    "project": frozenset({MEETING, SYNERGY}),
    "organisation": frozenset({PROJECT, MEETING, SYNERGY}),
    "city": frozenset({PROJECT, SYNERGY}),
}

#: A context node shared by more things than this (a funding programme, a broad field of
#: science) says little about any pair; projections and link prediction leave it out.
MAX_SHARED = 500


def _str(term: object) -> str:
    return "" if term is None else str(term)


def _float(term: object) -> float | None:
    if term is None:
        return None
    try:
        return float(term.toPython() if isinstance(term, Literal) else term)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def select(store: Store, name: str) -> list[dict[str, object]]:
    """Run the catalogue query ``name`` on ``store``; rows as dicts of RDF terms."""
    result = catalogue.run(store, catalogue.get_query(name))
    return [dict(zip(result.vars, row)) for row in result.rows]


# --------------------------------------------------------------------------- heterogeneous graph


def heterogeneous_graph(store: Store) -> nx.Graph:
    """The graph of projects, initiatives, clusters, meetings, organisations, people, cities and
    themes, with an edge for each link of ``analysis_edges`` and each pair of parties of a
    recorded synergy (``analysis_synergies``); edges carry ``relation`` ("; "-joined)."""
    kinds: dict[str, str] = {}
    attrs: dict[str, dict[str, object]] = {}
    rank = {k: i for i, k in enumerate(KINDS)}
    for row in select(store, "analysis_nodes"):
        node, kind = _str(row["node"]), _str(row["kind"])
        if kind not in rank:
            continue
        if node not in kinds or rank[kind] < rank[kinds[node]]:
            kinds[node] = kind
        a = attrs.setdefault(node, {})
        if row.get("label") is not None and "label" not in a:
            a["label"] = _str(row["label"])
        lat, lon = _float(row.get("lat")), _float(row.get("long"))
        if lat is not None and lon is not None:
            a["lat"], a["lon"] = lat, lon
    relations: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in select(store, "analysis_edges"):
        s, t = _str(row["source"]), _str(row["target"])
        if s in kinds and t in kinds and s != t:
            relations[(min(s, t), max(s, t))].add(_str(row["relation"]))
    for a, b, _synergy in synergy_pairs(store):
        if a in kinds and b in kinds:
            relations[(a, b)].add("synergy")
    return build_graph(kinds, attrs, relations)


def build_graph(kinds: dict[str, str], attrs: dict[str, dict[str, object]],
                relations: dict[tuple[str, str], set[str]]) -> nx.Graph:
    """A graph with nodes and edges inserted in sorted order, so algorithms repeat."""
    g = nx.Graph()
    for node in sorted(kinds):
        a = dict(attrs.get(node, {}))
        a.setdefault("label", short(URIRef(node)))
        if kinds[node] != "city":
            a.pop("lat", None)
            a.pop("lon", None)
        g.add_node(node, kind=kinds[node], **a)
    for (a, b) in sorted(relations):
        g.add_edge(a, b, relation="; ".join(sorted(relations[(a, b)])), weight=1)
    return g


def synergy_pairs(store: Store) -> list[tuple[str, str, str]]:
    """Each pair of parties of each recorded synergy: (a, b, synergy), a < b, sorted."""
    parties: dict[str, set[str]] = defaultdict(set)
    for row in select(store, "analysis_synergies"):
        parties[_str(row["synergy"])].add(_str(row["party"]))
    out = set()
    for synergy, ps in parties.items():
        for a in ps:
            for b in ps:
                if a < b:
                    out.add((a, b, synergy))
    return sorted(out)


def relations_of(g: nx.Graph, a: str, b: str) -> set[str]:
    """The relations on the edge a-b of the heterogeneous graph."""
    return set(str(g.edges[a, b]["relation"]).split("; "))


# --------------------------------------------------------------------------- incidences


Incidence = tuple[str, str, str]  # (thing, evidence, shared node)


def _nbrs(g: nx.Graph, node: str, kind: str, relations: Iterable[str]) -> list[str]:
    rel = set(relations)
    return [n for n in g[node] if g.nodes[n]["kind"] == kind and relations_of(g, node, n) & rel]


def incidences(g: nx.Graph, kind: str, things: Iterable[str] | None = None) -> list[Incidence]:
    """What ties each thing of ``kind`` to the nodes it may share with another thing.

    project: meetings attended (MEETING), clusters it is a member or part of or in a recorded
    synergy with (CLUSTER), initiatives it contributes to, is part of or in a recorded synergy
    with (INITIATIVE), themes (THEME), partners
    (PARTNER), the cities of its partners and of its own meetings (CITY), synergies (SYNERGY).
    organisation: projects it is a partner in (PROJECT), meetings it attended or organised
    (MEETING), the city it is based in (CITY). city: projects with a partner based there or a
    meeting held there (PROJECT), organisations based there or at a meeting held there
    (ORGANISATION). ``things`` limits the answer to those things.
    """
    out: set[Incidence] = set()
    group_rel = ("member of", "part of", "contributes to", "synergy")
    todo = sorted(things) if things is not None else [n for n, k in g.nodes(data="kind") if k == kind]
    for t in todo:
        if kind == "project":
            out.update((t, MEETING, m) for m in _nbrs(g, t, "meeting", ("attended",)))
            out.update((t, CLUSTER, c) for c in _nbrs(g, t, "cluster", group_rel))
            out.update((t, INITIATIVE, i) for i in _nbrs(g, t, "initiative", group_rel))
            out.update((t, THEME, th) for th in g[t] if g.nodes[th]["kind"] == "theme")
            partners = _nbrs(g, t, "organisation", ("partner",))
            out.update((t, PARTNER, o) for o in partners)
            for o in partners:
                out.update((t, CITY, c) for c in _nbrs(g, o, "city", ("based in",)))
            for m in _nbrs(g, t, "meeting", ("meeting of",)):
                out.update((t, CITY, c) for c in _nbrs(g, m, "city", ("held in",)))
        elif kind == "organisation":
            out.update((t, PROJECT, p) for p in _nbrs(g, t, "project", ("partner",)))
            out.update((t, MEETING, m) for m in _nbrs(g, t, "meeting", ("attended", "organised")))
            out.update((t, CITY, c) for c in _nbrs(g, t, "city", ("based in",)))
        elif kind == "city":
            for o in _nbrs(g, t, "organisation", ("based in",)):
                out.add((t, ORGANISATION, o))
                out.update((t, PROJECT, p) for p in _nbrs(g, o, "project", ("partner",)))
            for m in _nbrs(g, t, "meeting", ("held in",)):
                out.update((t, PROJECT, p) for p in _nbrs(g, m, "project", ("attended", "meeting of")))
                out.update((t, ORGANISATION, o)
                           for o in _nbrs(g, m, "organisation", ("attended", "organised")))
        else:
            raise ValueError(f"no projection for kind {kind!r}")
    return sorted(out)


def recorded_synergies(g: nx.Graph, kind: str) -> set[tuple[str, str]]:
    """Pairs (a < b) of things of ``kind`` that a recorded synergy ties."""
    return {(min(a, b), max(a, b)) for a, b in g.edges
            if g.nodes[a]["kind"] == kind == g.nodes[b]["kind"] and "synergy" in relations_of(g, a, b)}


# --------------------------------------------------------------------------- projections


@dataclass
class Incidences:
    """The things of one kind, what they share, and their recorded collaborations, as sparse
    matrices over sorted indices."""

    kind: str
    things: list[str]
    context: list[str]  # shared nodes that are context, not collaboration
    B: sparse.csr_matrix  # things x context, 1 where a thing is tied to a context node
    collab: set[tuple[str, str]]  # recorded collaborations (a < b)
    evidence: dict[tuple[str, str], dict[str, int]]  # pair -> evidence -> number shared
    left_out: list[str] = field(default_factory=list)  # shared nodes above MAX_SHARED

    @property
    def index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.things)}


def _pairs_sharing(rows: list[Incidence], things: list[str], max_shared: int,
                   left_out: set[str]) -> dict[tuple[str, str], dict[str, int]]:
    """Count, for each pair of things, the shared nodes per evidence (sparse products)."""
    idx = {t: i for i, t in enumerate(things)}
    by_ev: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for t, ev, via in rows:
        by_ev[ev].append((idx[t], via))
    out: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for ev, items in sorted(by_ev.items()):
        vias = sorted({v for _i, v in items})
        vidx = {v: j for j, v in enumerate(vias)}
        r = np.array([i for i, _v in items], dtype=np.int64)
        c = np.array([vidx[v] for _i, v in items], dtype=np.int64)
        b = sparse.csr_matrix((np.ones(len(items)), (r, c)), shape=(len(things), len(vias)))
        b.data[:] = 1.0
        sizes = np.asarray(b.sum(axis=0)).ravel()
        keep = sizes <= max_shared
        left_out.update(v for v, k in zip(vias, keep) if not k)
        b = b[:, np.flatnonzero(keep)]
        prod = sparse.triu(b @ b.T, k=1).tocoo()
        for i, j, n in zip(prod.row, prod.col, prod.data):
            out[(things[i], things[j])][ev] = int(round(n))
    return out


def prepare(g: nx.Graph, kind: str, *, max_shared: int = MAX_SHARED,
            hidden: Iterable[tuple[str, str]] = ()) -> Incidences:
    """The incidences of ``kind`` in ``g``; ``hidden`` collaborations are removed (evaluation)."""
    rows = incidences(g, kind)
    things = sorted(n for n, k in g.nodes(data="kind") if k == kind)
    left_out: set[str] = set()
    evidence = _pairs_sharing(rows, things, max_shared, left_out)
    for a, b in recorded_synergies(g, kind):
        evidence.setdefault((a, b), {})[SYNERGY] = 1
    collab_ev = COLLABORATION[kind]
    collab = {p for p, evs in evidence.items() if set(evs) & collab_ev}
    collab -= {(min(a, b), max(a, b)) for a, b in hidden}
    context_rows = [(t, ev, v) for t, ev, v in rows if ev not in collab_ev and v not in left_out]
    context = sorted({v for _t, _e, v in context_rows})
    cidx = {v: j for j, v in enumerate(context)}
    tidx = {t: i for i, t in enumerate(things)}
    pairs = sorted({(tidx[t], cidx[v]) for t, _e, v in context_rows})
    B = sparse.csr_matrix((np.ones(len(pairs)), ([p[0] for p in pairs], [p[1] for p in pairs])),
                          shape=(len(things), len(context)))
    return Incidences(kind, things, context, B, collab, dict(evidence), sorted(left_out))


def projection(g: nx.Graph, kind: str, *, max_shared: int = MAX_SHARED) -> nx.Graph:
    """The weighted one-mode projection of ``kind``: an edge for each pair that shares anything
    (or is tied by a recorded synergy). ``weight`` is the number of shared things, ``evidence``
    the kinds of evidence ("; "-joined, in :data:`EVIDENCE` order), ``n_<evidence>`` the count
    of each, ``collaboration`` whether the pair has a recorded collaboration."""
    inc = prepare(g, kind, max_shared=max_shared)
    p = nx.Graph()
    for t in inc.things:
        p.add_node(t, **g.nodes[t])
    for (a, b) in sorted(inc.evidence):
        evs = inc.evidence[(a, b)]
        attrs: dict[str, object] = {
            "weight": sum(evs.values()),
            "evidence": "; ".join(e for e in EVIDENCE if e in evs),
            "collaboration": (a, b) in inc.collab,
        }
        for e in EVIDENCE:
            if e in evs:
                attrs["n_" + e.replace(" ", "_")] = evs[e]
        p.add_edge(a, b, **attrs)
    p.graph["kind"] = kind
    p.graph["left_out"] = len(inc.left_out)
    return p


def shared_nodes(g: nx.Graph, kind: str, a: str, b: str) -> dict[str, list[str]]:
    """What ``a`` and ``b`` share, by evidence (node IRIs, sorted)."""
    rows = incidences(g, kind, (a, b))
    mine: dict[str, dict[str, set[str]]] = {a: defaultdict(set), b: defaultdict(set)}
    for t, ev, v in rows:
        mine[t][ev].add(v)
    return {ev: sorted(mine[a][ev] & mine[b][ev]) for ev in EVIDENCE
            if mine[a][ev] & mine[b][ev]}
