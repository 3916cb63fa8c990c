"""Publish: write the dumps and the validation report, atomically and deterministically.

The same Dataset always gives byte-identical files, whatever ``PYTHONHASHSEED``: named graphs
are written in IRI order, N-Triples/N-Quads lines are sorted, and blank nodes (the SHACL
report has some) get labels computed from their content.
"""

from __future__ import annotations

import io as _io
from pathlib import Path

from rdflib import BNode, Dataset, Graph
from rdflib.compare import to_canonical_graph
from rdflib.plugins.serializers.trig import TrigSerializer

from .build import named_graphs, union_graph
from .io import write_atomic
from .namespaces import bind_prefixes
from .validate import ValidationReport

DUMPS = {
    "graph": "graph.ttl",
    "graph-inferred": "graph-inferred.ttl",
    "trig": "dataset.trig",
    "nquads": "dataset.nq",
}


def _has_bnodes(g: Graph) -> bool:
    return any(isinstance(s, BNode) or isinstance(o, BNode) for s, _p, o in g)


def stable_bnodes(g: Graph) -> Graph:
    """``g`` with blank nodes relabelled from their content (``g`` itself if it has none)."""
    if not _has_bnodes(g):
        return g
    out = bind_prefixes(Graph())
    for t in to_canonical_graph(g):
        out.add(t)
    return out


def _stable_dataset(ds: Dataset) -> Dataset:
    out = Dataset()
    bind_prefixes(out)
    for name in named_graphs(ds):
        target = out.graph(name)
        for t in stable_bnodes(ds.graph(name)):
            target.add(t)
    return out


def turtle(g: Graph) -> bytes:
    """Deterministic Turtle for ``g``, with scgraph's prefixes."""
    g = stable_bnodes(g)
    bind_prefixes(g)
    return g.serialize(format="turtle", encoding="utf-8")


def trig(ds: Dataset) -> bytes:
    """Deterministic TriG: named graphs in IRI order."""
    ds = _stable_dataset(ds)
    serializer = TrigSerializer(ds)
    serializer.contexts = sorted(
        (c for c in serializer.contexts if len(c) and c.identifier != ds.default_context.identifier),
        key=lambda c: str(c.identifier),
    )
    buf = _io.BytesIO()
    serializer.serialize(buf, encoding="utf-8")
    return buf.getvalue()


def nquads(ds: Dataset) -> bytes:
    """N-Quads of every named graph, lines sorted."""
    ds = _stable_dataset(ds)
    text = ds.serialize(format="nquads", encoding="utf-8").decode("utf-8")
    lines = sorted({line for line in text.splitlines() if line.strip()})
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def ntriples(g: Graph) -> bytes:
    """N-Triples of ``g``, lines sorted."""
    g = stable_bnodes(g)
    text = g.serialize(format="nt", encoding="utf-8").decode("utf-8")
    lines = sorted({line for line in text.splitlines() if line.strip()})
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def write_dumps(ds: Dataset, out_dir: Path | str) -> dict[str, Path]:
    """Write ``graph.ttl``, ``graph-inferred.ttl``, ``dataset.trig`` and ``dataset.nq``.

    ``graph.ttl`` holds the asserted graphs only, ``graph-inferred.ttl`` adds the inferred
    graph; the TriG and N-Quads files keep every named graph apart. Returns name -> path.
    """
    out_dir = Path(out_dir)
    contents = {
        "graph": turtle(union_graph(ds)),
        "graph-inferred": turtle(union_graph(ds, include_inferred=True)),
        "trig": trig(ds),
        "nquads": nquads(ds),
    }
    return {key: write_atomic(out_dir / DUMPS[key], data) for key, data in contents.items()}


def write_validation(report: ValidationReport, out_dir: Path | str) -> dict[str, Path]:
    """Write ``validation.ttl`` (the SHACL report graph) and ``validation.txt`` (its summary)."""
    out_dir = Path(out_dir)
    return {
        "validation": write_atomic(out_dir / "validation.ttl", turtle(report.graph)),
        "validation-summary": write_atomic(out_dir / "validation.txt", report.summary()),
    }
