"""The lighthouse programme in the curated graph: every fact from a web page, each page its own
named graph, projects that join their CORDIS records, cities reconciled as the registry's are."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS

from scgraph.assemble import assemble, graph_name
from scgraph.importers.cordis import import_cordis, load_curated
from scgraph.namespaces import GRAPH, ID, SCG, SCHEMA

ROOT = Path(__file__).resolve().parents[1]
WEB = sorted((ROOT / "data" / "sources" / "web").glob("*.ttl"))
LIGHTHOUSE = ["atelier", "cityxchange", "growsmarter", "iris", "making-city", "matchup", "mysmartlife",
              "pocityf", "remourban", "replicate", "response", "ruggedised", "sharing-cities",
              "smartencity", "smarter-together", "sparcs", "stardust", "triangulum"]


@pytest.fixture(scope="module")
def ds():
    return assemble(ROOT)


@pytest.mark.parametrize("path", WEB, ids=lambda p: p.stem)
def test_each_web_page_is_one_source_with_its_address(path: Path) -> None:
    g = Graph().parse(path, format="turtle")
    pages = list(g.subjects(RDF.type, SCG.WebPage))
    assert len(pages) == 1
    page = pages[0]
    assert str(page) == str(ID[f"source/web/{path.stem.replace('_', '-')}"])
    url = g.value(page, SCHEMA.url)
    assert isinstance(url, URIRef) and str(url).startswith(("http://", "https://"))
    assert str(g.value(page, SCG.retrievedOn)) == "2026-12-05"
    assert g.value(page, RDFS.label) is not None


def test_the_eighteen_lighthouse_projects_with_their_cities(ds) -> None:
    projects = sorted(str(p).removeprefix(str(ID["project/"]))
                      for p, _t, _c, _g in ds.quads((None, RDF.type, SCG.LighthouseProject, None)))
    assert sorted(set(projects)) == LIGHTHOUSE
    for p in LIGHTHOUSE:
        lighthouse = {o for _s, _p, o, _g in ds.quads((ID[f"project/{p}"], SCG.lighthouseCity, None, None))}
        assert len(lighthouse) >= 2, p  # every page names at least two lighthouse cities
    def cities(prop):
        return {o for _s, _p, o, _g in ds.quads((ID["project/triangulum"], prop, None, None))}

    assert cities(SCG.lighthouseCity) == {ID["city/manchester-gb"], ID["city/eindhoven-nl"], ID["city/stavanger-no"]}
    assert cities(SCG.followerCity) == {
        ID["city/prague-cz"], ID["city/leipzig-de"], ID["city/sabadell-es"], ID["city/tianjin-cn"]}


def test_every_lighthouse_fact_is_in_the_graph_of_a_page(ds) -> None:
    """Each statement about a lighthouse project (but the programme membership, which the
    reference file derives from the pages) sits in the named graph of a web page."""
    web_graphs = {graph_name("source", p) for p in WEB}
    for p in LIGHTHOUSE:
        node = ID[f"project/{p}"]
        for s, pred, o, g in ds.quads((node, None, None, None)):
            if pred in (SCG.memberOf, SCG.statedIn):
                continue
            assert g in web_graphs, (pred, o, g)


def test_a_city_in_two_roles_stays_in_each_pages_graph(ds) -> None:
    tianjin = ID["city/tianjin-cn"]
    graphs = {(p, g) for _s, p, _o, g in ds.quads((ID["project/triangulum"], None, tianjin, None))}
    assert graphs == {(SCG.followerCity, GRAPH["source/web/scis-triangulum"]),
                      (SCG.observerCity, GRAPH["source/web/triangulum-project-eu-follower-cities"])}


def test_importing_the_horizon_2020_tables_joins_the_curated_projects() -> None:
    """A CORDIS H2020 row with Triangulum's grant number becomes project/triangulum, not a
    second project; a row no page names gets the importer's own IRI."""
    g = import_cordis(ROOT / "tests" / "data" / "cordis" / "h2020_lighthouse", curated=load_curated()).graph
    subjects = {s for s in g.subjects(SCG.identifier, None)}
    assert ID["project/triangulum"] in subjects
    assert ID["project/cordis-646578"] not in set(g.subjects()) | set(g.objects())
    assert ID["project/cordis-920002"] in subjects
    assert (ID["project/triangulum"], SCHEMA.sameAs, URIRef("https://cordis.europa.eu/project/id/646578")) in g
    # the curated label is kept: the importer does not add a second one
    assert list(g.objects(ID["project/triangulum"], RDFS.label)) == []


def test_generated_reference_file_is_up_to_date() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "describe_web_references.py"), "--check"],
                            capture_output=True, text=True)
    assert (result.returncode, result.stderr) == (0, "")
