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

import re
import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pyoxigraph as ox
from rdflib import Literal, URIRef
from scipy import sparse

from .. import catalogue
from ..namespaces import short
from ..errors import StoreError
from ..store import OxigraphStore, Store, query_error

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
#: science, a big city, a partner in hundreds of projects) says little about any pair;
#: projections and link prediction leave it out (``--max-shared``). Each node shared by k
#: things makes k(k-1)/2 pairs: with 500, the 10^5-project registry's project network had
#: 18.7 million edges (16.6 million of them "shared city"); with 50, 2.2 million.
MAX_SHARED = 50


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


def select_values(store: Store, name: str) -> tuple[list[str], list[tuple[str | None, ...]]]:
    """Run the catalogue query ``name`` (no parameters) on ``store``; rows as tuples of the
    terms' lexical values (None where unbound). On an embedded Oxigraph store the results are
    written as SPARQL TSV by Oxigraph itself and split here (:func:`parse_tsv`): no Python
    object per term, half the time of reading 10^6 rows term by term."""
    query = catalogue.get_query(name)
    if isinstance(store, OxigraphStore):
        catalogue.check_syntax(query)
        try:
            res = store.store.query(query.sparql, use_default_graph_as_union=True)
            data = res.serialize(format=ox.QueryResultsFormat.TSV)
        except (SyntaxError, RuntimeError) as e:
            raise query_error(e) from None
        except OSError as e:
            raise StoreError(f"cannot read the Oxigraph store: {e}", path=store.path) from None
        return parse_tsv(data)
    result = catalogue.run(store, query)
    return list(result.vars), [tuple(None if t is None else str(t) for t in row) for row in result.rows]


_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.S)
_ESCAPED = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f"}


def _unescape(m: re.Match[str]) -> str:
    code = m.group(1) or m.group(2)
    if code:
        return chr(int(code, 16))
    c = m.group(3)
    return _ESCAPED.get(c, c)


def _tsv_value(field: str) -> str | None:
    """The lexical value of one SPARQL TSV field: an IRI, a literal (quoted, with escapes, a
    language tag or a datatype; or a bare number or boolean), a blank node; None if empty."""
    if not field:
        return None
    c = field[0]
    if c == "<":
        return field[1:-1]
    if c == '"':
        body = field[1:field.rindex('"')]
        return _ESCAPE.sub(_unescape, body) if "\\" in body else body
    if field.startswith("_:"):
        return field[2:]
    return field


def parse_tsv(data: bytes) -> tuple[list[str], list[tuple[str | None, ...]]]:
    """Variables and rows (lexical values, None where unbound) of a SPARQL TSV result."""
    lines = data.decode("utf-8").split("\n")
    names = [v[1:] for v in lines[0].split("\t")] if lines and lines[0] else []
    value = _tsv_value
    rows = [tuple(f[1:-1] if f[:1] == "<" else value(f) for f in line.split("\t"))
            for line in lines[1:] if line or len(names) == 1]
    if len(names) == 1 and rows and lines[-1] == "":
        rows.pop()  # the final newline
    return names, rows


# --------------------------------------------------------------------------- heterogeneous graph


def heterogeneous_graph(store: Store) -> nx.Graph:
    """The graph of projects, initiatives, clusters, meetings, organisations, people, cities and
    themes, with an edge for each link of ``analysis_edges`` and each pair of parties of a
    recorded synergy (``analysis_synergies``); edges carry ``relation`` ("; "-joined)."""
    kinds: dict[str, str] = {}
    attrs: dict[str, dict[str, object]] = {}
    rank = {k: i for i, k in enumerate(KINDS)}
    names, rows = select_values(store, "analysis_nodes")
    col = {v: i for i, v in enumerate(names)}
    ni, ki, li, lai, loi = (col[v] for v in ("node", "kind", "label", "lat", "long"))
    for row in sorted(rows, key=lambda r: (r[ni] or "", r[ki] or "")):
        node, kind = row[ni] or "", row[ki] or ""
        if kind not in rank:
            continue
        if node not in kinds or rank[kind] < rank[kinds[node]]:
            kinds[node] = kind
        a = attrs.setdefault(node, {})
        if row[li] is not None and "label" not in a:
            a["label"] = row[li]
        lat, lon = _float(row[lai]), _float(row[loi])
        if lat is not None and lon is not None:
            a["lat"], a["lon"] = lat, lon
    relations: dict[tuple[str, str], set[str]] = defaultdict(set)
    names, rows = select_values(store, "analysis_edges")
    si, ri, ti = (names.index(v) for v in ("source", "relation", "target"))
    for row in rows:
        s, t = row[si] or "", row[ti] or ""
        if s in kinds and t in kinds and s != t:
            relations[(min(s, t), max(s, t))].add(row[ri] or "")
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

