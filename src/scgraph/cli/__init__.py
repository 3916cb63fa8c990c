"""The ``scgraph`` command (also ``python -m scgraph``): a thin shell over the pipeline.

One module per group of commands: :mod:`.build` (build, validate), :mod:`.query` (query,
queries), :mod:`.imports` (import ...), :mod:`.serve` (publish, serve), :mod:`.analyse`
(analyse, plot, export-graph); :mod:`.common` holds what they share. The command modules import
only typer and scgraph's light modules at the top; each command imports the pipeline it runs
inside its body, so ``scgraph --help`` or a bad option answers without loading rdflib,
pyoxigraph or the analyses (``tests/test_cli_startup.py`` checks it).

Exit codes: 0 ok; 1 a user error or non-conformant data (``Error: ...`` on stderr, one line);
2 bad usage (an unknown command or option, a value that is not one of the choices: one line,
before any work).
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from ..errors import ScgraphError
from . import analyse, build, imports, query, serve
from .common import err, os_error_line, unwrapped, user_errors


#: The click that typer runs on (typer 0.2x carries its own copy, ``typer._click``).
_click = sys.modules[typer.BadParameter.__module__]


class _LightHelp:
    """A help flag that costs no pydantic import. typer 0.29 coerces an unset ``--help`` (its
    value None) through a pydantic TypeAdapter, which imports pydantic (about 0.1 s, more on a
    busy machine) for every command, even one without options such as ``scgraph queries``; an
    unset flag that is False passes through uncoerced (``tests/test_cli_startup.py``)."""

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None and option.default is None:
            option.default = False
        return option


class _Command(_LightHelp, TyperCommand):
    """A command of the group, with the light help flag."""


class _Group(_LightHelp, TyperGroup):
    """The command group, with usage errors as one line (``Error: ... (see 'CMD --help')``,
    exit 2) instead of a usage block, as a script that calls scgraph wants them."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except _click.UsageError as e:
            if not e.format_message():  # no arguments: typer has printed the help
                sys.exit(e.exit_code)
            names, ctx = [], e.ctx
            while ctx is not None and ctx.parent is not None:  # the name, however started
                names.append(ctx.info_name)
                ctx = ctx.parent
            where = " ".join(["scgraph", *reversed(names)])
            message = e.format_message().replace(": Value error, ", ": ")
            err(f"{message} (see '{where} --help')")
            sys.exit(2)
        except _click.ClickException as e:
            e.show()
            sys.exit(e.exit_code)
        except typer.Abort:
            err("aborted")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_Group,
    help="scgraph builds, checks and queries an RDF knowledge graph of the EU's smart-city "
    "projects, initiatives, clusters, cities and meetings.",
    no_args_is_help=True,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"scgraph {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False,
) -> None:
    """scgraph builds, checks and queries an RDF knowledge graph of the EU's smart-city
    projects, initiatives, clusters, cities and meetings."""


# The commands, in the order --help lists them.
app.command("build", cls=_Command)(user_errors(build.build_cmd))
app.command("validate", cls=_Command)(user_errors(build.validate_cmd))
app.command("query", cls=_Command)(user_errors(query.query_cmd))
app.command("queries", cls=_Command)(user_errors(query.queries_cmd))
app.command("publish", cls=_Command)(user_errors(serve.publish_cmd))
imports.import_app.command("cordis")(user_errors(imports.cordis_cmd))
app.add_typer(imports.import_app, name="import")
app.command("serve", cls=_Command)(user_errors(serve.serve_cmd))
app.command("analyse", cls=_Command)(user_errors(analyse.analyse_cmd))
app.command("plot", cls=_Command)(user_errors(analyse.plot_cmd))
app.command("export-graph", cls=_Command)(user_errors(analyse.export_cmd))

for _app in (app, imports.import_app):
    for _info in _app.registered_commands:
        _info.help = unwrapped(_info.help or (_info.callback.__doc__ or ""))


def main() -> None:
    """Entry point of the ``scgraph`` command."""
    try:
        app()
    except ScgraphError as e:  # a command that escaped user_errors
        err(str(e))
        sys.exit(1)
    except OSError as e:  # the same safety net as user_errors': one line, exit 1
        err(os_error_line(e))
        sys.exit(1)


__all__ = ["app", "main"]
