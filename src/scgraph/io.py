"""Files: where the project's own files live, reading RDF with clear errors, atomic writes.

Every output of scgraph goes through :func:`write_atomic` (or :func:`atomic_path`), so a
failure or a kill at any moment leaves the previous file in place, never half a file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import tempfile
import xml.sax
from collections.abc import Iterator
from pathlib import Path

from rdflib import Dataset, Graph

from .errors import SourceError

_PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """The folder that holds ``ontology/``, ``data/`` and ``queries/``.

    ``SCGRAPH_HOME`` overrides it; otherwise the source checkout the package was installed
    from (editable install), or the shared-data folder of a wheel install.
    """
    env = os.environ.get("SCGRAPH_HOME")
    candidates = [Path(env)] if env else []
    candidates += [_PACKAGE_DIR.parents[1], Path(sys.prefix) / "share" / "scgraph"]
    for c in candidates:
        if (c / "ontology").is_dir() and (c / "queries").is_dir():
            return c
    raise SourceError(
        "cannot find the scgraph ontology/ and queries/ folders; set SCGRAPH_HOME to the "
        "checkout that holds them"
    )


def ontology_dir() -> Path:
    return project_root() / "ontology"


def data_dir() -> Path:
    return project_root() / "data"


def queries_dir() -> Path:
    return project_root() / "queries"


# --------------------------------------------------------------------------- writing


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _publishable(tmp: str | Path) -> None:
    """Give a temporary file the permissions of a normal new file (mkstemp makes it 0600)."""
    os.chmod(tmp, 0o666 & ~_umask())


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` if the block succeeds.

    For writers that want a file name rather than bytes (matplotlib, gzip, sqlite). The
    temporary file is flushed to disk before the rename, so a crash leaves either the old
    file or the new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        _publishable(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_atomic(path: Path | str, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# --------------------------------------------------------------------------- reading

FORMATS = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".nt": "nt",
    ".nq": "nquads",
    ".trig": "trig",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
}
QUAD_FORMATS = {"trig", "nquads"}

_LINE_RE = re.compile(r"(?:at line|line:?)\s*(\d+)", re.IGNORECASE)


def guess_format(path: Path | str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise SourceError(
            f"unknown RDF file extension {suffix!r}; use one of {', '.join(sorted(FORMATS))}",
            path=path,
        )
    return FORMATS[suffix]


def _first_line(text: str) -> str:
    for line in str(text).splitlines():
        if line.strip():
            return line.strip()
    return str(text).strip()


def _error_line(exc: BaseException) -> int | None:
    if isinstance(exc, json.JSONDecodeError):
        return exc.lineno
    if isinstance(exc, xml.sax.SAXParseException):
        return exc.getLineNumber()
    lines = getattr(exc, "lines", None)  # rdflib's notation3 BadSyntax counts from 0
    if isinstance(lines, int):
        return lines + 1
    m = _LINE_RE.search(str(exc))
    return int(m.group(1)) if m else None


def _error_reason(exc: BaseException) -> str:
    why = getattr(exc, "_why", None)  # BadSyntax keeps the reason apart from the context
    if why:
        return f"bad syntax: {why}"
    if isinstance(exc, json.JSONDecodeError):
        return f"bad JSON: {exc.msg}"
    if isinstance(exc, xml.sax.SAXParseException):
        return f"bad XML: {exc.getMessage()}"
    text = _first_line(str(exc)) or type(exc).__name__
    text = re.sub(r"^at line \d+ of <[^>]*>:\s*", "", text)
    return text[:300]


def read_bytes(path: Path | str) -> bytes:
    """Read a whole input file, turning OS errors into one-line :class:`SourceError`."""
    path = Path(path)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise SourceError("no such file", path=path) from None
    except IsADirectoryError:
        raise SourceError("is a folder, not a file", path=path) from None
    except PermissionError:
        raise SourceError("cannot read the file (permission denied)", path=path) from None
    except OSError as e:
        raise SourceError(f"cannot read the file ({e.strerror})", path=path) from None


def decode_utf8(data: bytes, path: Path | str) -> str:
    """Decode UTF-8 strictly, naming the line of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise SourceError(
            f"not UTF-8 (byte 0x{data[e.start]:02x}); save the file as UTF-8", path=path, line=line
        ) from None


def parse_into(target: Graph | Dataset, path: Path | str, format: str | None = None,
               publicID: str | None = None) -> None:
    """Parse one RDF file into ``target``; a syntax error becomes a one-line SourceError.

    ``target`` is left as it was when parsing fails: the file is parsed into a scratch graph
    first and only then merged.
    """
    path = Path(path)
    fmt = format or guess_format(path)
    text = decode_utf8(read_bytes(path), path)
    scratch: Graph | Dataset = Dataset() if fmt in QUAD_FORMATS else Graph()
    try:
        scratch.parse(data=text, format=fmt, publicID=publicID or path.resolve().as_uri())
    except Exception as e:  # rdflib raises many unrelated types for bad syntax
        raise SourceError(_error_reason(e), path=path, line=_error_line(e)) from None
    if isinstance(scratch, Dataset):
        if isinstance(target, Dataset):
            for q in scratch.quads((None, None, None, None)):
                target.add(q)
        else:
            for s, p, o, _g in scratch.quads((None, None, None, None)):
                target.add((s, p, o))
    else:
        if isinstance(target, Dataset):
            target.default_graph += scratch  # type: ignore[attr-defined]
        else:
            target += scratch


def load_graph(*paths: Path | str) -> Graph:
    """Parse one or more RDF files into a fresh graph."""
    g = Graph()
    for p in paths:
        parse_into(g, p)
    return g