_INDEX: weakref.WeakKeyDictionary[nx.Graph, tuple[tuple[int, int], dict[str, dict[str, list[str]]]]] = (
    weakref.WeakKeyDictionary())


def _relation_index(g: nx.Graph) -> dict[str, dict[str, list[str]]]:
    """node -> relation -> neighbours tied by it (each edge's relations split once); cached
    while ``g`` keeps its size."""
    shape = (g.number_of_nodes(), g.number_of_edges())
    cached = _INDEX.get(g)
    if cached is not None and cached[0] == shape:
        return cached[1]
    index: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for a, b, rel in g.edges(data="relation", default=""):
        for r in str(rel).split("; "):
            index[a][r].append(b)
            index[b][r].append(a)
    out = {n: dict(rs) for n, rs in index.items()}
    _INDEX[g] = (shape, out)
    return out


def _nbrs(g: nx.Graph, index: dict[str, dict[str, list[str]]], node: str, kind: str,
          relations: Iterable[str]) -> set[str]:
    rels = index.get(node, {})
    return {n for r in relations for n in rels.get(r, ()) if g.nodes[n]["kind"] == kind}


def _incidence_sets(g: nx.Graph, kind: str, things: Iterable[str]) -> dict[str, set[tuple[str, str]]]:
    """evidence -> {(thing, shared node)}: the rows of :func:`incidences`, by evidence."""
    index = _relation_index(g)
    out: dict[str, set[tuple[str, str]]] = defaultdict(set)
    group_rel = ("member of", "part of", "contributes to", "synergy")
    kinds = g.nodes
    for t in things:
        if kind == "project":
            out[MEETING].update((t, m) for m in _nbrs(g, index, t, "meeting", ("attended",)))
            out[CLUSTER].update((t, c) for c in _nbrs(g, index, t, "cluster", group_rel))
            out[INITIATIVE].update((t, i) for i in _nbrs(g, index, t, "initiative", group_rel))
            out[THEME].update((t, th) for th in g[t] if kinds[th]["kind"] == "theme")
            partners = _nbrs(g, index, t, "organisation", ("partner",))
            out[PARTNER].update((t, o) for o in partners)
            for o in partners:
                out[CITY].update((t, c) for c in _nbrs(g, index, o, "city", ("based in",)))
            for m in _nbrs(g, index, t, "meeting", ("meeting of",)):
                out[CITY].update((t, c) for c in _nbrs(g, index, m, "city", ("held in",)))
        elif kind == "organisation":
            out[PROJECT].update((t, p) for p in _nbrs(g, index, t, "project", ("partner",)))
            out[MEETING].update((t, m) for m in _nbrs(g, index, t, "meeting", ("attended", "organised")))
            out[CITY].update((t, c) for c in _nbrs(g, index, t, "city", ("based in",)))
        elif kind == "city":
            for o in _nbrs(g, index, t, "organisation", ("based in",)):
                out[ORGANISATION].add((t, o))
                out[PROJECT].update((t, p) for p in _nbrs(g, index, o, "project", ("partner",)))
            for m in _nbrs(g, index, t, "meeting", ("held in",)):
                out[PROJECT].update((t, p) for p in _nbrs(g, index, m, "project", ("attended", "meeting of")))
                out[ORGANISATION].update(
                    (t, o) for o in _nbrs(g, index, m, "organisation", ("attended", "organised")))
        else:
            raise ValueError(f"no projection for kind {kind!r}")
    return {ev: pairs for ev, pairs in out.items() if pairs}


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
    if kind not in COLLABORATION:
        raise ValueError(f"no projection for kind {kind!r}")
    todo = sorted(things) if things is not None else [n for n, k in g.nodes(data="kind") if k == kind]
    sets = _incidence_sets(g, kind, todo)
    return sorted((t, ev, v) for ev, pairs in sets.items() for t, v in pairs)


