"""From RDF to networks: the heterogeneous graph and its one-mode projections.

Every graph here is built from the answers of the ``queries/analysis_*.rq`` files, run through
a :class:`~scgraph.store.Store`, so the same code works on the curated graph in memory and on
the whole registry in Oxigraph. Python takes over after SPARQL: it picks each node's kind,
joins the links into evidence ("met at the same meeting", "shared theme", ...) and projects
with sparse matrices, so that a network of 10^5 projects stays linear in its links.

The heterogeneous graph is kept as arrays (:class:`HeteroGraph`: integer node ids, one row
per link); it becomes a NetworkX graph only for figures, exports and the pairwise reference
definitions (:func:`incidences`, :func:`shared_nodes`) that the tests compare with.
Node identifiers are the IRIs as strings; every node has ``kind`` and ``label``, cities
``lat`` and ``lon`` where known.
"""

from __future__ import annotations

import re
import weakref
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pyoxigraph as ox
from rdflib import Literal, URIRef
from scipy import sparse

from .. import catalogue
from ..namespaces import short
from ..errors import StoreError
from ..store import OxigraphStore, Store, bind_values, query_error
from .params import MAX_SHARED

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
PLANNED = "invited to or planned at the same meeting"

EVIDENCE: tuple[str, ...] = (MEETING, SYNERGY, PROJECT, CLUSTER, INITIATIVE, THEME, CITY,
                             PARTNER, ORGANISATION, PLANNED)

#: The relations of analysis_edges that tie a project to a city in a role (lighthouse,
#: follower, observer), and those that name a party for a meeting without a report that it
#: took part (an invitation, a draft agenda): weaker evidence, never a recorded collaboration.
CITY_ROLES: tuple[str, ...] = ("lighthouse city", "follower city", "observer city")
NAMED_ONLY: tuple[str, ...] = ("invited to", "planned at")

#: The kinds that have one-mode projections, and the evidence that counts as a recorded
#: collaboration between two things of that kind (the rest is context).
#: Meetings count only where a report says both took part (MEETING); an invitation or a
#: planned agenda slot (PLANNED) stays context, visible in explanations. Cities collaborate
#: when they are in the same project: as partners' cities, or as its lighthouse, follower or
#: observer cities.
COLLABORATION: dict[str, frozenset[str]] = {
    "project": frozenset({MEETING, SYNERGY}),
    "organisation": frozenset({PROJECT, MEETING, SYNERGY}),
    "city": frozenset({PROJECT, SYNERGY}),
}



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


def select_values(store: Store, name: str, params: dict[str, str] | None = None,
                  ) -> tuple[list[str], list[tuple[str | None, ...]]]:
    """Run the catalogue query ``name`` on ``store``; rows as tuples of the terms' lexical
    values (None where unbound). On an embedded Oxigraph store the results are written as
    SPARQL TSV by Oxigraph itself and split here (:func:`parse_tsv`): no Python object per
    term, which is what reading large results costs."""
    query = catalogue.get_query(name)
    if isinstance(store, OxigraphStore):
        names, raw = _tsv_rows(store, query, params or {})
        value = _tsv_value
        return names, [tuple(f[1:-1] if f[:1] == "<" else value(f) for f in row) for row in raw]
    result = catalogue.run(store, query, params)
    return list(result.vars), [tuple(None if t is None else str(t) for t in row) for row in result.rows]


def _tsv_rows(store: OxigraphStore, query: catalogue.Query,
              params: dict[str, str]) -> tuple[list[str], list[list[str]]]:
    """The variables and the raw SPARQL TSV fields of each row of ``query`` on ``store``."""
    return split_tsv(_tsv_bytes(store, query, params))


