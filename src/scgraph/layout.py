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
    .lock                                      held by the command writing the folder, if any

One command at a time writes a build folder (``build``, ``import``, ``analyse``): each holds
:meth:`BuildFolder.writing` for its whole run, and a second one fails at once with a message
naming the first. Readers take no such lock; they hold the store generation they opened
(:func:`scgraph.files.hold_generation`), which no writer removes while they do.

A store that should be there and is not (a link whose generation is gone, registry graphs but
no store) is an error for every command (:func:`check_store`), never a quiet fall-back to the
curated dumps, which hold less.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from . import files
from .errors import StoreError

#: The forms of ``--store``, for help texts and errors.
STORE_SPECS = "memory, oxigraph, oxigraph:PATH or sparql:URL[;update=URL][;store=URL][;dataset=union] (docs/serving.md)"
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

    @property
    def lock(self) -> Path:
        """The writers' lock file (:meth:`writing`); there only while a command writes."""
        return self.path / files.LOCK

    @contextlib.contextmanager
    def writing(self, command: str) -> Iterator[BuildFolder]:
        """Hold the build folder's writers' lock for the block (made as needed): a second
        writer of the same folder fails at once with a :class:`StoreError` naming this one's
        pid, ``command`` and start time (:func:`scgraph.files.exclusive`)."""
        with files.exclusive(self.path, command):
            yield self

    def has_store(self) -> bool:
        """Whether the build has a store: a folder, or a link to one, even a link whose
        generation is gone (:func:`lost_store`, which :func:`check_store` then reports)."""
        return self.store.exists() or lost_store(self.store)

    def default_store(self, fallback: str = "memory") -> StoreSpec:
        """The store a command reads when none is given: the build's own store once there is
        one (registry data was imported or built), else ``fallback``.

        Where there should be one and it cannot be read (a link whose generation is gone, or
        registry files but no store yet), a :class:`StoreError` naming it (:func:`check_store`),
        for every command that reads (query, analyse, serve, ...): ``fallback`` would answer
        from the curated dumps, without the registry data, and say nothing."""
        if self.has_store() or self.registry_files():
            check_store(self.store)
            return self.own_store
        return StoreSpec.parse(fallback)

    def imports_not_built(self) -> list[Path]:
        """The registry files imported after the build's store was made: the store does not
        hold them until the next 'scgraph build'."""
        if not self.store.is_dir():
            return []
        built = self.store.resolve().stat().st_mtime  # the generation folder, made by the build
        return [p for p in self.registry_files() if p.stat().st_mtime > built]

    def build_store(self, registry: bool = False) -> StoreSpec | None:
        """The store a build writes when none is given: the build's own store once registry
        data is in play (``registry`` files given, or a store exists), else none."""
        return self.own_store if registry or self.has_store() else None


def lost_store(path: Path | str) -> bool:
    """Whether ``path`` is a link to a store folder that is gone: the link resolves to a
    missing name in a folder that is there (a generation removed). A link that reads through a
    folder that is not there (``BUILD/store`` -> ``.outputs/current/store`` before a first build
    was switched in, which a killed first build leaves) reads as no store at all, as the
    build's other files then read as no file."""
    path = Path(path)
    if not path.is_symlink() or path.exists():
        return False
    return Path(os.path.realpath(path)).parent.is_dir()


def check_store(path: Path | str) -> None:
    """Raise a one-line :class:`StoreError` naming ``path`` unless it is a folder to open as
    an Oxigraph store: a link whose generation is gone, a file, or no store where registry
    graphs wait for one, are errors, never read as an empty store or as fewer data."""
    path = Path(path)
    if path.is_dir():
        return
    if lost_store(path):
        gone = os.path.relpath(os.path.realpath(path), os.path.realpath(path.parent))
        raise StoreError(
            f"the store link points to {gone}, which is gone; remove the link and "
            f"run 'scgraph build' to rebuild the store from the registry files "
            f"({path.parent / 'registry'}/*.nq; graphs imported straight into the store must "
            "be imported again)", path=path)
    if path.exists():
        raise StoreError("not an Oxigraph store (a file, not a folder)", path=path)
    registry = BuildFolder(path.parent)
    if path.name == "store" and registry.registry_files():
        raise StoreError(f"no store yet, but {registry.registry} holds imported graphs, which "
                         f"only a build puts into the store; run 'scgraph build --out {path.parent}' "
                         "first", path=path)
    raise StoreError("no such store (run 'scgraph build' or 'scgraph import' first)", path=path)