def recorded_synergies(g: nx.Graph, kind: str) -> set[tuple[str, str]]:
    """Pairs (a < b) of things of ``kind`` that a recorded synergy ties."""
    adj = _adjacency(g)
    t = adj.of_kind(kind)
    up = sparse.triu(adj.rel(SYNERGY_RELATION)[t][:, t], k=1).tocoo()
    things = [adj.nodes[i] for i in t.tolist()]
    return {(things[i], things[j]) for i, j in zip(up.row.tolist(), up.col.tolist())}


# --------------------------------------------------------------------------- vectorised incidences

SYNERGY_RELATION = "synergy"


@dataclass
class _Adjacency:
    """The heterogeneous graph as one symmetric 0/1 sparse matrix per relation, over its nodes
    in sorted order (the input of the vectorised incidences)."""

    nodes: list[str]
    kinds: np.ndarray  # index into KINDS per node, -1 for another kind
    by_relation: dict[str, sparse.csr_matrix]
    linked: sparse.csr_matrix  # any relation

    def of_kind(self, kind: str) -> np.ndarray:
        return np.flatnonzero(self.kinds == KINDS.index(kind))

    def rel(self, *names: str) -> sparse.csr_matrix:
        n = len(self.nodes)
        out = sparse.csr_matrix((n, n))
        for r in names:
            if r in self.by_relation:
                out = out + self.by_relation[r]
        return out.tocsr()

    def keep(self, kind: str) -> sparse.dia_matrix:
        """The diagonal 0/1 matrix that keeps the columns of the nodes of ``kind``."""
        return sparse.diags((self.kinds == KINDS.index(kind)).astype(float))


_ADJACENCY: weakref.WeakKeyDictionary[nx.Graph, tuple[tuple[int, int], _Adjacency]] = (
    weakref.WeakKeyDictionary())


def _adjacency(g: nx.Graph) -> _Adjacency:
    shape = (g.number_of_nodes(), g.number_of_edges())
    cached = _ADJACENCY.get(g)
    if cached is not None and cached[0] == shape:
        return cached[1]
    nodes = sorted(g.nodes)
    idx = {v: i for i, v in enumerate(nodes)}
    code = {k: i for i, k in enumerate(KINDS)}
    kinds = np.fromiter((code.get(g.nodes[v].get("kind"), -1) for v in nodes), dtype=np.int64,
                        count=len(nodes))
    split: dict[str, list[str]] = {}
    ends: dict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for a, b, rel in g.edges(data="relation", default=""):
        parts = split.get(rel)
        if parts is None:
            parts = split[rel] = str(rel).split("; ")
        i, j = idx[a], idx[b]
        for r in parts:
            e = ends[r]
            e[0].append(i)
            e[1].append(j)
    n = len(nodes)
    by_relation = {}
    for r, (i, j) in ends.items():
        ii, jj = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
        by_relation[r] = _binary(np.concatenate([ii, jj]), np.concatenate([jj, ii]), (n, n))
    linked = sparse.csr_matrix((n, n))
    for m in by_relation.values():
        linked = linked + m
    linked = linked.tocsr()
    linked.data[:] = 1.0
    adj = _Adjacency(nodes, kinds, by_relation, linked)
    _ADJACENCY[g] = (shape, adj)
    return adj


def _ones(m: sparse.spmatrix) -> sparse.csr_matrix:
    m = sparse.csr_matrix(m)
    m.eliminate_zeros()
    m.data[:] = 1.0
    return m


