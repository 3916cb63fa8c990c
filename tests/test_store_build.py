"""The store build (:mod:`scgraph.pipeline.store`): files reasoned over, then one bulk load.

It must make the store that loading everything and reasoning in the store makes
(:func:`scgraph.reason.infer_store`, engine ``sparql``, itself proven equal to owlrl), on
every path: registry N-Quads read as they are, other RDF files through a scratch store,
registry graphs kept from the previous store, and registry data that states schema; for the
lean inferred graph (the default), whose reference is the ``sparql`` engine's lean graph
(:func:`scgraph.reason.infer_store` ``inferred="lean"``, an independent path: reasoned in full
twice, then a SPARQL ``DELETE``), and for the full one (``--inferred full``) on the N-Quads
and the general paths (the other paths differ from these in how files are read, not in what
is inferred).
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from scgraph.assemble import assemble
from scgraph.importers.cordis import REGISTRY_GRAPH, load_curated, write_cordis_nquads
from scgraph.namespaces import INFERRED_GRAPH
from scgraph.pipeline import build
from scgraph.reason import infer_store
from scgraph.store import OxigraphStore

DATA = Path(__file__).parent / "data"
pytestmark = [pytest.mark.slow, pytest.mark.repo_data]


@pytest.fixture(scope="module")
def registry_nq(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("registry") / "cordis.nq"
    write_cordis_nquads(DATA / "cordis" / "official", path, curated=load_curated())
    return path


@pytest.fixture(scope="module", params=["full", "lean"])
def mode(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def reference(registry_nq, mode) -> set[ox.Quad]:
    """The store of the curated graphs plus ``registry_nq``, loaded then reasoned in place."""
    return _reference(registry_nq, inferred=mode)


def _quads(store: ox.Store) -> set[ox.Quad]:
    return set(store)


def _reference(*files: Path, inferred: str = "full") -> set[ox.Quad]:
    """Everything loaded first, then the ``sparql`` engine in the store."""
    store = OxigraphStore()
    store.load_dataset(assemble())
    for f in files:
        store.bulk_load(f)
    infer_store(store, engine="sparql", inferred=inferred)
    return _quads(store.store)


def _built(out: Path, *files: Path, inferred: str = "full") -> set[ox.Quad]:
    build(out, registry=list(files), store=f"oxigraph:{out / 'store'}", inferred=inferred)
    store = OxigraphStore(out / "store", read_only=True)
    try:
        return _quads(store.store)
    finally:
        store.close()


def _diff(a: set, b: set) -> str:
    return (f"{len(a - b)} only built, {len(b - a)} only reference: "
            f"{sorted(map(str, a - b))[:3]} {sorted(map(str, b - a))[:3]}")


@pytest.mark.parametrize("sample", ["official", "sample"])
def test_importer_writes_what_oxigraph_writes(tmp_path, sample):
    """The fast path reads the importer's N-Quads as text and compares it with Oxigraph's
    own serialisation of the curated graphs: the two must agree line for line."""
    path = tmp_path / "cordis.nq"
    write_cordis_nquads(DATA / "cordis" / sample, path, curated=load_curated())
    store = ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
    store.dump(str(tmp_path / "again.nq"), format=ox.RdfFormat.N_QUADS)
    ours = path.read_text(encoding="utf-8").splitlines()
    theirs = (tmp_path / "again.nq").read_text(encoding="utf-8").splitlines()
    assert len(ours) > 100
    assert sorted(ours) == sorted(theirs)


def test_store_build_from_nquads_is_the_reference(tmp_path, registry_nq, reference, mode):
    built = _built(tmp_path / "b", registry_nq, inferred=mode)
    assert built == reference, _diff(built, reference)
    inferred = {q for q in built if q.graph_name == ox.NamedNode(str(INFERRED_GRAPH))}
    registry = {q.subject for q in built if q.graph_name == ox.NamedNode(str(REGISTRY_GRAPH))}
    assert any(q.subject in registry for q in inferred)


@pytest.mark.parametrize("mode", ["lean"], indirect=True)  # the path differs, not the mode
def test_store_build_from_trig_and_from_the_previous_store(tmp_path, registry_nq, reference, mode):
    ds = ox.Store()
    ds.bulk_load(path=str(registry_nq), format=ox.RdfFormat.N_QUADS)
    trig = tmp_path / "cordis.trig"
    ds.dump(str(trig), format=ox.RdfFormat.TRIG)
    built = _built(tmp_path / "b", trig, inferred=mode)
    assert built == reference, _diff(built, reference)
    # a second build with no file keeps the registry graph of the previous store
    again = _built(tmp_path / "b", inferred=mode)
    assert again == reference, _diff(again, reference)


@pytest.mark.parametrize("inferred", ["full", "lean"])
def test_registry_stating_schema_is_reasoned_the_general_way(tmp_path, registry_nq, inferred):
    extra = tmp_path / "extra.nq"
    g = "https://w3id.org/scgraph/graph/registry/extra"
    extra.write_text(
        f"<https://w3id.org/scgraph/id/org/cordis-999981634> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://example.org/vocab#Lab> <{g}> .\n"
        f"<https://example.org/vocab#Lab> <http://www.w3.org/2000/01/rdf-schema#subClassOf> "
        f"<https://example.org/vocab#Place> <{g}> .\n", encoding="utf-8")
    built = _built(tmp_path / "b", registry_nq, extra, inferred=inferred)
    reference = _reference(registry_nq, extra, inferred=inferred)
    assert built == reference, _diff(built, reference)
    lab = ox.Quad(ox.NamedNode("https://w3id.org/scgraph/id/org/cordis-999981634"),
                  ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                  ox.NamedNode("https://example.org/vocab#Place"), ox.NamedNode(str(INFERRED_GRAPH)))
    # a class outside scg: that an asserted type implies: the lean graph leaves it to
    # rdf:type/rdfs:subClassOf* (the sub-class axiom is in the registry graph itself)
    assert (lab in built) == (inferred == "full")


def test_which_path_each_registry_takes(tmp_path, registry_nq):
    from scgraph.pipeline.store import build_store, registry_sources

    def run(name: str, *files: Path) -> bool:
        (tmp_path / name).mkdir()
        sources = registry_sources(list(files), None, tmp_path / name, lambda _m: None)
        store = OxigraphStore()
        return build_store(store, assemble(), sources, tmp_path / name, lambda _m: None, "lean").general

    assert run("fast", registry_nq) is False
    schema = tmp_path / "schema.nq"
    schema.write_text("<https://example.org/vocab#Lab> <http://www.w3.org/2000/01/rdf-schema#subClassOf> "
                      "<https://example.org/vocab#Place> <https://w3id.org/scgraph/graph/registry/x> .\n",
                      encoding="utf-8")
    assert run("general", registry_nq, schema) is True


@pytest.mark.parametrize("mode", ["lean"], indirect=True)  # the load order differs, not the mode
def test_the_interleaved_load_makes_the_same_store(tmp_path, registry_nq, reference, mode, monkeypatch):
    """The store build's former way (``SCGRAPH_STREAM_LOAD=interleaved``: each registry line
    through Python, the derived triples interleaved) makes the store the default one makes
    (the derived triples to a file first, the registry files loaded in blocks)."""
    from scgraph.reason import stream

    monkeypatch.setattr(stream, "_SERIAL_LOAD", False)
    built = _built(tmp_path / "b", registry_nq, inferred=mode)
    assert built == reference, _diff(built, reference)
