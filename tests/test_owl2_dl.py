"""The ontology graph is in OWL 2 DL: the OWL API's OWL 2 DL profile check finds no violation.

What is checked is what scgraph publishes as its ontology: the named graph
``graph:ontology`` (every file of ``ontology/`` but the shapes), which a release writes as
``ontology.ttl``; it is serialised as Turtle here and loaded as one document. The ontology
imports nothing from outside: ``alignments.ttl`` declares every standard term it uses, and the
loader fetches nothing (every import maps to a missing local file and is ignored; the only
``owl:imports`` are of modules of the same document, which a test below checks).

The profile check is Debian's OWL API 5 (libowlapi-java, which scripts/test.sh installs when run
as root), run as a small Java program by Java's single-file source launcher, as
tests/test_strict_sparql.py runs Apache Jena. Two checks the OWL API leaves out are made here in
Python and need no Java: every standard term the ontology uses is declared with one kind, and
no datatype outside the OWL 2 datatype map is used as a range or declared (the OWL API accepts a
declared ``xsd:date``; OWL 2 DL does not: its IRI is reserved vocabulary).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, XSD, Graph, URIRef

from scgraph.assemble import assemble
from scgraph.namespaces import ONTOLOGY_GRAPH

JAVA_DIR = Path(os.environ.get("SCGRAPH_OWLAPI_JARS", "/usr/share/java"))
JAVA = shutil.which("java")
#: The OWL API 5 and what loading a Turtle document and checking a profile need (from the
#: Debian package's dependencies; the whole of /usr/share/java will not do: it holds several
#: SLF4J bindings that refuse to load together).
JARS = ["owlapi-api", "owlapi-impl", "owlapi-parsers", "owlapi-apibinding", "guava", "caffeine",
        "atinject-jsr330-api", "hppcrt", "commons-rdf-api", "commons-io", "xz", "slf4j-api",
        "slf4j-nop"]
MISSING = [j for j in JARS if not (JAVA_DIR / f"{j}.jar").is_file()]

#: Loads each Turtle file named on the command line as one ontology, fetching nothing, and
#: checks it against the OWL 2 DL profile. Prints, per file, "FILE <path>", then
#: "ONTOLOGY <axiom count>", one "IMPORT <iri>" per import declaration and one
#: "VIOLATION <class>\\t<violation on one line>" per violation, or "ERROR <message>".
CHECKER = """
import java.io.File;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.formats.TurtleDocumentFormat;
import org.semanticweb.owlapi.io.FileDocumentSource;
import org.semanticweb.owlapi.model.*;
import org.semanticweb.owlapi.profiles.*;

public class Owl2Dl {
    static String line(Object o) {
        return String.valueOf(o).replace('\\n', ' ').replace('\\r', ' ');
    }

