"""Suggested synergies: link prediction between things of one kind that have never collaborated.

The scoring graph of a kind (projects, cities, organisations) is heterogeneous: the things,
the context nodes they are tied to (themes, clusters, initiatives, cities, partners, ...),
and a direct edge for each recorded collaboration (met at the same meeting, a recorded
synergy, a shared project for organisations and cities). A pair's score sums over its shared
neighbours in that graph (Liben-Nowell and Kleinberg, "The link-prediction problem for social
networks", JASIST 58(7), 2007):

- ``adamic-adar``: sum of 1 / log(degree) of the shared neighbours (Adamic and Adar, 2003);
- ``resource-allocation``: sum of 1 / degree (Zhou, Lü and Zhang, 2009);
- ``jaccard``: shared neighbours / neighbours of either.

Only pairs at distance 2 can score above 0, so the candidates come from one sparse product
``M diag(w) M^T`` over the neighbour matrix ``M = [B | K]`` (things x context, things x
collaborators).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from scipy import sparse

from .networks import HeteroGraph, Incidences, as_hetero, member, node_kind, node_label, prepare
from .params import MAX_SHARED
from ..errors import AnalysisError
from .params import METHODS



def check_method(method: str) -> str:
    if method not in METHODS:
        raise AnalysisError(f"unknown method {method!r} (--method); use one of {', '.join(METHODS)}")
    return method


@dataclass
class Scorer:
    """The neighbour matrix of one kind's scoring graph and the weights of its columns."""

    inc: Incidences
    M: sparse.csr_matrix  # things x (context + things)
    degree: np.ndarray  # degree of every column node in the scoring graph
    columns: list[str]

    @classmethod
    def build(cls, inc: Incidences) -> Scorer:
        """The scoring graph of ``inc``. A collaborator tied to more than ``inc.max_shared``
        things is no shared neighbour (its column is empty), as a context node tied to more is
        not in ``inc.B``: over the registry a city that shares projects with hundreds of
        others would make nearly every pair of cities a candidate; docs/analyses.md."""
        K = inc.K
        if inc.max_shared is not None and K.nnz:
            tied = np.diff(K.tocsc().indptr)
            K = (K @ sparse.diags((tied <= inc.max_shared).astype(float))).tocsr()
        M = sparse.hstack([inc.B, K], format="csr")
        M.eliminate_zeros()
        M.data[:] = 1.0
        degree = np.asarray(M.sum(axis=0)).ravel()
        degree[len(inc.context):] = np.asarray(M.sum(axis=1)).ravel()  # a thing's own degree
        return cls(inc, M, degree, list(inc.context) + list(inc.things))

    def weights(self, method: str) -> np.ndarray:
        d = self.degree.astype(float)
        if method == "adamic-adar":
            with np.errstate(divide="ignore"):
                w = np.where(d > 1, 1.0 / np.log(np.maximum(d, 2.0)), 0.0)
            return w
        if method == "resource-allocation":
            return np.where(d > 0, 1.0 / np.maximum(d, 1.0), 0.0)
        return np.ones_like(d)  # jaccard counts shared neighbours

    def candidate_arrays(self, method: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every pair (i < j) at distance 2 that has not collaborated, and its score, as arrays
        (rows, columns, scores) in row-major order: one sparse product, no loop over pairs."""
        W = sparse.diags(self.weights(method))
        S = sparse.triu(self.M @ W @ self.M.T, k=1).tocsr()
        S.sum_duplicates()
        S.sort_indices()
        S = S.tocoo()
        i, j, v = S.row.astype(np.int64), S.col.astype(np.int64), S.data.astype(float)
        keep = v > 0
        keep &= ~member(self.inc.K, i, j)
        i, j, v = i[keep], j[keep], v[keep]
        if method == "jaccard":
            deg = np.asarray(self.M.sum(axis=1)).ravel()
            v = v / (deg[i] + deg[j] - v)
        return i, j, v

    def candidates(self, method: str) -> dict[tuple[int, int], float]:
        """Score of every pair (i < j) at distance 2 that has not collaborated."""
        i, j, v = self.candidate_arrays(method)
        return dict(zip(zip(i.tolist(), j.tolist()), v.tolist()))

    def score_pairs(self, method: str, pairs: list[tuple[int, int]]) -> np.ndarray:
        """Scores of arbitrary pairs (0 where they share nothing)."""
        if not pairs:
            return np.zeros(0)
        a = self.M[[p[0] for p in pairs]]
        b = self.M[[p[1] for p in pairs]]
        common = a.multiply(b)
        s = np.asarray(common @ self.weights(method)).ravel()
        if method == "jaccard":
            da, db = np.asarray(a.sum(axis=1)).ravel(), np.asarray(b.sum(axis=1)).ravel()
            union = da + db - s
            s = np.where(union > 0, s / np.where(union > 0, union, 1), 0.0)
        return s

    def explain(self, method: str, i: int, j: int) -> list[tuple[str, float]]:
        """The shared neighbours of pair (i, j) and what each adds to the score, largest first."""
        common = self.M[i].multiply(self.M[j]).tocoo()
        w = self.weights(method)
        out = [(self.columns[c], float(w[c])) for c in common.col.tolist()]
        return sorted(out, key=lambda x: (-x[1], x[0]))


@dataclass
class Suggestion:
    """A suggested synergy: a pair that has not collaborated, its score and what explains it."""

    kind: str
    a: str
    b: str
    score: float
    rank: int
    method: str
    shared: list[tuple[str, float]]  # shared neighbour, its contribution
    evidence: dict[str, int] = field(default_factory=dict)  # evidence kind -> number shared


def suggest(g: nx.Graph | HeteroGraph, kind: str = "project", *, method: str = "adamic-adar",
            top: int = 20, max_shared: int = MAX_SHARED) -> list[Suggestion]:
    """The ``top`` pairs of ``kind`` without a recorded collaboration, best score first
    (ties by label, then IRI)."""
    check_method(method)
    if top < 0:
        raise AnalysisError(f"--top must be 0 or more, got {top}")
    h = as_hetero(g)
    inc = prepare(h, kind, max_shared=max_shared)
    scorer = Scorer.build(inc)
    i, j, v = scorer.candidate_arrays(method)
    things = inc.things
    if top == 0 or len(v) == 0:
        return []
    rounded = np.round(v, 12)
    if len(v) > top:  # the top scores and every pair tied with the last of them
        cut = np.partition(-rounded, top - 1)[top - 1]
        pick = np.flatnonzero(-rounded <= cut)
    else:
        pick = np.arange(len(v))

    def key(k: int) -> tuple:
        a, b = things[i[k]], things[j[k]]
        return (-rounded[k], h.label(a), h.label(b), a, b)

    out = []
    for rank, k in enumerate(sorted(pick.tolist(), key=key)[:top], start=1):
        a, b = int(i[k]), int(j[k])
        evidence = inc.evidence_of(a, b)
        out.append(Suggestion(kind, things[a], things[b], float(v[k]), rank, method,
                              scorer.explain(method, a, b), evidence))
    return out


def explanation(g: nx.Graph | HeteroGraph, s: Suggestion) -> str:
    """One sentence: what the two share, by kind of node."""
    by_kind: dict[str, list[str]] = {}
    for node, _w in s.shared:
        by_kind.setdefault(node_kind(g, node) or "?", []).append(node_label(g, node))
    parts = []
    for kind in sorted(by_kind):
        names = sorted(by_kind[kind])
        noun = {"project": "collaborator", "organisation": "organisation", "theme": "theme",
                "city": "city", "cluster": "cluster", "initiative": "initiative",
                "meeting": "meeting", "person": "person"}.get(kind, kind)
        if kind == "project" and s.kind == "project":
            noun = "common collaborator"
        if kind == "meeting" and s.kind == "project":
            # a meeting both attended is a recorded collaboration, never a suggestion: what is
            # left is a meeting both were only invited to or planned for (weaker evidence)
            noun = "meeting (both only invited or planned, not reported as attending)"
            parts.append(f"{noun if len(names) == 1 else 'meetings (both only invited or planned, not reported as attending)'} {', '.join(names)}")
            continue
        plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
        parts.append(f"{noun if len(names) == 1 else plural} {', '.join(names)}")
    a, b = (node_label(g, x) for x in (s.a, s.b))
    return f"{a} and {b} have never collaborated but share " + "; ".join(parts) + "."


# --------------------------------------------------------------------------- evaluation


#: Below these, an evaluation's AUC and precision are noise: with 6 recorded collaborations
#: and one hidden per split, a single pair decides every split. The figures are still reported,
#: with ``reliable`` false and a note saying why.
MIN_EVALUATION_EDGES = 20
MIN_EVALUATION_HIDDEN = 5


@dataclass
class EvalRow:
    """The evaluation of one method on one kind: means and standard deviations over splits;
    ``reliable`` is false, and ``note`` says why, when there are too few recorded
    collaborations for the figures to mean anything."""

    kind: str
    method: str
    auc: float
    auc_sd: float
    precision: float
    precision_sd: float
    k: int
    splits: int
    edges: int
    hidden: int
    negatives: int
    reliable: bool = True
    note: str = ""


def _auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """P(score of a hidden edge > score of a non-edge), ties counting one half (Mann-Whitney)."""
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    allv = np.concatenate([pos, neg])
    order = np.argsort(allv, kind="mergesort")
    ranks = np.empty(len(allv))
    sorted_v = allv[order]
    i = 0
    while i < len(allv):  # average ranks of ties
        j = i
        while j + 1 < len(allv) and sorted_v[j + 1] == sorted_v[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    r_pos = ranks[: len(pos)].sum()
    return float((r_pos - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def _precision_at_k(scores: dict[tuple[int, int], float], hidden: set[tuple[int, int]],
                    unobserved: int, k: int) -> float:
    """Expected precision of the top ``k`` of all unobserved pairs, ranked by score, ties
    (and the pairs that share nothing, score 0) in random order."""
    if k <= 0 or unobserved <= 0:
        return float("nan")
    k = min(k, unobserved)
    items = sorted(scores.items(), key=lambda x: -x[1])
    hits, taken, i = 0.0, 0, 0
    while taken < k and i < len(items):
        v = items[i][1]
        j = i
        while j < len(items) and items[j][1] == v:
            j += 1
        group = items[i:j]
        h = sum(1 for p, _ in group if p in hidden)
        room = k - taken
        if len(group) <= room:
            hits += h
            taken += len(group)
        else:
            hits += h * room / len(group)
            taken = k
        i = j
    if taken < k:  # fill from the pairs that share nothing
        zero = unobserved - len(items)
        zero_hits = len(hidden - set(scores))
        hits += (k - taken) * (zero_hits / zero if zero > 0 else 0.0)
    return hits / k


def evaluate(g: nx.Graph | HeteroGraph, kind: str = "project", *, methods: tuple[str, ...] = METHODS,
             share: float = 0.2, splits: int = 10, k: int = 10, seed: int = 0,
             max_negatives: int = 20000, max_shared: int = MAX_SHARED) -> list[EvalRow]:
    """Hide ``share`` of the recorded collaborations of ``kind``, score them against non-edges,
    and report AUC and precision at ``k`` per method and for a random baseline.

    Each of ``splits`` repetitions uses ``random.Random(seed + split)``. Negatives for the AUC
    are all pairs without a recorded collaboration, or ``max_negatives`` of them drawn at
    random. Precision at k ranks every unobserved pair (score-0 pairs and ties in random
    order, counted by their expectation); the random baseline scores pairs uniformly at random
    (AUC from the same draws; its precision at k is the expected share of hidden pairs).
    """
    for m in methods:
        check_method(m)
    if not 0 < share < 1:
        raise AnalysisError(f"the hidden share must be between 0 and 1, got {share}")
    full = prepare(g, kind, max_shared=max_shared)
    edges = sorted(full.collab)
    n = len(full.things)
    total_pairs = n * (n - 1) // 2
    if len(edges) < 2 or total_pairs - len(edges) < 1:
        return []
    idx = full.index
    results: dict[str, list[tuple[float, float]]] = {m: [] for m in (*methods, "random")}
    n_hidden = max(1, round(share * len(edges)))
    n_neg = 0
    for split in range(splits):
        rng = random.Random(seed + split)
        hidden = rng.sample(edges, n_hidden)
        inc = prepare(g, kind, max_shared=max_shared, hidden=hidden)
        scorer = Scorer.build(inc)
        oi, oj = inc.collab_pairs()
        observed = set(zip(oi.tolist(), oj.tolist()))
        hidden_i = {(idx[a], idx[b]) for a, b in hidden}
        all_edges = observed | hidden_i
        negatives = _negatives(n, all_edges, total_pairs - len(all_edges), max_negatives, rng)
        n_neg = len(negatives)
        pos = sorted(hidden_i)
        unobserved = total_pairs - len(observed)
        for m in methods:
            sp, sn = scorer.score_pairs(m, pos), scorer.score_pairs(m, negatives)
            cands = scorer.candidates(m)
            results[m].append((_auc(sp, sn), _precision_at_k(cands, hidden_i, unobserved, k)))
        rp = np.array([rng.random() for _ in pos])
        rn = np.array([rng.random() for _ in negatives])
        results["random"].append((_auc(rp, rn), len(hidden_i) / unobserved if unobserved else math.nan))
    reliable = len(edges) >= MIN_EVALUATION_EDGES and n_hidden >= MIN_EVALUATION_HIDDEN
    note = "" if reliable else (
        f"too few recorded collaborations to mean anything: {len(edges)} "
        f"({n_hidden} hidden per split); needs at least {MIN_EVALUATION_EDGES} "
        f"and {MIN_EVALUATION_HIDDEN} hidden")
    rows = []
    for m, vals in results.items():
        a = np.array([v[0] for v in vals])
        p = np.array([v[1] for v in vals])
        rows.append(EvalRow(kind, m, float(a.mean()), float(a.std()), float(p.mean()),
                            float(p.std()), k, splits, len(edges), n_hidden, n_neg, reliable, note))
    return rows


def _negatives(n: int, edges: set[tuple[int, int]], available: int, limit: int,
               rng: random.Random) -> list[tuple[int, int]]:
    """Pairs (i < j) without an edge: all of them, or ``limit`` drawn at random."""
    if available <= limit:
        return [(i, j) for i in range(n) for j in range(i + 1, n) if (i, j) not in edges]
    out: set[tuple[int, int]] = set()
    while len(out) < limit:
        i, j = rng.randrange(n), rng.randrange(n)
        if i == j:
            continue
        p = (min(i, j), max(i, j))
        if p not in edges:
            out.add(p)
    return sorted(out)
