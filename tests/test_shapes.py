"""The SHACL shapes (ontology/shapes.ttl): well-formed, documented, covering every class, and
reporting exactly what each broken fixture's header says, and nothing on the valid examples.

Each ``tests/data/broken/*.ttl`` starts with one comment line per expected result::

    # expect: <focus IRI> <path IRI>|- Violation|Warning|Info <constraint component>

The component is the local name of ``sh:sourceConstraintComponent`` (``MinCountConstraintComponent``,
``SPARQLConstraintComponent``, ...). A focus node that is a literal is written as in Turtle
(``"Brussels"``); a complex path as in SPARQL (``<a>|<b>``, ``^<a>``, ``<a>/<b>``, ``(<a>)*``). The test asserts
that the set of (focus, path, severity, component) that validation reports equals the header's set.
``tests/data/valid/*.ttl`` may carry ``# expect:`` lines too, for infos only: they must produce no
violation and no warning.

Validation runs as the pipeline runs it: through ``scgraph.validate.shacl.validate`` with the ontology
(scgraph.ttl, alignments.ttl, vocabularies.ttl) as pySHACL's ontology graph and RDFS inference.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, SH
from rdflib.term import Node

from scgraph.namespaces import SCG, SHAPES_IRI
from scgraph.validate.report import ValidationReport
from scgraph.validate.shacl import validate

HERE = Path(__file__).parent
ROOT = HERE.parent
ONTOLOGY = ROOT / "ontology"
SHAPES_FILE = ONTOLOGY / "shapes.ttl"
ONTOLOGY_FILES = [ONTOLOGY / "scgraph.ttl", ONTOLOGY / "alignments.ttl", ONTOLOGY / "vocabularies.ttl"]
BROKEN = sorted((HERE / "data" / "broken").glob("*.ttl"))
VALID = sorted((HERE / "data" / "valid").glob("*.ttl"))

SEVERITIES = {"Violation": SH.Violation, "Warning": SH.Warning, "Info": SH.Info}

# Classes of ontology/scgraph.ttl that no shape names in sh:targetClass, and why. Each is a
# sub-class of a targeted class, whose shapes reach it (SHACL targetClass follows
# rdfs:subClassOf); test_exemptions_are_true checks that.
EXEMPT = {
    SCG.Programme: "an initiative; checked by the shapes of scg:Initiative",
    SCG.FundingProgramme: "a programme; checked by the shapes of scg:Initiative",
    SCG.DataSpace: "an initiative; checked by the shapes of scg:Initiative",
    SCG.DirectorateGeneral: "an organisational unit; checked by scgsh:OrganisationalUnitShape",
    SCG.Forum: "a meeting; checked by the shapes of scg:Meeting",
    SCG.Workshop: "a meeting; checked by the shapes of scg:Meeting",
    SCG.Congress: "a meeting; checked by the shapes of scg:Meeting",
    SCG.Website: "a platform; checked by scgsh:PlatformShape",
    SCG.InteractivePlatform: "a platform; checked by scgsh:PlatformShape",
    SCG.Repository: "a platform; checked by scgsh:PlatformShape",
    SCG.Marketplace: "a platform; checked by scgsh:PlatformShape",
    SCG.FundingPortal: "a platform; checked by scgsh:PlatformShape",
    SCG.VideoChannel: "a platform; checked by scgsh:PlatformShape",
}


# --------------------------------------------------------------------------- helpers


@functools.cache
def shapes() -> Graph:
    return Graph().parse(SHAPES_FILE, format="turtle")


@functools.cache
def ontology() -> Graph:
    g = Graph()
    for path in ONTOLOGY_FILES:
        g.parse(path, format="turtle")
    return g


def run(path: Path) -> ValidationReport:
    data = Graph().parse(path, format="turtle")
    return validate(data, shapes=shapes(), ontology=ontology(), inference="rdfs")


def path_text(g: Graph, path: Node | None) -> str:
    """A result path as the headers write it: an IRI in <>, '-' for none, SPARQL for the rest."""
    if path is None:
        return "-"
    if isinstance(path, URIRef):
        return path.n3()
    inverse = g.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + path_text(g, inverse)
    alternatives = g.value(path, SH.alternativePath)
    if alternatives is not None:
        return "|".join(path_text(g, p) for p in Collection(g, alternatives))
    repeated = g.value(path, SH.zeroOrMorePath)
    if repeated is not None:
        return f"({path_text(g, repeated)})*"
    if g.value(path, RDF.first) is not None:
        return "/".join(path_text(g, p) for p in Collection(g, path))
    raise AssertionError(f"cannot write the path {path!r}")


def results(report: ValidationReport) -> set[tuple[str, str, str, str]]:
    short = {v: k for k, v in SEVERITIES.items()}
    return {
        (r.focus.n3(), path_text(report.graph, r.path), short[r.severity],
         str(r.component).rsplit("#", 1)[-1])
        for r in report.results
    }


def expected_from_header(path: Path) -> set[tuple[str, str, str, str]]:
    expected = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        body = line[1:].strip()
        if body.startswith("expect:"):
            focus, result_path, severity, component = body[len("expect:"):].split()
            assert severity in SEVERITIES, f"{path.name}: unknown severity {severity}"
            expected.add((focus, result_path, severity, component))
    return expected


def show(found: set, expected: set) -> str:
    lines = [f"  unexpected: {' '.join(r)}" for r in sorted(found - expected)]
    lines += [f"  missing:    {' '.join(r)}" for r in sorted(expected - found)]
    return "\n" + "\n".join(lines)


# --------------------------------------------------------------------------- the shapes file


def test_shapes_parse_and_have_an_ontology_header():
    g = shapes()
    assert (SHAPES_IRI, RDF.type, OWL.Ontology) in g
    assert g.value(SHAPES_IRI, OWL.versionInfo) == Literal("0.1.0")
    assert g.value(SHAPES_IRI, DCTERMS.license) == URIRef("https://www.apache.org/licenses/LICENSE-2.0")
    assert g.value(SHAPES_IRI, RDFS.label) is not None
    assert g.value(SHAPES_IRI, DCTERMS.description) is not None


def named_shapes(g: Graph) -> set[URIRef]:
    return {s for s in g.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef)}


def test_every_shape_is_named_labelled_and_commented():
    g = shapes()
    node_shapes = set(g.subjects(RDF.type, SH.NodeShape))
    assert node_shapes and all(isinstance(s, URIRef) for s in node_shapes)
    assert all(str(s).startswith("https://w3id.org/scgraph/shapes#") for s in node_shapes)
    unlabelled = sorted(s for s in node_shapes if g.value(s, RDFS.label) is None)
    uncommented = sorted(s for s in node_shapes if g.value(s, RDFS.comment) is None)
    assert unlabelled == [] and uncommented == []


def test_every_constraint_has_a_message():
    g = shapes()
    silent = [
        (shape, g.value(prop, SH.path))
        for shape in named_shapes(g)
        for prop in g.objects(shape, SH.property)
        if g.value(prop, SH.message) is None
    ]
    silent += [(shape, "sh:sparql") for shape in named_shapes(g)
               for c in g.objects(shape, SH.sparql) if g.value(c, SH.message) is None]
    # node-level constraints (sh:or, sh:pattern ...) take the node shape's message
    silent += [(shape, "node") for shape in named_shapes(g)
               if any(g.value(shape, p) is not None for p in (SH["or"], SH.pattern, SH.nodeKind))
               and g.value(shape, SH.message) is None]
    assert silent == []


def ontology_classes() -> set[URIRef]:
    g = Graph().parse(ONTOLOGY / "scgraph.ttl", format="turtle")
    return {c for c in g.subjects(RDF.type, OWL.Class)
            if isinstance(c, URIRef) and str(c).startswith(str(SCG._NS))}


def test_every_class_is_the_target_of_a_shape():
    targeted = set(shapes().objects(None, SH.targetClass))
    missing = sorted(ontology_classes() - targeted - set(EXEMPT))
    assert missing == []


def test_exemptions_are_true():
    g, targeted = ontology(), set(shapes().objects(None, SH.targetClass))
    classes = ontology_classes()
    for cls in EXEMPT:
        assert cls in classes, f"{cls} is not a class of the ontology"
        assert cls not in targeted, f"{cls} has a shape of its own: drop the exemption"
        supers = set(g.transitive_objects(cls, RDFS.subClassOf)) - {cls}
        assert supers & targeted, f"no shape reaches {cls} through a super-class"


def test_targets_are_ontology_classes():
    unknown = sorted(set(shapes().objects(None, SH.targetClass)) - ontology_classes())
    assert unknown == []


def test_the_ontology_and_vocabularies_conform():
    report = validate(Graph(), shapes=shapes(), ontology=ontology(), inference="rdfs")
    assert report.results == []


# --------------------------------------------------------------------------- fixtures


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_broken_case_is_reported(path: Path):
    expected = expected_from_header(path)
    assert expected, f"{path.name} has no '# expect:' line"
    found = results(run(path))
    assert found == expected, show(found, expected)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_case_has_no_violation_or_warning(path: Path):
    expected = expected_from_header(path)
    assert all(severity == "Info" for _, _, severity, _ in expected)
    found = results(run(path))
    assert found == expected, show(found, expected)


def test_there_are_fixtures():
    assert len(BROKEN) >= 40 and len(VALID) >= 1
    assert len({p.stem for p in BROKEN}) == len(BROKEN)


def test_every_severity_and_sparql_rule_is_exercised():
    """Each SPARQL constraint of the shapes is expected by at least one broken fixture."""
    expected = set().union(*(expected_from_header(p) for p in BROKEN))
    assert {severity for _, _, severity, _ in expected} == set(SEVERITIES)
    g = shapes()
    n_sparql = sum(1 for _ in g.subject_objects(SH.sparql))
    n_sparql_cases = sum(
        1 for p in BROKEN if any(c == "SPARQLConstraintComponent" for *_, c in expected_from_header(p))
    )
    assert n_sparql_cases >= n_sparql