def _incidence_matrices(adj: _Adjacency, kind: str, t: np.ndarray) -> dict[str, sparse.csr_matrix]:
    """evidence -> things x nodes 0/1: the incidences of :func:`incidences` as sparse matrix
    products over the relations (things ``t``, node indices), with no loop over things."""
    R, keep = adj.rel, adj.keep
    group_rel = ("member of", "part of", "contributes to", SYNERGY_RELATION)
    out: dict[str, sparse.csr_matrix] = {}
    if kind == "project":
        out[MEETING] = R("attended")[t] @ keep("meeting")
        groups = R(*group_rel)[t]
        out[CLUSTER] = groups @ keep("cluster")
        out[INITIATIVE] = groups @ keep("initiative")
        out[THEME] = adj.linked[t] @ keep("theme")
        out[PARTNER] = R("partner")[t] @ keep("organisation")
        own = R("meeting of")[t] @ keep("meeting")
        out[CITY] = (out[PARTNER] @ R("based in") @ keep("city")
                     + own @ R("held in") @ keep("city"))
    elif kind == "organisation":
        out[PROJECT] = R("partner")[t] @ keep("project")
        out[MEETING] = R("attended", "organised")[t] @ keep("meeting")
        out[CITY] = R("based in")[t] @ keep("city")
    elif kind == "city":
        orgs = R("based in")[t] @ keep("organisation")
        meetings = R("held in")[t] @ keep("meeting")
        out[ORGANISATION] = orgs + meetings @ R("attended", "organised") @ keep("organisation")
        out[PROJECT] = (orgs @ R("partner") @ keep("project")
                        + meetings @ R("attended", "meeting of") @ keep("project"))
    else:
        raise ValueError(f"no projection for kind {kind!r}")
    return {ev: m for ev, m in ((ev, _ones(m)) for ev, m in out.items()) if m.nnz}


# --------------------------------------------------------------------------- projections


def _binary(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sparse.csr_matrix:
    m = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)
    m.sum_duplicates()
    m.data[:] = 1.0
    return m


def member(K: sparse.spmatrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Whether each (rows[k], cols[k]) is a non-zero of ``K``, by binary search over its
    sorted keys (scipy's fancy indexing of 10^7 pairs takes gigabytes)."""
    if K.nnz == 0 or len(rows) == 0:
        return np.zeros(len(rows), dtype=bool)
    n = K.shape[1]
    c = K.tocoo()
    keys = np.unique(c.row.astype(np.int64) * n + c.col.astype(np.int64))
    want = rows.astype(np.int64) * n + cols.astype(np.int64)
    pos = np.minimum(np.searchsorted(keys, want), len(keys) - 1)
    return keys[pos] == want


@dataclass
class Incidences:
    """The things of one kind, what they share, and their recorded collaborations, as sparse
    matrices over sorted indices (things i < j in the upper triangle)."""

    kind: str
    things: list[str]
    context: list[str]  # shared nodes that are context, not collaboration
    B: sparse.csr_matrix  # things x context, 1 where a thing is tied to a context node
    shared: dict[str, sparse.csr_matrix]  # evidence -> things x things, upper: number shared
    K: sparse.csr_matrix  # things x things, symmetric 0/1: recorded collaborations
    left_out: list[str] = field(default_factory=list)  # shared nodes above MAX_SHARED

    @property
    def index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.things)}

    @property
    def collab(self) -> set[tuple[str, str]]:
        """The recorded collaborations as pairs (a < b)."""
        up = sparse.triu(self.K, k=1).tocoo()
        return {(self.things[i], self.things[j]) for i, j in zip(up.row.tolist(), up.col.tolist())}

    def collab_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """The recorded collaborations as index arrays (i < j), sorted."""
        up = sparse.triu(self.K, k=1).tocsr()
        up.sort_indices()
        coo = up.tocoo()
        return coo.row.astype(np.int64), coo.col.astype(np.int64)

    def evidence_of(self, i: int, j: int) -> dict[str, int]:
        """Evidence -> number shared, for the pair of indices (i, j)."""
        i, j = min(i, j), max(i, j)
        out = {}
        for ev in EVIDENCE:
            m = self.shared.get(ev)
            if m is not None:
                n = int(round(m[i, j]))
                if n:
                    out[ev] = n
        return out


_PREPARED: weakref.WeakKeyDictionary[nx.Graph, dict[tuple[str, int], tuple[tuple[int, int], Incidences]]] = (
    weakref.WeakKeyDictionary())


