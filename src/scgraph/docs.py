"""Generated documentation: ``docs/cli.md`` from the commands' ``--help`` and
``docs/queries.md`` from the headers of ``queries/*.rq``.

Run ``python -m scgraph.docs`` after changing a command or a query; a test fails while the
committed pages differ from what this module generates.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer.main

from . import catalogue, files, parse, resources

WIDTH = 100


def _help(command: list[str]) -> str:
    from typer.testing import CliRunner

    from .cli import app

    env = {"TERM": "dumb", "NO_COLOR": "1", "COLUMNS": str(WIDTH), "_TYPER_FORCE_DISABLE_TERMINAL": "1"}
    result = CliRunner().invoke(app, [*command, "--help"], env=env, terminal_width=WIDTH, prog_name="scgraph")
    return "\n".join(line.rstrip() for line in result.output.strip().splitlines())


def _commands(group, prefix: list[str]) -> list[list[str]]:
    ctx = group.context_class(group)  # the click that typer runs on (typer 0.2x has its own)
    out: list[list[str]] = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if cmd is None or getattr(cmd, "hidden", False):
            continue
        out.append([*prefix, name])
        if hasattr(cmd, "list_commands"):  # a group (typer's groups are not click.Group)
            out += _commands(cmd, [*prefix, name])
    return out


def command_names() -> list[list[str]]:
    """Every (sub)command of the CLI, as the words a user types after ``scgraph``."""
    from .cli import app

    root = typer.main.get_command(app)
    return _commands(root, []) if hasattr(root, "list_commands") else []


def cli_markdown() -> str:
    parts = [
        "# Command-line reference",
        "",
        "Generated from `--help` by `python -m scgraph.docs`; do not edit by hand.",
        "",
        "Exit codes: 0 success; 1 a user error (bad input file, unknown query, bad parameter)",
        "or data that does not conform to the shapes; 2 bad usage (unknown command or option, missing",
        "argument, a value that is not one of the choices, such as `--reasoner` or `--store`), reported",
        "before any work. Errors are one line on standard error, starting with `Error:`.",
        "",
        "## scgraph",
        "",
        "```text",
        _help([]),
        "```",
    ]
    for words in command_names():
        parts += ["", f"## scgraph {' '.join(words)}", "", "```text", _help(words), "```"]
    return "\n".join(parts) + "\n"


def queries_markdown() -> str:
    parts = [
        "# Query catalogue",
        "",
        "Generated from the headers of `queries/*.rq` by `python -m scgraph.docs`; do not edit",
        "by hand. Run one with `scgraph query NAME`; the server and the analyses run the same files.",
    ]
    cat = catalogue.load_catalogue()
    questions, plumbing = catalogue.split_catalogue(cat)
    parts += ["", "Questions: " + ", ".join(f"[`{n}`](#{n})" for n in questions) + "."]
    if plumbing:
        parts += ["", "Analysis exports (the plumbing of `scgraph analyse`, `plot` and `export-graph`): "
                  + ", ".join(f"[`{n}`](#{n})" for n in plumbing) + "."]
    for heading, names in (("Questions", questions), ("Analysis exports", plumbing)):
        if not names:
            continue
        parts += ["", f"# {heading}"]
        for name in names:
            q = cat[name]
            params = ", ".join(f"`{p.name}` ({p.type}{', optional' if p.optional else ''})" for p in q.params)
            parts += ["", f"## `{name}`", "", f"**{q.title}**", "", q.description, "",
                      f"Parameters: {params or 'none'}.", "", "```sparql", q.sparql.strip(), "```"]
    return "\n".join(parts) + "\n"


def terms_markdown() -> str:
    """A reference of every scg: class and property with its definition and alignments."""
    from rdflib import OWL, RDF, RDFS, Graph
    from rdflib.namespace import SKOS

    from .namespaces import SCG, bind_prefixes

    g = bind_prefixes(Graph())
    for path in sorted(resources.ontology_dir().glob("*.ttl")):
        if "shapes" not in path.name:
            parse.parse_into(g, path)
    ns = str(SCG._NS)

    def name(term) -> str:
        return g.namespace_manager.normalizeUri(term)

    def rows(kinds, sup):
        terms = sorted({s for k in kinds for s in g.subjects(RDF.type, k) if str(s).startswith(ns)})
        out = ["| term | label | definition | aligned to |", "|---|---|---|---|"]
        for t in terms:
            label = g.value(t, RDFS.label) or ""
            definition = g.value(t, SKOS.definition) or g.value(t, RDFS.comment) or ""
            supers = sorted(name(o) for o in g.objects(t, sup))
            inverse = g.value(t, OWL.inverseOf)
            extra = [f"inverse of {name(inverse)}"] if inverse is not None else []
            traits = [k for k, c in (("transitive", OWL.TransitiveProperty), ("functional", OWL.FunctionalProperty)) if (t, RDF.type, c) in g]
            cell = ", ".join(f"`{s}`" for s in supers) + ("; " if supers and (extra or traits) else "") + "; ".join(extra + traits)
            out.append(f"| `{name(t)}` | {label} | {' '.join(str(definition).split())} | {cell} |")
        return out

    parts = ["# Ontology terms", "",
             "Generated from `ontology/*.ttl` by `python -m scgraph.docs`; do not edit by hand. "
             "[ontology.md](ontology.md) explains how the terms fit together.", "",
             "## Classes", "", *rows([OWL.Class], RDFS.subClassOf), "",
             "## Properties", "", *rows([OWL.ObjectProperty, OWL.DatatypeProperty], RDFS.subPropertyOf)]
    return "\n".join(parts) + "\n"


PAGES = {"cli.md": cli_markdown, "queries.md": queries_markdown, "ontology-terms.md": terms_markdown}


def write(docs_dir: Path | None = None) -> list[Path]:
    docs_dir = docs_dir or resources.checkout_root() / "docs"
    return [files.write_atomic(docs_dir / name, make()) for name, make in PAGES.items()]


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("COLUMNS", str(WIDTH))
    for p in write():
        print(p)
