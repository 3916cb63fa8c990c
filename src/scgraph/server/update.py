"""SPARQL 1.1 Update with the protocol's dataset: ``using-graph-uri``, ``using-named-graph-uri``,
the union default graph, and a base IRI for relative IRIs.

Oxigraph's ``Store.update`` takes no dataset (its ``WHERE`` reads the store's own default graph),
so the dataset is written into the update text: before the ``WHERE`` of each ``DELETE``/``INSERT``
operation that names no dataset itself, ``USING <g>`` for each default graph and ``USING NAMED
<g>`` for each named graph. Without protocol parameters that is every named graph of the store at
the time the operation runs, so that an update's ``WHERE`` sees what a query sees (the union
default graph, docs/serving.md). The text is read as SPARQL tokens (:mod:`scgraph.sparql_guard`),
never parsed; Oxigraph parses the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from ..sparql_guard import _TOKEN, _in_name

_OPERATIONS = {"INSERT", "DELETE", "WITH", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD"}


class DatasetConflict(ValueError):
    """Protocol dataset parameters with ``USING``/``WITH`` in the update text (SPARQL 1.1
    Protocol 2.2.3: the request is refused)."""


@dataclass
class Operation:
    """One operation of an update request, as positions in its text."""

    start: int
    end: int
    body: int = -1  # where the operation itself starts (after its prologue); -1: prologue only
    modify: bool = False  # DELETE/INSERT ... WHERE (not DATA, not DELETE WHERE)
    where: int = -1  # the position of its WHERE keyword
    dataset: bool = False  # has USING or WITH
    words: list[str] = field(default_factory=list)


def operations(text: str) -> list[Operation]:
    """The operations of ``text``, split at ``;`` outside braces."""
    ops = [Operation(0, len(text))]
    depth = 0
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        op = ops[-1]
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "other" and depth == 0 and ";" in m.group():
            op.end = m.start() + m.group().index(";")
            ops.append(Operation(op.end + 1, len(text)))
        elif kind == "word" and depth == 0 and not _in_name(text, m.start(), m.end()):
            word = m.group().upper()
            if op.body < 0:
                if word in _OPERATIONS:
                    op.body = m.start()
                    op.words.append(word)
                continue
            op.words.append(word)
            if word in ("USING", "WITH"):
                op.dataset = True
            elif word == "WHERE":
                op.where = m.start()
    for op in ops:
        w = op.words
        shorthand = op.where >= 0 and not text[op.body + 6:op.where].strip()  # DELETE WHERE { }
        if w and op.where >= 0 and (w[0] == "WITH" or (w[0] in ("INSERT", "DELETE") and w[1:2] != ["DATA"]
                                                        and not shorthand)):
            op.modify = True
        if w and w[0] == "WITH":
            op.dataset = True
    return ops


def _using(default: list[str], named: list[str]) -> str:
    return "".join(f" USING <{g}>" for g in default) + "".join(f" USING NAMED <{g}>" for g in named) + " "


def with_dataset(text: str, default: list[str], named: list[str]) -> str:
    """``text`` with the protocol's ``using-graph-uri`` (``default``) and
    ``using-named-graph-uri`` (``named``) written into each DELETE/INSERT operation;
    :class:`DatasetConflict` when the text names its own dataset (``USING`` or ``WITH``)."""
    ops = operations(text)
    if any(op.dataset for op in ops):
        raise DatasetConflict("the update names its dataset with USING or WITH and the request "
                              "with using-graph-uri or using-named-graph-uri; give only one")
    out, last = [], 0
    for op in ops:
        if op.modify:
            out += [text[last:op.where], _using(default, named)]
            last = op.where
    return "".join(out) + text[last:]


def _graphs(store: ox.Store) -> list[str]:
    return sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))


def apply_update(store: ox.Store, payload: str | tuple) -> None:
    """Run an update request on ``store``: ``payload`` is the text, or ``(text, base_iri,
    using_graphs, using_named_graphs)``. SyntaxError for a bad update, :class:`DatasetConflict`
    for a dataset given twice."""
    if isinstance(payload, str):
        payload = (payload, None, None, None)
    text, base, default, named = payload
    if default or named:
        store.update(with_dataset(text, list(default or ()), list(named or ())), base_iri=base)
        return
    ops = operations(text)
    union = [op for op in ops if op.modify and not op.dataset]
    if not union:
        store.update(text, base_iri=base)
        return
    if len(ops) == 1:
        graphs = _graphs(store)
        store.update(with_dataset(text, graphs, graphs) if graphs else text, base_iri=base)
        return
    # Several operations: each one's union is the graphs there are when it runs. Checked whole
    # on an empty store first, so that a syntax error changes nothing.
    ox.Store().update(text, base_iri=base)
    prologue = ""
    for op in ops:
        head = text[op.start:op.body if op.body >= 0 else op.end]
        prologue += head
        if op.body < 0:
            continue
        part = text[op.body:op.end]
        if op.modify and not op.dataset:
            graphs = _graphs(store)
            if graphs:
                part = with_dataset(part, graphs, graphs)
        store.update(prologue + "\n" + part, base_iri=base)