def _tsv_bytes(store: OxigraphStore, query: catalogue.Query, params: dict[str, str]) -> bytes:
    """The SPARQL TSV results of ``query`` on ``store``, written by Oxigraph (which lets other
    Python threads run meanwhile)."""
    sparql = bind_values(query.sparql, catalogue.bindings(query, params)) if params else query.sparql
    catalogue.check_syntax(query)
    try:
        res = store.store.query(sparql, use_default_graph_as_union=True)
        return res.serialize(format=ox.QueryResultsFormat.TSV)
    except (SyntaxError, RuntimeError) as e:
        raise query_error(e) from None
    except OSError as e:
        raise StoreError(f"cannot read the Oxigraph store: {e}", path=store.path) from None


Rows = tuple[list[str], list[list[str]]]


def raw_rows_many(store: Store, jobs: list[tuple[str, dict[str, str]]]) -> list[Callable[[], Rows]]:
    """Start the catalogue queries ``jobs`` (name, parameters); a function per job that waits
    for its rows (as :func:`raw_rows`). On Oxigraph two queries run at a time in threads, as
    Oxigraph evaluates without holding Python's lock: on two cores the registry's three
    bulk queries take the time of the longest."""
    if not isinstance(store, OxigraphStore):
        return [lambda n=n, p=p: raw_rows(store, n, p) for n, p in jobs]  # type: ignore[misc]
    queries = [(catalogue.get_query(n), p) for n, p in jobs]
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="scgraph-sparql")
    try:
        futures = [pool.submit(_tsv_bytes, store, q, p) for q, p in queries]
    finally:
        pool.shutdown(wait=False)
    return [lambda f=f: split_tsv(f.result()) for f in futures]  # type: ignore[misc]


def split_tsv(data: bytes) -> tuple[list[str], list[list[str]]]:
    """Variables and rows of raw fields of a SPARQL TSV result."""
    lines = data.decode("utf-8").split("\n")
    names = [v[1:] for v in lines[0].split("\t")] if lines and lines[0] else []
    if lines and lines[-1] == "":
        lines.pop()  # the final newline
    return names, [line.split("\t") for line in lines[1:]]


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
    names, raw = split_tsv(data)
    value = _tsv_value
    return names, [tuple(f[1:-1] if f[:1] == "<" else value(f) for f in row) for row in raw]


# --------------------------------------------------------------------------- heterogeneous graph


