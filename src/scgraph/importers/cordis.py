"""Import a CORDIS bulk export (the EU project registry) into the named graph ``registry/cordis``.

CORDIS publishes every Horizon 2020 and Horizon Europe project as CSV tables: ``project``,
``organization``, ``topics``, ``euroSciVoc``, ``legalBasis`` and ``webLink``. This module reads
them, in the official format (``;``-separated, ``"``-quoted, UTF-8, fields with embedded
newlines) or as the comma-separated re-saves that circulate (``project_df_100.csv``), sniffed
per file from its header line, and maps them to the scgraph ontology.

Design: :func:`iter_cordis_quads` is a generator of quads; thin sinks put them into an rdflib
Dataset (:func:`import_cordis`), an Oxigraph store by bulk loading
(:func:`load_cordis_into_oxigraph`) or an N-Quads file (:func:`write_cordis_nquads`). Rows are
streamed: memory holds the set of kept project ids, the organisations (one entry per
organisation id, for reconciliation) and the city/country/concept maps, never a whole table.

Mapping (IRIs under ``https://w3id.org/scgraph/id/``; no blank nodes):

- project ``project/cordis-<id>`` (or the curated IRI whose ``scg:identifier`` / CORDIS
  ``schema:sameAs`` is the id), with acronym, title, abstract, dates, status, amounts
  (total cost and EU contribution as scg:MonetaryAmount value nodes in EUR, one per distinct
  amount: ``amount/eur/<canonical decimal>``, shared by every project and participation of that
  amount, so the registry's many equal amounts (EU contribution = net EU contribution =
  total cost for most participants) cost one node),
  funding programme, funding scheme, call (sub-call narrower than master call), call topics,
  legal bases and EuroSciVoc fields as SKOS concepts (``funding-scheme/<code>``,
  ``call/<code>``, ``call-topic/<code>``, ``legal-basis/<code>``, ``euroscivoc/<code path>``,
  ``activity-type/<code>``; codes lower-cased with non-alphanumerics as hyphens, the exact code
  in skos:notation);
- organisation ``org/cordis-<organisationID>``; participation
  ``participation/cordis-<projectID>-<organisationID>`` with role, EU contribution, net EU
  contribution and total cost, plus ``scg:hasParticipation``, ``scg:hasPartner`` and
  ``scg:coordinator`` on the project;
- city and country by :mod:`scgraph.gazetteer`; curated cities (same GeoNames id) and
  curated countries are linked to, never re-described;
- webLink rows: document ``document/cordis-<id>`` that scg:concerns the project.
"""

from __future__ import annotations

import csv
import hashlib
import re
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NamedTuple, TextIO

import pyoxigraph as ox
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.graph import ConjunctiveGraph
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from ..errors import SourceError
from ..gazetteer import Gazetteer, country_code, normalise_name, slugify
from ..files import atomic_path
from ..namespaces import CORDIS_PROJECT, EU_COUNTRY, GEO, GEONAMES, GRAPH, ID, ROLE, SCG, SCHEMA, WGS84
from .filters import FilterRules, split_codes
from .text import clean_paragraphs, clean_text

Progress = Callable[[str], None]

REGISTRY_GRAPH = GRAPH["registry/cordis"]

# The CORDIS data sets on data.europa.eu, by the frameworkProgramme column of project.csv.
DATASETS = {
    "HORIZON": "https://data.europa.eu/data/datasets/cordis-eu-research-projects-under-horizon-europe-2021-2027",
    "H2020": "https://data.europa.eu/data/datasets/cordis-eu-research-projects-under-horizon-2020-2014-2020",
}
PROGRAMMES = {"HORIZON": ID["initiative/horizon-europe"], "H2020": ID["initiative/horizon-2020"]}

ROLES = {
    "coordinator": str(ROLE["coordinator"]),
    "participant": str(ROLE["participant"]),
    "thirdparty": str(ROLE["third-party"]),
    "associatedpartner": str(ROLE["associated-partner"]),
    # H2020 "partner": a partner organisation that does not sign the grant (MSCA), like HE's
    # associated partners.
    "partner": str(ROLE["associated-partner"]),
    "internationalpartner": str(ROLE["international-partner"]),
}

ACTIVITY_TYPES = {
    "HES": "Higher or secondary education establishment",
    "REC": "Research organisation",
    "PRC": "Private for-profit entity",
    "PUB": "Public body",
    "OTH": "Other",
}
FUNDING_SCHEMES = {
    "RIA": "Research and innovation action",
    "IA": "Innovation action",
    "CSA": "Coordination and support action",
    "HORIZON-RIA": "Research and innovation action",
    "HORIZON-IA": "Innovation action",
    "HORIZON-CSA": "Coordination and support action",
}


@dataclass(frozen=True)
class TableSpec:
    """A CORDIS table: its official file stem and the columns the importer cannot do without."""

    name: str
    required: tuple[str, ...]


TABLES = (
    TableSpec("project", ("id", "acronym", "title")),
    TableSpec("organization", ("projectID", "organisationID", "name", "role")),
    TableSpec("topics", ("projectID", "topic")),
    TableSpec("euroSciVoc", ("projectID", "euroSciVocCode")),
    TableSpec("legalBasis", ("projectID", "legalBasis")),
    TableSpec("webLink", ("projectID", "physUrl")),
)
_SPECS = {t.name: t for t in TABLES}


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class RejectedRow:
    """A row the importer left out, and why. ``line`` is the physical line the record starts on."""

    file: str
    line: int
    reason: str


