"""A query's result (:class:`~scgraph.store.QueryResult`) as CSV, TSV, JSON, a text table or a
rich Table: what ``scgraph query`` prints.

The SPARQL results writers themselves are :func:`scgraph.terms.write_select` and
:func:`scgraph.terms.write_boolean`, the endpoint's too; here a result becomes their rows
(a graph result as sorted subject/predicate/object rows, an ASK as one ``boolean`` cell in
CSV and TSV).
"""

from __future__ import annotations

import re
import zlib
from typing import BinaryIO

from rdflib import Literal
from rdflib.namespace import XSD
from rdflib.term import Node
from rich.cells import cell_len

from .errors import QueryError
from .store import QueryResult
from .terms import display, write_boolean, write_select


def select_rows(result: QueryResult) -> tuple[list[str], list[tuple[Node | None, ...]]]:
    """The variables and rows of a result, whatever its kind."""
    if result.kind == "graph":
        assert result.graph is not None
        return ["subject", "predicate", "object"], sorted(result.graph, key=lambda t: tuple(
            (type(x).__name__, str(x)) for x in t))
    if result.kind == "ask":
        return ["boolean"], [(Literal(bool(result.boolean)),)]
    return list(result.vars), list(result.rows)


ELLIPSIS = "…"
#: A column is not cut narrower than this; below it a row becomes a record.
MIN_COLUMN = 8


