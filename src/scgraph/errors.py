"""One hierarchy of errors a user can fix.

``str(error)`` is always one line: what went wrong, where (file and line, or the parameter),
and what to do. The CLI prints it after ``Error:`` and exits with code 1; anything that is not
a :class:`ScgraphError` is a bug and keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class ScgraphError(Exception):
    """Something the user can fix."""

    def __init__(self, message: str, *, path: object | None = None, line: int | None = None):
        self.message = " ".join(str(message).split())  # one line, always
        self.path = path
        self.line = line
        super().__init__(self.message)

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return where + self.message


class SourceError(ScgraphError):
    """An input file (RDF, CSV, query) cannot be read or parsed."""


class ShapesError(ScgraphError):
    """The SHACL shapes themselves are broken."""


class QueryError(ScgraphError):
    """A SPARQL query is unknown, malformed, or was given bad parameters."""


class StoreError(ScgraphError):
    """A store cannot be opened, read or written."""


class InconsistencyError(ScgraphError):
    """OWL RL reasoning found the ontology plus data inconsistent."""


class NotConformant(ScgraphError):
    """Data does not conform to the shapes; ``report`` carries the full validation report."""

    def __init__(self, message: str, report: Any = None, **kw: Any):
        super().__init__(message, **kw)
        self.report = report


class ReasoningError(ScgraphError):
    """Reasoning was asked of an engine that does not exist or cannot do it."""


class UnsupportedOntology(ScgraphError):
    """The ontology uses an OWL construct the chosen reasoning engine does not implement."""


class ReleaseError(ScgraphError):
    """A release cannot be made (missing build, bad version or date, unreadable previous release)."""


class ServerError(ScgraphError):
    """The server cannot start (no dataset, bad store, bad option)."""


class PlotError(ScgraphError):
    """A figure cannot be made as asked."""


class RejectedRows(SourceError):
    """The import rejected rows and ``--skip-invalid`` was not given; ``report`` is the import's."""

    def __init__(self, directory: Path | str, report: object) -> None:
        rejected = report.rejected  # type: ignore[attr-defined]
        first, more = rejected[0], len(rejected) - 1
        others = f"and {more:,} more rejected row{'s' if more != 1 else ''}; " if more else ""
        super().__init__(f"{first.reason} ({others}use --skip-invalid to import the valid rows)",
                         path=Path(directory) / first.file, line=first.line)
        self.report = report


class AnalysisError(ScgraphError):
    """A bad parameter of an analysis."""
