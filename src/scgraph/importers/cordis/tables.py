"""The CORDIS tables as files: which file holds which table, its required columns, and its
well-formed rows, streamed with the physical line each starts on. Rows that are not well formed
(wrong number of fields, broken quoting, empty) are left out as :class:`RejectedRow`s.

This module reads text; what a cell means is :mod:`.values`' business, and what a row becomes
:mod:`.mapping`'s.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TextIO

from ...errors import SourceError
from ...inputs import file_kind_problem
from ..text import clean_text

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TableSpec:
    """A CORDIS table: its official file stem and the columns the importer cannot do without."""

    name: str
    required: tuple[str, ...]


TABLES = (
    TableSpec("project", ("id", "acronym", "title")),
    TableSpec("organization", ("projectID", "organisationID", "name", "role")),
    TableSpec("topics", ("projectID", "topic")),
    TableSpec("euroSciVoc", ("projectID", "euroSciVocCode")),
    TableSpec("legalBasis", ("projectID", "legalBasis")),
    TableSpec("webLink", ("projectID", "physUrl")),
)
SPECS = {t.name: t for t in TABLES}


@dataclass(frozen=True)
class RejectedRow:
    """A row the importer left out, and why. ``line`` is the physical line the record starts on."""

    file: str
    line: int
    reason: str


class RowLog(Protocol):
    """Where :func:`read_rows` counts the rows it reads and notes the ones it rejects
    (:class:`~scgraph.importers.cordis.report.ImportReport` is one)."""

    rows_read: dict[str, int]

    def reject(self, file: str, line: int, reason: str) -> None: ...


def find_tables(directory: Path) -> tuple[dict[str, Path], list[str]]:
    """The files of the CORDIS tables in ``directory`` and the names of the missing ones.

    A table's file is ``<name>.csv`` or ``<name>_<anything>.csv`` (case-insensitive), so
    ``project_df_100.csv`` is the project table but ``projectDeliverables.csv`` is not.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise SourceError("no such folder (expected a folder of CORDIS CSV tables)", path=directory)
    try:
        entries = sorted(directory.iterdir())
    except OSError as e:
        raise SourceError(f"cannot read the folder ({e.strerror})", path=directory) from None
    # not only regular files: a FIFO or a device named project.csv is refused by _open, not
    # silently taken for a missing table
    files = [p for p in entries if p.suffix.lower() == ".csv" and not p.is_dir()]
    found: dict[str, Path] = {}
    missing: list[str] = []
    for spec in TABLES:
        stem = spec.name.lower()
        hits = [p for p in files if p.stem.lower() == stem or p.stem.lower().startswith(stem + "_")]
        exact = [p for p in hits if p.stem.lower() == stem]
        if exact:
            found[spec.name] = exact[0]
        elif len(hits) == 1:
            found[spec.name] = hits[0]
        elif hits:
            raise SourceError(f"several files for the {spec.name} table "
                              f"({', '.join(p.name for p in hits)}); keep one", path=directory)
        else:
            missing.append(spec.name)
    if "project" not in found:
        raise SourceError("no project table (project.csv or project_*.csv)", path=directory)
    return found, missing


def sniff_delimiter(header_line: str) -> str:
    """``;`` for the official CORDIS format, ``,`` for re-saves: whichever the header has more of."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


#: The longest CSV field (one cell or header name): Python's csv default, 131,072 characters.
#: A longer field makes its row a rejected "malformed CSV record" (the header: a SourceError).
MAX_FIELD_CHARS = 131_072
#: How much of the first line is read to sniff the delimiter.
_SNIFF_CHARS = 1 << 20


def _encoding_problem(head: bytes) -> str | None:
    """Why a table that starts with ``head`` is not UTF-8 text, or None: a UTF-16 or UTF-32
    byte-order mark, or every other byte NUL (UTF-16 without a mark). A stray Latin-1
    byte is not a problem here: :func:`~scgraph.importers.text.clean_text` repairs it."""
    for bom, name in ((b"\xff\xfe\x00\x00", "UTF-32 LE"), (b"\x00\x00\xfe\xff", "UTF-32 BE"),
                      (b"\xff\xfe", "UTF-16 LE"), (b"\xfe\xff", "UTF-16 BE")):
        if head.startswith(bom):
            return f"not UTF-8 (looks like {name} with a byte-order mark); save it as UTF-8"
    if b"\x00" in head:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > len(head) // 4 and even == 0:
            return "not UTF-8 (looks like UTF-16 LE without a byte-order mark); save it as UTF-8"
        if even > len(head) // 4 and odd == 0:
            return "not UTF-8 (looks like UTF-16 BE without a byte-order mark); save it as UTF-8"
    return None  # a stray NUL is csv's "line contains NUL": that row alone is rejected


def _open(path: Path) -> TextIO:
    """The table as text, after the checks that need no parsing: a regular file (a FIFO or a
    device is refused before it is opened: reading it would block or never end), UTF-8."""
    try:
        why = file_kind_problem(os.stat(path).st_mode)
        if why:
            raise SourceError(f"{why}; give a CSV file", path=path)
        with path.open("rb") as raw:
            head = raw.read(4096)
        why = _encoding_problem(head)
        if why:
            raise SourceError(why, path=path)
        # surrogateescape: a stray non-UTF-8 byte reaches clean_text, which repairs it
        return path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")
    except FileNotFoundError:
        raise SourceError("no such file", path=path) from None
    except OSError as e:
        raise SourceError(f"cannot read the file ({e.strerror})", path=path) from None


def read_rows(path: Path, spec: TableSpec, report: RowLog | None = None,
              progress: Progress | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """Stream ``(line, row)`` for the well-formed records of one table.

    Empty rows, rows with the wrong number of fields and malformed records are rejected into
    ``report`` (when given) with the physical line the record starts on. Missing required
    columns, or a header line that is not CSV, are a SourceError.
    """
    with _open(path) as f:
        first = f.readline(_SNIFF_CHARS)
        if not first.strip():
            raise SourceError("empty file (no header line)", path=path)
        f.seek(0)
        reader = csv.reader(f, delimiter=sniff_delimiter(first), quotechar='"', doublequote=True)
        try:
            header = [clean_text(h) for h in next(reader)]
        except csv.Error as e:
            if "field limit" in str(e):
                raise SourceError(f"malformed CSV header: a field longer than {MAX_FIELD_CHARS:,} "
                                  "characters", path=path, line=1) from None
            raise SourceError(f"malformed CSV header: {e}", path=path, line=1) from None
        missing = [c for c in spec.required if c not in header]
        if missing:
            raise SourceError(f"missing columns {', '.join(missing)} (the {spec.name} table "
                              f"needs {', '.join(spec.required)})", path=path)
        width, name, prev, n = len(header), path.name, reader.line_num, 0
        if report is not None:
            report.rows_read.setdefault(name, 0)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                why = (f"a field longer than {MAX_FIELD_CHARS:,} characters"
                       if "field limit" in str(e) else str(e))
                if report is not None:
                    report.reject(name, prev + 1, f"malformed CSV record: {why}")
                prev = reader.line_num
                continue
            line, prev = prev + 1, reader.line_num
            n += 1
            if report is not None:
                report.rows_read[name] += 1
                if progress is not None and n % 50_000 == 0:
                    progress(f"{name}: {n:,} rows")
            if not any(c.strip() for c in row):
                if report is not None:
                    report.reject(name, line, "empty row")
                continue
            if len(row) != width:
                if report is not None:
                    report.reject(name, line, f"expected {width} fields, found {len(row)}")
                continue
            yield line, dict(zip(header, row))