def prepare(g: nx.Graph, kind: str, *, max_shared: int = MAX_SHARED,
            hidden: Iterable[tuple[str, str]] = ()) -> Incidences:
    """The incidences of ``kind`` in ``g``; ``hidden`` collaborations are removed (evaluation).

    Each evidence is one sparse product ``B B^T`` (things x shared nodes), so the work grows
    with the links and the pairs that share something, never with all pairs."""
    shape = (g.number_of_nodes(), g.number_of_edges())
    cache = _PREPARED.setdefault(g, {})
    hit = cache.get((kind, max_shared))
    if hit is not None and hit[0] == shape:
        full = hit[1]
    else:
        full = _prepare(g, kind, max_shared)
        cache[(kind, max_shared)] = (shape, full)
    hidden = list(hidden)
    if not hidden:
        return full
    idx = full.index
    hi = np.array([idx[a] for a, b in hidden] + [idx[b] for a, b in hidden], dtype=np.int64)
    hj = np.array([idx[b] for a, b in hidden] + [idx[a] for a, b in hidden], dtype=np.int64)
    mask = _binary(hi, hj, full.K.shape)
    K = (full.K - full.K.multiply(mask)).tocsr()
    K.eliminate_zeros()
    return Incidences(full.kind, full.things, full.context, full.B, full.shared, K, full.left_out)


def _prepare(g: nx.Graph, kind: str, max_shared: int) -> Incidences:
    adj = _adjacency(g)
    t = adj.of_kind(kind)  # sorted, as the nodes are
    things = [adj.nodes[i] for i in t.tolist()]
    n = len(things)
    collab_ev = COLLABORATION[kind]
    shared: dict[str, sparse.csr_matrix] = {}
    left_out: set[str] = set()
    context_b = sparse.csr_matrix((n, len(adj.nodes)))
    for ev, b in sorted(_incidence_matrices(adj, kind, t).items()):
        sizes = np.asarray(b.sum(axis=0)).ravel()
        too_big = sizes > max_shared
        left_out.update(adj.nodes[c] for c in np.flatnonzero(too_big).tolist())
        b = (b @ sparse.diags((~too_big).astype(float))).tocsr()
        b.eliminate_zeros()
        prod = sparse.triu(b @ b.T, k=1).tocsr()
        prod.eliminate_zeros()
        if prod.nnz:
            shared[ev] = prod
        if ev not in collab_ev:
            context_b = context_b + b
    syn = recorded_synergies(g, kind)
    if syn:
        tidx = {v: i for i, v in enumerate(things)}
        pairs = sorted((tidx[a], tidx[b]) for a, b in syn)
        shared[SYNERGY] = _binary(np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs]), (n, n))
    K = sparse.csr_matrix((n, n))
    for ev in collab_ev:
        if ev in shared:
            K = K + shared[ev]
    K = K + K.T
    K = K.tocsr()
    K.eliminate_zeros()
    K.data[:] = 1.0
    context_b = _ones(context_b)
    cols = np.flatnonzero(np.asarray(context_b.sum(axis=0)).ravel() > 0)
    context = [adj.nodes[c] for c in cols.tolist()]
    B = _ones(context_b[:, cols])
    return Incidences(kind, things, context, B, shared, K, sorted(left_out))


@dataclass
class ProjectionArrays:
    """A one-mode projection as arrays: edge k joins ``things[rows[k]]`` and
    ``things[cols[k]]`` (rows < cols, row-major order), with its weight, the count of each
    evidence and whether it is a recorded collaboration. :meth:`to_networkx` makes the graph."""

    kind: str
    things: list[str]
    rows: np.ndarray
    cols: np.ndarray
    weights: np.ndarray
    counts: dict[str, np.ndarray]  # evidence -> count per edge
    collab: np.ndarray  # bool per edge
    left_out: int

    @property
    def shape(self) -> tuple[int, int]:
        """(nodes, edges)."""
        return len(self.things), len(self.rows)

    def to_networkx(self, g: nx.Graph) -> nx.Graph:
        """The projection as a NetworkX graph (node attributes from ``g``)."""
        p = nx.Graph()
        for t in self.things:
            p.add_node(t, **g.nodes[t])
        evs = [e for e in EVIDENCE if e in self.counts]
        names = {e: "n_" + e.replace(" ", "_") for e in evs}
        columns = [self.counts[e].tolist() for e in evs]
        things = self.things
        edges = []
        for k, (i, j, w, c) in enumerate(zip(self.rows.tolist(), self.cols.tolist(),
                                             self.weights.tolist(), self.collab.tolist())):
            attrs: dict[str, object] = {"weight": w}
            attrs["evidence"] = "; ".join(e for e, col in zip(evs, columns) if col[k])
            attrs["collaboration"] = bool(c)
            for e, col in zip(evs, columns):
                if col[k]:
                    attrs[names[e]] = col[k]
            edges.append((things[i], things[j], attrs))
        p.add_edges_from(edges)
        p.graph["kind"] = self.kind
        p.graph["left_out"] = self.left_out
        return p


