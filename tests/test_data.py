"""The curated data: every file parses, uses only defined terms, links only to described
things, carries clean text, and traces back to the five source documents."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef

from scgraph.parse import load_graph
from scgraph.namespaces import BASE, ID, ROLE, SCG, SYNERGY_TYPE, THEME

ROOT = Path(__file__).resolve().parents[1]
DATA_FILES = sorted((ROOT / "data").rglob("*.ttl"))
SOURCE_FILES = sorted((ROOT / "data" / "sources").glob("*.ttl"))
SEEDS = ROOT.parent / "shared" / "seeds"
SCG_NS = str(SCG._NS)
MOJIBAKE = re.compile("[\u00c2\u00c3\u00e2][\u0080-\u00bf\u20ac\u201a-\u203a\u0152\u0153\u0160\u0161\u017d\u017e\u0178]|\ufffd")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load_graph(*sorted((ROOT / "ontology").glob("*.ttl")))


@pytest.fixture(scope="module")
def data() -> Graph:
    return load_graph(*DATA_FILES)


def test_there_is_one_source_file_per_seed() -> None:
    assert len(SOURCE_FILES) == 5


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_file_parses_without_blank_nodes(path: Path) -> None:
    g = load_graph(path)
    assert len(g) > 0
    assert [t for t in g if any(isinstance(x, BNode) for x in t)] == []


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_subject_is_a_scgraph_thing(path: Path) -> None:
    outside = sorted({str(s) for s in load_graph(path).subjects() if not str(s).startswith(str(ID))})
    assert outside == []


@pytest.mark.parametrize("path", SOURCE_FILES, ids=lambda p: p.name)
def test_source_file_describes_exactly_one_document_of_the_seeds(path: Path) -> None:
    g = load_graph(path)
    docs = list(g.subjects(RDF.type, SCG.SourceDocument))
    assert len(docs) == 1
    doc = docs[0]
    assert str(doc) == str(ID["source/" + path.stem.replace("_", "-")])
    seed = str(g.value(doc, SCG.seedFile))
    checksum = str(g.value(doc, SCG.sha256))
    if SEEDS.is_dir():  # shared/ sits beside the checkout in development and CI
        assert hashlib.sha256((SEEDS / seed).read_bytes()).hexdigest() == checksum


def test_the_five_documents_cover_the_five_seeds(data: Graph) -> None:
    seeds = sorted(str(o) for o in data.objects(None, SCG.seedFile))
    assert [s[:3] for s in seeds] == ["000", "001", "002", "003", "004"]
    if SEEDS.is_dir():
        assert seeds == sorted(p.name for p in SEEDS.glob("*.txt"))


def test_only_defined_terms_are_used(data: Graph, ontology: Graph) -> None:
    defined = {s for s in ontology.subjects() if isinstance(s, URIRef)}
    used = {p for p in data.predicates()} | {o for o in data.objects(None, RDF.type)}
    used |= {o for o in data.objects() if isinstance(o, URIRef) and str(o).startswith((SCG_NS, str(THEME), str(ROLE), str(SYNERGY_TYPE)))}
    undefined = sorted(str(t) for t in used if str(t).startswith(BASE) and not str(t).startswith(str(ID)) and t not in defined)
    assert undefined == []


def test_every_linked_thing_is_described(data: Graph) -> None:
    described = {s for s in data.subjects(RDFS.label, None)}
    dangling = sorted(
        {str(o) for o in data.objects() if isinstance(o, URIRef) and str(o).startswith(str(ID)) and o not in described}
    )
    assert dangling == []


def test_text_is_clean_unicode(data: Graph) -> None:
    bad = sorted(
        str(o)
        for o in data.objects()
        if isinstance(o, Literal)
        and isinstance(o.value, str)
        and (MOJIBAKE.search(str(o)) or unicodedata.normalize("NFC", str(o)) != str(o) or "\u00a0" in str(o))
    )
    assert bad == []


def test_mojibake_detector_catches_the_sources_damage() -> None:
    """The pattern above finds the damage the seeds really carry (and passes clean text)."""
    assert MOJIBAKE.search("Networking \u00e2\u20ac\u201c feedback")
    assert MOJIBAKE.search("M\u00c3\u00bcnchen")
    assert not MOJIBAKE.search("Networking \u2013 feedback, München, Bruxelles")


def test_declared_but_unnamed_counts_are_recorded(data: Graph) -> None:
    meeting = ID["meeting/2023-06-06-second-cluster-meeting-smart-communities"]
    assert data.value(meeting, SCG.declaredParticipantCount).toPython() == 18
    assert data.value(ID["project/connectedineurope"], SCG.declaredCityCount).toPython() == 12
    assert list(data.objects(ID["project/connectedineurope"], SCG.involvesCity)) == []
