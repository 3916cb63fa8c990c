"""``scgraph build`` and ``scgraph validate``: the pipeline and the shapes, from the shell."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ..layout import STORE_SPECS
from .common import progress, store_spec


class Reasoner(str, Enum):
    """The reasoning engines of ``scgraph.reason.ENGINES`` (all give the same graph)."""

    sparql = "sparql"
    reasonable = "reasonable"
    owlrl = "owlrl"


class Inferred(str, Enum):
    """What ``graph:inferred`` holds of the registry's entailments (``scgraph.reason.keep``)."""

    lean = "lean"
    full = "full"


def build_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the dumps and the validation report to.")] = Path("build"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    store: Annotated[str | None, typer.Option("--store", callback=store_spec, help=f"Also build the whole graph into this store ({STORE_SPECS}); default oxigraph:OUT/store once it exists or --registry is given, else none.")] = None,
    registry: Annotated[list[Path] | None, typer.Option("--registry", help="N-Quads file of registry graphs (from 'scgraph import ... --output') to add; repeat for several.")] = None,
    add: Annotated[list[Path] | None, typer.Option("--add", help="Your own RDF file (Turtle, TriG, N-Triples, N-Quads, ...) to build with the curated sources: one source document, declared as the data/sources files are (exactly one scg:SourceDocument or scg:WebPage), loaded into graph:source/NAME (NAME: the file name without extension; the graphs of a TriG or N-Quads file merged into it), reasoned over and validated with the shapes like the curated data; repeat for several.")] = None,
    reasoner: Annotated[Reasoner, typer.Option("--reasoner", help="Reasoning engine: sparql (fast), reasonable or owlrl (the reference); all give the same graph.")] = Reasoner.sparql,
    inferred: Annotated[Inferred, typer.Option("--inferred", help="What the store's graph:inferred keeps of the registry graphs' entailments: lean (the facts in scgraph's own vocabulary; the standard vocabularies' copies at query time, docs/ontology.md) or full (every entailment). The curated graphs' entailments are kept in full either way.")] = Inferred.lean,
) -> None:
    """Assemble, reason over, validate and publish the graph (dumps only if it conforms).

    The graph is the curated sources and reference data, your own source files (--add), the
    registry graphs imported into BUILD (or given with --registry) and the OWL RL inferences.
    """
    from ..pipeline import build

    with progress(quiet) as say:
        result = build(out, progress=say, store=store, registry=registry or (), engine=reasoner.value,
                       extra=add or (), inferred=inferred.value)
    if not quiet:
        typer.echo(result.summary(), nl=False)


def validate_cmd(
    files: Annotated[list[Path], typer.Argument(help="RDF files to check (Turtle, TriG, N-Triples, ...).", show_default=False)],
    shapes: Annotated[Path | None, typer.Option("--shapes", help="SHACL shapes file (default: ontology/shapes.ttl).")] = None,
) -> None:
    """Check RDF files against the SHACL shapes, with the ontology and reference data loaded.

    Prints the report; exits with 1 when there are violations (warnings do not fail).
    """
    from ..validate.shacl import load_shapes, validate_files

    shapes_graph = load_shapes(shapes) if shapes is not None else None
    report = validate_files(files, shapes=shapes_graph)
    typer.echo(report.summary(), nl=False)
    if not report.conforms:
        raise typer.Exit(1)
