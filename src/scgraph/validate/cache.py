"""A per-user cache of parsed graphs, so that ``scgraph validate`` does not parse the shapes, the
ontology and the reference data again on every run.

An entry holds the triples (and prefixes) that parsing some files gave, under a key that is the
SHA-256 of everything the parse depends on: each file's resolved path and bytes, the input caps
of :mod:`scgraph.parse`, the source of the scgraph modules that parse and check the files, and the
versions of scgraph, rdflib, pySHACL and Python. Any change to one of them is another key, so an
entry is never stale; entries are never required either: a cache folder that cannot be created,
read or written, or an entry that is damaged, only means the files are parsed again (and the
entry rewritten).

Where: ``$XDG_CACHE_HOME/scgraph`` (an absolute path), else ``~/.cache/scgraph``; ``SCGRAPH_CACHE_DIR``
names another folder, and ``SCGRAPH_NO_CACHE=1`` turns the cache off. Deleting the folder clears
it. Entries are written to a temporary file and renamed into place, so two processes that build
the same entry at once each write a whole file and readers never see half of one. An entry is a
plain pickle of strings and tuples (read with an unpickler that refuses every class), behind a
SHA-256 of its bytes; blank nodes get fresh identifiers on every read, as a parse gives them.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

#: Bumped when the layout of an entry changes.
FORMAT = 1
_MAGIC = b"scgraph-cache\n"
#: At most this many entries are kept; the least recently written beyond it are removed.
MAX_ENTRIES = 32

Triple = tuple[Node, Node, Node]


def cache_dir() -> Path | None:
    """The cache folder (which may not exist yet), or None when the cache is off."""
    if os.environ.get("SCGRAPH_NO_CACHE", "").strip() not in ("", "0"):
        return None
    explicit = os.environ.get("SCGRAPH_CACHE_DIR", "").strip()
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    if xdg and Path(xdg).is_absolute():  # the XDG spec: a relative value is ignored
        return Path(xdg) / "scgraph"
    try:
        home = Path.home()
    except (RuntimeError, KeyError):  # no home folder
        return None
    return home / ".cache" / "scgraph" if home.is_absolute() else None


def _code_fingerprint() -> bytes:
    """The source of the modules whose code decides what parsing the files gives."""
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in (here.parent / "inputs.py", here.parent / "parse.py", here.parent / "assemble.py",
                 here.parent / "namespaces.py", here.parent / "sparql_guard.py", here / "shacl.py",
                 here / "cache.py"):
        h.update(path.read_bytes())
    return h.digest()


def key(kind: str, paths: Sequence[Path]) -> str:
    """The key of an entry of ``kind`` made from ``paths``; an OSError when one cannot be read."""
    import pyshacl
    import rdflib

    from .. import __version__, inputs

    h = hashlib.sha256()
    for part in (f"scgraph-cache {FORMAT}", kind, __version__, rdflib.__version__, pyshacl.__version__,
                 sys.version, str(inputs.max_input_bytes()), str(inputs.max_literal_chars())):
        h.update(part.encode() + b"\0")
    h.update(_code_fingerprint())
    for p in paths:
        h.update(str(Path(p).resolve()).encode() + b"\0")
        h.update(hashlib.sha256(Path(p).read_bytes()).digest())
    return f"{kind}-{h.hexdigest()}"


# --------------------------------------------------------------------------- encoding


def _encode(triples: Iterable[Triple], namespaces: Sequence[tuple[str, str]]) -> bytes:
    index: dict[Node, int] = {}
    terms: list[tuple[str, ...]] = []
    rows: list[tuple[int, int, int]] = []

    def number(t: Node) -> int:
        n = index.get(t)
        if n is None:
            if isinstance(t, URIRef):
                terms.append(("u", str(t)))
            elif isinstance(t, BNode):
                terms.append(("b", str(t)))
            elif isinstance(t, Literal):
                # a language-tagged literal has no other datatype (rdf:langString)
                terms.append(("l", str(t), t.language or "", "" if t.language else str(t.datatype or "")))
            else:
                raise TypeError(f"cannot cache the term {t!r}")
            n = index[t] = len(terms) - 1
        return n

    for s, p, o in triples:
        rows.append((number(s), number(p), number(o)))
    payload = pickle.dumps((FORMAT, list(namespaces), terms, rows), protocol=pickle.HIGHEST_PROTOCOL)
    return _MAGIC + hashlib.sha256(payload).digest() + payload


class _NoClasses(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> object:  # an entry holds no objects
        raise pickle.UnpicklingError(f"a cache entry names {module}.{name}")


def _decode(data: bytes) -> tuple[list[tuple[str, str]], list[Triple]]:
    """The prefixes and triples of an entry; ValueError when it is damaged."""
    head = len(_MAGIC)
    if not data.startswith(_MAGIC) or len(data) < head + 32:
        raise ValueError("not a cache entry")
    digest, payload = data[head:head + 32], data[head + 32:]
    if hashlib.sha256(payload).digest() != digest:
        raise ValueError("damaged cache entry")
    fmt, namespaces, terms, rows = _NoClasses(io.BytesIO(payload)).load()
    if fmt != FORMAT:
        raise ValueError("another cache format")
    nodes: list[Node] = []
    for t in terms:
        if t[0] == "u":
            nodes.append(URIRef(t[1]))
        elif t[0] == "b":
            nodes.append(BNode())  # a fresh one, as a parse gives
        elif t[0] == "l":
            nodes.append(Literal(t[1], lang=t[2] or None, datatype=URIRef(t[3]) if t[3] else None))
        else:
            raise ValueError("damaged cache entry")
    return [(str(p), str(n)) for p, n in namespaces], [(nodes[s], nodes[p], nodes[o]) for s, p, o in rows]


# --------------------------------------------------------------------------- reading and writing


def _read(folder: Path, name: str) -> tuple[list[tuple[str, str]], list[Triple]] | None:
    path = folder / f"{name}.pickle"
    try:
        data = path.read_bytes()
        return _decode(data)
    except Exception:  # missing, unreadable or damaged: rebuilt by the caller
        return None


def _write(folder: Path, name: str, data: bytes) -> None:
    """Write an entry through a temporary file and a rename. Not :func:`scgraph.files.write_atomic`:
    an entry stays private to its user (``mkstemp``'s 0600, not a published file's mode), is not
    worth an ``fsync`` (a lost entry is rebuilt), and must not count as a ``rename`` kill point
    (the fault tests count the build's own writes)."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, folder / f"{name}.pickle")
        except BaseException:
            os.unlink(tmp)
            raise
        _prune(folder)
    except OSError:  # a read-only or full disk: the cache is only an aid
        pass


def _prune(folder: Path) -> None:
    """Keep the :data:`MAX_ENTRIES` newest entries; drop temporary files a killed process left
    (older than an hour: a younger one may be another process's write in progress)."""
    import time

    for p in folder.glob(".*.tmp"):
        try:
            if p.stat().st_mtime < time.time() - 3600:
                p.unlink()
        except OSError:
            continue
    entries = []
    for p in folder.glob("*.pickle"):
        try:
            entries.append((p.stat().st_mtime, p))
        except OSError:
            continue
    for _, p in sorted(entries, reverse=True)[MAX_ENTRIES:]:
        try:
            p.unlink()
        except OSError:
            pass


def _term_text(t: Node) -> str:
    """One term as text: an IRI in <>, a literal as its lexical form, language and datatype
    (not rdflib's n3(), which warns about ill-typed literals)."""
    if isinstance(t, Literal):
        return repr((str(t), t.language or "", str(t.datatype or "")))
    return f"<{t}>"


def data_digest(triples: Iterable[Triple]) -> bytes | None:
    """A digest of a set of triples by their text forms, sorted; None when one holds a blank
    node (whose label a parse makes up, so no two runs would share an entry)."""
    lines = []
    for s, p, o in triples:
        if isinstance(s, BNode) or isinstance(o, BNode):
            return None
        lines.append(f"{_term_text(s)} {_term_text(p)} {_term_text(o)}\n")
    lines.sort()
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8"))
    return h.digest()


def cached_report(shapes_key: str, inference: str, data: bytes, build: Callable[[], Graph]) -> Graph:
    """The validation report graph of ``data`` (:func:`data_digest` of what is validated) by
    the shapes of ``shapes_key`` (:func:`entry_key`: their files) with ``inference``: from the
    cache when it holds it, else ``build()``'s, cached (a build of unchanged sources checks
    nothing new). The code fingerprint is part of ``shapes_key``."""
    folder = cache_dir()
    name = "report-" + hashlib.sha256(f"{shapes_key}\0{inference}\0".encode() + data).hexdigest()
    if folder is not None:
        entry = _read(folder, name)
        if entry is not None:
            g = Graph()
            for t in entry[1]:
                g.add(t)
            return g
    g = build()
    if folder is not None:
        try:
            encoded = _encode(g, [])
        except TypeError:
            return g
        _write(folder, name, encoded)
    return g


def cached_graph(kind: str, paths: Sequence[Path], build: Callable[[], Graph],
                 keep_namespaces: bool = False) -> Graph:
    """The graph ``build()`` makes from ``paths``, from the cache when it holds it.

    ``build`` must depend on nothing but the files and the code (:func:`key`); what it raises
    is raised as it is, and nothing is cached. With ``keep_namespaces`` the graph's prefixes are
    cached and restored too (else the graph has rdflib's default ones).
    """
    folder = cache_dir()
    name = None
    if folder is not None:
        try:
            name = key(kind, paths)
        except OSError:  # a file that cannot be read: let build() report it
            name = None
    if folder is not None and name is not None:
        entry = _read(folder, name)
        if entry is not None:
            namespaces, triples = entry
            g = Graph(bind_namespaces="none") if keep_namespaces else Graph()
            for prefix, ns in namespaces:
                g.namespace_manager.bind(prefix, URIRef(ns), override=True, replace=True)
            for t in triples:
                g.add(t)
            return _keyed(g, name)
    g = build()
    if folder is not None and name is not None:
        try:
            if key(kind, paths) != name:  # a file changed while it was parsed: not this entry
                return g
            namespaces = [(p, str(n)) for p, n in g.namespaces()] if keep_namespaces else []
            data = _encode(g, namespaces)
        except (OSError, TypeError):  # a file gone since, or a term an entry cannot hold
            return g
        _write(folder, name, data)
        _keyed(g, name)
    return g


#: The attribute of a graph from :func:`cached_graph`: its entry's name and its size then.
_ENTRY_KEY = "scgraph_cache_entry"


def _keyed(g: Graph, name: str) -> Graph:
    setattr(g, _ENTRY_KEY, (name, len(g)))
    return g


def entry_key(g: Graph) -> str | None:
    """The name of the cache entry ``g`` was read from or written to (:func:`cached_graph`: it
    stands for the files it was parsed from), or None: not from the cache, or changed since
    (pySHACL adds two axioms to a shapes graph it validates with)."""
    keyed = getattr(g, _ENTRY_KEY, None)
    return keyed[0] if keyed is not None and keyed[1] == len(g) else None
