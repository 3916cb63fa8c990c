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
from rich.table import Table

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


def to_table(result: QueryResult, title: str | None = None) -> Table:
    """A rich Table of the result (prefixed IRIs, literal values)."""
    names, rows = select_rows(result)
    table = Table(title=title, show_lines=False)
    for n in names:
        table.add_column(n, overflow="fold")
    for row in rows:
        table.add_row(*(display(t) for t in row))
    return table


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
