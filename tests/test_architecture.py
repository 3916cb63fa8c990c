"""The package's import graph follows the pipeline: no cycles, and no stage imports a later one.

Every module under ``src/scgraph`` is parsed with :mod:`ast` (nothing is imported), and every
``import`` / ``from ... import`` naming a module of the package is an arrow, wherever it stands:
at module level, inside a function, or under ``if TYPE_CHECKING:``. A package's ``__init__.py``
is the module named after the package; importing ``scgraph.a.b`` draws an arrow to ``scgraph.a.b``
only (not to its parent packages, which Python runs too), and ``from pkg import name`` draws one
to ``pkg.name`` when that is a module, else to ``pkg``.

The stages, earliest first, are :data:`LAYERS`. An arrow may go to the same stage or to an
earlier one, never to a later one; and no set of modules may import each other round in a
circle (at any stage). A new module must be given its stage here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "scgraph"

#: The pipeline's stages, earliest first: each is a list of module names, where ``name.*``
#: stands for the package ``name`` and every module under it. Listed modules need not exist.
LAYERS: list[tuple[str, list[str]]] = [
    ("foundation", [
        "scgraph", "scgraph.errors", "scgraph.namespaces", "scgraph.resources", "scgraph.files",
        "scgraph.inputs", "scgraph.parse", "scgraph.terms", "scgraph.layout", "scgraph.store", "scgraph.catalogue",
        "scgraph.gazetteer", "scgraph.results", "scgraph.sparql_guard",
    ]),
    ("import", ["scgraph.importers.*"]),
    ("assemble", ["scgraph.assemble"]),
    ("reason", ["scgraph.reason.*"]),
    ("validate", ["scgraph.validate.*"]),
    ("publish", ["scgraph.publish.*"]),
    ("build", ["scgraph.pipeline.*"]),
    ("use", ["scgraph.analysis.*", "scgraph.server.*"]),
    ("interface", ["scgraph.cli.*", "scgraph.__main__", "scgraph.docs"]),
]


def module_files() -> dict[str, Path]:
    """Every module of the package, by dotted name."""
    modules: dict[str, Path] = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def layer_of(module: str) -> tuple[int, str] | None:
    """The stage of a module: its index in :data:`LAYERS` and its name; None when it has none."""
    for index, (name, patterns) in enumerate(LAYERS):
        for pattern in patterns:
            if pattern.endswith(".*"):
                base = pattern[:-2]
                if module == base or module.startswith(base + "."):
                    return index, name
            elif module == pattern:
                return index, name
    return None


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of the package that ``module`` (in ``path``) imports, anywhere in its text."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if _is_package(path) else module.rpartition(".")[0]
    found: set[str] = set()

    def nearest(name: str) -> str | None:
        """``name`` if it is a module of the package, else its longest prefix that is."""
        while name:
            if name in modules:
                return name
            name = name.rpartition(".")[0]
        return None

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                    target = nearest(alias.name)
                    if target:
                        found.add(target)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                if node.level > 1:
                    base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts)
                if node.module:
                    base = f"{base}.{node.module}" if base else node.module
            else:
                base = node.module or ""
            if not (base == PACKAGE or base.startswith(PACKAGE + ".")):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                target = sub if sub in modules else nearest(base)
                if target:
                    found.add(target)
    found.discard(module)
    return found


def import_graph() -> nx.DiGraph:
    modules = module_files()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for module, path in modules.items():
        for target in imports_of(module, path, modules):
            graph.add_edge(module, target)
    return graph


def test_the_package_is_found():
    modules = module_files()
    assert {"scgraph", "scgraph.cli", "scgraph.assemble", "scgraph.pipeline"} <= set(modules)


def test_every_module_has_a_stage():
    missing = sorted(m for m in module_files() if layer_of(m) is None)
    assert not missing, (
        "modules without a pipeline stage; add each to LAYERS in tests/test_architecture.py: "
        + ", ".join(missing))


def test_no_import_cycles():
    graph = import_graph()
    problems = []
    for component in nx.strongly_connected_components(graph):
        if len(component) < 2:
            continue
        sub = graph.subgraph(component)
        arrows = sorted(f"{a} -> {b}" for a, b in sub.edges)
        cycle = nx.find_cycle(sub)
        problems.append(
            "cycle " + " -> ".join([a for a, _ in cycle] + [cycle[0][0]])
            + "\n    arrows among them: " + "; ".join(arrows))
    assert not problems, "import cycles between modules:\n  " + "\n  ".join(sorted(problems))


def test_no_stage_imports_a_later_stage():
    graph = import_graph()
    problems = []
    for a, b in sorted(graph.edges):
        la, lb = layer_of(a), layer_of(b)
        if la is None or lb is None:
            continue  # test_every_module_has_a_stage reports these
        if la[0] < lb[0]:
            problems.append(f"{a} -> {b} (stage {la[1]} imports later stage {lb[1]})")
    stages = " < ".join(name for name, _ in LAYERS)
    assert not problems, (
        f"imports against the pipeline ({stages}):\n  " + "\n  ".join(problems))


def test_the_parser_sees_relative_and_function_level_imports(tmp_path):
    """A check of the checker on a made-up package, so a silent parser cannot pass the tests."""
    pkg = tmp_path / PACKAGE
    (pkg / "cli").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "errors.py").write_text("")
    (pkg / "assemble.py").write_text("def f():\n    from .cli import run\n")
    (pkg / "cli" / "__init__.py").write_text("from .. import errors\nfrom . import sub\nfrom .sub import x\n")
    (pkg / "cli" / "sub.py").write_text("import scgraph.cli\nfrom scgraph import assemble\n")
    modules = {
        "scgraph": pkg / "__init__.py", "scgraph.errors": pkg / "errors.py",
        "scgraph.assemble": pkg / "assemble.py", "scgraph.cli": pkg / "cli" / "__init__.py",
        "scgraph.cli.sub": pkg / "cli" / "sub.py",
    }
    assert imports_of("scgraph.assemble", modules["scgraph.assemble"], modules) == {"scgraph.cli"}
    assert imports_of("scgraph.cli", modules["scgraph.cli"], modules) == {"scgraph.errors", "scgraph.cli.sub"}
    assert imports_of("scgraph.cli.sub", modules["scgraph.cli.sub"], modules) == {"scgraph.cli", "scgraph.assemble"}
    assert layer_of("scgraph.cli.sub") == (8, "interface")
    assert layer_of("scgraph.clients") is None