@dataclass(eq=False)
class HeteroGraph:
    """The heterogeneous graph as arrays: nodes in sorted order, a kind per node, and one row
    per (pair of nodes, relation). What the analyses compute on; :meth:`to_networkx` makes the
    NetworkX graph that figures and exports draw (a registry's has 10^5 nodes and 10^6 links,
    which take NetworkX seconds to build and gigabytes to hold)."""

    nodes: list[str]  # sorted IRIs; node i is nodes[i]
    kinds: np.ndarray  # index into KINDS per node
    labels: list[str]  # English (or plain) label per node, else its short name
    coords: dict[int, tuple[float, float]]  # node -> (lat, lon), cities only
    relations: list[str]  # sorted relation names
    src: np.ndarray  # per link: node index, src < dst
    dst: np.ndarray
    rel: np.ndarray  # per link: index into relations; links sorted by (src, dst, rel)
    _index: dict[str, int] | None = field(default=None, repr=False)
    _pairs: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    @property
    def index(self) -> dict[str, int]:
        """IRI -> node index."""
        if self._index is None:
            self._index = {v: i for i, v in enumerate(self.nodes)}
        return self._index

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """The edges of the simple graph (one per linked pair, i < j), sorted."""
        if self._pairs is None:
            if len(self.src) == 0:
                self._pairs = (self.src, self.dst)
            else:
                first = np.ones(len(self.src), dtype=bool)
                first[1:] = (self.src[1:] != self.src[:-1]) | (self.dst[1:] != self.dst[:-1])
                self._pairs = (self.src[first], self.dst[first])
        return self._pairs

    @property
    def shape(self) -> tuple[int, int]:
        """(nodes, edges)."""
        return len(self.nodes), len(self.pairs()[0])

    def __contains__(self, node: object) -> bool:
        return node in self.index

    def kind(self, node: str) -> str:
        return KINDS[int(self.kinds[self.index[node]])]

    def label(self, node: str) -> str:
        return self.labels[self.index[node]]

    def attrs(self, i: int) -> dict[str, object]:
        """The NetworkX node attributes of node ``i``: kind, label (and lat, lon)."""
        a: dict[str, object] = {"kind": KINDS[int(self.kinds[i])], "label": self.labels[i]}
        if i in self.coords:
            a["lat"], a["lon"] = self.coords[i]
        return a

    def linked(self, node: str, relation: str, kind: str) -> list[str]:
        """The nodes of ``kind`` tied to ``node`` by ``relation``, sorted."""
        i = self.index.get(node)
        if i is None or relation not in self.relations:
            return []
        r = self.relations.index(relation)
        hit = (self.rel == r) & ((self.src == i) | (self.dst == i))
        other = np.where(self.src[hit] == i, self.dst[hit], self.src[hit])
        k = KINDS.index(kind)
        return sorted(self.nodes[j] for j in other.tolist() if self.kinds[j] == k)

    def _sorted_relations(self) -> HeteroGraph:
        """The same graph with its relation names in sorted order (codes renumbered)."""
        order = sorted(range(len(self.relations)), key=lambda r: self.relations[r])
        if order == list(range(len(self.relations))):
            return self
        code = {self.relations[r]: r for r in range(len(self.relations))}
        names = [self.relations[r] for r in self.rel.tolist()]
        return _from_codes(self.nodes, self.kinds, self.labels, self.coords, code,
                           self.src, self.dst, [code[x] for x in names])

    def to_networkx(self) -> nx.Graph:
        """The graph with nodes and edges in sorted order (so algorithms repeat); each edge
        carries ``relation`` ("; "-joined, sorted) and ``weight`` 1."""
        g = nx.Graph()
        g.add_nodes_from((v, self.attrs(i)) for i, v in enumerate(self.nodes))
        rels: dict[tuple[int, int], list[str]] = {}
        names = self.relations
        for a, b, r in zip(self.src.tolist(), self.dst.tolist(), self.rel.tolist()):
            rels.setdefault((a, b), []).append(names[r])
        nodes = self.nodes
        g.add_edges_from((nodes[a], nodes[b], {"relation": "; ".join(rs), "weight": 1})
                         for (a, b), rs in rels.items())
        return g

    @classmethod
    def from_networkx(cls, g: nx.Graph) -> HeteroGraph:
        """The arrays of a graph in the shape :meth:`to_networkx` makes (``kind``, ``label``,
        ``lat``/``lon`` on nodes, ``relation`` on edges)."""
        kinds = {v: str(k) for v, k in g.nodes(data="kind")}
        labels = {v: d.get("label") for v, d in g.nodes(data=True)}
        coords = {v: (float(d["lat"]), float(d["lon"])) for v, d in g.nodes(data=True)
                  if "lat" in d and "lon" in d and d.get("kind") == "city"}
        links = [(a, r, b) for a, b, rel in g.edges(data="relation", default="")
                 for r in str(rel).split("; ")]
        return _assemble(kinds, labels, coords, links)


def as_hetero(g: nx.Graph | HeteroGraph) -> HeteroGraph:
    """``g`` as arrays (cached for a NetworkX graph while it keeps its size)."""
    if isinstance(g, HeteroGraph):
        return g
    shape = (g.number_of_nodes(), g.number_of_edges())
    cached = _HETERO.get(g)
    if cached is not None and cached[0] == shape:
        return cached[1]
    h = HeteroGraph.from_networkx(g)
    _HETERO[g] = (shape, h)
    return h


_HETERO: weakref.WeakKeyDictionary[nx.Graph, tuple[tuple[int, int], HeteroGraph]] = (
    weakref.WeakKeyDictionary())


def node_kind(g: nx.Graph | HeteroGraph, node: str) -> str:
    """The kind of ``node`` ("" if it is not in ``g``)."""
    if isinstance(g, HeteroGraph):
        return g.kind(node) if node in g else ""
    return str(g.nodes[node]["kind"]) if node in g else ""