def _fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` terminal cells, an ellipsis at the end when cut."""
    if cell_len(text) <= width:
        return text
    out = ""
    for ch in text:
        if cell_len(out + ch) > width - 1:
            break
        out += ch
    return out.rstrip() + ELLIPSIS


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - cell_len(text))


def _one_line(text: str) -> str:
    return " ".join(text.split("\n")) if "\n" in text else text


def column_widths(natural: list[int], headers: list[str], width: int) -> list[int] | None:
    """Widths that fit ``width`` cells (two spaces between columns): the widest columns cut
    first, none narrower than :data:`MIN_COLUMN` (headers are cut too); None when that is too
    wide."""
    floors = [min(n, MIN_COLUMN) for n in natural]
    room = width - 2 * (len(natural) - 1)
    if sum(natural) <= room:
        return natural
    if sum(floors) > room:
        return None
    lo, hi = 0, max(natural)  # the largest cap c with sum(min(n, max(c, floor))) <= room
    while lo < hi:
        c = (lo + hi + 1) // 2
        if sum(min(n, max(c, f)) for n, f in zip(natural, floors)) <= room:
            lo = c
        else:
            hi = c - 1
    return [min(n, max(lo, f)) for n, f in zip(natural, floors)]


def to_terminal(result: QueryResult, width: int, *, title: str | None = None, wide: bool = False) -> str:
    """The result for a terminal ``width`` cells wide: a table whose rows stay on one line,
    long values cut with an ellipsis (never wrapped mid-word); where the columns cannot fit,
    one record per row (``name | value`` lines, as psql's expanded display). ``wide`` cuts
    nothing: a table as wide as its values (for a pager: ``| less -S``). Literals keep their
    language tags."""
    names, rows = select_rows(result)
    cells = [[_one_line(display(x)) for x in row] for row in rows]
    content = [max([0, *(cell_len(r[i]) for r in cells)]) for i in range(len(names))]
    natural = [max(c, cell_len(n)) for c, n in zip(content, names)]
    widths = natural if wide else column_widths(natural, names, width)
    if widths is not None and widths != natural:  # cut long headers before values
        widths = column_widths([max(c, min(cell_len(n), MIN_COLUMN)) for c, n in zip(content, names)],
                               names, width)
        if widths is not None:  # the room left goes to the cut headers, left to right
            spare = width - 2 * (len(widths) - 1) - sum(widths)
            for i, n in enumerate(names):
                grow = min(spare, max(0, cell_len(n) - widths[i]))
                widths[i] += grow
                spare -= grow
    lines = [_fit(title, width) if not wide else title] if title else []
    if widths is None:  # too many columns for the terminal: one record per row
        label = max(cell_len(n) for n in names)
        for k, r in enumerate(cells, start=1):
            lines.append((f"-[ {k} ]" + "-" * width)[:width])
            lines += [_fit(f"{_pad(n, label)} | {c}", width) for n, c in zip(names, r)]
        lines.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
        return "\n".join(lines) + "\n"
    lines.append("  ".join(_pad(_fit(n, w), w) for n, w in zip(names, widths)).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(_fit(c, w), w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(lines) + "\n"


def to_text(result: QueryResult) -> str:
    """A plain-text table: columns padded with spaces, a dashed rule under the header."""
    names, rows = select_rows(result)
    cells = [[display(t) for t in row] for row in rows]
    widths = [max([len(n), *(len(r[i]) for r in cells)]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    return "\n".join(lines) + "\n"


def to_csv(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results CSV: full IRIs, literal values, CRLF line ends."""
    return write_select("csv", *select_rows(result)).decode("utf-8")


def to_tsv(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results TSV: ``?var`` header, terms in N-Triples syntax."""
    return write_select("tsv", *select_rows(result)).decode("utf-8")


def to_json(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results JSON, indented (a graph result as subject/predicate/object rows)."""
    if result.kind == "ask":
        return write_boolean("json", bool(result.boolean), indent=2).decode("utf-8")
    return write_select("json", *select_rows(result), indent=2).decode("utf-8")


FORMATTERS = {"csv": to_csv, "tsv": to_tsv, "json": to_json, "text": to_text}


# --------------------------------------------------------------------------- streamed CSV and TSV

#: A quoted CSV field (quotes inside doubled), as Oxigraph and :func:`to_csv` write them.
_QUOTED = re.compile(rb'"[^"]*(?:""[^"]*)*"')
#: In a one-column answer: a quoted field, whole, or an empty line (an empty or unbound value).
_ONE_COLUMN = re.compile(rb'(?m)("[^"]*(?:""[^"]*)*"\r\n)|^\r\n')
#: A TSV field that starts as no term in N-Triples syntax does: one Oxigraph abbreviated.
_TSV_BARE = re.compile(rb'(?m)(?:^|(?<=\t))([^\t\n<"_][^\t\n]*)')
#: The bytes a short form starts with (digits, sign, point, t and f of true and false).
_SHORT_START = b"0123456789+-.tf"
#: Field separators and line ends to 2, what a short form starts with to 1: a field that may be
#: one is a 2 then a 1 (a raw 1 or 2 in a term only makes a chunk looked at more closely).
_MARKS = bytes(2 if c in b"\t\n" else 1 if c in _SHORT_START else c for c in range(256))
#: Oxigraph's TSV writes these literals bare when their lexical form is Turtle's short form for
#: that datatype (sparesults' ``write_tsv_term``); the four grammars are disjoint.
_TSV_SHORT_FORMS = [
    (re.compile(rb"[+-]?[0-9]+"), str(XSD.integer).encode()),
    (re.compile(rb"[+-]?[0-9]*\.[0-9]+"), str(XSD.decimal).encode()),
    (re.compile(rb"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+"), str(XSD.double).encode()),
    (re.compile(rb"true|false"), str(XSD.boolean).encode()),
]


class CommaInIri(Exception):
    """Oxigraph's CSV writer left an IRI holding a comma unquoted: a line with more fields than
    the answer has columns (raised inside its write, which stops it)."""


class StreamGuard:
    """The binary stream Oxigraph's results writer (``QuerySolutions.serialize``) writes into:
    whole lines go on to ``out`` once checked (and, where Oxigraph's bytes differ from
    scgraph's, rewritten) to be the bytes scgraph's own writer gives for them. The checks are
    a few byte counts and searches per 8 KiB write (no work per row where nothing differs).
    ``written`` and ``crc`` are the length and CRC-32 of what went on to ``out``."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.columns: int | None = None  # from the header line: variable names hold no separator
        self.carry = b""  # the start of a line not yet whole
        self.written = 0
        self.crc = 0

    def write(self, chunk: bytes) -> int:
        data = self.carry + bytes(chunk)
        cut = self._cut(data)
        self.carry = data[cut:]
        if cut:
            self._emit(data[:cut])
        return len(chunk)

    def flush(self) -> None:
        """Nothing: ``out`` is flushed by its owner once the answer is written."""

    def close(self) -> None:
        """The end of Oxigraph's output: what is left of it (nothing: its lines all end)."""
        if self.carry:
            rest, self.carry = self.carry, b""
            self._emit(rest + b"\n", cut_last=True)

    def _emit(self, lines: bytes, *, cut_last: bool = False) -> None:
        if self.columns is None:
            self.columns = self._columns(lines[: lines.index(b"\n") + 1])
        lines = self._check(lines)
        if cut_last:
            lines = lines[:-1]
        self.out.write(lines)
        self.written += len(lines)
        self.crc = zlib.crc32(lines, self.crc)

    def _cut(self, data: bytes) -> int:
        return data.rfind(b"\n") + 1

    def _columns(self, header: bytes) -> int:
        raise NotImplementedError

    def _check(self, lines: bytes) -> bytes:
        raise NotImplementedError


class CsvGuard(StreamGuard):
    """Oxigraph's CSV is :func:`to_csv`'s but in two cases: a one-column row whose value is
    empty or unbound is an empty line there, ``""`` here (rewritten as it passes); an IRI
    holding a comma is left unquoted there (a line with more separators than the header has):
    that raises :class:`CommaInIri` before the line is written, and :func:`finish_csv` writes
    the rest."""

    def _cut(self, data: bytes) -> int:
        cut = data.rfind(b"\n") + 1
        if b'"' in data:  # a line end inside a quoted value is none: an even count of quotes before it
            while cut and data.count(b'"', 0, cut) % 2:
                cut = data.rfind(b"\n", 0, cut - 1) + 1
        return cut

    def _columns(self, header: bytes) -> int:
        return header.count(b",") + 1 if header != b"\r\n" else 0

    def _check(self, lines: bytes) -> bytes:
        if not self.columns:
            return lines
        commas, ends = lines.count(b","), lines.count(b"\n")
        if b'"' in lines:  # not those inside quoted values (every other piece between quotes)
            inside = lines.split(b'"')[1::2]
            commas -= sum(piece.count(b",") for piece in inside)
            ends -= sum(piece.count(b"\n") for piece in inside)
        if commas != (self.columns - 1) * ends:
            raise CommaInIri()
        if self.columns == 1:
            plain = _QUOTED.sub(b"q", lines) if b'"' in lines else lines
            if plain.startswith(b"\r\n") or b"\n\r\n" in plain:
                lines = _ONE_COLUMN.sub(lambda m: m.group(1) or b'""\r\n', lines)
        return lines


def _full_form(m: re.Match[bytes]) -> bytes:
    token = m.group(1)
    for grammar, datatype in _TSV_SHORT_FORMS:
        if grammar.fullmatch(token):
            return b'"' + token + b'"^^<' + datatype + b">"
    raise QueryError(f"Oxigraph's TSV holds a field that is no term: {token[:60]!r}")


class TsvGuard(StreamGuard):
    """Oxigraph's TSV is :func:`to_tsv`'s but for numbers and booleans, which it abbreviates
    (``3``, not ``"3"^^<http://www.w3.org/2001/XMLSchema#integer>``): such a field, the only one
    that starts with none of ``<``, ``"`` and ``_:``, is written in full as it passes (Turtle's
    short forms name their datatype: the rewrite is exact). Terms never hold a raw tab or line
    end there (escaped)."""

    def _columns(self, header: bytes) -> int:
        return header.count(b"\t") + 1 if header != b"\n" else 0

    def _check(self, lines: bytes) -> bytes:
        if self.written == 0:  # the header line (?a\t?b) starts with '?': no term
            end = lines.index(b"\n") + 1
            return lines[:end] + self._check_rows(lines[end:])
        return self._check_rows(lines)

    def _check_rows(self, lines: bytes) -> bytes:
        if self.columns and lines and (lines[0] in _SHORT_START or b"\x02\x01" in lines.translate(_MARKS)):
            return _TSV_BARE.sub(_full_form, lines)
        return lines


GUARDS: dict[str, type[StreamGuard]] = {"csv": CsvGuard, "tsv": TsvGuard}


def finish_csv(guard: StreamGuard, result: QueryResult) -> None:
    """After :class:`CommaInIri`: the rest of :func:`to_csv` of ``result`` (the same query,
    run again) to ``guard.out``, once the bytes already written are checked to be its start.
    A QueryError when they are not (an unordered answer that came back in another order):
    the lines written are the answer's, the rest is missing."""
    data = to_csv(result).encode("utf-8")
    head = data[: guard.written]
    if len(head) != guard.written or zlib.crc32(head) != guard.crc:
        raise QueryError("an IRI of the answer holds a comma, which Oxigraph's CSV writer leaves "
                         "unquoted, and the answer came back in another order when run again; "
                         "the CSV stops there: ask for -f tsv or -f json, or add an ORDER BY")
    guard.out.write(data[guard.written:])
