"""Import a CORDIS bulk export (the EU project registry) into the named graph ``registry/cordis``.

CORDIS publishes every Horizon 2020 and Horizon Europe project as CSV tables: ``project``,
``organization``, ``topics``, ``euroSciVoc``, ``legalBasis`` and ``webLink``. The importer
reads them, in the official format (``;``-separated, ``"``-quoted, UTF-8, fields with embedded
newlines) or as the comma-separated re-saves that circulate (``project_df_100.csv``), sniffed
per file from its header line, and maps them to the scgraph ontology.

It has three parts, each importing only the ones before it:

- :mod:`.values`: one cell at a time, numbers, dates, identifiers, URLs and codes parsed and
  cleaned; a cell that cannot be read is a :class:`~.values.BadValue`, the reason its row is
  rejected;
- :mod:`.tables`: the tables as files: which file is which table, its required columns, its
  well-formed rows streamed with their line numbers, the malformed ones left out
  (:class:`RejectedRow`);
- :mod:`.mapping`: rows to RDF, a stream of light triples (the curated IRIs to reuse in
  :class:`~.mapping.CuratedIndex`, the IRI scheme in the module's docstring).

:mod:`.report` holds :class:`ImportReport` (what was read, rejected and made) and its summary;
:mod:`.measure` measures a filter on a folder without importing.

This module is the API. Every import goes through :func:`import_into`: the stream of
:mod:`.mapping` into one :class:`~scgraph.importers.sink.Sink` (a file, an Oxigraph store, a
SPARQL endpoint, a Dataset ...), all or nothing: unless ``skip_invalid``, a rejected row fails
the import with :class:`~scgraph.errors.RejectedRows` and nothing is written; any failure leaves
the target's previous registry graph untouched. :func:`run_import_cordis` is what ``scgraph
import cordis`` does; :func:`import_cordis`, :func:`load_cordis_into_oxigraph` and
:func:`write_cordis_nquads` are the same for one kind of target, keeping the rows they can
(``skip_invalid=True``) unless told otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph, Literal, URIRef

from ...errors import RejectedRows, SourceError
from ...gazetteer import Gazetteer
from ..filters import FilterRules
from ..sink import DatasetSink, NQuadsFileSink, Sink, sink_for
from ...terms import light_to_rdflib
from .mapping import REGISTRY_GRAPH, iter_cordis_triples, load_curated, start_cordis_triples
from .report import ImportReport, empty_filter_warning, format_report
from .tables import Progress, RejectedRow

__all__ = [
    "REGISTRY_GRAPH",
    "ImportReport",
    "ImportResult",
    "RejectedRow",
    "empty_filter_warning",
    "format_report",
    "import_cordis",
    "import_into",
    "iter_cordis_quads",
    "iter_cordis_triples",
    "load_cordis_into_oxigraph",
    "load_curated",
    "run_import_cordis",
    "write_cordis_nquads",
]


@dataclass
class ImportResult:
    """The Dataset the registry graph was added to, and the report."""

    dataset: Dataset
    report: ImportReport

    @property
    def graph(self) -> Graph:
        return self.dataset.graph(REGISTRY_GRAPH)


def import_into(directory: Path | str, sink: Sink, *, filter: FilterRules | str | None = None,
                skip_invalid: bool = False, curated: Graph | None = None,
                gazetteer: Gazetteer | None = None,
                progress: Progress | None = None, allow_empty: bool = True) -> ImportReport:
    """Import a CORDIS folder into ``sink`` (:func:`scgraph.importers.sink.sink_for` makes one
    for a store spec, a store, a Dataset or a file), all or nothing.

    Args:
        filter: the rules that pick the projects to keep, or the name of a filter of
            ``data/filters/`` (``smart-cities``) or a ``.toml`` path; None keeps every project.
        skip_invalid: import the valid rows and list the rejected ones in the report; without
            it a rejected row raises :class:`~scgraph.errors.RejectedRows` (its ``report`` is
            the import's) and the sink is left as it was.
        allow_empty: False: rows rejected and, with no project left out by the filter, no
            project left is a SourceError and the sink is left as it was (what ``scgraph import
            cordis`` does: rejections never replace a registry with an empty one).
        curated: the curated graph to link to (:func:`load_curated`); None links to nothing.

    Raises SourceError for a missing folder, project table or required column (before or while
    the tables are read; the sink is left as it was either way).
    """
    rules = FilterRules.named(filter) if isinstance(filter, str) else filter
    report = ImportReport(source=str(directory))
    triples = start_cordis_triples(directory, report, filter=rules, curated=curated,
                                   progress=progress, gazetteer=gazetteer)

    def check() -> None:
        if report.rejected and not skip_invalid:
            raise RejectedRows(directory, report)
        project_table = report.tables.get("project", "")
        if (report.rejected and not report.projects and not allow_empty
                and not report.rows_filtered.get(project_table)):
            # --skip-invalid whose rejections leave nothing would replace a registry with an
            # empty one (a filter that keeps no project is the user's choice: warned about)
            first = report.rejected[0]
            n = report.rows_rejected
            raise SourceError(f"no project left to import: {n:,} row{'s' if n != 1 else ''} "
                              f"rejected, the first at {first.file}:{first.line}: {first.reason}; "
                              "the registry was left as it was", path=directory)

    sink.write(str(REGISTRY_GRAPH), triples, check)
    return report


def run_import_cordis(directory: Path | str, filter_name: str | None = None, *,
                      store: object | None = None, output: Path | str | None = None,
                      curated: Graph | None = None, progress: Progress | None = None,
                      skip_invalid: bool = False) -> ImportReport:
    """What ``scgraph import cordis DIR [--filter NAME] [--store SPEC | --output FILE]
    [--skip-invalid]`` does: :func:`import_into` the target, all or nothing.

    Args:
        filter_name: a filter of ``data/filters/`` (``smart-cities``) or a ``.toml`` path.
        store: where the graph goes: a store spec (``memory``, ``oxigraph``,
            ``oxigraph:PATH``, ``sparql:URL``; opened with :func:`scgraph.store.open_store` and
            closed again), an open scgraph store, a ``pyoxigraph.Store``, an rdflib ``Dataset``
            or a :class:`~scgraph.importers.sink.Sink`; None with no ``output`` only checks the
            folder (everything is read, mapped, counted and checked, nothing kept).
        output: an N-Quads file to write the graph to (instead of a store).
        curated: the curated graph to link to; by default :func:`load_curated`.
        skip_invalid: keep the valid rows when some are rejected (see :func:`import_into`).
    """
    rules = FilterRules.named(filter_name) if filter_name else None
    sink = sink_for(store, output)
    cur = curated if curated is not None else load_curated()
    return import_into(directory, sink, filter=rules, skip_invalid=skip_invalid, curated=cur,
                       progress=progress, allow_empty=False)


def import_cordis(directory: Path | str, *, filter: FilterRules | None = None,
                  curated: Graph | None = None, progress: Progress | None = None,
                  dataset: Dataset | None = None, gazetteer: Gazetteer | None = None,
                  skip_invalid: bool = True) -> ImportResult:
    """Import a CORDIS folder into the ``registry/cordis`` graph of ``dataset`` (or a new one).

    Importing the same folder again into the same Dataset changes nothing. Rejected rows are
    listed in the report, the others imported, unless ``skip_invalid=False``.
    """
    sink = DatasetSink(dataset)
    report = import_into(directory, sink, filter=filter, skip_invalid=skip_invalid,
                         curated=curated, gazetteer=gazetteer, progress=progress)
    return ImportResult(sink.dataset, report)


def load_cordis_into_oxigraph(directory: Path | str, store: ox.Store, *,
                              filter: FilterRules | None = None, curated: Graph | None = None,
                              progress: Progress | None = None,
                              gazetteer: Gazetteer | None = None,
                              skip_invalid: bool = True) -> ImportReport:
    """Import a CORDIS folder into an open Oxigraph store with its bulk loader."""
    return import_into(directory, sink_for(store), filter=filter, skip_invalid=skip_invalid,
                       curated=curated, gazetteer=gazetteer, progress=progress)


def write_cordis_nquads(directory: Path | str, path: Path | str, *,
                        filter: FilterRules | None = None, curated: Graph | None = None,
                        progress: Progress | None = None,
                        gazetteer: Gazetteer | None = None,
                        skip_invalid: bool = True) -> ImportReport:
    """Stream a CORDIS folder into an N-Quads file, written atomically."""
    return import_into(directory, NQuadsFileSink(path), filter=filter, skip_invalid=skip_invalid,
                       curated=curated, gazetteer=gazetteer, progress=progress)


def iter_cordis_quads(directory: Path | str, *, filter: FilterRules | None = None,
                      curated: Graph | None = None, progress: Progress | None = None,
                      report: ImportReport | None = None,
                      gazetteer: Gazetteer | None = None) -> Iterator[tuple[URIRef, URIRef, URIRef | Literal, URIRef]]:
    """The import as rdflib quads ``(s, p, o, REGISTRY_GRAPH)``, with no sink and no check;
    see :func:`iter_cordis_triples`."""
    g = REGISTRY_GRAPH
    for s, p, o in iter_cordis_triples(directory, filter=filter, curated=curated,
                                       progress=progress, report=report, gazetteer=gazetteer):
        yield URIRef(s), URIRef(p), light_to_rdflib(o), g