def node_label(g: nx.Graph | HeteroGraph, node: str) -> str:
    """The label of ``node`` (the IRI if it is not in ``g``)."""
    if isinstance(g, HeteroGraph):
        return g.label(node) if node in g else node
    return str(g.nodes[node].get("label", node)) if node in g else node


def _assemble(kinds: Mapping[str, str], labels: Mapping[str, str | None],
              coords: Mapping[str, tuple[float, float]],
              links: Iterable[tuple[str, str, str]],
              iri: Callable[[str], str] | None = None) -> HeteroGraph:
    """A HeteroGraph from node kinds, labels, city coordinates and (source, relation, target)
    links, all keyed by node (``iri`` turns a key into the node's IRI when they differ); links
    to or from other things, and self-links, are dropped."""
    keys = sorted(kinds, key=iri) if iri is not None else sorted(kinds)
    nodes = [iri(k) for k in keys] if iri is not None else keys
    index = {k: i for i, k in enumerate(keys)}
    code = {k: i for i, k in enumerate(KINDS)}
    try:
        kind_arr = np.fromiter((code[kinds[k]] for k in keys), dtype=np.int8, count=len(keys))
    except KeyError as e:
        raise ValueError(f"unknown node kind {e.args[0]!r}; use one of {', '.join(KINDS)}") from None
    label_list = [labels.get(k) or short(URIRef(v)) for k, v in zip(keys, nodes)]
    city = code["city"]
    coord = {index[k]: c for k, c in coords.items() if k in index and kind_arr[index[k]] == city}
    rel_code: dict[str, int] = {}
    a: list[int] = []
    b: list[int] = []
    r: list[int] = []
    get = index.get
    for s, rel, t in links:
        i, j = get(s), get(t)
        if i is None or j is None or i == j:
            continue
        c = rel_code.get(rel)
        if c is None:
            c = rel_code[rel] = len(rel_code)
        a.append(i)
        b.append(j)
        r.append(c)
    return _from_codes(nodes, kind_arr, label_list, coord, rel_code, a, b, r,
                       None if iri is not None else index)


def _from_codes(nodes: list[str], kinds: np.ndarray, labels: list[str],
                coords: dict[int, tuple[float, float]], rel_code: dict[str, int],
                a: Iterable[int] | np.ndarray, b: Iterable[int] | np.ndarray,
                r: Iterable[int] | np.ndarray, index: dict[str, int] | None = None) -> HeteroGraph:
    relations = sorted(rel_code)
    remap = np.zeros(max(len(rel_code), 1), dtype=np.int64)
    for name, c in rel_code.items():
        remap[c] = relations.index(name)
    ai, bi = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    ri = remap[np.asarray(r, dtype=np.int64)] if len(ai) else np.zeros(0, dtype=np.int64)
    lo, hi = np.minimum(ai, bi), np.maximum(ai, bi)
    n, k = max(len(nodes), 1), max(len(relations), 1)
    key = np.unique((lo * n + hi) * k + ri)  # sorted by (src, dst, relation), duplicates gone
    pair, rel = np.divmod(key, k)
    src, dst = np.divmod(pair, n)
    return HeteroGraph(nodes, kinds, labels, coords, relations, src, dst, rel, index)


