"""A query's result (:class:`~scgraph.store.QueryResult`) as CSV, TSV, JSON, a text table or a
rich Table: what ``scgraph query`` prints.

The SPARQL results writers themselves are :func:`scgraph.terms.write_select` and
:func:`scgraph.terms.write_boolean`, the endpoint's too; here a result becomes their rows
(a graph result as sorted subject/predicate/object rows, an ASK as one ``boolean`` cell in
CSV and TSV).
"""

from __future__ import annotations

from rdflib import Literal
from rdflib.term import Node
from rich.cells import cell_len

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
