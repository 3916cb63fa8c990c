"""``scgraph publish``: a release folder whose every dump parses in independent strict parsers
(rapper from raptor2, pyoxigraph) and round-trips in rdflib, byte-identical across runs, with
VoID/DCAT counts checked against an independent count, checksums, licences and a changelog."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from pipeline_fixtures import ROOT, assert_isomorphic
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV, RDF, VOID, XSD

from scgraph.assemble import assemble, named_graphs, union_graph
from scgraph.namespaces import APACHE_2, CC_BY_4, DATASET_IRI, DISTRIBUTION, GRAPH, SPDX
from scgraph.publish.ontodoc import ontology_html
from scgraph.publish.dumps import graph_file
from scgraph.publish.release import CHECKSUMS, DUMP_FILES, ReleaseError, publish, release_names
from scgraph.publish.serialise import compact_iri, nquads
from scgraph.reason import infer

pytestmark = pytest.mark.slow  # see [tool.pytest.ini_options] markers

SHAPES = ROOT / "ontology" / "shapes.ttl"
TOP = sorted(DUMP_FILES + [f + ".gz" for f in DUMP_FILES] + [
    "context.jsonld", "ontology.ttl", "shapes.ttl", "ontology.html", "void.ttl", "LICENSE.md",
    "CHANGELOG.md", CHECKSUMS])
RAPPER = shutil.which("rapper")
needs_rapper = pytest.mark.skipif(RAPPER is None, reason="rapper (Debian raptor2-utils) is not installed; "
                                  "scripts/test.sh installs it when run as root")
SCRIPT = """
import sys
from scgraph.publish.release import publish
publish(sys.argv[2], dataset=sys.argv[1], shapes=sys.argv[3], issued="2026-03-01", version="1.2.3")
"""


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return infer(assemble(ROOT), "sparql")


@pytest.fixture(scope="module")
def dataset_file(ds, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("build") / "dataset.nq"
    path.write_bytes(nquads(ds))
    return path


@pytest.fixture(scope="module")
def files(ds) -> list[str]:
    """Every file of the release: the top-level ones and a Turtle file (and its gzip copy) per graph."""
    graphs = [graph_file(str(g)) for g in named_graphs(ds)]
    names = sorted(TOP + graphs + [g + ".gz" for g in graphs])
    assert names == release_names([str(g) for g in named_graphs(ds)])
    return names


def contents(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in listing(folder)}


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def release(dataset_file, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release")
    publish(out, dataset=dataset_file, shapes=SHAPES, issued="2026-03-01", version="1.2.3")
    return out


def test_release_files(release, files):
    assert listing(release) == files  # no temporary files left
    assert sorted(p.name for p in release.iterdir()) == sorted(TOP + ["graphs"])


def test_byte_identical_across_processes(dataset_file, release, files, tmp_path):
    env = {**os.environ, "PYTHONHASHSEED": "7"}
    subprocess.run([sys.executable, "-c", SCRIPT, str(dataset_file), str(tmp_path), str(SHAPES)],
                   check=True, env=env)
    assert listing(tmp_path) == files
    for name in files:
        assert (tmp_path / name).read_bytes() == (release / name).read_bytes(), name


def test_gzip_copies_are_deterministic(release, files):
    for name in [f for f in files if f + ".gz" in files]:
        data = (release / f"{name}.gz").read_bytes()
        assert data[:3] == b"\x1f\x8b\x08" and data[3] == 0  # no FNAME, no other flags
        assert data[4:8] == b"\x00\x00\x00\x00"  # mtime 0
        assert gzip.decompress(data) == (release / name).read_bytes()


def test_checksums(release, files):
    lines = (release / CHECKSUMS).read_text().splitlines()
    assert [line.split("  ")[1] for line in lines] == [n for n in files if n != CHECKSUMS]
    for line in lines:
        digest, name = line.split("  ")
        assert hashlib.sha256((release / name).read_bytes()).hexdigest() == digest


# --------------------------------------------------------------------------- parsers

RAPPER_SYNTAX = {"graph.ttl": "turtle", "graph-inferred.ttl": "turtle", "graph.nt": "ntriples",
                 "graph-inferred.nt": "ntriples", "dataset.nq": "nquads", "dataset.trig": "trig",
                 "ontology.ttl": "turtle", "shapes.ttl": "turtle", "void.ttl": "turtle"}


def expected_count(ds: Dataset, name: str) -> int:
    if name.startswith("graph-inferred"):
        return len(union_graph(ds, include_inferred=True))
    if name.startswith("graph"):
        return len(union_graph(ds))
    if name.startswith("dataset"):
        return sum(len(ds.graph(g)) for g in named_graphs(ds))
    if name == "ontology.ttl":
        return len(ds.graph(GRAPH["ontology"]))
    return len(Graph().parse(SHAPES)) if name == "shapes.ttl" else -1


@needs_rapper
@pytest.mark.parametrize("name", sorted(RAPPER_SYNTAX))
def test_rapper_parses_every_dump(release, ds, name):
    r = subprocess.run([RAPPER, "-i", RAPPER_SYNTAX[name], "-c", (release / name).as_uri()],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Error" not in r.stderr and "Warning" not in r.stderr, r.stderr
    count = int(r.stderr.split("Parsing returned ")[1].split()[0])
    if name != "void.ttl":
        assert count == expected_count(ds, name)
    else:
        assert count == len(Graph().parse(release / name))


OX_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES, ".nq": ox.RdfFormat.N_QUADS,
              ".trig": ox.RdfFormat.TRIG, ".jsonld": ox.RdfFormat.JSON_LD}


@pytest.mark.parametrize("name", sorted(DUMP_FILES + ["ontology.ttl", "shapes.ttl", "void.ttl", "context.jsonld"]))
def test_oxigraph_parses_every_dump(release, ds, name):
    path = release / name
    quads = list(ox.parse(path=str(path), format=OX_FORMATS[path.suffix]))
    if name == "context.jsonld":
        assert quads == []
    elif name != "void.ttl":
        assert len(quads) == expected_count(ds, name)


@pytest.mark.parametrize("name, fmt", [("graph.ttl", "turtle"), ("graph.nt", "nt"),
                                       ("graph-inferred.ttl", "turtle"), ("graph-inferred.nt", "nt")])
def test_graph_dumps_round_trip(release, ds, name, fmt):
    assert_isomorphic(Graph().parse(release / name, format=fmt),
                      union_graph(ds, include_inferred="inferred" in name))


@pytest.mark.parametrize("name, fmt", [("dataset.nq", "nquads"), ("dataset.trig", "trig"),
                                       ("dataset.jsonld", "json-ld")])
def test_dataset_dumps_round_trip(release, ds, name, fmt):
    back = Dataset()
    back.parse(release / name, format=fmt)
    assert named_graphs(back) == named_graphs(ds)
    for g in named_graphs(ds):
        assert_isomorphic(back.graph(g), ds.graph(g))


def test_jsonld_is_expanded_with_one_object_per_graph(release, ds):
    doc = json.loads((release / "dataset.jsonld").read_text())
    assert isinstance(doc, list)  # expanded JSON-LD, as Oxigraph streams it: no context needed
    assert {g["@id"] for g in doc} == {str(g) for g in named_graphs(ds)}  # a graph may come in parts
    context = json.loads((release / "context.jsonld").read_text())
    assert context["@context"]["id"] == "https://w3id.org/scgraph/id/"
    assert compact_iri("https://w3id.org/scgraph/id/org/ec") == "id:org/ec"
    assert compact_iri("https://example.org/x") == "https://example.org/x"


def test_one_turtle_file_per_named_graph(release, ds, void):
    for g in named_graphs(ds):
        name = graph_file(str(g))
        assert name.startswith("graphs/") and name.endswith(".ttl")
        assert_isomorphic(Graph().parse(release / name, format="turtle"), ds.graph(g))
        assert gzip.decompress((release / f"{name}.gz").read_bytes()) == (release / name).read_bytes()
        assert set(void.objects(g, VOID.dataDump)) == {DISTRIBUTION[name], DISTRIBUTION[name + ".gz"]}
    assert graph_file(str(GRAPH["source/web/x"])) == "graphs/source/web/x.ttl"
    # no IRI names a file outside graphs/
    for odd in (str(GRAPH["../../etc/passwd"]), "https://example.org/g", str(GRAPH["a//b"]), str(GRAPH["a/./b"])):
        assert graph_file(odd).startswith("graphs/other/") and ".." not in graph_file(odd)


@needs_rapper
def test_rapper_parses_the_graph_files(release, ds):
    for g in named_graphs(ds):
        r = subprocess.run([RAPPER, "-i", "turtle", "-c", (release / graph_file(str(g))).as_uri()],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and "Warning" not in r.stderr, r.stderr
        assert int(r.stderr.split("Parsing returned ")[1].split()[0]) == len(ds.graph(g))


def test_merged_dumps_hold_each_triple_once(release, ds):
    for name in ("graph.nt", "graph-inferred.nt"):
        lines = (release / name).read_text().splitlines()
        assert len(lines) == len(set(lines)) == expected_count(ds, name)


# --------------------------------------------------------------------------- VoID and DCAT


@pytest.fixture(scope="module")
def void(release) -> Graph:
    return Graph().parse(release / "void.ttl")


def integer(g: Graph, s, p) -> int:
    value = g.value(s, p)
    assert isinstance(value, Literal) and value.datatype == XSD.integer
    return int(value)


def test_void_counts_match_an_independent_count(void, ds):
    triples = {t for g in named_graphs(ds) for t in ds.graph(g)}
    assert integer(void, DATASET_IRI, VOID.triples) == len(triples)
    assert integer(void, DATASET_IRI, VOID.distinctSubjects) == len({s for s, _, _ in triples})
    assert integer(void, DATASET_IRI, VOID.distinctObjects) == len({o for _, _, o in triples})
    assert integer(void, DATASET_IRI, VOID.properties) == len({p for _, p, _ in triples})
    classes = Counter(o for s, p, o in {(s, p, o) for s, p, o in triples if p == RDF.type})
    partitions = {void.value(part, VOID["class"]): integer(void, part, VOID.entities)
                  for part in void.objects(DATASET_IRI, VOID.classPartition)}
    assert partitions == dict(classes)
    props = Counter(p for _, p, _ in triples)
    ppartitions = {void.value(part, VOID.property): integer(void, part, VOID.triples)
                   for part in void.objects(DATASET_IRI, VOID.propertyPartition)}
    assert ppartitions == dict(props)
    subsets = {s: integer(void, s, VOID.triples) for s in void.objects(DATASET_IRI, VOID.subset)}
    assert subsets == {g: len(ds.graph(g)) for g in named_graphs(ds)}


def test_dcat_distributions(void, release):
    assert (DATASET_IRI, RDF.type, DCAT.Dataset) in void
    assert void.value(DATASET_IRI, DCAT._NS["version"]) == Literal("1.2.3")
    assert void.value(DATASET_IRI, DCTERMS.issued) == Literal("2026-03-01", datatype=XSD.date)
    assert void.value(DATASET_IRI, DCTERMS.license) == CC_BY_4
    dists = set(void.objects(DATASET_IRI, DCAT.distribution))
    described = {"context.jsonld", "ontology.ttl", "shapes.ttl", "ontology.html"} | set(DUMP_FILES) | {
        f + ".gz" for f in DUMP_FILES}
    assert dists == {DISTRIBUTION[n] for n in described}
    for name in described:
        d = DISTRIBUTION[name]
        data = (release / name).read_bytes()
        assert int(void.value(d, DCAT.byteSize)) == len(data)
        checksum = void.value(d, SPDX.checksum)
        assert void.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(void.value(checksum, SPDX.checksumValue)) == hashlib.sha256(data).hexdigest()
        licence = APACHE_2 if name in ("context.jsonld", "ontology.ttl", "shapes.ttl", "ontology.html") else CC_BY_4
        assert void.value(d, DCTERMS.license) == licence
        assert void.value(d, DCAT.downloadURL) == void.value(d, DCAT.accessURL) == d
        assert str(void.value(d, DCTERMS.format)).startswith(
            "http://publications.europa.eu/resource/authority/file-type/")
    assert void.value(DISTRIBUTION["graph.ttl"], DCAT.mediaType) == URIRef(
        "http://www.iana.org/assignments/media-types/text/turtle")
    assert void.value(DISTRIBUTION["dataset.nq.gz"], DCAT.compressFormat) == URIRef(
        "http://www.iana.org/assignments/media-types/application/gzip")


def test_dcat_sources(void, ds):
    docs = set(union_graph(ds).subjects(RDF.type, URIRef("https://w3id.org/scgraph/ontology#SourceDocument")))
    assert docs and docs <= set(void.objects(DATASET_IRI, PROV.wasDerivedFrom))
    # DCAT-AP: dct:source is a dcat:Dataset; the documents are not, the EU registry is
    sources = set(void.objects(DATASET_IRI, DCTERMS.source))
    assert sources == {URIRef("https://data.europa.eu/data/datasets/"
                              "cordis-eu-research-projects-under-horizon-europe-2021-2027")}
    assert all((s, RDF.type, DCAT.Dataset) in void for s in sources)


def test_what_the_eu_data_portal_looks_for(void, ds):
    """The data.europa.eu metadata quality assessment's indicators beyond DCAT-AP's mandatory
    properties: spatial and temporal coverage (from the data), access rights, contact point,
    modification date."""
    everything = {t for g in named_graphs(ds) for t in ds.graph(g)}
    countries = {o for _s, _p, o in everything if isinstance(o, URIRef)
                 and str(o).startswith("http://publications.europa.eu/resource/authority/country/")}
    assert set(void.objects(DATASET_IRI, DCTERMS.spatial)) == countries  # none in this small project
    scg = "https://w3id.org/scgraph/ontology#"
    starts = [str(o)[:10] for _s, p, o in everything if str(p) == scg + "startDate"]
    ends = [str(o)[:10] for _s, p, o in everything if str(p) == scg + "endDate"]
    period = void.value(DATASET_IRI, DCTERMS.temporal)
    assert [str(void.value(period, DCAT.startDate))] == [min(starts)] if starts else period is None
    assert [str(void.value(period, DCAT.endDate))] == [max(ends)] if ends else period is None
    assert void.value(DATASET_IRI, DCTERMS.accessRights) == URIRef(
        "http://publications.europa.eu/resource/authority/access-right/PUBLIC")
    contact = void.value(DATASET_IRI, DCAT.contactPoint)
    vcard = "http://www.w3.org/2006/vcard/ns#"
    assert (contact, RDF.type, URIRef(vcard + "Kind")) in void
    assert str(void.value(contact, URIRef(vcard + "hasURL"))) == "https://w3id.org/scgraph"
    assert void.value(DATASET_IRI, DCTERMS.modified) == void.value(DATASET_IRI, DCTERMS.issued)


def test_licence_notes(release):
    text = (release / "LICENSE.md").read_text()
    assert "CC BY 4.0, © European Union" in text and "Apache License, Version 2.0" in text
    assert "release 1.2.3" in text


# --------------------------------------------------------------------------- changelog


def test_changelog_compares_with_the_previous_release(dataset_file, ds, tmp_path):
    out = tmp_path / "release"
    publish(out, dataset=dataset_file, shapes=SHAPES, issued="2026-03-01", version="1.0.0")
    first = (out / "CHANGELOG.md").read_text()
    assert first.startswith("# Changelog of the scgraph dataset\n\n## 1.0.0 (2026-03-01)\n\nFirst release")
    # the same version and data again: nothing changes, not even the changelog
    before = contents(out)
    publish(out, dataset=dataset_file, shapes=SHAPES, issued="2026-03-01", version="1.0.0")
    assert contents(out) == before

    changed = Dataset()
    for q in ds.quads((None, None, None, None)):
        changed.add(q)
    src = GRAPH["source/unit-chart"]
    removed_thing = sorted({s for s in ds.graph(src).subjects() if isinstance(s, URIRef)})[0]
    removed = list(ds.graph(src).triples((removed_thing, None, None)))
    for s, p, o in removed:
        changed.graph(src).remove((s, p, o))
    new = URIRef("https://w3id.org/scgraph/id/org/new-one")
    changed.graph(src).add((new, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal("New one")))
    path2 = tmp_path / "dataset2.nq"
    path2.write_bytes(nquads(changed))
    rel = publish(out, dataset=path2, shapes=SHAPES, issued="2026-04-01", version="1.1.0")
    log = (out / "CHANGELOG.md").read_text()
    assert log.startswith("# Changelog of the scgraph dataset\n\n## 1.1.0 (2026-04-01)\n\n"
                          "Compared with release 1.0.0 (2026-03-01).\n")
    assert (f"| graph:source/unit-chart | 1 | {len(removed)} | 1 | 1 |") in log
    assert "- added id:org/new-one" in log
    assert "## 1.0.0 (2026-03-01)" in log  # the older section is kept
    assert rel.previous == "1.0.0 (2026-03-01)"
    assert [c.graph for c in rel.changes] == [f"<{src}>"]

    other = tmp_path / "other"
    publish(other, dataset=dataset_file, shapes=SHAPES, issued="2026-05-01", version="1.2.0",
            previous=out)
    assert "Compared with release 1.1.0 (2026-04-01)." in (other / "CHANGELOG.md").read_text()


def test_bad_input_leaves_the_release_alone(dataset_file, release, tmp_path):
    before = contents(release)
    with pytest.raises(ReleaseError, match=r"^--date must be a day as YYYY-MM-DD, got '2026-13-01'$"):
        publish(release, dataset=dataset_file, shapes=SHAPES, issued="2026-13-01")
    with pytest.raises(ReleaseError, match="no such file; run 'scgraph build' first"):
        publish(release, dataset=tmp_path / "missing.nq", shapes=SHAPES, issued="2026-01-01")
    with pytest.raises(ReleaseError, match="not a release folder"):
        publish(release, dataset=dataset_file, shapes=SHAPES, previous=tmp_path)
    assert contents(release) == before


def test_cli_publish(dataset_file, files, tmp_path):
    exe = Path(sys.executable).parent / "scgraph"
    build = dataset_file.parent
    r = subprocess.run([str(exe), "publish", "--build-dir", str(build), "-o", str(tmp_path / "r"),
                        "--date", "2026-03-01", "--version", "2.0.0", "--shapes", str(SHAPES)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout == (f"scgraph release 2.0.0 (2026-03-01): {len(files)} files in {tmp_path / 'r'}\n"
                        "first release (no previous release to compare with)\n")
    bad = subprocess.run([str(exe), "publish", "--build-dir", str(tmp_path / "none"), "-o", str(tmp_path / "r")],
                         capture_output=True, text=True)
    assert bad.returncode == 1
    assert bad.stderr == f"Error: {tmp_path / 'none' / 'dataset.nq'}: no such file; run 'scgraph build' first\n"


# --------------------------------------------------------------------------- HTML documentation


def test_ontology_html_lists_terms_and_escapes_text():
    g = Graph().parse(data="""
        @prefix scg: <https://w3id.org/scgraph/ontology#> .
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <https://w3id.org/scgraph/ontology> a owl:Ontology ; rdfs:label "test <ontology>"@en .
        scg:City a owl:Class ; rdfs:label "city"@en ; skos:definition "A <b>town</b> & more."@en ;
            rdfs:subClassOf scg:Place .
        scg:Place a owl:Class ; rdfs:label "place"@en .
        scg:locatedIn a owl:ObjectProperty ; rdfs:label "located in"@en ; rdfs:range scg:Place .
    """, format="turtle")
    page = ontology_html(g, version="9.9")
    assert "<h1>test &lt;ontology&gt;</h1>" in page
    assert "<p>A &lt;b&gt;town&lt;/b&gt; &amp; more.</p>" in page
    assert '<section class="term" id="scg-City">' in page and '<section class="term" id="scg-locatedIn">' in page
    assert '<a href="#scg-Place"><code>scg:Place</code></a>' in page
    assert "<b>" not in page and "<script" not in page
    assert ontology_html(g, version="9.9") == page
