"""Where the data is: the build folder's layout and the store spec, each parsed in one place.

Every command that reads or writes a build folder names its paths through :class:`BuildFolder`,
and every ``--store`` option is parsed once by :meth:`StoreSpec.parse`. This module imports
nothing heavy (no rdflib, no pyoxigraph), so the CLI can check its options before any work.

A build folder (``build/`` by default)::

    dataset.nq, dataset.trig, graph.ttl, ...   the dumps of 'scgraph build' (links into .outputs/)
    validation.ttl, validation.txt             its validation report
    store/                                     the Oxigraph store, once registry data is in play
    registry/*.nq                              graphs 'scgraph import' wrote, one per file
    analysis/                                  'scgraph analyse' (analysis.trig, figures/, ...)
    release/                                   'scgraph publish'
    .outputs/, .store.gen-*                    generations (scgraph.files)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import StoreError

#: The forms of ``--store``, for help texts and errors.
STORE_SPECS = "memory, oxigraph, oxigraph:PATH or sparql:URL"
STORE_KINDS = ("memory", "oxigraph", "sparql")


@dataclass(frozen=True)
class StoreSpec:
    """A parsed ``--store``: ``memory`` (rdflib), ``oxigraph`` (embedded, in memory),
    ``oxigraph:PATH`` (embedded, on disk) or ``sparql:URL`` (a SPARQL 1.1 endpoint)."""

    kind: str
    arg: str = ""

    @classmethod
    def parse(cls, text: str | StoreSpec) -> StoreSpec:
        if isinstance(text, StoreSpec):
            return text
        kind, _, arg = text.strip().partition(":")
        if kind not in STORE_KINDS or (kind == "memory" and arg):
            raise StoreError(f"unknown store {text!r}; use {STORE_SPECS}")
        if kind == "sparql" and not arg:
            raise StoreError(f"missing endpoint URL in {text!r}; write sparql:http://HOST:PORT/...")
        return cls(kind, arg)

    @property
    def path(self) -> Path | None:
        """The folder of an on-disk Oxigraph store; None for any other store."""
        return Path(self.arg) if self.kind == "oxigraph" and self.arg else None

    @property
    def url(self) -> str | None:
        return self.arg if self.kind == "sparql" else None

    def is_store_of(self, folder: BuildFolder | Path | str) -> bool:
        """Whether this names the build folder's own store (``BUILD/store``)."""
        return self.path is not None and self.path.absolute() == BuildFolder.of(folder).store.absolute()

    def __str__(self) -> str:
        return f"{self.kind}:{self.arg}" if self.arg else self.kind


@dataclass(frozen=True)
class BuildFolder:
    """The paths of one build folder; nothing is created by naming them."""

    path: Path

    @classmethod
    def of(cls, folder: BuildFolder | Path | str) -> BuildFolder:
        return folder if isinstance(folder, BuildFolder) else cls(Path(folder))

    @property
    def store(self) -> Path:
        """The build's own Oxigraph store (a link to its current generation)."""
        return self.path / "store"

    @property
    def dataset(self) -> Path:
        """Every named graph of the last conformant build, inferences included (N-Quads)."""
        return self.path / "dataset.nq"

    @property
    def registry(self) -> Path:
        """The registry graphs 'scgraph import' wrote, one N-Quads file per graph."""
        return self.path / "registry"

    def registry_file(self, name: str) -> Path:
        return self.registry / f"{name}.nq"

    def registry_files(self) -> list[Path]:
        """The imported registry graphs, which every build of this folder includes."""
        return sorted(self.registry.glob("*.nq")) if self.registry.is_dir() else []

    @property
    def analysis(self) -> Path:
        """The outputs of 'scgraph analyse' (and the default folder of 'export-graph')."""
        return self.path / "analysis"

    @property
    def analysis_graph(self) -> Path:
        """The named graph of 'scgraph analyse', which queries read next to the data."""
        return self.analysis / "analysis.trig"

    @property
    def figures(self) -> Path:
        return self.analysis / "figures"

    @property
    def release(self) -> Path:
        return self.path / "release"

    @property
    def own_store(self) -> StoreSpec:
        return StoreSpec("oxigraph", str(self.store))

    def has_store(self) -> bool:
        return self.store.exists()

    def default_store(self, fallback: str = "memory") -> StoreSpec:
        """The store a command reads when none is given: the build's own store once there is
        one (registry data was imported or built), else ``fallback``."""
        return self.own_store if self.has_store() else StoreSpec.parse(fallback)

    def build_store(self, registry: bool = False) -> StoreSpec | None:
        """The store a build writes when none is given: the build's own store once registry
        data is in play (``registry`` files given, or a store exists), else none."""
        return self.own_store if registry or self.has_store() else None
