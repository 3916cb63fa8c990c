"""Persistent Oxigraph stores: built into a new folder, swapped in atomically, crash-safe."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pipeline_fixtures import ROOT
from rdflib import Literal

from scgraph.assemble import assemble
from scgraph.errors import StoreError
from scgraph.namespaces import GRAPH, ID, INFERRED_GRAPH
from scgraph.pipeline import build
from scgraph.layout import BuildFolder
from scgraph.reason import infer
from scgraph.store import (
    OxigraphStore,
    open_query_store,
    replace_store,
    store_generations,
)

DS = infer(assemble(ROOT), "sparql")
Q = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def _count(path: Path) -> int:
    s = OxigraphStore(path, read_only=True)
    try:
        return int(s.query(Q).rows[0][0])
    finally:
        s.close()


def _fill(path: Path, n: int) -> None:
    with replace_store(path) as s:
        s.load_quads((ID[f"t/{i}"], ID["p"], Literal(i), GRAPH["source/x"]) for i in range(n))


def test_replace_store_swaps_in_the_new_store(tmp_path):
    path = tmp_path / "store"
    _fill(path, 3)
    assert path.is_symlink() and _count(path) == 3
    first = path.resolve()
    _fill(path, 5)
    assert _count(path) == 5
    second = path.resolve()
    _fill(path, 7)
    assert _count(path) == 7
    # the current and the previous generation are kept, older ones removed
    assert set(store_generations(path)) == {second, path.resolve()}
    assert not first.exists()


def test_a_failed_build_leaves_the_old_store(tmp_path):
    path = tmp_path / "store"
    _fill(path, 3)
    with pytest.raises(RuntimeError), replace_store(path) as s:
        s.load_quads([(ID["x"], ID["p"], Literal("half"), GRAPH["source/x"])])
        raise RuntimeError("killed half-way")
    assert _count(path) == 3
    assert store_generations(path) == [path.resolve()]


def test_a_killed_build_leaves_the_old_store_readable(tmp_path):
    path = tmp_path / "store"
    _fill(path, 3)
    script = textwrap.dedent(f"""
        import os, signal
        from rdflib import Literal
        from scgraph.namespaces import GRAPH, ID
        from scgraph.store import replace_store
        with replace_store({str(path)!r}) as s:
            s.load_quads((ID[f"t/{{i}}"], ID["p"], Literal(i), GRAPH["source/x"]) for i in range(1000))
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert _count(path) == 3
    assert len(store_generations(path)) == 2  # the leftover of the killed build
    _fill(path, 4)  # the next build cleans it up
    assert _count(path) == 4 and len(store_generations(path)) == 2


def test_a_real_folder_is_moved_aside_not_deleted(tmp_path):
    path = tmp_path / "store"
    s = OxigraphStore(path)
    s.load_dataset(DS)
    s.close()
    _fill(path, 2)
    assert path.is_symlink() and _count(path) == 2
    assert len(store_generations(path)) == 2


def test_build_into_a_persistent_store_keeps_registry_graphs(tmp_path):
    out = tmp_path / "build"
    registry = tmp_path / "registry.nq"
    registry.write_text(f'<{ID["project/x"]}> <{ID["p"]}> "r" <{GRAPH["registry/test"]}> .\n',
                        encoding="utf-8")
    assert BuildFolder(out).build_store() is None
    assert str(BuildFolder(out).build_store(registry=True)) == f"oxigraph:{out / 'store'}"
    first = build(out, root=ROOT, registry=[registry])
    assert first.triples[GRAPH["registry/test"]] == 1
    assert str(BuildFolder(out).default_store()) == f"oxigraph:{out / 'store'}"
    # a second build without the file keeps the registry graph from the previous store
    second = build(out, root=ROOT)
    assert second.triples == first.triples
    store = open_query_store(BuildFolder(out).default_store())
    try:
        got = store.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }}").rows
        assert set(got) == set(DS.graph(INFERRED_GRAPH))
    finally:
        store.close()


def test_reading_a_missing_store_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError) as e:
        OxigraphStore(tmp_path / "nothing", read_only=True)
    assert str(e.value) == (f"{tmp_path / 'nothing'}: no Oxigraph store here; build one with "
                            f"'scgraph build --store oxigraph:{tmp_path / 'nothing'}'")


def test_default_store_is_memory_without_a_store(tmp_path):
    assert str(BuildFolder(tmp_path).default_store()) == "memory"
