"""Releases: ``scgraph publish`` (docs/serving.md).

A release is what the build's store holds, registry data and inferences included: every named
graph streamed from the store (:mod:`.dumps`), whole and one file per graph, with gzip copies;
the ontology and shapes; VoID/DCAT-AP counted in the store (:mod:`.void`); checksums; HTML
documentation; licence notes; and a changelog per named graph against the previous release
(:mod:`.changelog`). It is written as a new generation and switched in at once.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date as _date
from datetime import datetime, timezone
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from .. import __version__
from ..errors import ReleaseError, SourceError, StoreError
from ..files import recover_folder, replace_folder
from ..namespaces import CORDIS_DATASET, ONTOLOGY_GRAPH, bind_prefixes
from ..store import OxigraphStore
from ..terms import from_ox
from ..validate.shacl import load_shapes
from .changelog import (
    CHECKSUMS,
    GraphChange,
    PreviousRelease,
    changelog,
    compare,
    read_previous,
    read_sums,
)
from .dumps import DumpWriter, graph_file
from .ontodoc import ontology_html
from .serialise import context_file, turtle
from .void import CODE_FILES, DUMP_FILES, NOTE_FILES, graph_counts, void_graph

__all__ = ["CHECKSUMS", "CODE_FILES", "DUMP_FILES", "NOTE_FILES", "Release", "ReleaseError",
           "publish", "release_date", "release_names"]


# --------------------------------------------------------------------------- licence


def license_text(version: str) -> str:
    """``LICENSE.md``: which licence covers which part of the release, with attributions."""
    return f"""# Licences of scgraph release {version}

## Curated data — CC BY 4.0

The statements curated by the scgraph project (the reference data and the graphs of the
source documents in `dataset.*`, `graph*.*` and `graphs/`) are licensed under the Creative Commons
Attribution 4.0 International licence (CC BY 4.0,
<https://creativecommons.org/licenses/by/4.0/>). Attribute them as: "scgraph, the scgraph
developers, release {version}, CC BY 4.0". Each named graph `graph:source/...` names the source
document its statements come from (`graphs/source/` holds one file per graph); those
documents remain their authors' works.

## Data from the EU project registry (CORDIS) — CC BY 4.0, © European Union

Statements imported from CORDIS, the EU's registry of research projects
(<{CORDIS_DATASET}>), in the named graphs `graph:registry/...` (`graphs/registry/` one file per
graph, and their inferences in `graph:inferred`), are
© European Union, licensed under CC BY 4.0 under the Commission's reuse policy (Decision
2011/833/EU). Attribute them as: "© European Union, CORDIS, CC BY 4.0; changes: converted to
RDF and filtered by the scgraph project".

## Ontology, shapes, documentation and code — Apache-2.0

