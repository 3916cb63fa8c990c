"""The results of an analysis as RDF, in the named graph ``graph:analysis``.

One ``scg:AnalysisRun``; each suggested synergy as an ``scg:Synergy`` of type
``synergy:suggested`` with its score, rank, method, shared neighbours (``scg:evidence``) and
explanation; the top of each ranking as ``scg:Measurement``; each gap as an ``scg:Gap``. The
terms are in ``ontology/analysis.ttl``, the shapes in ``ontology/analysis_shapes.ttl``.
"""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from ..namespaces import ANALYSIS_GRAPH, ID, SCG, SYNERGY_TYPE, bind_prefixes
from .run import RANKED, TOP_RANKED, AnalysisResult, top_ranked
from .params import NETWORKS, SUGGESTED
from .synergies import explanation

_ID = str(ID)


def slug(node: str) -> str:
    """A readable IRI segment for a node: its path under id/ with '/' as '-', else a hash."""
    if node.startswith(_ID):
        s = re.sub(r"[^a-z0-9-]+", "-", node[len(_ID):].lower()).strip("-")
        if s:
            return s
    return "x-" + hashlib.sha256(node.encode("utf-8")).hexdigest()[:16]


def _dec(x: float) -> Literal:
    return Literal(Decimal(f"{x:.6f}"), datatype=XSD.decimal)


def run_iri(r: AnalysisResult) -> URIRef:
    """The run's IRI: a digest of its parameters and of the graph it analysed."""
    nodes, edges = r.shape("heterogeneous")
    digest = hashlib.sha256(json.dumps({
        "params": r.params, "nodes": nodes, "edges": edges,
    }, sort_keys=True).encode("utf-8")).hexdigest()[:12]
    return ID[f"analysis/run/{digest}"]


def to_graph(r: AnalysisResult) -> Graph:
    """The analysis results as one Graph."""
    out = bind_prefixes(Graph())
    run = run_iri(r)
    method = str(r.params.get("method", "adamic-adar"))
    out.add((run, RDF.type, SCG.AnalysisRun))
    out.add((run, RDFS.label, Literal(f"scgraph analysis ({method}, seed {r.params.get('seed', 0)})", lang="en")))
    out.add((run, SCG.method, Literal(method)))

    for kind in SUGGESTED:
        for s in r.suggestions[kind]:
            node = ID[f"synergy/suggested/{slug(s.a)}/{slug(s.b)}"]
            out.add((node, RDF.type, SCG.Synergy))
            out.add((node, RDFS.label, Literal(f"Suggested synergy between {r.label(s.a)} and {r.label(s.b)}", lang="en")))
            out.add((node, DCTERMS.description, Literal(explanation(r.hetero, s), lang="en")))
            out.add((node, SCG.synergyBetween, URIRef(s.a)))
            out.add((node, SCG.synergyBetween, URIRef(s.b)))
            out.add((node, SCG.synergyType, SYNERGY_TYPE.suggested))
            out.add((node, SCG.score, _dec(s.score)))
            out.add((node, SCG.rank, Literal(s.rank, datatype=XSD.integer)))
            out.add((node, SCG.method, Literal(s.method)))
            for shared, _w in s.shared:
                out.add((node, SCG.evidence, URIRef(shared)))
            out.add((node, PROV.wasGeneratedBy, run))

    for net in NETWORKS:
        for metric in RANKED:
            for rank, m in enumerate(top_ranked(r, net, metric, TOP_RANKED), start=1):
                node = ID[f"analysis/measurement/{net}/{metric.replace('_', '-')}/{slug(m.node)}"]
                out.add((node, RDF.type, SCG.Measurement))
                out.add((node, RDFS.label, Literal(f"{metric} of {r.label(m.node)} in the {net} network", lang="en")))
                out.add((node, SCG.concerns, URIRef(m.node)))
                out.add((node, SCG.network, Literal(net)))
                out.add((node, SCG.metric, Literal(metric)))
                out.add((node, SCG.score, _dec(float(getattr(m, metric)))))
                out.add((node, SCG.rank, Literal(rank, datatype=XSD.integer)))
                out.add((node, PROV.wasGeneratedBy, run))

    for gap in r.coverage_gaps + r.data_gaps:
        kind = re.sub(r"[^a-z0-9]+", "-", gap.gap.lower()).strip("-")
        path = f"analysis/gap/{kind}/{slug(gap.subject)}" + (f"/{slug(gap.about)}" if gap.about else "")
        node = ID[path]
        label = f"{gap.gap}: {r.label(gap.subject)}" + (f", {r.label(gap.about)}" if gap.about else "")
        out.add((node, RDF.type, SCG.Gap))
        out.add((node, RDFS.label, Literal(label, lang="en")))
        out.add((node, SCG.gapKind, Literal(gap.gap)))
        out.add((node, SCG.concerns, URIRef(gap.subject)))
        if gap.about:
            out.add((node, SCG.concerns, URIRef(gap.about)))
        if gap.detail:
            out.add((node, DCTERMS.description, Literal(gap.detail, lang="en")))
        if gap.gap.startswith(("theme", "mechanism")):
            out.add((node, SCG.score, _dec(float(gap.projects))))
        out.add((node, PROV.wasGeneratedBy, run))
    return out


def to_dataset(r: AnalysisResult, graph: Graph | None = None) -> Dataset:
    """The analysis results as a Dataset with the one named graph ``graph:analysis``
    (``graph``: what :func:`to_graph` gave for ``r``, if already made)."""
    ds = Dataset()
    bind_prefixes(ds)
    target = ds.graph(ANALYSIS_GRAPH)
    for t in graph if graph is not None else to_graph(r):
        target.add(t)
    return ds
