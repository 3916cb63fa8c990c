"""validate() and validate_files(): SHACL results as dataclasses; only violations fail."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipeline_fixtures import PIPELINE, ROOT, USER
from rdflib import Graph, Literal
from rdflib.namespace import DCTERMS, RDF, RDFS, SH

from scgraph.assemble import assemble
from scgraph.errors import ShapesError, SourceError
from scgraph.namespaces import ID, SCG, SHAPES
from scgraph.validate.report import ValidationReport
from scgraph.validate.shacl import load_shapes, validate, validate_files

SHAPES_FILE = ROOT / "ontology" / "shapes.ttl"


def triples(report: ValidationReport) -> set[tuple]:
    return {(r.severity, r.focus, r.path, r.component) for r in report.results}


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return load_shapes(SHAPES_FILE)


def test_a_file_linking_to_reference_data_conforms(shapes):
    report = validate_files([USER / "good_unit.ttl"], shapes=shapes, root=ROOT)
    assert report.conforms
    assert report.results == []
    assert (None, SH.conforms, Literal(True)) in report.graph


def test_without_the_reference_data_the_same_file_does_not_conform(shapes):
    data = Graph().parse(USER / "good_unit.ttl")
    report = validate(data, shapes)
    assert triples(report) == {(SH.Violation, ID["org/dg-regio"], SCG.unitOf, SH.ClassConstraintComponent)}


def test_broken_file_reports_exactly_its_own_problems(shapes):
    report = validate_files([USER / "bad_unit.ttl"], shapes=shapes, root=ROOT)
    nameless, loop = ID["org/nameless"], ID["org/loop"]
    assert not report.conforms
    assert triples(report) == {
        (SH.Violation, nameless, RDFS.label, SH.MinCountConstraintComponent),
        (SH.Violation, nameless, SCG.unitOf, SH.ClassConstraintComponent),
        (SH.Violation, loop, None, SH.SPARQLConstraintComponent),
        (SH.Warning, nameless, DCTERMS.description, SH.MinCountConstraintComponent),
        (SH.Warning, loop, DCTERMS.description, SH.MinCountConstraintComponent),
    }  # not the reference data's own warning about id:org/ec
    assert len(report.violations) == 3 and len(report.warnings) == 2
    assert {r.value for r in report.violations} == {None, ID["org/nowhere"], loop}
    assert (None, SH.conforms, Literal(False)) in report.graph
    assert len(list(report.graph.subjects(RDF.type, SH.ValidationResult))) == 5


def test_summary(shapes):
    report = validate_files([USER / "bad_unit.ttl"], shapes=shapes, root=ROOT)
    assert report.summary() == (
        "Conforms: no (3 violations, 2 warnings, 0 infos)\n"
        "violation: id:org/loop: an organisation cannot be a unit of itself "
        "[sh:SPARQLConstraintComponent] (value: id:org/loop)\n"
        "violation: id:org/nameless rdfs:label: an organisation needs a label "
        "[sh:MinCountConstraintComponent]\n"
        "violation: id:org/nameless scg:unitOf: unit of a non-organisation "
        "[sh:ClassConstraintComponent] (value: id:org/nowhere)\n"
        "warning: id:org/loop dcterms:description: an organisation should have a description "
        "[sh:MinCountConstraintComponent]\n"
        "warning: id:org/nameless dcterms:description: an organisation should have a description "
        "[sh:MinCountConstraintComponent]\n"
    )


def test_warnings_do_not_fail(shapes):
    report = validate_files([USER / "warning_only.ttl"], shapes=shapes, root=ROOT)
    assert report.conforms
    assert triples(report) == {
        (SH.Warning, ID["org/dg-mobility"], DCTERMS.description, SH.MinCountConstraintComponent)}
    assert report.summary().splitlines()[0] == "Conforms: yes (0 violations, 1 warning, 0 infos)"


def test_dataset_is_validated_as_its_data_graphs_with_the_ontology(shapes):
    report = validate(assemble(ROOT), shapes)
    # id:org/ec is typed scg:Organisation, dg-cnect and cnect-c3 only via rdfs:subClassOf
    assert triples(report) == {(SH.Warning, ID["org/ec"], DCTERMS.description, SH.MinCountConstraintComponent)}
    assert report.conforms


def test_sparql_constraints_run(shapes):
    report = validate_files([USER / "bad_unit.ttl"], shapes=shapes, root=ROOT)
    sparql = [r for r in report.results if r.component == SH.SPARQLConstraintComponent]
    assert [r.source_shape for r in sparql] == [SHAPES.UnitShape]


def test_default_shapes_come_from_the_root(tmp_path):
    report = validate_files([USER / "bad_unit.ttl"], root=ROOT)
    assert len(report.violations) == 3


def test_malformed_user_file():
    path = USER / "malformed.ttl"
    with pytest.raises(SourceError) as e:
        validate_files([path], root=ROOT)
    assert str(e.value) == f"{path}:4: bad syntax: expected '.' or '}}' or ']' at end of statement"


def test_broken_shapes():
    path = PIPELINE / "broken_shapes.ttl"
    with pytest.raises(ShapesError) as e:
        load_shapes(path)
    assert str(e.value) == (
        f"{path}:5: cannot load the shapes: bad syntax: expected '.' or '}}' or ']' at end of statement")


def test_missing_shapes(tmp_path):
    with pytest.raises(ShapesError) as e:
        load_shapes(tmp_path / "nope.ttl")
    assert str(e.value) == f"{tmp_path / 'nope.ttl'}: cannot load the shapes: no such file"


def test_validate_files_sees_violations_of_nested_shapes():
    """A regression guard: pySHACL's focus_nodes option would make 'scgraph validate' of a small
    file four times faster, but it filters the value nodes of nested shapes too (sh:or on a
    literal), so this violation went unreported. validate_files validates everything and keeps
    the results about the file's own things."""
    path = Path(__file__).parent / "data" / "broken" / "datetime_without_timezone.ttl"
    report = validate_files([path])
    assert not report.conforms
    assert any("xsd:dateTime with a time zone" in r.message for r in report.results)
