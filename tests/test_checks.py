"""The SPARQL checks of queries/checks report what pySHACL reports for the same shapes."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, SH, XSD

from scgraph.build import assemble
from scgraph.checks import load_checks, merge_reports, run_checks
from scgraph.namespaces import ID, SCG
from scgraph.reason import infer_store
from scgraph.store import OxigraphStore
from scgraph.validate import validate

CORDIS = Path(__file__).parent / "data" / "cordis" / "official"
PATHS = {SCG.value, SCG.currency, SCG.participant, SCG.participationRole, SCG.acronym,
         SCG.hasParticipation, SCG.country}
COMPONENTS = {SH[f"{c}ConstraintComponent"] for c in
              ("MinCount", "MaxCount", "Datatype", "MinInclusive", "Pattern", "Class")}


def _broken_registry():
    from scgraph.importers.cordis import REGISTRY_GRAPH, import_cordis, load_curated

    ds = assemble()
    import_cordis(CORDIS, curated=load_curated(), dataset=ds)
    g = ds.graph(REGISTRY_GRAPH)
    participations = sorted(g.subjects(RDF.type, SCG.Participation))
    amounts = sorted(g.subjects(RDF.type, SCG.MonetaryAmount))
    projects = sorted(s for s in g.subjects(RDF.type, SCG.Project))
    orgs = sorted(g.subjects(RDF.type, SCG.Organisation))
    assert len(participations) >= 3 and len(amounts) >= 4 and projects and orgs
    g.remove((participations[0], SCG.participationRole, None))                 # min count
    g.add((participations[1], SCG.participant, orgs[0]))                        # max count (if new)
    g.add((participations[2], SCG.participationRole, ID["org/not-a-role"]))     # class
    g.set((amounts[0], SCG.currency, Literal("eur")))                           # pattern
    g.set((amounts[1], SCG.value, Literal("-5", datatype=XSD.decimal)))         # min inclusive
    g.set((amounts[2], SCG.value, Literal("12")))                               # datatype
    g.remove((amounts[3], SCG.currency, None))                                  # min count
    g.add((projects[0], SCG.acronym, Literal("SECOND")))                        # max count
    g.add((projects[0], SCG.hasParticipation, orgs[0]))                         # class
    g.add((orgs[0], SCG.country, ID["city/brussels"]))                          # class
    return ds, {s for s in g.subjects()}


@pytest.mark.repo_data
def test_checks_find_what_pyshacl_finds_on_registry_data():
    ds, registry_subjects = _broken_registry()
    expected = {(r.focus, r.path, r.component) for r in validate(ds).results
                if r.severity == SH.Violation and r.focus in registry_subjects
                and r.path in PATHS and r.component in COMPONENTS}
    store = OxigraphStore()
    store.load_dataset(ds)
    infer_store(store)
    got = {(r.focus, r.path, r.component) for r in run_checks(store)}
    assert len(expected) >= 9
    assert got == expected


def test_every_check_names_a_shape_and_a_title():
    checks = load_checks()
    assert checks
    for c in checks:
        assert c.title and str(c.shape).startswith("https://w3id.org/scgraph/shapes#"), c.name


def test_merged_report_fails_on_a_registry_violation():
    from scgraph.validate import ValidationReport, ValidationResult

    curated = ValidationReport(conforms=True, results=[], graph=__import__("rdflib").Graph())
    r = ValidationResult(focus=URIRef("https://w3id.org/scgraph/id/x"), path=SCG.value,
                         severity=SH.Violation, component=SH.MinCountConstraintComponent,
                         message="m", source_shape=URIRef("https://w3id.org/scgraph/shapes#S"), value=None)
    merged = merge_reports(curated, [r])
    assert not merged.conforms and merged.violations == [r]
    assert (None, SH.focusNode, r.focus) in merged.graph