@dataclass
class ImportReport:
    """What an import read, left out and wrote."""

    source: str
    filter: str | None = None
    tables: dict[str, str] = field(default_factory=dict)  # table -> file name
    missing_tables: list[str] = field(default_factory=list)
    rows_read: dict[str, int] = field(default_factory=dict)  # file name -> data rows
    rows_filtered: dict[str, int] = field(default_factory=dict)  # rows of projects left out
    rejected: list[RejectedRow] = field(default_factory=list)
    triples: int = 0  # quads produced (a table that repeats a row repeats its quads)
    projects: int = 0
    organisations: int = 0
    participations: int = 0
    documents: int = 0
    cities: int = 0
    countries: int = 0
    unreconciled_cities: list[tuple[str, str]] = field(default_factory=list)  # (name, country)
    organisation_conflicts: int = 0  # rows of a known organisation with other attribute values
    curated_projects: dict[int, str] = field(default_factory=dict)  # CORDIS id -> curated IRI
    kept_by: dict[int, str] = field(default_factory=dict)  # project id -> filter rule
    seconds: float = 0.0

    def reject(self, file: str, line: int, reason: str) -> None:
        self.rejected.append(RejectedRow(file, line, reason))

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected)


@dataclass
class ImportResult:
    """The Dataset the registry graph was added to, and the report."""

    dataset: Dataset
    report: ImportReport

    @property
    def graph(self) -> Graph:
        return self.dataset.graph(REGISTRY_GRAPH)


# --------------------------------------------------------------------------- terms

class Lit(NamedTuple):
    """A literal as the generator produces it; sinks turn it into their own literal type."""

    value: str
    datatype: str | None = None
    lang: str | None = None


class _Strings:
    """Terms of a namespace as plain strings, looked up once (DefinedNamespace lookups are slow)."""

    def __init__(self, ns: object) -> None:
        self._ns = ns

    def __getattr__(self, name: str) -> str:
        value = str(getattr(self._ns, name))
        setattr(self, name, value)
        return value


S, SKOS_, SCHEMA_, WGS84_, GEO_, DCTERMS_ = (_Strings(ns) for ns in (SCG, SKOS, SCHEMA, WGS84, GEO, DCTERMS))
ID_ = str(ID)
CORDIS_ = str(CORDIS_PROJECT)

Term = str | Lit  # an IRI (str) or a literal
Triple = tuple[str, str, Term]

_XSD_DATE = str(XSD.date)
_XSD_DECIMAL = str(XSD.decimal)
_XSD_BOOLEAN = str(XSD.boolean)
_WKT = GEO_.wktLiteral

A = str(RDF.type)
LABEL = str(RDFS.label)
SOURCE = DCTERMS_.source
SAME_AS = SCHEMA_.sameAs
PREF_LABEL = SKOS_.prefLabel


def to_rdflib(term: Term) -> URIRef | Literal:
    if isinstance(term, Lit):
        return Literal(term.value, datatype=URIRef(term.datatype) if term.datatype else None,
                       lang=term.lang)
    return URIRef(term)


def to_oxigraph(term: Term) -> ox.NamedNode | ox.Literal:
    if isinstance(term, Lit):
        if term.lang:
            return ox.Literal(term.value, language=term.lang)
        if term.datatype:
            return ox.Literal(term.value, datatype=ox.NamedNode(term.datatype))
        return ox.Literal(term.value)
    return ox.NamedNode(term)


def _escape(value: str) -> str:
    return (value.replace("\\", "\\\\").replace('"', '\\"')
            .replace("\n", "\\n").replace("\r", "\\r"))


def to_nquads_term(term: Term) -> str:
    if isinstance(term, Lit):
        if term.lang:
            return f'"{_escape(term.value)}"@{term.lang}'
        if term.datatype:
            return f'"{_escape(term.value)}"^^<{term.datatype}>'
        return f'"{_escape(term.value)}"'
    return f"<{term}>"


# --------------------------------------------------------------------------- values


class BadValue(ValueError):
    """A cell that cannot be read; its message is the reason the row is rejected."""


_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T][0-9:.]*Z?)?")


def parse_date(value: str, column: str) -> Lit | None:
    """An xsd:date from ``YYYY-MM-DD`` (a time part is ignored); empty -> None."""
    v = value.strip()
    if not v:
        return None
    m = _DATE.fullmatch(v)
    try:
        if not m:
            raise ValueError
        d = date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise BadValue(f"bad {column} {v!r} (expected YYYY-MM-DD)") from None
    return Lit(d.isoformat(), _XSD_DATE)