`ontology.ttl`, `shapes.ttl`, `ontology.html`, `context.jsonld` and the scgraph software are
licensed under the Apache License, Version 2.0 (<https://www.apache.org/licenses/LICENSE-2.0>).

`void.ttl` states these licences per file in machine-readable form (`dcterms:license`).
"""



# --------------------------------------------------------------------------- publish


@dataclass
class Release:
    """A written release: its folder, version, date and files (name -> path)."""

    out_dir: Path
    version: str
    issued: str
    files: dict[str, Path] = field(default_factory=dict)
    changes: list[GraphChange] | None = None
    previous: str | None = None

    def summary(self) -> str:
        lines = [f"scgraph release {self.version} ({self.issued}): {len(self.files)} files in {self.out_dir}"]
        if self.previous is None:
            lines.append("first release (no previous release to compare with)")
        elif not self.changes:
            lines.append(f"no change since {self.previous}")
        else:
            added = sum(c.triples_added for c in self.changes)
            removed = sum(c.triples_removed for c in self.changes)
            lines.append(f"since {self.previous}: {added} triples added, {removed} removed "
                         f"in {len(self.changes)} named graphs")
        return "\n".join(lines) + "\n"


_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]*$")


def release_date(value: str | None) -> str:
    """``value`` checked as YYYY-MM-DD; default: ``SOURCE_DATE_EPOCH`` if set, else today (UTC)."""
    if value is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        if not epoch:
            return datetime.now(tz=timezone.utc).date().isoformat()
        try:
            if not (epoch.isascii() and epoch.isdigit() and len(epoch) <= 12):
                raise ValueError
            return datetime.fromtimestamp(int(epoch), tz=timezone.utc).date().isoformat()
        except (ValueError, OverflowError, OSError):
            raise ReleaseError("SOURCE_DATE_EPOCH must be a whole number of seconds since "
                               f"1970-01-01 (as 'date +%s' prints), got {epoch[:40]!r}") from None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return _date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise ReleaseError(f"--date must be a day as YYYY-MM-DD, got {value!r}")


def release_names(graphs: list[str]) -> list[str]:
    """Every file of a release of the named graphs ``graphs``, sorted."""
    dumps = [*DUMP_FILES, *(graph_file(g) for g in graphs)]
    names = [*dumps, *(f"{n}.gz" for n in dumps), *CODE_FILES, *NOTE_FILES, CHECKSUMS]
    return sorted(names)


def dataset_store(dataset: Path, analysis: Path | None = None) -> OxigraphStore:
    """An in-memory Oxigraph store holding ``dataset`` (``build/dataset.nq``) and, if given,
    the named graph of 'scgraph analyse': what 'scgraph query' answers from in a build
    without a store of its own."""
    if not dataset.is_file():
        raise ReleaseError("no such file; run 'scgraph build' first", path=dataset)
    store = OxigraphStore()
    try:
        store.bulk_load(dataset)
        if analysis is not None and analysis.is_file():
            store.bulk_load(analysis)
    except StoreError as e:
        store.close()
        raise ReleaseError(e.message, path=e.path, line=e.line) from None
    return store


def _graph(store: OxigraphStore, name: str) -> Graph:
    g = bind_prefixes(Graph())
    for q in store.store.quads_for_pattern(None, None, None, ox.NamedNode(name)):
        g.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
    return g


def _write_release(store: OxigraphStore, folder: Path, graphs: list[str], shapes: Graph,
                   version: str, issued: str, prev: PreviousRelease | None) -> list[GraphChange] | None:
    """Write every file of the release of ``store`` into the new generation ``folder``."""
    with DumpWriter(store, folder) as w:
        w.dataset_dumps()
        graph_dumps = w.graph_dumps(graphs)
        stats = w.merged_dumps()
        ontology = _graph(store, str(ONTOLOGY_GRAPH))
        w.add("ontology.ttl", turtle(ontology))
        w.add("shapes.ttl", turtle(shapes))
        w.add("ontology.html", ontology_html(ontology, version=version).encode("utf-8"))
        w.add("context.jsonld", context_file())
    infos = dict(w.infos)
    distributions = [infos[n] for n in sorted(infos) if not n.startswith("graphs/")]
    w.add("void.ttl", turtle(void_graph(store, stats, distributions, graph_dumps, version, issued)))
    w.add("LICENSE.md", license_text(version).encode("utf-8"))
    sums = {n: i.sha256 for n, i in w.infos.items()}
    changes = None if prev is None else compare(prev, folder, graph_dumps, sums)
    log = changelog(version, issued, graph_counts(store), sums["dataset.nq"], prev, changes)
    w.add("CHANGELOG.md", log.encode("utf-8"))
    w.add(CHECKSUMS, "".join(f"{i.sha256}  {n}\n" for n, i in sorted(w.infos.items())).encode())
    return changes


def _release_folder(out_dir: Path) -> Path:
    """``out_dir``, or the folder it links to when that link was not made by publish."""
    recover_folder(out_dir)
    if out_dir.is_symlink() and not os.readlink(out_dir).startswith(f".{out_dir.name}.gen-"):
        return out_dir.resolve()
    return out_dir


def _check_release_folder(out_dir: Path, names: list[str]) -> None:
    """Refuse a real folder that holds files other than a release's: switching the release in
    as a whole would drop them."""
    if out_dir.is_symlink() or not out_dir.is_dir():
        return
    known = {n.split("/", 1)[0] for n in names}
    known |= {n.split("/", 1)[0] for n in read_sums(out_dir / CHECKSUMS)}  # the release already there
    other = sorted(p.name for p in out_dir.iterdir()
                   if p.name not in known and not (p.name.startswith(".") and p.name.endswith(".tmp")))
    if other:
        shown = ", ".join(other[:5]) + (f" and {len(other) - 5} more" if len(other) > 5 else "")
        raise ReleaseError(f"the folder holds files that are not part of a release ({shown}); "
                           "publish into an empty or new folder", path=out_dir)


def publish(out_dir: Path | str = Path("build/release"), *, store: OxigraphStore | None = None,
            dataset: Path | str = Path("build/dataset.nq"), analysis: Path | str | None = None,
            shapes: Path | str | None = None, version: str | None = None, issued: str | None = None,
            previous: Path | str | None = None) -> Release:
    """Write a release of ``store`` (else of ``dataset`` and ``analysis``, default
    ``build/dataset.nq``, loaded into an in-memory store) into ``out_dir``.

    ``previous`` is the folder of the release to compare with (default: ``out_dir`` itself,
    read before anything is overwritten). The release is written into a new folder and
    ``out_dir`` (a symbolic link) is switched to it at once (:func:`scgraph.files.replace_folder`):
    a failure or a kill at any moment leaves the previous release whole, never a mix.
    """
    given = Path(out_dir)
    if given.exists() and not given.is_dir():  # never turn build/graph.ttl into a folder
        raise ReleaseError("is a file, not a release folder; give --out a new folder, an empty "
                           "one or an earlier release", path=given)
    if given.parent.exists() and not given.parent.is_dir():
        raise ReleaseError(f"{given.parent} is a file, not a folder", path=given)
    out_dir = _release_folder(given)
    version = version or __version__
    if not _VERSION.match(version):
        raise ReleaseError(f"--version must be letters, digits, '.', '+', '_' or '-', got {version!r}")
    issued = release_date(issued)
    prev_dir = Path(previous) if previous is not None else out_dir
    if previous is not None and not prev_dir.is_dir():
        raise ReleaseError("no such folder for --previous", path=prev_dir)
    try:
        prev = read_previous(prev_dir)
    except SourceError as e:
        raise ReleaseError(f"cannot read the previous release: {e.message}", path=e.path, line=e.line) from None
    if previous is not None and prev is None:
        raise ReleaseError("not a release folder (no dataset.nq and void.ttl)", path=prev_dir)
    shapes_graph = load_shapes(shapes)
    own = store is None
    source = dataset_store(Path(dataset), Path(analysis) if analysis else None) if store is None else store
    try:
        graphs = [str(g) for g in source.named_graphs()]
        names = release_names(graphs)
        _check_release_folder(out_dir, names)
        with replace_folder(out_dir, stage="release-switch") as new:
            changes = _write_release(source, new, graphs, shapes_graph, version, issued, prev)
    finally:
        if own:
            source.close()
    written = {name: out_dir / name for name in names}
    return Release(out_dir, version, issued, written, changes,
                   None if prev is None else f"{prev.version} ({prev.issued})")