def read_graph(store: Store, *, max_shared: int | None = MAX_SHARED) -> HeteroGraph:
    """The heterogeneous graph of ``store`` as arrays: the nodes of ``analysis_nodes`` (a
    thing of several kinds gets the first of :data:`KINDS`), their labels (the first in
    code-point order of their English or plain labels in ``analysis_labels``), the links of
    ``analysis_edges`` and an edge between every two parties of a recorded synergy
    (``analysis_synergies``). Call topics and scientific fields tied to more than
    ``max_shared`` things are left out (None: none is).

    Rows are read as SPARQL TSV fields (:func:`raw_rows`) and nodes keyed by their ``<IRI>``
    field, so a row costs a split and two dictionary look-ups (10^6 rows for 10^5 projects)."""
    params = {} if max_shared is None else {"max": str(max_shared)}
    # the longest first: while it runs, the others are read and parsed
    edges, nodes, labels_ = raw_rows_many(store, [("analysis_edges", params), ("analysis_nodes", params),
                                                  ("analysis_labels", {})])
    rank = {k: i for i, k in enumerate(KINDS)}
    value = _cached_value()
    kinds: dict[str, str] = {}
    coords: dict[str, tuple[float, float]] = {}
    names, rows = nodes()
    ni, ki, lai, loi = (names.index(v) for v in ("node", "kind", "lat", "long"))
    for row in rows:
        node, kind = row[ni], value(row[ki])
        if node[:1] != "<" or kind not in rank:
            continue
        old = kinds.get(node)
        if old is None or rank[kind] < rank[old]:
            kinds[node] = kind  # type: ignore[assignment]
        lat, lon = _float(_tsv_value(row[lai])), _float(_tsv_value(row[loi]))
        if lat is not None and lon is not None:
            coords[node] = min(coords.get(node, (lat, lon)), (lat, lon))
    labels: dict[str, str] = {}
    names, rows = labels_()
    ni, li = names.index("node"), names.index("label")
    for row in rows:
        node, lit = row[ni], row[li]
        if node not in kinds or lit[:1] in ("<", "_", ""):
            continue  # not a node, or not a literal
        text, lang = _literal(lit)
        if lang is None or lang == "en":
            old = labels.get(node)
            if old is None or text < old:
                labels[node] = text
    del rows
    names, rows = edges()
    si, ri, ti = (names.index(v) for v in ("source", "relation", "target"))
    links = [(row[si], row[ri], row[ti]) for row in rows]
    links += [(f"<{a}>", SYNERGY_RELATION, f"<{b}>") for a, b, _s in synergy_pairs(store)]
    h = _assemble(kinds, labels, coords, links, iri=_strip)
    h.relations = [r if r == SYNERGY_RELATION else str(value(r)) for r in h.relations]
    return h._sorted_relations()


def _strip(key: str) -> str:
    return key[1:-1]


def _cached_value() -> Callable[[str], str | None]:
    """:func:`_tsv_value` with a cache, for fields that repeat (kinds, relations)."""
    cache: dict[str, str | None] = {}

    def value(field: str) -> str | None:
        if field in cache:
            return cache[field]
        v = cache[field] = _tsv_value(field)
        return v

    return value


def _literal(field: str) -> tuple[str, str | None]:
    """The lexical value and language tag (None if none) of a literal in SPARQL TSV."""
    if field[:1] != '"':
        return field, None  # a number or boolean written bare
    end = field.rindex('"')
    body = field[1:end]
    lang = field[end + 2:] if field[end + 1:end + 2] == "@" else None
    return (_ESCAPE.sub(_unescape, body) if "\\" in body else body), lang


def raw_rows(store: Store, name: str, params: dict[str, str] | None = None,
             ) -> tuple[list[str], list[list[str]]]:
    """Run the catalogue query ``name``; its rows as SPARQL TSV fields (``<IRI>``, a quoted
    literal, empty where unbound). Oxigraph writes them itself; another store's terms are
    written the same way here (N-Triples syntax, which TSV uses)."""
    query = catalogue.get_query(name)
    if isinstance(store, OxigraphStore):
        return _tsv_rows(store, query, params or {})
    result = catalogue.run(store, query, params)
    return list(result.vars), [[_tsv_term(t) for t in row] for row in result.rows]