    public static void main(String[] args) throws Exception {
        for (String a : args) {
            System.out.println("FILE " + a);
            OWLOntologyManager m = OWLManager.createOWLOntologyManager();
            // Nothing from the network: every ontology IRI (an import's) maps to a local file
            // that does not exist, and a missing import is ignored.
            IRI nowhere = IRI.create(new File(a + ".no-such-import"));
            m.getIRIMappers().clear();
            m.getIRIMappers().add(iri -> nowhere);
            OWLOntologyLoaderConfiguration c = new OWLOntologyLoaderConfiguration()
                .setMissingImportHandlingStrategy(MissingImportHandlingStrategy.SILENT)
                .setFollowRedirects(false);
            try {
                OWLOntology o = m.loadOntologyFromOntologyDocument(
                    new FileDocumentSource(new File(a), new TurtleDocumentFormat()), c);
                System.out.println("ONTOLOGY " + o.getAxiomCount());
                o.importsDeclarations().forEach(d -> System.out.println("IMPORT " + d.getIRI()));
                OWLProfileReport r = new OWL2DLProfile().checkOntology(o);
                for (OWLProfileViolation v : r.getViolations()) {
                    System.out.println("VIOLATION " + v.getClass().getSimpleName() + "\\t" + line(v));
                }
            } catch (Exception e) {
                System.out.println("ERROR " + line(e));
            }
        }
    }
}
"""

#: Documents with one known violation each, and the OWL API's name for it: the check can fail.
PROBE_HEAD = """@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <http://example.org/probe#> .
<http://example.org/probe> a owl:Ontology .
"""
PROBES = {
    "undeclared-property": ("ex:p a owl:ObjectProperty ; rdfs:subPropertyOf ex:undeclared .",
                            "UseOfUndeclaredObjectProperty"),
    "undeclared-class": ("ex:C a owl:Class ; rdfs:subClassOf ex:Undeclared .", "UseOfUndeclaredClass"),
    "xsd-date-range": ("ex:d a owl:DatatypeProperty ; rdfs:range xsd:date .", "UseOfUndeclaredDatatype"),
    "owl-class-range": ("ex:k a owl:ObjectProperty ; rdfs:range owl:Class .",
                        "UseOfReservedVocabularyForClassIRI"),
}

#: The OWL 2 datatype map (OWL 2 Structural Specification, section 4) and rdfs:Literal.
OWL2_DATATYPES = {XSD[n] for n in (
    "decimal", "integer", "nonNegativeInteger", "nonPositiveInteger", "positiveInteger",
    "negativeInteger", "long", "int", "short", "byte", "unsignedLong", "unsignedInt",
    "unsignedShort", "unsignedByte", "double", "float", "string", "normalizedString", "token",
    "language", "Name", "NCName", "NMTOKEN", "boolean", "hexBinary", "base64Binary", "anyURI",
    "dateTime", "dateTimeStamp")} | {OWL.real, OWL.rational, RDF.XMLLiteral, RDF.PlainLiteral, RDFS.Literal}
RESERVED = tuple(str(ns) for ns in (RDF, RDFS, OWL, XSD))
KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
PROPERTY_KINDS = KINDS[1:]


@pytest.fixture(scope="module")
def ontology() -> Graph:
    """The ontology graph, as the build assembles it."""
    return assemble().graph(ONTOLOGY_GRAPH)


@pytest.fixture(scope="module")
def reports(ontology: Graph, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """The checker's report per document: the ontology graph as ontology.ttl, and the probes."""
    if JAVA is None or MISSING:
        pytest.skip("the OWL API (Debian libowlapi-java) or java is not installed"
                    + (f" (missing {', '.join(MISSING[:3])} in {JAVA_DIR})" if MISSING and JAVA else "")
                    + "; scripts/test.sh installs it when run as root")
    folder = tmp_path_factory.mktemp("owl2dl")
    source = folder / "Owl2Dl.java"
    source.write_text(CHECKER, encoding="utf-8")
    files = {"ontology": folder / "ontology.ttl"}
    ontology.serialize(destination=files["ontology"], format="turtle")  # a release's ontology.ttl
    for name, (body, _violation) in PROBES.items():
        files[name] = folder / f"{name}.ttl"
        files[name].write_text(PROBE_HEAD + body + "\n", encoding="utf-8")
    classpath = os.pathsep.join(str(JAVA_DIR / f"{j}.jar") for j in JARS)
    done = subprocess.run([str(JAVA), "-cp", classpath, str(source), *map(str, files.values())],
                          check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    by_path: dict[str, dict] = {}
    current: dict = {}
    for line in done.stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word == "FILE":
            current = by_path.setdefault(rest, {"axioms": None, "imports": [], "violations": [], "error": None})
        elif word == "ONTOLOGY":
            current["axioms"] = int(rest)
        elif word == "IMPORT":
            current["imports"].append(rest)
        elif word == "VIOLATION":
            current["violations"].append(rest)
        elif word == "ERROR":
            current["error"] = rest
    return {name: by_path[str(path)] for name, path in files.items()}


@pytest.mark.slow
def test_ontology_graph_is_in_owl2_dl(reports: dict[str, dict]) -> None:
    report = reports["ontology"]
    assert report["error"] is None
    assert report["axioms"] > 1000  # the whole graph was read, not a fragment of it
    assert report["violations"] == [], "OWL 2 DL profile violations:\n" + "\n".join(report["violations"])


@pytest.mark.slow
@pytest.mark.parametrize("probe", sorted(PROBES))
def test_the_check_finds_a_known_violation(reports: dict[str, dict], probe: str) -> None:
    report = reports[probe]
    assert report["error"] is None
    assert PROBES[probe][1] in [v.partition("\t")[0] for v in report["violations"]], report["violations"]


@pytest.mark.slow
def test_the_only_imports_are_modules_of_the_same_document(reports: dict[str, dict], ontology: Graph) -> None:
    """The loader ignores imports; nothing is lost, since each imported ontology is in the graph."""
    declared = {str(o) for o in ontology.subjects(RDF.type, OWL.Ontology)}
    assert set(reports["ontology"]["imports"]) <= declared
    assert {str(o) for o in ontology.objects(None, OWL.imports)} <= declared


def _used(g: Graph) -> tuple[set[URIRef], set[URIRef]]:
    """The classes and the properties the ontology graph uses, by where they occur."""
    classes: set = set()
    properties: set = set()
    for s, p, o in g:
        properties.add(p)
        if p == RDF.type and o not in KINDS:
            classes.add(o)
        elif p == RDFS.subClassOf:
            classes |= {s, o}
        elif p in (RDFS.subPropertyOf, OWL.inverseOf):
            properties |= {s, o}
        elif p == RDFS.domain or (p == RDFS.range and (s, RDF.type, OWL.DatatypeProperty) not in g):
            classes.add(o)
    return ({c for c in classes if isinstance(c, URIRef) and not str(c).startswith(RESERVED)},
            {p for p in properties if isinstance(p, URIRef) and not str(p).startswith(RESERVED)})


def test_every_term_used_is_declared_with_one_kind(ontology: Graph) -> None:
    classes, properties = _used(ontology)
    assert len(classes) > 80 and len(properties) > 150
    assert sorted(str(c) for c in classes if (c, RDF.type, OWL.Class) not in ontology) == []
    kinds = {p: [k for k in PROPERTY_KINDS if (p, RDF.type, k) in ontology] for p in properties}
    assert sorted(f"{p} {k}" for p, k in kinds.items() if len(k) != 1) == []


def test_no_datatype_outside_the_owl2_datatype_map(ontology: Graph) -> None:
    ranges = {o for s, o in ontology.subject_objects(RDFS.range) if (s, RDF.type, OWL.DatatypeProperty) in ontology}
    assert sorted(str(d) for d in ranges - OWL2_DATATYPES if str(d).startswith(RESERVED)) == []
    # Declaring xsd:date (or any reserved IRI) a datatype hides it from the OWL API, not from OWL 2 DL.
    assert sorted(str(d) for d in ontology.subjects(RDF.type, RDFS.Datatype) if str(d).startswith(RESERVED)) == []
