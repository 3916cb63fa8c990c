"""Reading input files whole, with their limits, and without rdflib.

The checks every input goes through before it is parsed: a regular file (not a FIFO, a
device or a folder), no larger than ``SCGRAPH_MAX_INPUT_BYTES``, strict UTF-8; each failure
a one-line :class:`~scgraph.errors.SourceError` naming the file (and the line of a bad byte).
:mod:`scgraph.parse` re-exports them; they live here so that reading a query file
(:mod:`scgraph.catalogue`, ``scgraph queries``) does not import rdflib.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from .errors import SourceError

#: Largest input file read whole (``SCGRAPH_MAX_INPUT_BYTES`` overrides): 512 MiB.
MAX_INPUT_BYTES = 512 * 1024 * 1024
#: Longest literal accepted in an RDF input (``SCGRAPH_MAX_LITERAL_CHARS`` overrides).
MAX_LITERAL_CHARS = 1_000_000


def _limit(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        n = int(value)
    except ValueError:
        raise SourceError(f"{name} must be a whole number of bytes or characters, got {value!r}") from None
    if n <= 0:
        raise SourceError(f"{name} must be positive, got {value!r}")
    return n


def max_input_bytes() -> int:
    """The size limit for one input file, in bytes."""
    return _limit("SCGRAPH_MAX_INPUT_BYTES", MAX_INPUT_BYTES)


def max_literal_chars() -> int:
    """The length limit for one literal of an RDF input, in characters."""
    return _limit("SCGRAPH_MAX_LITERAL_CHARS", MAX_LITERAL_CHARS)


def file_kind_problem(mode: int) -> str | None:
    """Why a file of this ``st_mode`` is not read as an input, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a character device"
            if stat.S_ISCHR(mode) else "a block device" if stat.S_ISBLK(mode) else "a socket"
            if stat.S_ISSOCK(mode) else "not a regular file")
    return f"is {kind}, not a regular file"


@contextlib.contextmanager
def os_errors(path: Path) -> Iterator[None]:
    """Turn the operating system's errors on reading ``path`` into one-line :class:`SourceError`."""
    try:
        yield
    except FileNotFoundError:
        raise SourceError("no such file", path=path) from None
    except IsADirectoryError:
        raise SourceError("is a folder, not a file", path=path) from None
    except PermissionError:
        raise SourceError("cannot read the file (permission denied)", path=path) from None
    except OSError as e:
        raise SourceError(f"cannot read the file ({e.strerror})", path=path) from None


def require_regular_file(path: Path | str) -> int:
    """The size of ``path``, a regular file (symbolic links followed); else a one-line
    :class:`SourceError` before anything is opened: a FIFO would block the reader, a device
    (``/dev/zero``) would never end, a folder is no file."""
    path = Path(path)
    with os_errors(path):
        st = os.stat(path)
    why = file_kind_problem(st.st_mode)
    if why:
        raise SourceError(why, path=path)
    return st.st_size


def read_bytes(path: Path | str) -> bytes:
    """Read a whole input file, turning OS errors into one-line :class:`SourceError`.

    Only regular files are read (:func:`require_regular_file`); files larger than
    :func:`max_input_bytes` are refused before anything is read, and a file that grows past
    the limit while it is read is refused too.
    """
    path = Path(path)
    size = require_regular_file(path)
    limit = max_input_bytes()

    def too_large(n: int) -> SourceError:
        return SourceError(f"the file is {n:,} bytes, over the limit of {limit:,} bytes for one "
                           "input file; set SCGRAPH_MAX_INPUT_BYTES to raise it", path=path)

    if size > limit:
        raise too_large(size)
    with os_errors(path), path.open("rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise too_large(len(data))
    return data


def decode_utf8(data: bytes, path: Path | str) -> str:
    """Decode UTF-8 strictly, naming the line of the first bad byte."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError("UTF-16 text (it starts with a UTF-16 byte-order mark); save the file "
                          "as UTF-8", path=path, line=1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise SourceError(
            f"not UTF-8 (byte 0x{data[e.start]:02x}); save the file as UTF-8", path=path, line=line
        ) from None
