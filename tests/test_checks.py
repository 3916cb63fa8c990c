"""The SPARQL checks of queries/checks report what pySHACL reports for the same shapes."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD

from scgraph.assemble import assemble
from scgraph.validate.checks import load_checks, merge_reports, registry_query, run_checks
from scgraph.errors import QueryError
from scgraph.namespaces import GRAPH, ID, ONTOLOGY_GRAPH, ROLE, SCG
from scgraph.reason import infer_store
from scgraph.store import OxigraphStore
from scgraph.validate.shacl import load_shapes, validate

CORDIS = Path(__file__).parent / "data" / "cordis" / "official"
SHAPES = URIRef("https://w3id.org/scgraph/shapes#")
#: The rules the checks mirror: (shape, path) -> constraint components.
COVERED = {
    (SHAPES + "MonetaryAmountShape", SCG.value): {"MinCount", "MaxCount", "Datatype", "MinInclusive"},
    (SHAPES + "MonetaryAmountShape", SCG.currency): {"MinCount", "MaxCount", "Pattern"},
    (SHAPES + "ParticipationShape", SCG.participant): {"MinCount", "MaxCount", "Class"},
    (SHAPES + "ParticipationShape", SCG.participationRole): {"MinCount", "MaxCount", "Class"},
    (SHAPES + "ProjectShape", SCG.acronym): {"MaxCount", "Datatype"},
    (SHAPES + "ProjectShape", SCG.hasParticipation): {"Class"},
    (SHAPES + "OrganisationShape", SCG.country): {"MaxCount", "Class"},
}
PILOT = ID["test/PilotAction"]  # a class of the test data: under scg:CoordinationAction, under scg:Project


def _node_shape(shapes: Graph, shape) -> object:
    """The node shape of a result's source shape (pySHACL names the property shape)."""
    return shapes.value(None, SH.property, shape) or shape


def _key(r) -> tuple:
    return (r.focus, r.path, r.component, r.value)


def _broken_registry():
    """The curated graph plus a CORDIS import, broken once per rule; also the things that are
    broken outside the registry graph (pySHACL reports them, the checks must not)."""
    from scgraph.importers.cordis import REGISTRY_GRAPH, import_cordis, load_curated

    ds = assemble()
    import_cordis(CORDIS, curated=load_curated(), dataset=ds)
    g = ds.graph(REGISTRY_GRAPH)
    participations = sorted(g.subjects(RDF.type, SCG.Participation))
    amounts = sorted(g.subjects(RDF.type, SCG.MonetaryAmount))
    projects = sorted(s for s in g.subjects(RDF.type, SCG.Project))
    orgs = sorted(g.subjects(RDF.type, SCG.Organisation))
    assert len(participations) >= 8 and len(amounts) >= 11 and len(projects) >= 2 and orgs
    g.remove((participations[0], SCG.participationRole, None))                 # min count
    g.add((participations[1], SCG.participant, ID["org/test-unit"]))             # max count
    g.add((participations[2], SCG.participationRole, ID["org/not-a-role"]))     # class
    g.set((amounts[0], SCG.currency, Literal("eur")))                           # pattern
    g.set((amounts[1], SCG.value, Literal("-5", datatype=XSD.decimal)))         # min inclusive
    g.set((amounts[2], SCG.value, Literal("12")))                               # datatype
    g.remove((amounts[3], SCG.currency, None))                                  # min count
    g.add((projects[0], SCG.acronym, Literal("SECOND")))                        # max count
    g.add((projects[0], SCG.hasParticipation, orgs[0]))                         # class
    g.add((orgs[0], SCG.country, ID["city/brussels"]))                          # class
    g.remove((participations[5], SCG.participant, None))                       # min count
    g.add((participations[6], SCG.participationRole, ROLE["associated-partner"]))  # max count (if new)
    g.add((amounts[4], SCG.currency, Literal("USD")))                           # max count
    g.add((amounts[5], SCG.value, Literal("7.5", datatype=XSD.decimal)))        # max count
    g.remove((amounts[6], SCG.value, None))                                     # min count
    g.set((participations[7], SCG.participant, ID["city/brussels"]))            # class
    g.set((projects[1], SCG.acronym, Literal("ACRONYM", lang="en")))            # datatype
    g.set((amounts[7], SCG.value, Literal("abc", datatype=XSD.decimal)))        # datatype (ill-typed)
    g.set((amounts[8], SCG.value, Literal(5)))                                  # datatype (an integer)
    g.set((amounts[9], SCG.currency, ID["currency/EUR"]))                       # pattern (an IRI)
    g.add((projects[1], SCG.acronym, ID["org/not-a-string"]))                   # datatype, max count
    # The same triple asserted in two graphs is one value, not two.
    ds.graph(GRAPH["reference/places"]).add((amounts[10], SCG.value, g.value(amounts[10], SCG.value)))

    # Sub-classes: targets and sh:class follow rdfs:subClassOf, of the ontology and of the data.
    g.add((PILOT, RDFS.subClassOf, SCG.CoordinationAction))
    pilot, unit = ID["project/test-pilot"], ID["org/test-unit"]
    g.add((pilot, RDF.type, PILOT))
    g.add((pilot, SCG.acronym, Literal("PILOT")))
    g.add((pilot, SCG.acronym, Literal("PILOT-2")))                             # max count
    g.add((pilot, SCG.hasParticipation, participations[3]))                     # fine
    g.add((pilot, SCG.hasParticipation, orgs[1]))                               # class
    g.add((unit, RDF.type, SCG.OrganisationalUnit))                             # an scg:Organisation
    g.add((unit, SCG.unitOf, orgs[1]))
    g.add((unit, SCG.country, ID["country/be"]))
    g.add((unit, SCG.country, ID["country/fr"]))                                # max count
    g.set((participations[4], SCG.participant, unit))                           # fine
    for value in (Literal("-1", datatype=XSD.decimal), Literal("x")):         # fine: not an amount
        g.add((unit, SCG.value, value))
    g.add((unit, SCG.currency, Literal("eur")))                                 # fine: not an amount

    # A curated project, typed in its curated graph only, that the registry graph describes.
    ontology = ds.graph(ONTOLOGY_GRAPH)
    project_classes = set(ontology.transitive_subjects(RDFS.subClassOf, SCG.Project))
    curated = ds.graph(GRAPH["reference/projects"])
    described = sorted(s for s in curated.subjects(SCG.acronym, None)
                       if set(curated.objects(s, RDF.type)) & project_classes and (s, None, None) not in g)
    assert len(described) >= 2
    g.add((described[0], SCG.acronym, Literal("EXTRA")))                        # max count
    curated.add((described[1], SCG.acronym, Literal("EXTRA")))                  # outside the registry
    return ds, {s for s in g.subjects()}, described