def decimal_lexical(d: Decimal | float) -> str:
    """The canonical xsd:decimal form (XSD 1.1, as Oxigraph writes it): ``1499998.0`` -> ``1499998``."""
    s = format(Decimal(repr(d)) if isinstance(d, float) else d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("", "-0") else s


def parse_amount(value: str, column: str) -> str | None:
    """The canonical xsd:decimal form of an amount (``1499998`` and ``1499998.0`` -> ``1499998``;
    ``1.234,5`` and ``1,234.5`` -> ``1234.5``); empty -> None."""
    v = value.strip().replace(" ", "").replace("\u00a0", "")
    if not v:
        return None
    if "," in v and "." in v:
        v = v.replace(".", "").replace(",", ".") if v.rfind(",") > v.rfind(".") else v.replace(",", "")
    elif "," in v:
        v = v.replace(",", ".")
    try:
        d = Decimal(v)
    except InvalidOperation:
        raise BadValue(f"bad {column} {value.strip()!r} (expected a number)") from None
    if not d.is_finite() or d < 0:
        raise BadValue(f"bad {column} {value.strip()!r} (expected a non-negative number)")
    return decimal_lexical(d)


def parse_bool(value: str, column: str) -> bool | None:
    """``true``/``false`` in any case (pandas writes ``True``), ``1``/``0``; empty -> None."""
    v = value.strip().lower()
    if not v:
        return None
    if v in ("true", "1", "yes"):
        return True
    if v in ("false", "0", "no"):
        return False
    raise BadValue(f"bad {column} {value.strip()!r} (expected true or false)")


def parse_id(value: str, column: str) -> int:
    v = value.strip()
    if not v:
        raise BadValue(f"missing {column}")
    if not v.isdigit():
        raise BadValue(f"non-numeric {column} {v!r}")
    return int(v)


def parse_geolocation(value: str) -> tuple[str, str] | None:
    """``"lat,long"`` -> the two decimal lexical forms, or None when absent or out of range."""
    parts = value.replace(" ", "").split(",")
    if len(parts) != 2:
        return None
    try:
        lat, lon = Decimal(parts[0]), Decimal(parts[1])
    except InvalidOperation:
        return None
    if not (lat.is_finite() and lon.is_finite() and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    if lat == 0 and lon == 0:
        return None  # "0,0" marks a missing position, not the Gulf of Guinea
    return decimal_lexical(lat), decimal_lexical(lon)


_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


def clean_url(value: str) -> str | None:
    """An http(s) IRI from a registry cell (``www.x.eu`` gets ``http://``), or None."""
    v = clean_text(value).replace(" ", "")
    if not v:
        return None
    if v.lower().startswith("www."):
        v = "http://" + v
    parts = urllib.parse.urlsplit(v)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return urllib.parse.quote(v, safe=_URL_SAFE)


def code_slug(code: str) -> str:
    """The IRI segment of a registry code: lower case, runs of other characters as one hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", code.strip().lower()).strip("-")


# --------------------------------------------------------------------------- tables


def find_tables(directory: Path) -> tuple[dict[str, Path], list[str]]:
    """The files of the CORDIS tables in ``directory`` and the names of the missing ones.

    A table's file is ``<name>.csv`` or ``<name>_<anything>.csv`` (case-insensitive), so
    ``project_df_100.csv`` is the project table but ``projectDeliverables.csv`` is not.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise SourceError("no such folder (expected a folder of CORDIS CSV tables)", path=directory)
    files = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
    found: dict[str, Path] = {}
    missing: list[str] = []
    for spec in TABLES:
        stem = spec.name.lower()
        hits = [p for p in files if p.stem.lower() == stem or p.stem.lower().startswith(stem + "_")]
        exact = [p for p in hits if p.stem.lower() == stem]
        if exact:
            found[spec.name] = exact[0]
        elif len(hits) == 1:
            found[spec.name] = hits[0]
        elif hits:
            raise SourceError(f"several files for the {spec.name} table "
                              f"({', '.join(p.name for p in hits)}); keep one", path=directory)
        else:
            missing.append(spec.name)
    if "project" not in found:
        raise SourceError("no project table (project.csv or project_*.csv)", path=directory)
    return found, missing


def sniff_delimiter(header_line: str) -> str:
    """``;`` for the official CORDIS format, ``,`` for re-saves: whichever the header has more of."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _open(path: Path) -> TextIO:
    try:
        # surrogateescape: a stray non-UTF-8 byte reaches clean_text, which repairs it
        return path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")
    except OSError as e:
        raise SourceError(f"cannot read the file ({e.strerror})", path=path) from None


def read_rows(path: Path, spec: TableSpec, report: ImportReport | None = None,
              progress: Progress | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """Stream ``(line, row)`` for the well-formed records of one table.

    Empty rows, rows with the wrong number of fields and malformed records are rejected into
    ``report`` (when given) with the physical line the record starts on. Missing required
    columns are a SourceError.
    """
    with _open(path) as f:
        first = f.readline()
        if not first.strip():
            raise SourceError("empty file (no header line)", path=path)
        f.seek(0)
        reader = csv.reader(f, delimiter=sniff_delimiter(first), quotechar='"', doublequote=True)
        header = [clean_text(h) for h in next(reader)]
        missing = [c for c in spec.required if c not in header]
        if missing:
            raise SourceError(f"missing columns {', '.join(missing)} (the {spec.name} table "
                              f"needs {', '.join(spec.required)})", path=path)
        width, name, prev, n = len(header), path.name, reader.line_num, 0
        if report is not None:
            report.rows_read.setdefault(name, 0)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                if report is not None:
                    report.reject(name, prev + 1, f"malformed CSV record: {e}")
                prev = reader.line_num
                continue
            line, prev = prev + 1, reader.line_num
            n += 1
            if report is not None:
                report.rows_read[name] += 1
                if progress is not None and n % 50_000 == 0:
                    progress(f"{name}: {n:,} rows")
            if not any(c.strip() for c in row):
                if report is not None:
                    report.reject(name, line, "empty row")
                continue
            if len(row) != width:
                if report is not None:
                    report.reject(name, line, f"expected {width} fields, found {len(row)}")
                continue
            yield line, dict(zip(header, row))


# --------------------------------------------------------------------------- curated data


@dataclass
class CuratedIndex:
    """What the importer needs to know of the curated graph: which IRIs to reuse."""

    projects: dict[int, str] = field(default_factory=dict)  # CORDIS id -> IRI
    cities: dict[int, str] = field(default_factory=dict)  # GeoNames id -> IRI
    countries: set[str] = field(default_factory=set)

    @classmethod
    def from_graph(cls, g: Graph | None) -> CuratedIndex:
        idx = cls()
        if g is None:
            return idx

        def triples(p: URIRef) -> Iterable[tuple[object, object]]:
            if isinstance(g, ConjunctiveGraph):  # Dataset too: look in every graph
                return ((s, o) for s, _p, o, _g in g.quads((None, p, None, None)))
            return ((s, o) for s, _p, o in g.triples((None, p, None)))

        project_base, city_base = str(ID["project/"]), str(ID["city/"])
        for s, o in sorted(triples(SCHEMA.sameAs), key=lambda t: (str(t[0]), str(t[1]))):
            s, o = str(s), str(o)
            rest = o[len(str(CORDIS_PROJECT)):] if o.startswith(str(CORDIS_PROJECT)) else ""
            if rest.isdigit() and s.startswith(project_base):
                idx.projects.setdefault(int(rest), s)
            rest = o[len(str(GEONAMES)):].strip("/") if o.startswith(str(GEONAMES)) else ""
            if rest.isdigit() and s.startswith(city_base):
                idx.cities.setdefault(int(rest), s)
        for s, o in sorted(triples(SCG.identifier), key=lambda t: (str(t[0]), str(t[1]))):
            if str(s).startswith(project_base) and str(o).isdigit():
                idx.projects.setdefault(int(str(o)), str(s))
        idx.countries = {str(s) for s, o in triples(RDF.type) if o == SCG.Country}
        return idx


# --------------------------------------------------------------------------- the mapping


@dataclass
class _Org:
    updated: str
    line: int
    attrs: tuple[str, ...]  # name, short, vat, sme, activity, url, city, country, geolocation


class _Importer:
    """One run over one CORDIS folder; :meth:`triples` is the generator."""

    def __init__(self, directory: Path, rules: FilterRules | None, curated: Graph | None,
                 gazetteer: Gazetteer | None, progress: Progress | None, report: ImportReport):
        self.directory = Path(directory)
        self.rules = rules
        self.curated = CuratedIndex.from_graph(curated)
        self._gazetteer = gazetteer
        self.say: Progress = progress or (lambda _m: None)
        self.progress = progress
        self.report = report
        self.tables, report.missing_tables = find_tables(self.directory)
        report.tables = {t: p.name for t, p in self.tables.items()}
        report.filter = rules.name if rules else None
        self.dataset = DATASETS["HORIZON"]
        self.kept: dict[int, int] | None = None  # project id -> index of the rule that kept it
        self.projects: set[int] = set()
        self.concepts: set[str] = set()
        self.amounts: set[str] = set()  # amount value nodes described so far
        self.orgs: dict[int, _Org] = {}
        self.places: set[str] = set()  # city and country IRIs described so far
        self.city_map: dict[tuple[str, str], str | None] = {}
        self.linked_cities: set[str] = set()
        self.unreconciled: set[tuple[str, str]] = set()
        self.used_countries: set[str] = set()

    @property
    def gazetteer(self) -> Gazetteer:
        if self._gazetteer is None:
            self._gazetteer = Gazetteer.default()
        return self._gazetteer

    # -- helpers ---------------------------------------------------------------------------

    def project_iri(self, pid: int) -> str:
        return self.curated.projects.get(pid) or f"{ID_}project/cordis-{pid}"

    def rows(self, table: str, *, count: bool = True) -> Iterator[tuple[int, dict[str, str]]]:
        path = self.tables.get(table)
        if path is None:
            return iter(())
        if count:
            self.say(f"reading {path.name}")
        return read_rows(path, _SPECS[table], self.report if count else None,
                         self.progress if count else None)

    def project_of(self, file: str, line: int, row: dict[str, str]) -> int | None:
        """The kept project a row of a secondary table belongs to, or None (reported)."""
        try:
            pid = parse_id(row.get("projectID", ""), "projectID")
        except BadValue as e:
            self.report.reject(file, line, str(e))
            return None
        if pid in self.projects:
            return pid
        if self.kept is not None and pid not in self.kept:
            self.report.rows_filtered[file] = self.report.rows_filtered.get(file, 0) + 1
        else:
            self.report.reject(file, line, f"unknown project {pid} (not in the project table, "
                                           "or its row was rejected)")
        return None

    def concept(self, out: list[Triple], kind: str, code: str, label: str = "",
                broader: str | None = None, top: bool = False) -> str:
        iri = f"{ID_}{kind}/{code_slug(code)}"
        if iri not in self.concepts:
            self.concepts.add(iri)
            scheme = f"{ID_}scheme/{kind}"
            out += [(iri, A, SKOS_.Concept), (iri, SKOS_.inScheme, scheme),
                    (iri, SKOS_.notation, Lit(code)), (iri, SOURCE, self.dataset)]
            if label:
                out.append((iri, PREF_LABEL, Lit(label)))
            if broader:
                out.append((iri, SKOS_.broader, broader))
            if top:
                out.append((iri, SKOS_.topConceptOf, scheme))
        return iri

    def amount(self, out: list[Triple], owner: str, prop: str, value: str | None) -> None:
        """Link ``owner`` to the value node of an amount in EUR (described once per import)."""
        if value is None:
            return
        node = f"{ID_}amount/eur/{value}"
        out.append((owner, prop, node))
        if node not in self.amounts:
            self.amounts.add(node)
            out += [(node, A, S.MonetaryAmount), (node, S.value, Lit(value, _XSD_DECIMAL)),
                    (node, S.currency, Lit("EUR"))]

    # -- passes -----------------------------------------------------------------------------

    def triples(self) -> Iterator[Triple]:
        started = time.perf_counter()
        self.detect_dataset()
        if self.rules is not None:
            self.select_projects()
        yield from self.project_pass()
        yield from self.organisation_pass()
        yield from self.topic_pass()
        yield from self.euroscivoc_pass()
        yield from self.legal_basis_pass()
        yield from self.weblink_pass()
        r = self.report
        r.projects, r.organisations = len(self.projects), len(self.orgs)
        r.cities = len(self.linked_cities)
        r.countries = len(self.used_countries)
        r.unreconciled_cities = sorted(self.unreconciled)
        r.seconds += time.perf_counter() - started

    def detect_dataset(self) -> None:
        for _line, row in self.rows("project", count=False):
            fp = row.get("frameworkProgramme", "").strip().upper()
            self.dataset = DATASETS.get(fp, DATASETS["HORIZON"])
            return

    def select_projects(self) -> None:
        """First, light pass: which projects the filter keeps, from topics, EuroSciVoc, projects."""
        assert self.rules is not None
        self.say(f"selecting projects with filter {self.rules.name}")
        best: dict[int, int] = {}

        def note(pid_text: str, hit: int | None) -> None:
            if hit is None or not pid_text.strip().isdigit():
                return
            pid = int(pid_text)
            if hit < best.get(pid, len(self.rules.rules)):  # type: ignore[union-attr]
                best[pid] = hit

        for _line, row in self.rows("topics", count=False):
            note(row["projectID"], self.rules.first_for_code(row["topic"]))
        for _line, row in self.rows("euroSciVoc", count=False):
            note(row["projectID"], self.rules.first_for_euroscivoc(
                row["euroSciVocCode"], clean_text(row.get("euroSciVocTitle", ""))))
        kept: dict[int, int] = {}
        for _line, row in self.rows("project", count=False):
            pid_text = row["id"].strip()
            if not pid_text.isdigit():
                continue
            pid = int(pid_text)
            cleaned = {k: clean_text(row.get(k, "")) for k in ("topics", "masterCall", "subCall", "title")}
            cleaned["objective"] = clean_paragraphs(row.get("objective", ""))
            hits = [h for h in (self.rules.first_for_project(cleaned), best.get(pid)) if h is not None]
            if hits and pid not in kept:
                kept[pid] = min(hits)
        self.kept = kept

    def project_pass(self) -> Iterator[Triple]:
        file = self.tables["project"].name
        use_topic_column = "topics" not in self.tables
        use_legal_column = "legalBasis" not in self.tables
        for line, row in self.rows("project"):
            try:
                pid = parse_id(row["id"], "id")
                if self.kept is not None and pid not in self.kept:
                    self.report.rows_filtered[file] = self.report.rows_filtered.get(file, 0) + 1
                    continue
                if pid in self.projects:
                    raise BadValue(f"duplicate project id {pid}")
                out = self.project(pid, row, use_topic_column, use_legal_column)
            except BadValue as e:
                self.report.reject(file, line, str(e))
                continue
            self.projects.add(pid)
            if self.kept is not None:
                assert self.rules is not None
                self.report.kept_by[pid] = self.rules.rules[self.kept[pid]].name
            yield from out

    def project(self, pid: int, row: dict[str, str], use_topic_column: bool,
                use_legal_column: bool) -> list[Triple]:
        """The triples of one project row; BadValue when a value cannot be read."""
        acronym, title = clean_text(row.get("acronym")), clean_text(row.get("title"))
        if not acronym and not title:
            raise BadValue("no acronym and no title")
        start = parse_date(row.get("startDate", ""), "startDate")
        end = parse_date(row.get("endDate", ""), "endDate")
        signed = parse_date(row.get("ecSignatureDate", ""), "ecSignatureDate")
        if start and end and end.value < start.value:
            raise BadValue(f"endDate {end.value} before startDate {start.value}")
        total = parse_amount(row.get("totalCost", ""), "totalCost")
        eu = parse_amount(row.get("ecMaxContribution", ""), "ecMaxContribution")

        p = self.project_iri(pid)
        page = f"{CORDIS_}{pid}"
        out: list[Triple] = [(p, A, S.Project)]
        if pid in self.curated.projects:
            self.report.curated_projects[pid] = p  # the curated data names and labels it
        else:
            out.append((p, LABEL, Lit(acronym or title)))
            if acronym:
                out.append((p, S.acronym, Lit(acronym)))
        if title:
            out.append((p, DCTERMS_.title, Lit(title)))
        objective = clean_paragraphs(row.get("objective", ""))
        if objective:
            out.append((p, DCTERMS_.abstract, Lit(objective)))
        out += [(p, S.identifier, Lit(str(pid))), (p, SAME_AS, page), (p, SOURCE, page)]
        for prop, value in ((S.startDate, start), (S.endDate, end), (S.signatureDate, signed)):
            if value is not None:
                out.append((p, prop, value))
        status = clean_text(row.get("status", "")).lower()
        if status:
            out.append((p, S.status, Lit(status)))
        self.amount(out, p, S.totalCost, total)
        self.amount(out, p, S.euContribution, eu)
        programme = PROGRAMMES.get(clean_text(row.get("frameworkProgramme", "")).upper())
        if programme is not None:
            out.append((p, S.fundingProgramme, str(programme)))
        scheme = clean_text(row.get("fundingScheme", ""))
        if scheme:
            out.append((p, S.fundingScheme, self.concept(
                out, "funding-scheme", scheme, FUNDING_SCHEMES.get(scheme.upper(), scheme))))
        master, sub = clean_text(row.get("masterCall", "")), clean_text(row.get("subCall", ""))
        parent = self.concept(out, "call", master) if master else None
        if sub and sub != master:
            out.append((p, S.call, self.concept(out, "call", sub, broader=parent)))
        elif parent:
            out.append((p, S.call, parent))
        if use_topic_column:
            for code in split_codes(clean_text(row.get("topics", ""))):
                out.append((p, S.callTopic, self.concept(out, "call-topic", code)))
        if use_legal_column:
            for code in split_codes(clean_text(row.get("legalBasis", ""))):
                out.append((p, S.legalBasis, self.concept(out, "legal-basis", code)))
        return out

    def organisation_pass(self) -> Iterator[Triple]:
        """Participations as the rows come; organisations (one per id) after the table."""
        if "organization" not in self.tables:
            return
        file = self.tables["organization"].name
        block_pid, block_orgs = -1, set()  # duplicate participations within a project's rows
        for line, row in self.rows("organization"):
            pid = self.project_of(file, line, row)
            if pid is None:
                continue
            try:
                oid = parse_id(row.get("organisationID", ""), "organisationID")
                role_text = clean_text(row.get("role", ""))
                role = ROLES.get(role_text.lower())
                if role is None:
                    raise BadValue(f"unknown role {role_text!r}" if role_text else "missing role")
                amounts = [parse_amount(row.get(c, ""), c)
                           for c in ("ecContribution", "netEcContribution", "totalCost")]
                sme = parse_bool(row.get("SME", ""), "SME")
                if pid != block_pid:
                    block_pid, block_orgs = pid, set()
                if oid in block_orgs:
                    raise BadValue(f"duplicate participation of organisation {oid} in project {pid}")
            except BadValue as e:
                self.report.reject(file, line, str(e))
                continue
            block_orgs.add(oid)
            self.keep_org(oid, line, row, sme)
            yield from self.participation(pid, oid, role, amounts, row)
        self.say(f"describing {len(self.orgs):,} organisations")
        for oid in sorted(self.orgs):
            yield from self.organisation(oid, self.orgs[oid])

    def keep_org(self, oid: int, line: int, row: dict[str, str], sme: bool | None) -> None:
        attrs = (clean_text(row.get("name")), clean_text(row.get("shortName")),
                 clean_text(row.get("vatNumber")), "" if sme is None else str(sme).lower(),
                 clean_text(row.get("activityType")).upper(), row.get("organizationURL", ""),
                 clean_text(row.get("city")), clean_text(row.get("country")),
                 row.get("geolocation", ""))
        updated = row.get("contentUpdateDate", "").strip()
        known = self.orgs.get(oid)
        if known is None:
            self.orgs[oid] = _Org(updated, line, attrs)
            return
        if known.attrs != attrs:
            self.report.organisation_conflicts += 1
            if updated > known.updated:  # the most recently updated record wins; ties: first
                self.orgs[oid] = _Org(updated, line, attrs)

    def participation(self, pid: int, oid: int, role: str, amounts: list[str | None],
                      row: dict[str, str]) -> list[Triple]:
        p, o = self.project_iri(pid), f"{ID_}org/cordis-{oid}"
        pa = f"{ID_}participation/cordis-{pid}-{oid}"
        self.report.participations += 1
        out: list[Triple] = [
            (pa, A, S.Participation), (pa, S.participant, o),
            (pa, S.participationRole, role), (pa, SOURCE, f"{CORDIS_}{pid}"),
            (p, S.hasParticipation, pa), (p, S.hasPartner, o),
        ]
        if role == ROLES["coordinator"]:
            out.append((p, S.coordinator, o))
        for prop, value in zip((S.euContribution, S.netEuContribution, S.totalCost), amounts):
            self.amount(out, pa, prop, value)
        return out

    def organisation(self, oid: int, org: _Org) -> list[Triple]:
        name, short, vat, sme, activity, url, city, country, geo = org.attrs
        o = f"{ID_}org/cordis-{oid}"
        out: list[Triple] = [(o, A, S.Organisation),
                             (o, LABEL, Lit(name or short or f"Organisation {oid}")),
                             (o, S.identifier, Lit(str(oid))), (o, SOURCE, self.dataset)]
        if short:
            out.append((o, S.acronym, Lit(short)))
        if vat:
            out.append((o, S.vatNumber, Lit(vat)))
        if sme:
            out.append((o, S.sme, Lit(sme, _XSD_BOOLEAN)))
        if activity:
            out.append((o, S.activityType, self.concept(
                out, "activity-type", activity, ACTIVITY_TYPES.get(activity, activity))))
        link = clean_url(url)
        if link:
            out.append((o, SCHEMA_.url, link))
        country_iri = self.country(out, country) if country else None
        if country_iri:
            out.append((o, S.country, country_iri))
            city_iri = self.city(out, city, country) if city else None
            if city_iri:
                out.append((o, S.basedIn, city_iri))
        position = parse_geolocation(geo)
        if position:
            out += [(o, WGS84_.lat, Lit(position[0], _XSD_DECIMAL)),
                    (o, WGS84_.long, Lit(position[1], _XSD_DECIMAL))]
        return out

    def country(self, out: list[Triple], code: str) -> str | None:
        cc = country_code(code)
        if not re.fullmatch(r"[A-Z]{2}", cc):
            return None
        iri = f"{ID_}country/{cc.lower()}"
        self.used_countries.add(iri)
        if iri in self.places or iri in self.curated.countries:
            return iri
        self.places.add(iri)
        c = self.gazetteer.country(cc)
        out += [(iri, A, S.Country), (iri, LABEL, Lit(c.name if c else cc, lang="en" if c else None)),
                (iri, S.identifier, Lit(cc)), (iri, SOURCE, self.dataset)]
        if c is not None:
            authority = str(EU_COUNTRY[c.iso3])
            out += [(iri, SAME_AS, authority), (iri, SAME_AS, str(GEONAMES[f"{c.geonameid}/"])),
                    (iri, SOURCE, authority)]
        return iri

    def city(self, out: list[Triple], name: str, code: str) -> str | None:
        cc = country_code(code)
        key = (normalise_name(name), cc)
        if key in self.city_map:
            iri = self.city_map[key]
        else:
            iri = self.reconcile_city(out, name, cc)
            self.city_map[key] = iri
        if iri:
            self.linked_cities.add(iri)
        return iri

    def reconcile_city(self, out: list[Triple], name: str, cc: str) -> str | None:
        country_iri = f"{ID_}country/{cc.lower()}"
        match = self.gazetteer.city(name, cc)
        if match is not None and match.geonameid in self.curated.cities:
            return self.curated.cities[match.geonameid]
        if match is not None:
            iri = f"{ID_}city/{match.slug}-{cc.lower()}"
            if iri in self.places:
                return iri
            self.places.add(iri)
            geonames = str(GEONAMES[f"{match.geonameid}/"])
            lat, lon = decimal_lexical(match.latitude), decimal_lexical(match.longitude)
            geometry = f"{iri}/geometry"
            out += [(iri, A, S.City), (iri, LABEL, Lit(match.name)),
                    (iri, S.cityCountry, country_iri),
                    (iri, WGS84_.lat, Lit(lat, _XSD_DECIMAL)),
                    (iri, WGS84_.long, Lit(lon, _XSD_DECIMAL)),
                    (iri, S.hasGeometry, geometry),
                    (iri, S.identifier, Lit(str(match.geonameid))),
                    (iri, SAME_AS, geonames), (iri, SOURCE, geonames), (iri, SOURCE, self.dataset),
                    (geometry, A, S.Geometry), (geometry, LABEL, Lit(f"Point of {match.name}")),
                    (geometry, GEO_.asWKT, Lit(f"POINT({lon} {lat})", _WKT))]
            return iri
        self.unreconciled.add((name, cc))
        slug = slugify(name)
        if not slug:
            return None
        iri = f"{ID_}city/{slug}-{cc.lower()}"
        if iri not in self.places:
            self.places.add(iri)
            label = name.title() if name.isupper() else name
            out += [(iri, A, S.City), (iri, LABEL, Lit(label)),
                    (iri, S.cityCountry, country_iri), (iri, SOURCE, self.dataset)]
        return iri

    def topic_pass(self) -> Iterator[Triple]:
        if "topics" not in self.tables:
            return
        file = self.tables["topics"].name
        for line, row in self.rows("topics"):
            pid = self.project_of(file, line, row)
            code = clean_text(row.get("topic", ""))
            if pid is None:
                continue
            if not code:
                self.report.reject(file, line, "missing topic")
                continue
            out: list[Triple] = []
            c = self.concept(out, "call-topic", code, clean_text(row.get("title", "")))
            out.append((self.project_iri(pid), S.callTopic, c))
            yield from out

    def euroscivoc_pass(self) -> Iterator[Triple]:
        if "euroSciVoc" not in self.tables:
            return
        file = self.tables["euroSciVoc"].name
        for line, row in self.rows("euroSciVoc"):
            pid = self.project_of(file, line, row)
            if pid is None:
                continue
            code = row.get("euroSciVocCode", "").strip().rstrip("/")
            if not re.fullmatch(r"(/\d+)+", code):
                self.report.reject(file, line, f"bad euroSciVocCode {code!r} (expected /23/43/251)")
                continue
            out: list[Triple] = []
            c = self.field(out, code, clean_text(row.get("euroSciVocPath", "")),
                           clean_text(row.get("euroSciVocTitle", "")))
            out.append((self.project_iri(pid), S.scientificField, c))
            yield from out

    def field(self, out: list[Triple], code: str, path: str, title: str) -> str:
        """The EuroSciVoc concept of ``code`` and its ancestors, labelled from the path."""
        codes = code.strip("/").split("/")
        names = path.strip("/").split("/") if path else []
        names = [n.strip() for n in names] if len(names) == len(codes) else []
        parent = None
        for depth in range(1, len(codes) + 1):
            sub = "/" + "/".join(codes[:depth])
            label = title if depth == len(codes) and title else (names[depth - 1] if names else "")
            parent = self.concept(out, "euroscivoc", sub, label, broader=parent, top=depth == 1)
        assert parent is not None
        return parent

    def legal_basis_pass(self) -> Iterator[Triple]:
        if "legalBasis" not in self.tables:
            return
        file = self.tables["legalBasis"].name
        for line, row in self.rows("legalBasis"):
            pid = self.project_of(file, line, row)
            if pid is None:
                continue
            code = clean_text(row.get("legalBasis", ""))
            if not code:
                self.report.reject(file, line, "missing legalBasis")
                continue
            out: list[Triple] = []
            c = self.concept(out, "legal-basis", code, clean_text(row.get("title", "")))
            out.append((self.project_iri(pid), S.legalBasis, c))
            yield from out

    def weblink_pass(self) -> Iterator[Triple]:
        if "webLink" not in self.tables:
            return
        file = self.tables["webLink"].name
        for line, row in self.rows("webLink"):
            pid = self.project_of(file, line, row)
            if pid is None:
                continue
            url = clean_url(row.get("physUrl", ""))
            if url is None:
                self.report.reject(file, line, f"bad physUrl {row.get('physUrl', '').strip()[:80]!r}")
                continue
            doc_id = code_slug(row.get("id", "")) or hashlib.sha1(url.encode()).hexdigest()[:32]
            d = f"{ID_}document/cordis-{doc_id}"
            kind = clean_text(row.get("type", "")) or "web link"
            words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", kind).lower()
            self.report.documents += 1
            yield from [(d, A, S.Document), (d, LABEL, Lit(f"CORDIS {words} of project {pid}")),
                        (d, SCHEMA_.url, url), (d, S.concerns, self.project_iri(pid)),
                        (d, SOURCE, f"{CORDIS_}{pid}")]


# --------------------------------------------------------------------------- public API


def iter_cordis_triples(directory: Path | str, *, filter: FilterRules | None = None,
                        curated: Graph | None = None, progress: Progress | None = None,
                        report: ImportReport | None = None,
                        gazetteer: Gazetteer | None = None) -> Iterator[Triple]:
    """The import as a stream of light triples (IRIs as str, literals as :class:`Lit`).

    The graph is always :data:`REGISTRY_GRAPH`. ``report`` (if given) is filled in as the stream
    is consumed and complete when it ends. Raises SourceError (before the first triple) for a
    missing folder, project table or required column.
    """
    rep = report if report is not None else ImportReport(source=str(directory))
    importer = _Importer(Path(directory), filter, curated, gazetteer, progress, rep)
    for t in importer.triples():
        rep.triples += 1
        yield t


def iter_cordis_quads(directory: Path | str, *, filter: FilterRules | None = None,
                      curated: Graph | None = None, progress: Progress | None = None,
                      report: ImportReport | None = None,
                      gazetteer: Gazetteer | None = None) -> Iterator[tuple[URIRef, URIRef, URIRef | Literal, URIRef]]:
    """The import as rdflib quads ``(s, p, o, REGISTRY_GRAPH)``; see :func:`iter_cordis_triples`."""
    g = REGISTRY_GRAPH
    for s, p, o in iter_cordis_triples(directory, filter=filter, curated=curated,
                                       progress=progress, report=report, gazetteer=gazetteer):
        yield URIRef(s), URIRef(p), to_rdflib(o), g


def import_cordis(directory: Path | str, *, filter: FilterRules | None = None,
                  curated: Graph | None = None, progress: Progress | None = None,
                  dataset: Dataset | None = None, gazetteer: Gazetteer | None = None) -> ImportResult:
    """Import a CORDIS folder into the ``registry/cordis`` graph of ``dataset`` (or a new one).

    Importing the same folder again into the same Dataset changes nothing.
    """
    ds = dataset if dataset is not None else Dataset()
    report = ImportReport(source=str(directory))
    graph = ds.graph(REGISTRY_GRAPH)
    graph.addN((s, p, o, graph) for s, p, o, _g in iter_cordis_quads(
        directory, filter=filter, curated=curated, progress=progress, report=report,
        gazetteer=gazetteer))
    return ImportResult(ds, report)


def load_cordis_into_oxigraph(directory: Path | str, store: ox.Store, *,
                              filter: FilterRules | None = None, curated: Graph | None = None,
                              progress: Progress | None = None,
                              gazetteer: Gazetteer | None = None) -> ImportReport:
    """Stream a CORDIS folder into an Oxigraph store with its bulk loader."""
    report = ImportReport(source=str(directory))
    g = ox.NamedNode(str(REGISTRY_GRAPH))
    predicates: dict[str, ox.NamedNode] = {}

    def quads() -> Iterator[ox.Quad]:
        for s, p, o in iter_cordis_triples(directory, filter=filter, curated=curated,
                                           progress=progress, report=report, gazetteer=gazetteer):
            pn = predicates.get(p)
            if pn is None:
                pn = predicates[p] = ox.NamedNode(p)
            yield ox.Quad(ox.NamedNode(s), pn, to_oxigraph(o), g)

    store.bulk_extend(quads())
    return report


def write_cordis_nquads(directory: Path | str, path: Path | str, *,
                        filter: FilterRules | None = None, curated: Graph | None = None,
                        progress: Progress | None = None,
                        gazetteer: Gazetteer | None = None) -> ImportReport:
    """Stream a CORDIS folder into an N-Quads file, written atomically."""
    report = ImportReport(source=str(directory))
    g = f"<{REGISTRY_GRAPH}>"
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="\n") as f:
        for s, p, o in iter_cordis_triples(directory, filter=filter, curated=curated,
                                           progress=progress, report=report, gazetteer=gazetteer):
            f.write(f"<{s}> <{p}> {to_nquads_term(o)} {g} .\n")
    return report


def load_curated() -> Graph:
    """The curated data the importer links to: the reference data (``data/reference/*.ttl``)
    and the sources (``data/sources/*.ttl``, ``data/sources/web/*.ttl``), where the web pages
    give the lighthouse projects their CORDIS grant numbers."""
    from ..resources import data_dir
    from ..parse import parse_into

    g = Graph()
    folders = (data_dir() / "reference", data_dir() / "sources", data_dir() / "sources" / "web")
    for folder in folders:
        for p in sorted(folder.glob("*.ttl")):
            parse_into(g, p)
    return g


def run_import_cordis(directory: Path | str, filter_name: str | None = None, *,
                      store: object | None = None, output: Path | str | None = None,
                      curated: Graph | None = None,
                      progress: Progress | None = None) -> ImportReport:
    """What ``scgraph import cordis DIR [--filter NAME] [--store SPEC] [--output FILE]`` does.

    Args:
        filter_name: a filter of ``data/filters/`` (``smart-cities``) or a ``.toml`` path.
        store: where the graph goes: a store spec (``memory``, ``oxigraph:PATH``, opened with
            :func:`scgraph.store.open_store` and closed again), an open scgraph store, a
            ``pyoxigraph.Store`` or an rdflib ``Dataset``; None with no ``output`` only checks
            the folder (everything is read, mapped and counted, nothing kept).
        output: an N-Quads file to write the graph to (instead of a store).
        curated: the curated graph to link to; by default ``data/reference/*.ttl``.
    """
    rules = FilterRules.named(filter_name) if filter_name else None
    cur = curated if curated is not None else load_curated()
    if output is not None:
        return write_cordis_nquads(directory, output, filter=rules, curated=cur, progress=progress)
    opened = None
    if isinstance(store, str):
        from ..store import open_store

        store = opened = open_store(store)
    try:
        target = store if isinstance(store, Dataset) else getattr(store, "store", store)
        if isinstance(target, ox.Store):
            return load_cordis_into_oxigraph(directory, target, filter=rules, curated=cur,
                                             progress=progress)
        if isinstance(target, Dataset):
            return import_cordis(directory, filter=rules, curated=cur, progress=progress,
                                 dataset=target).report
        if store is not None and hasattr(store, "load_dataset"):
            result = import_cordis(directory, filter=rules, curated=cur, progress=progress)
            store.load_dataset(result.dataset)
            return result.report
        report = ImportReport(source=str(directory))
        for _t in iter_cordis_triples(directory, filter=rules, curated=cur, progress=progress,
                                      report=report):
            pass
        return report
    finally:
        if opened is not None:
            opened.close()


def format_report(report: ImportReport, *, max_reasons: int = 10) -> str:
    """A summary for people: rows read and rejected (reasons grouped), things and triples made."""
    lines = [f"CORDIS import of {report.source}" + (f" (filter {report.filter})" if report.filter else "")]
    for file, n in sorted(report.rows_read.items()):
        skipped = report.rows_filtered.get(file, 0)
        rejected = sum(1 for r in report.rejected if r.file == file)
        extra = (f", {skipped:,} of projects the filter left out" if skipped else "")
        lines.append(f"  {file}: {n:,} rows read, {rejected:,} rejected{extra}")
    if report.missing_tables:
        lines.append(f"  tables not found (optional): {', '.join(report.missing_tables)}")
    lines.append(f"{report.projects:,} projects, {report.organisations:,} organisations, "
                 f"{report.participations:,} participations, {report.documents:,} documents, "
                 f"{report.cities:,} cities ({len(report.unreconciled_cities):,} not in the gazetteer), "
                 f"{report.countries:,} countries")
    if report.curated_projects:
        lines.append(f"{len(report.curated_projects)} linked to curated projects: "
                     + ", ".join(f"{pid} -> {iri.rsplit('/', 1)[-1]}"
                                 for pid, iri in sorted(report.curated_projects.items())))
    if report.kept_by:
        counts = Counter(report.kept_by.values())
        lines.append("kept by rule: " + ", ".join(f"{rule} {n:,}" for rule, n in sorted(counts.items())))
    if report.organisation_conflicts:
        lines.append(f"{report.organisation_conflicts:,} organisation rows disagreed with another "
                     "row of the same organisation (the most recently updated row wins)")
    if report.rejected:
        lines.append(f"{report.rows_rejected:,} rows rejected:")
        grouped = Counter((r.file, re.sub(r"\d+|'[^']*'", "…", r.reason)) for r in report.rejected)
        for (file, reason), n in sorted(grouped.items(), key=lambda kv: (-kv[1], kv[0]))[:max_reasons]:
            first = next(r for r in report.rejected
                         if r.file == file and re.sub(r"\d+|'[^']*'", "…", r.reason) == reason)
            lines.append(f"  {n:,} x {file}: {first.reason} (first at line {first.line})")
        if len(grouped) > max_reasons:
            lines.append(f"  … and {len(grouped) - max_reasons} more kinds")
    rate = report.projects / report.seconds if report.seconds else 0.0
    lines.append(f"{report.triples:,} triples in {report.seconds:.1f} s ({rate:,.0f} projects/s)")
    return "\n".join(lines) + "\n"