_TSV_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _tsv_term(term: object) -> str:
    """An rdflib term as a SPARQL TSV field, as Oxigraph writes it (empty if unbound)."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        text = '"' + str(term).translate(_TSV_ESCAPES) + '"'
        if term.language:
            return f"{text}@{term.language}"
        if term.datatype is not None:
            return f"{text}^^<{term.datatype}>"
        return text
    return f"_:{term}"


def heterogeneous_graph(store: Store, *, max_shared: int | None = MAX_SHARED) -> nx.Graph:
    """The graph of projects, initiatives, clusters, meetings, organisations, people, cities and
    themes, with an edge for each link of ``analysis_edges`` and each pair of parties of a
    recorded synergy (``analysis_synergies``); edges carry ``relation`` ("; "-joined).
    :func:`read_graph` gives the same as arrays."""
    return read_graph(store, max_shared=max_shared).to_networkx()


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
            out[PLANNED].update((t, m) for m in _nbrs(g, index, t, "meeting", NAMED_ONLY))
            out[CLUSTER].update((t, c) for c in _nbrs(g, index, t, "cluster", group_rel))
            out[INITIATIVE].update((t, i) for i in _nbrs(g, index, t, "initiative", group_rel))
            out[THEME].update((t, th) for th in g[t] if kinds[th]["kind"] == "theme")
            partners = _nbrs(g, index, t, "organisation", ("partner",))
            out[PARTNER].update((t, o) for o in partners)
            for o in partners:
                out[CITY].update((t, c) for c in _nbrs(g, index, o, "city", ("based in",)))
            for m in _nbrs(g, index, t, "meeting", ("meeting of",)):
                out[CITY].update((t, c) for c in _nbrs(g, index, m, "city", ("held in",)))
            out[CITY].update((t, c) for c in _nbrs(g, index, t, "city", CITY_ROLES))
        elif kind == "organisation":
            out[PROJECT].update((t, p) for p in _nbrs(g, index, t, "project", ("partner",)))
            out[MEETING].update((t, m) for m in _nbrs(g, index, t, "meeting", ("attended", "organised")))
            out[PLANNED].update((t, m) for m in _nbrs(g, index, t, "meeting", NAMED_ONLY))
            out[CITY].update((t, c) for c in _nbrs(g, index, t, "city", ("based in",)))
        elif kind == "city":
            for o in _nbrs(g, index, t, "organisation", ("based in",)):
                out[ORGANISATION].add((t, o))
                out[PROJECT].update((t, p) for p in _nbrs(g, index, o, "project", ("partner",)))
            out[PROJECT].update((t, p) for p in _nbrs(g, index, t, "project", CITY_ROLES))
            for m in _nbrs(g, index, t, "meeting", ("held in",)):
                out[PROJECT].update((t, p) for p in _nbrs(g, index, m, "project", ("attended", "meeting of")))
                out[ORGANISATION].update(
                    (t, o) for o in _nbrs(g, index, m, "organisation", ("attended", "organised")))
        else:
            raise ValueError(f"no projection for kind {kind!r}")
    return {ev: pairs for ev, pairs in out.items() if pairs}


def incidences(g: nx.Graph | HeteroGraph, kind: str,
               things: Iterable[str] | None = None) -> list[Incidence]:
    """What ties each thing of ``kind`` to the nodes it may share with another thing.

    project: meetings a report says it attended (MEETING), meetings it was only invited to or
    planned for (PLANNED), clusters it is a member or part of or in a recorded
    synergy with (CLUSTER), initiatives it contributes to, is part of or in a recorded synergy
    with (INITIATIVE), themes (THEME), partners (PARTNER), the cities of its partners and of
    its own meetings and its lighthouse, follower and observer cities (CITY), synergies (SYNERGY).
    organisation: projects it is a partner in (PROJECT), meetings it attended or organised
    (MEETING) or was only invited to or planned for (PLANNED), the city it is based in (CITY).
    city: projects with a partner based there, a meeting held there, or the city in a role
    (PROJECT), organisations based there or at a meeting held there (ORGANISATION).
    ``things`` limits the answer to those things.
    """
    if kind not in COLLABORATION:
        raise ValueError(f"no projection for kind {kind!r}")
    if isinstance(g, HeteroGraph):
        g = g.to_networkx()
    todo = sorted(things) if things is not None else [n for n, k in g.nodes(data="kind") if k == kind]
    sets = _incidence_sets(g, kind, todo)
    return sorted((t, ev, v) for ev, pairs in sets.items() for t, v in pairs)


def recorded_synergies(g: nx.Graph | HeteroGraph, kind: str) -> set[tuple[str, str]]:
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


_ADJACENCY: weakref.WeakKeyDictionary[HeteroGraph, _Adjacency] = weakref.WeakKeyDictionary()


def _adjacency(g: nx.Graph | HeteroGraph) -> _Adjacency:
    h = as_hetero(g)
    cached = _ADJACENCY.get(h)
    if cached is not None:
        return cached
    n = len(h.nodes)
    by_relation = {}
    for r, name in enumerate(h.relations):
        hit = h.rel == r
        i, j = h.src[hit], h.dst[hit]
        by_relation[name] = _binary(np.concatenate([i, j]), np.concatenate([j, i]), (n, n))
    pi, pj = h.pairs()
    linked = _binary(np.concatenate([pi, pj]), np.concatenate([pj, pi]), (n, n))
    adj = _Adjacency(h.nodes, h.kinds.astype(np.int64), by_relation, linked)
    _ADJACENCY[h] = adj
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
        out[PLANNED] = R(*NAMED_ONLY)[t] @ keep("meeting")
        groups = R(*group_rel)[t]
        out[CLUSTER] = groups @ keep("cluster")
        out[INITIATIVE] = groups @ keep("initiative")
        out[THEME] = adj.linked[t] @ keep("theme")
        out[PARTNER] = R("partner")[t] @ keep("organisation")
        own = R("meeting of")[t] @ keep("meeting")
        out[CITY] = (out[PARTNER] @ R("based in") @ keep("city")
                     + own @ R("held in") @ keep("city")
                     + R(*CITY_ROLES)[t] @ keep("city"))
    elif kind == "organisation":
        out[PROJECT] = R("partner")[t] @ keep("project")
        out[MEETING] = R("attended", "organised")[t] @ keep("meeting")
        out[PLANNED] = R(*NAMED_ONLY)[t] @ keep("meeting")
        out[CITY] = R("based in")[t] @ keep("city")
    elif kind == "city":
        orgs = R("based in")[t] @ keep("organisation")
        meetings = R("held in")[t] @ keep("meeting")
        out[ORGANISATION] = orgs + meetings @ R("attended", "organised") @ keep("organisation")
        out[PROJECT] = (orgs @ R("partner") @ keep("project")
                        + meetings @ R("attended", "meeting of") @ keep("project")
                        + R(*CITY_ROLES)[t] @ keep("project"))
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
    c = sparse.csr_matrix(K)
    if not c.has_canonical_format:  # sorted, no duplicates: its keys are sorted and unique
        c = c.copy()
        c.sum_duplicates()
    rows_of = np.repeat(np.arange(c.shape[0], dtype=np.int64), np.diff(c.indptr))
    keys = rows_of * n + c.indices.astype(np.int64)
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
    max_shared: int | None = None  # the cut these incidences were made with

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


_PREPARED: weakref.WeakKeyDictionary[HeteroGraph, dict[tuple[str, int], Incidences]] = (
    weakref.WeakKeyDictionary())


def prepare(g: nx.Graph | HeteroGraph, kind: str, *, max_shared: int = MAX_SHARED,
            hidden: Iterable[tuple[str, str]] = ()) -> Incidences:
    """The incidences of ``kind`` in ``g``; ``hidden`` collaborations are removed (evaluation).

    Each evidence is one sparse product ``B B^T`` (things x shared nodes), so the work grows
    with the links and the pairs that share something, never with all pairs."""
    h = as_hetero(g)
    cache = _PREPARED.setdefault(h, {})
    full = cache.get((kind, max_shared))
    if full is None:
        full = cache[(kind, max_shared)] = _prepare(h, kind, max_shared)
    hidden = list(hidden)
    if not hidden:
        return full
    idx = full.index
    hi = np.array([idx[a] for a, b in hidden] + [idx[b] for a, b in hidden], dtype=np.int64)
    hj = np.array([idx[b] for a, b in hidden] + [idx[a] for a, b in hidden], dtype=np.int64)
    mask = _binary(hi, hj, full.K.shape)
    K = (full.K - full.K.multiply(mask)).tocsr()
    K.eliminate_zeros()
    return Incidences(full.kind, full.things, full.context, full.B, full.shared, K, full.left_out,
                      full.max_shared)


def _prepare(g: HeteroGraph, kind: str, max_shared: int) -> Incidences:
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
    return Incidences(kind, things, context, B, shared, K, sorted(left_out), max_shared)


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

    def to_networkx(self, g: nx.Graph | HeteroGraph) -> nx.Graph:
        """The projection as a NetworkX graph (node attributes from ``g``)."""
        p = nx.Graph()
        if isinstance(g, HeteroGraph):
            index = g.index
            p.add_nodes_from((t, g.attrs(index[t])) for t in self.things)
        else:
            p.add_nodes_from((t, g.nodes[t]) for t in self.things)
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


def projection_arrays(g: nx.Graph | HeteroGraph, kind: str, *,
                      max_shared: int = MAX_SHARED) -> ProjectionArrays:
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
    # a recorded collaboration is a pair with collaboration evidence (the upper half of K)
    collab = np.zeros(len(rows), dtype=bool)
    for ev in COLLABORATION[kind]:
        if ev in counts:
            collab |= counts[ev] > 0
    return ProjectionArrays(kind, inc.things, rows, cols, weights, counts, collab, len(inc.left_out))


def projection(g: nx.Graph | HeteroGraph, kind: str, *, max_shared: int = MAX_SHARED) -> nx.Graph:
    """The weighted one-mode projection of ``kind``: an edge for each pair that shares anything
    (or is tied by a recorded synergy). ``weight`` is the number of shared things, ``evidence``
    the kinds of evidence ("; "-joined, in :data:`EVIDENCE` order), ``n_<evidence>`` the count
    of each, ``collaboration`` whether the pair has a recorded collaboration."""
    return projection_arrays(g, kind, max_shared=max_shared).to_networkx(g)


class Networks(Mapping[str, nx.Graph]):
    """The heterogeneous graph and the projections by name; a projection becomes a NetworkX
    graph only when it is looked up (a registry's project projection has 10^7 edges, which
    the metrics read from its arrays)."""

    def __init__(self, g: HeteroGraph, projections: dict[str, ProjectionArrays]) -> None:
        self.hetero = g
        self.arrays = projections
        self._built: dict[str, nx.Graph] = {}

    def __getitem__(self, name: str) -> nx.Graph:
        if name not in self._built:
            if name == "heterogeneous":
                self._built[name] = self.hetero.to_networkx()
            else:
                self._built[name] = self.arrays[name].to_networkx(self.hetero)
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(["heterogeneous", *self.arrays])

    def __len__(self) -> int:
        return 1 + len(self.arrays)

    def shape(self, name: str) -> tuple[int, int]:
        """(nodes, edges) of a network, without building it."""
        if name in self.arrays:
            return self.arrays[name].shape
        return self.hetero.shape

    def left_out(self, name: str) -> int:
        return self.arrays[name].left_out if name in self.arrays else 0


def shared_nodes(g: nx.Graph | HeteroGraph, kind: str, a: str, b: str) -> dict[str, list[str]]:
    """What ``a`` and ``b`` share, by evidence (node IRIs, sorted)."""
    rows = incidences(g, kind, (a, b))
    mine: dict[str, dict[str, set[str]]] = {a: defaultdict(set), b: defaultdict(set)}
    for t, ev, v in rows:
        mine[t][ev].add(v)
    return {ev: sorted(mine[a][ev] & mine[b][ev]) for ev in EVIDENCE
            if mine[a][ev] & mine[b][ev]}
