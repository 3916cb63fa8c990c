"""Your own RDF files in a build (issue 17): ``scgraph build --add FILE`` builds them as source
graphs, reasoned over and validated with the shapes like the curated sources, in Turtle, TriG,
N-Triples or N-Quads; ``--registry`` refuses a file without graph names instead of dropping it."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import DCTERMS, RDF
from typer.testing import CliRunner

from scgraph.assemble import assemble
from scgraph.cli import app
from scgraph.namespaces import GRAPH, ID, INFERRED_GRAPH, METADATA_GRAPH, SCG

pytestmark = [pytest.mark.slow, pytest.mark.repo_data]  # curated builds, about 10 s each

NOTES = Path(__file__).parent / "data" / "user_sources" / "my_visit_notes.ttl"
runner = CliRunner()
LAB = ID["org/example-lab"]


def _build(out: Path, *args: str):
    return runner.invoke(app, ["build", "--out", str(out), "-q", *args])


def _dataset(out: Path) -> Dataset:
    ds = Dataset()
    ds.parse(out / "dataset.nq", format="nquads")
    return ds


def _written(source: Graph, path: Path) -> Path:
    """``source`` written to ``path`` in the format its suffix names; a TriG or N-Quads file
    holds two graphs, which the build merges into the one source graph."""
    if path.suffix in (".trig", ".nq"):
        ds = Dataset()
        for i, t in enumerate(sorted(source)):
            ds.graph(URIRef(f"https://example.org/g{i % 2}")).add(t)
        ds.serialize(path, format="trig" if path.suffix == ".trig" else "nquads")
    else:
        source.serialize(path, format="turtle" if path.suffix == ".ttl" else "nt", encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["ttl", "nt", "trig", "nq"])
def test_added_files_are_read_in_each_format(tmp_path, fmt):
    """What the build assembles from an added file, in each format (the whole build runs once,
    below: it is the same after assembling)."""
    source = Graph().parse(NOTES)
    path = _written(source, tmp_path / f"my_visit_notes.{fmt}")
    ds = assemble(extra=[path])
    name = GRAPH["source/my-visit-notes"]
    added = set(ds.graph(name))
    assert added >= set(source)
    # and the provenance link every source graph has (parsed the same from every format)
    assert added - set(source) == {(LAB, SCG.statedIn, ID["source/web/my-visit-notes"])}
    assert (name, DCTERMS.identifier, None) in ds.graph(METADATA_GRAPH)


def test_added_files_are_built_like_the_curated_sources(tmp_path):
    source = Graph().parse(NOTES)
    path = _written(source, tmp_path / "my_visit_notes.trig")
    out = tmp_path / "build"
    result = _build(out, "--add", str(path))
    assert result.exit_code == 0, result.output
    ds = _dataset(out)
    name = GRAPH["source/my-visit-notes"]
    assert set(ds.graph(name)) >= set(source)  # and scg:statedIn, as every source graph has
    assert (name, DCTERMS.identifier, None) in ds.graph(METADATA_GRAPH)
    # reasoned over: the organisation is a W3C ORG organisation in the inferred graph
    assert (LAB, RDF.type, URIRef("http://www.w3.org/ns/org#Organization")) in ds.graph(INFERRED_GRAPH)


def test_an_added_file_that_breaks_the_shapes_fails_the_build(tmp_path):
    out = tmp_path / "build"
    assert _build(out).exit_code == 0
    before = (out / "dataset.nq").read_bytes()
    bad = tmp_path / "bad_notes.ttl"
    bad.write_text(NOTES.read_text().replace("    dcterms:publisher <org/example-lab> ;\n", ""))
    result = _build(out, "--add", str(bad))
    assert result.exit_code == 1
    assert "1 SHACL violation" in result.output
    assert ("violation: id:source/web/my-visit-notes dcterms:publisher: A web page names its publisher"
            in (out / "validation.txt").read_text())
    assert (out / "dataset.nq").read_bytes() == before  # the previous dumps stay


def test_an_added_file_without_one_source_document_is_refused(tmp_path):
    bad = tmp_path / "two.ttl"
    bad.write_text(NOTES.read_text() + "\n<source/web/other> a scg:WebPage .\n")
    result = _build(tmp_path / "build", "--add", str(bad))
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {bad}: declares 2 scg:SourceDocument")
    assert not (tmp_path / "build" / "dataset.nq").exists()


def test_registry_files_must_name_their_graphs(tmp_path):
    out = tmp_path / "build"
    result = _build(out, "--registry", str(NOTES))
    assert (result.exit_code, result.output) == (1, (
        f"Error: {NOTES}: a registry file names its graphs (N-Quads or TriG, as 'scgraph import "
        "--output' writes them); this turtle file has no graph names. Add your own data to a "
        "build with 'scgraph build --add FILE'\n"))
    assert not out.exists()
    trig = tmp_path / "half.trig"
    trig.write_text("<https://example.org/a> <https://example.org/b> <https://example.org/c> .\n"
                    "<https://w3id.org/scgraph/graph/registry/x> { <https://example.org/a> "
                    "<https://example.org/b> <https://example.org/d> . }\n")
    result = _build(out, "--registry", str(trig))
    assert result.exit_code == 1
    assert result.output == (f"Error: {trig}: 1 triples of this file are in no named graph; a registry "
                             "file puts every triple in a graph (graph:registry/NAME)\n")
    assert not (out / "dataset.nq").exists()
