"""The analysis's output files: metrics, groups, suggestions, gaps and the analysis graph."""

from __future__ import annotations

import csv
import io as _io
import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path


from .. import files
from ..publish.serialise import trig, turtle
from .rdf import to_dataset, to_graph
from . import gaps as _gaps
from .networks import (
    KINDS,
)
from .synergies import (
    Suggestion,
    explanation,
)
from .run import RANKED, AnalysisResult, top_ranked
from .params import NETWORKS, SUGGESTED


# --------------------------------------------------------------------------- writing


def _num(x: float) -> float:
    return float(f"{x:.6f}")


def _csv(header: list[str], rows: Sequence[Sequence[object]]) -> bytes:
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
    out: dict[str, bytes] = {}
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
    out["metrics.csv"] = _csv(header, rows)
    keys = header[1:]
    out["metrics.json"] = _json_listed({net: {
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
    out["rankings.csv"] = _csv(["network", "metric", "rank", "node", "label", "value"], rank_rows)
    out["rankings.json"] = _json([dict(zip(["network", "metric", "rank", "node", "label", "value"], x))
                                    for x in rank_rows])

    comm_rows = [[net, i, len(c), "; ".join(r.label(n) for n in c), "; ".join(c)]
                 for net in NETWORKS for i, c in enumerate(r.communities[net], start=1)]
    out["communities.csv"] = _csv(["network", "community", "size", "labels", "members"], comm_rows)
    broker_rows = [[net, "articulation point", n, r.label(n), "", ""] for net in NETWORKS
                   for n in r.articulation_points[net]]
    broker_rows += [[net, "bridge", a, r.label(a), b, r.label(b)] for net in NETWORKS
                    for a, b in r.bridges[net]]
    out["brokers.csv"] = _csv(["network", "broker", "node", "label", "other_node", "other_label"],
                                broker_rows)

    out["summaries.csv"] = _csv(
        ["group", "label", "kind", "projects", "meetings", "themes", "themes_covered",
         "themes_not_covered", "communities", "most_central_project"],
        [[s.group, s.label, s.kind, s.projects, s.meetings, s.themes, s.themes_covered,
          "; ".join(s.themes_not_covered), s.communities, s.most_central_project] for s in r.summaries])
    out["summaries.json"] = _json([asdict(s) for s in r.summaries])

    recs = [suggestion_record(r, s) for kind in SUGGESTED for s in r.suggestions[kind]]
    out["synergies.json"] = _json(recs)
    out["synergies.csv"] = _csv(
        ["kind", "rank", "a", "label_a", "b", "label_b", "score", "method", "shared", "evidence", "explanation"],
        [[x["kind"], x["rank"], x["a"], x["label_a"], x["b"], x["label_b"], x["score"], x["method"],
          "; ".join(str(sh["label"]) for sh in x["shared"]),  # type: ignore[attr-defined]
          "; ".join(f"{k}: {v}" for k, v in x["evidence"].items()),  # type: ignore[attr-defined]
          x["explanation"]] for x in recs])

    gap_header = ["gap", "subject", "label", "about", "about_label", "projects", "declared", "named",
                  "detail", "related"]
    for name, gs in (("coverage_gaps", r.coverage_gaps), ("data_gaps", r.data_gaps)):
        grecs = [gap_record(r, gp) for gp in gs]
        out[f"{name}.json"] = _json(grecs)
        out[f"{name}.csv"] = _csv(gap_header, [[x[h] if h != "related" else "; ".join(x[h])  # type: ignore[arg-type]
                                                  for h in gap_header] for x in grecs])

    if r.evaluation:
        eh = ["kind", "method", "auc", "auc_sd", "precision", "precision_sd", "k", "splits", "edges",
              "hidden", "negatives", "reliable", "note"]
        out["evaluation.csv"] = _csv(eh, [[getattr(e, h) for h in eh] for e in r.evaluation])
        out["evaluation.json"] = _json([asdict(e) for e in r.evaluation])

    out["summary.json"] = _json({
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
    out["analysis.ttl"] = turtle(graph)
    out["analysis.trig"] = trig(to_dataset(r, graph))
    return out


def write_results(r: AnalysisResult, out_dir: Path | str) -> dict[str, Path]:
    """Write every output file into ``out_dir`` (atomically, one by one); return their paths."""
    out_dir = Path(out_dir)
    out = outputs(r)  # compute everything before touching the folder
    return {name: files.write_atomic(out_dir / name, data) for name, data in sorted(out.items())}