@pytest.fixture(scope="module")
def broken():
    ds, registry_subjects, described = _broken_registry()
    shapes = load_shapes()
    pyshacl = [r for r in validate(ds, shapes).results if r.severity == SH.Violation
               and r.component in {SH[f"{c}ConstraintComponent"] for c in
                                   COVERED.get((_node_shape(shapes, r.source_shape), r.path), ())}]
    store = OxigraphStore()
    store.load_dataset(ds)
    infer_store(store)  # the checks must not read graph:inferred (its rdfs:range types hide sh:class violations)
    return pyshacl, registry_subjects, described, store


@pytest.mark.repo_data
def test_checks_find_what_pyshacl_finds_on_registry_data(broken):
    pyshacl, registry_subjects, _, store = broken
    expected = {_key(r) for r in pyshacl if r.focus in registry_subjects}
    got = run_checks(store)
    assert {_key(r) for r in got} == expected
    assert len(got) == len(expected) >= 20
    assert {(r.source_shape, r.path, r.component) for r in got} == {  # every rule is exercised
        (shape, path, SH[f"{c}ConstraintComponent"]) for (shape, path), cs in COVERED.items() for c in cs}


@pytest.mark.repo_data
def test_checks_follow_sub_classes_and_keep_to_registry_things(broken):
    pyshacl, _, described, store = broken
    got = {_key(r) for r in run_checks(store)}
    pilot, unit = ID["project/test-pilot"], ID["org/test-unit"]
    assert (pilot, SCG.acronym, SH.MaxCountConstraintComponent, None) in got
    assert any(f == pilot and p == SCG.hasParticipation and c == SH.ClassConstraintComponent
               for f, p, c, _ in got)
    assert (unit, SCG.country, SH.MaxCountConstraintComponent, None) in got
    assert not any(v == unit for *_, v in got)  # a unit is an organisation: a fine participant
    # typed outside the registry graph, described in it: checked
    assert (described[0], SCG.acronym, SH.MaxCountConstraintComponent, None) in got
    # broken outside the registry graph: pySHACL's (curated) report has it, the checks not
    outside = (described[1], SCG.acronym, SH.MaxCountConstraintComponent, None)
    assert outside in {_key(r) for r in pyshacl} and outside not in got


@pytest.mark.repo_data
def test_the_check_queries_report_every_thing_of_the_data(broken):
    """Without run_checks' registry filter a check also reports curated things."""
    _, _, described, store = broken
    check = next(c for c in load_checks() if c.name == "project")
    res = store.query(check.sparql, graphs=[g for g in store.named_graphs() if g != GRAPH["inferred"]])
    foci = {row[0] for row in res.rows}
    assert {described[0], described[1], ID["project/test-pilot"]} <= foci
    res = store.query(registry_query(check), graphs=store.named_graphs())
    assert described[1] not in {row[0] for row in res.rows}


def test_no_registry_graph_no_checks():
    store = OxigraphStore()
    store.load_quads([(ID["x"], RDF.type, SCG.MonetaryAmount, GRAPH["source/x"])])
    assert run_checks(store) == []


def test_every_check_names_a_shape_and_a_title():
    checks = load_checks()
    assert checks
    for c in checks:
        assert c.title and str(c.shape).startswith("https://w3id.org/scgraph/shapes#"), c.name


@pytest.mark.parametrize("text, message", [
    ("# title: t\nSELECT ?focus ?path ?component ?value WHERE { ?focus ?path ?value }\n",
     "'# shape:' header line"),
    ("# title: t\n# shape: scgsh:ProjectShape\nSELECT ?focus WHERE { ?focus ?p ?o }\n",
     "SELECT ?focus ?path ?component ?value WHERE {"),
])
def test_a_malformed_check_is_a_one_line_error(tmp_path, text, message):
    (tmp_path / "bad_check.rq").write_text(text, encoding="utf-8")
    with pytest.raises(QueryError) as e:
        load_checks(tmp_path)
    assert str(e.value).startswith(f"{tmp_path / 'bad_check.rq'}: ") and message in str(e.value)
    assert "\n" not in str(e.value)


def test_merged_report_fails_on_a_registry_violation():
    from scgraph.validate.report import ValidationReport, ValidationResult

    curated = ValidationReport(conforms=True, results=[], graph=Graph())
    r = ValidationResult(focus=URIRef("https://w3id.org/scgraph/id/x"), path=SCG.value,
                         severity=SH.Violation, component=SH.MinCountConstraintComponent,
                         message="m", source_shape=URIRef("https://w3id.org/scgraph/shapes#S"), value=None)
    merged = merge_reports(curated, [r])
    assert not merged.conforms and merged.violations == [r]
    assert (None, SH.focusNode, r.focus) in merged.graph