def projection_arrays(g: nx.Graph, kind: str, *, max_shared: int = MAX_SHARED) -> ProjectionArrays:
    """The projection of ``kind`` as arrays (see :func:`projection`), vectorised: no Python
    loop over the pairs."""
    inc = prepare(g, kind, max_shared=max_shared)
    n = len(inc.things)
    total = sparse.csr_matrix((n, n))
    for m in inc.shared.values():
        total = total + m
    total = total.tocsr()
    total.sum_duplicates()
    total.sort_indices()
    coo = total.tocoo()
    rows, cols = coo.row.astype(np.int64), coo.col.astype(np.int64)
    del total, coo
    keys = rows * n + cols
    counts: dict[str, np.ndarray] = {}
    weights = np.zeros(len(keys), dtype=np.int64)
    for ev in EVIDENCE:
        m = inc.shared.get(ev)
        if m is None:
            continue
        mc = m.tocoo()
        pos = np.searchsorted(keys, mc.row.astype(np.int64) * n + mc.col.astype(np.int64))
        arr = np.zeros(len(keys), dtype=np.int64)
        arr[pos] = np.rint(mc.data).astype(np.int64)
        counts[ev] = arr
        weights += arr
    del keys
    collab = member(inc.K, rows, cols)
    return ProjectionArrays(kind, inc.things, rows, cols, weights, counts, collab, len(inc.left_out))


def projection(g: nx.Graph, kind: str, *, max_shared: int = MAX_SHARED) -> nx.Graph:
    """The weighted one-mode projection of ``kind``: an edge for each pair that shares anything
    (or is tied by a recorded synergy). ``weight`` is the number of shared things, ``evidence``
    the kinds of evidence ("; "-joined, in :data:`EVIDENCE` order), ``n_<evidence>`` the count
    of each, ``collaboration`` whether the pair has a recorded collaboration."""
    return projection_arrays(g, kind, max_shared=max_shared).to_networkx(g)


class Networks(Mapping[str, nx.Graph]):
    """The heterogeneous graph and the projections by name; a projection becomes a NetworkX
    graph only when it is looked up (a registry's project projection has 10^7 edges, which
    the metrics read from its arrays)."""

    def __init__(self, g: nx.Graph, projections: dict[str, ProjectionArrays]) -> None:
        self.graph = g
        self.arrays = projections
        self._built: dict[str, nx.Graph] = {"heterogeneous": g}

    def __getitem__(self, name: str) -> nx.Graph:
        if name not in self._built:
            self._built[name] = self.arrays[name].to_networkx(self.graph)
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(["heterogeneous", *self.arrays])

    def __len__(self) -> int:
        return 1 + len(self.arrays)

    def shape(self, name: str) -> tuple[int, int]:
        """(nodes, edges) of a network, without building it."""
        if name in self.arrays:
            return self.arrays[name].shape
        g = self._built[name]
        return g.number_of_nodes(), g.number_of_edges()

    def left_out(self, name: str) -> int:
        return self.arrays[name].left_out if name in self.arrays else 0


def shared_nodes(g: nx.Graph, kind: str, a: str, b: str) -> dict[str, list[str]]:
    """What ``a`` and ``b`` share, by evidence (node IRIs, sorted)."""
    rows = incidences(g, kind, (a, b))
    mine: dict[str, dict[str, set[str]]] = {a: defaultdict(set), b: defaultdict(set)}
    for t, ev, v in rows:
        mine[t][ev].add(v)
    return {ev: sorted(mine[a][ev] & mine[b][ev]) for ev in EVIDENCE
            if mine[a][ev] & mine[b][ev]}
