"""What every command shares: one-line errors, the progress line, the store option, the dataset
a read command falls back to. Imports nothing heavy at module level (see :mod:`scgraph.cli`)."""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from ..errors import ScgraphError
from ..layout import BuildFolder, StoreSpec

if TYPE_CHECKING:
    from rdflib import Dataset

    from ..store import Store

F = TypeVar("F", bound=Callable[..., Any])


def err(message: str) -> None:
    typer.echo(f"Error: {message}", err=True)


def user_errors(func: F) -> F:
    """Turn a ScgraphError into ``Error: <message>`` on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ScgraphError as e:
            err(str(e))
            raise typer.Exit(1) from None
        except BrokenPipeError:  # the reader of standard output stopped (``| head``): done
            quiet_stdout()
            raise typer.Exit(0) from None
        except OSError as e:  # the safety net: a full disk, a read-only folder, a file in the way
            err(os_error_line(e))
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def quiet_stdout() -> None:
    """Point standard output at /dev/null, so that Python's last flush at exit finds no closed
    pipe to complain about (the Python documentation's recipe for SIGPIPE)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def os_error_line(e: OSError) -> str:
    """An operating-system error as one line, ``PATH: cause`` (``build/x: No space left on
    device``); the checks that know the cause say more, this is what is left for the rest."""
    cause = e.strerror or " ".join(str(e).split()) or type(e).__name__
    paths = [str(p) for p in (e.filename, e.filename2) if p is not None]
    return (" -> ".join(paths) + ": " if paths else "") + " ".join(str(cause).split())


@contextlib.contextmanager
def progress(quiet: bool) -> Iterator[Callable[[str], None] | None]:
    """A rich status line on stderr, or nothing when quiet or stderr is not a terminal."""
    from rich.console import Console

    console = Console(stderr=True)
    if quiet or not console.is_terminal:
        yield None
        return
    with console.status("Starting") as status:
        yield lambda message: status.update(message)


def store_spec(value: str | None) -> str | None:
    """The ``--store`` option's check: a spec that does not parse is a usage error (exit 2)
    before any work."""
    if value is None:
        return None
    try:
        StoreSpec.parse(value)
    except ScgraphError as e:
        raise typer.BadParameter(e.message) from None
    return value


def note(message: str) -> None:
    """A one-line notice on stderr about what a command answers from (not progress: printed
    with --quiet too)."""
    typer.echo(f"Note: {message}", err=True)


def default_store(build_dir: Path, fallback: str = "oxigraph") -> StoreSpec:
    """The store a read command answers from when no --store is given
    (:meth:`BuildFolder.default_store`), saying so on stderr when the build's store is older
    than an import: its answers then leave the imported data out."""
    folder = BuildFolder(build_dir)
    spec = folder.default_store(fallback)
    late = folder.imports_not_built() if spec.path is not None else []
    if late:
        names = ", ".join(str(p) for p in late[:3]) + (f" and {len(late) - 3} more" if len(late) > 3 else "")
        note(f"{names} was imported after {folder.store} was built; the answers leave it out "
             f"until 'scgraph build --out {build_dir}'")
    return spec


def load_dataset(build_dir: Path, quiet: bool, *, analysis: bool = True) -> Dataset:
    """The built dataset (else assembled and reasoned over, which is said on stderr), with the
    named graph of 'scgraph analyse' (BUILD_DIR/analysis/analysis.trig) when there is one and
    ``analysis``."""
    from rdflib import Dataset

    from ..parse import parse_into

    folder = BuildFolder(build_dir)
    if folder.dataset.is_file():
        ds = Dataset()
        parse_into(ds, folder.dataset)
    else:
        from ..assemble import assemble
        from ..reason import infer
        from ..resources import project_root

        note(f"no build in {build_dir} (no {folder.dataset.name}): answering from the curated "
             f"graph of {project_root()} assembled in memory, without registry data; run "
             "'scgraph build' (and 'scgraph import') to answer from a build")
        with progress(quiet) as say:
            if say:
                say("Assembling and reasoning (no dataset.nq in the build folder)")
            ds = infer(assemble())
    if analysis and folder.analysis_graph.is_file():
        # the results next to the data, so that SPARQL users query them together
        parse_into(ds, folder.analysis_graph)
    return ds


def fill_store(st: Store, build_dir: Path, quiet: bool, *, analysis: bool = True) -> None:
    """Load what a read command answers from into the empty store ``st``: an Oxigraph store
    bulk-loads ``dataset.nq`` (and the analysis graph) in Rust; any other store, or a build
    folder without a dataset, gets :func:`load_dataset`."""
    from ..store import OxigraphStore

    folder = BuildFolder(build_dir)
    if isinstance(st, OxigraphStore) and folder.dataset.is_file():
        st.bulk_load(folder.dataset)
        if analysis and folder.analysis_graph.is_file():
            st.bulk_load(folder.analysis_graph)
        return
    st.load_dataset(load_dataset(build_dir, quiet, analysis=analysis))


def unwrapped(text: str) -> str:
    """A docstring with each paragraph on one line, for the help to reflow to the terminal's
    width (rich keeps single line breaks); paragraphs with indented lines or list items keep
    their breaks."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(
        p if any(line.startswith((" ", "-", "*", "\b")) for line in p.split("\n")[1:])
        else " ".join(line.strip() for line in p.split("\n"))
        for p in paragraphs)
