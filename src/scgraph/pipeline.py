"""The whole pipeline in one call: assemble -> infer -> validate -> publish."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import URIRef

from .build import assemble, named_graphs
from .errors import NotConformant
from .namespaces import INFERRED_GRAPH, short
from .publish import write_dumps, write_validation
from .reason import infer
from .validate import load_shapes, validate

Progress = Callable[[str], None]


@dataclass
class BuildResult:
    """What a build produced: triples per named graph, validation counts, files, timings."""

    triples: dict[URIRef, int]
    inferred: int
    violations: int
    warnings: int
    outputs: dict[str, Path]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def asserted(self) -> int:
        return sum(n for g, n in self.triples.items() if g != INFERRED_GRAPH)

    def summary(self) -> str:
        """A few lines for people: graphs, triples, validation, files."""
        lines = [f"{len(self.triples)} named graphs, {self.asserted} asserted and "
                 f"{self.inferred} inferred triples",
                 f"validation: {_plural(self.violations, 'violation')}, "
                 f"{_plural(self.warnings, 'warning')}"]
        lines += [f"  {short(g)}: {n}" for g, n in sorted(self.triples.items())]
        lines += [f"wrote {p}" for _k, p in sorted(self.outputs.items())]
        return "\n".join(lines) + "\n"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def build(out_dir: Path | str = Path("build"), *, root: Path | None = None,
          progress: Progress | None = None) -> BuildResult:
    """Assemble, infer, validate and publish the graph of ``root`` into ``out_dir``.

    The validation report (``validation.ttl``, ``validation.txt``) is always written. The
    dumps are replaced only when the data conforms: on violations the previous dumps stay
    as they were and NotConformant is raised (carrying the report) after the report is written.
    """
    out_dir = Path(out_dir)
    say = progress or (lambda _step: None)
    timings: dict[str, float] = {}

    def step(message: str) -> float:
        say(message)
        return time.perf_counter()

    t = step("Assembling the ontology, reference data and sources")
    ds = assemble(root)
    timings["assemble"] = time.perf_counter() - t

    t = step("Reasoning (OWL RL)")
    infer(ds)
    timings["infer"] = time.perf_counter() - t

    t = step("Validating against the SHACL shapes")
    shapes = load_shapes((root / "ontology" / "shapes.ttl") if root is not None else None)
    report = validate(ds, shapes)
    timings["validate"] = time.perf_counter() - t

    t = step(f"Writing the dumps to {out_dir}")
    outputs = write_validation(report, out_dir)
    if not report.conforms:
        timings["publish"] = time.perf_counter() - t
        n = len(report.violations)
        raise NotConformant(
            f"the data has {n} SHACL violation{'s' if n != 1 else ''}; see "
            f"{outputs['validation-summary']} (the previous dumps were kept)",
            report=report,
        )
    outputs.update(write_dumps(ds, out_dir))
    timings["publish"] = time.perf_counter() - t

    triples = {g: len(ds.graph(g)) for g in named_graphs(ds)}
    return BuildResult(
        triples=triples,
        inferred=triples.get(INFERRED_GRAPH, 0),
        violations=len(report.violations),
        warnings=len(report.warnings),
        outputs=outputs,
        timings=timings,
    )
