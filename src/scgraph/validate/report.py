"""One validation report: pySHACL's results and the registry checks' rows, in one order.

Only ``sh:Violation`` results make data non-conformant; warnings and infos are reported but do
not fail. The report prints as the text of ``build/validation.txt`` and as a SHACL report graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from ..namespaces import short

SEVERITY_ORDER = {SH.Violation: 0, SH.Warning: 1, SH.Info: 2}
_SEVERITY_NAMES = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL validation result."""

    focus: Node
    path: Node | None
    severity: URIRef
    component: URIRef
    message: str
    source_shape: Node
    value: Node | None

    def sort_key(self) -> tuple:
        return (SEVERITY_ORDER.get(self.severity, 9), _key(self.focus), _key(self.path),
                _key(self.component), self.message, _key(self.value), _key(self.source_shape))

    def line(self) -> str:
        """One readable line: severity, focus node, path, message, component, value."""
        sev = _SEVERITY_NAMES.get(self.severity, short(self.severity))
        text = f"{sev}: {short(self.focus)}"
        if self.path is not None:
            text += f" {_path_text(self.path)}"
        text += f": {self.message} [{short(self.component)}]"
        if self.value is not None:
            text += f" (value: {short(self.value)})"
        return text


@dataclass
class ValidationReport:
    """The outcome of a validation: ``conforms`` is False only when there are violations."""

    conforms: bool
    results: list[ValidationResult]
    graph: Graph = field(repr=False)

    @property
    def violations(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == SH.Violation]

    @property
    def warnings(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == SH.Warning]

    @property
    def infos(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == SH.Info]

    def summary(self) -> str:
        """Counts by severity, then one line per result, sorted."""
        n_v, n_w, n_i = len(self.violations), len(self.warnings), len(self.infos)
        head = (f"Conforms: {'yes' if self.conforms else 'no'} "
                f"({_plural(n_v, 'violation')}, {_plural(n_w, 'warning')}, {_plural(n_i, 'info')})")
        return "\n".join([head, *(r.line() for r in self.results)]) + "\n"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _key(node: Node | None) -> tuple[int, str]:
    if node is None:
        return (0, "")
    return (1 if isinstance(node, URIRef) else 2 if isinstance(node, Literal) else 3, str(node))


def _path_text(path: Node) -> str:
    return short(path) if isinstance(path, URIRef) else "(complex path)"
