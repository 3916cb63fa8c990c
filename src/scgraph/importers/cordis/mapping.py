"""Rows to RDF: the mapping of the CORDIS tables to the scgraph ontology, as a stream of light
triples (IRIs as ``str``, literals as :class:`~scgraph.terms.Lit`) of the graph
:data:`REGISTRY_GRAPH`.

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
  curated countries are linked to, never re-described (:class:`CuratedIndex`);
- webLink rows: document ``document/cordis-<id>`` that scg:concerns the project.

Rows are streamed: memory holds the set of kept project ids, the organisations (one entry per
organisation id, for reconciliation) and the city/country/concept maps, never a whole table.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.graph import ConjunctiveGraph
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from ...gazetteer import Gazetteer, country_code, normalise_name, slugify
from ...namespaces import CORDIS_PROJECT, EU_COUNTRY, GEO, GEONAMES, GRAPH, ID, ROLE, SCG, SCHEMA, WGS84
from ..filters import FilterRules
from ...terms import Lit, LightTriple as Triple
from ..text import clean_paragraphs, clean_text, split_codes
from .report import ImportReport
from .tables import SPECS, Progress, find_tables, read_rows
from .values import (
    XSD_BOOLEAN,
    XSD_DECIMAL,
    BadValue,
    clean_url,
    code_slug,
    decimal_lexical,
    is_id,
    parse_amount,
    parse_bool,
    parse_date,
    parse_geolocation,
    parse_id,
)

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

_WKT = GEO_.wktLiteral

A = str(RDF.type)
LABEL = str(RDFS.label)
SOURCE = DCTERMS_.source
SAME_AS = SCHEMA_.sameAs
PREF_LABEL = SKOS_.prefLabel


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
            if is_id(rest) and s.startswith(project_base):
                idx.projects.setdefault(int(rest), s)
            rest = o[len(str(GEONAMES)):].strip("/") if o.startswith(str(GEONAMES)) else ""
            if is_id(rest) and s.startswith(city_base):
                idx.cities.setdefault(int(rest), s)
        for s, o in sorted(triples(SCG.identifier), key=lambda t: (str(t[0]), str(t[1]))):
            if str(s).startswith(project_base) and is_id(str(o)):
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
        return read_rows(path, SPECS[table], self.report if count else None,
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
            out += [(node, A, S.MonetaryAmount), (node, S.value, Lit(value, XSD_DECIMAL)),
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
            if hit is None or not is_id(pid_text.strip()):
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
            if not is_id(pid_text):
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
        block_pid, block_orgs = -1, set[int]()  # duplicate participations within a project's rows
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
                url_text = row.get("organizationURL", "").strip()
                if url_text and clean_url(url_text) is None:
                    raise BadValue(f"bad organizationURL {url_text[:80]!r}")
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
            out.append((o, S.sme, Lit(sme, XSD_BOOLEAN)))
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
            out += [(o, WGS84_.lat, Lit(position[0], XSD_DECIMAL)),
                    (o, WGS84_.long, Lit(position[1], XSD_DECIMAL))]
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
                    (iri, WGS84_.lat, Lit(lat, XSD_DECIMAL)),
                    (iri, WGS84_.long, Lit(lon, XSD_DECIMAL)),
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
            out: list[Triple] = [
                (d, A, S.Document), (d, LABEL, Lit(f"CORDIS {words} of project {pid}")),
                (d, SCHEMA_.url, url), (d, S.concerns, self.project_iri(pid)),
                (d, SOURCE, f"{CORDIS_}{pid}")]
            yield from out




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
    yield from _counted(_Importer(Path(directory), filter, curated, gazetteer, progress, rep), rep)


def start_cordis_triples(directory: Path | str, report: ImportReport, *,
                         filter: FilterRules | None = None, curated: Graph | None = None,
                         progress: Progress | None = None,
                         gazetteer: Gazetteer | None = None) -> Iterator[Triple]:
    """:func:`iter_cordis_triples`, but the folder and its tables are looked for now: a missing
    folder or project table is a SourceError before any sink is touched."""
    return _counted(_Importer(Path(directory), filter, curated, gazetteer, progress, report), report)


def _counted(importer: _Importer, report: ImportReport) -> Iterator[Triple]:
    for t in importer.triples():
        report.triples += 1
        yield t


def load_curated() -> Graph:
    """The curated data the importer links to: the reference data (``data/reference/*.ttl``)
    and the sources (``data/sources/*.ttl``, ``data/sources/web/*.ttl``), where the web pages
    give the lighthouse projects their CORDIS grant numbers."""
    from ...parse import parse_into
    from ...resources import data_dir

    g = Graph()
    folders = (data_dir() / "reference", data_dir() / "sources", data_dir() / "sources" / "web")
    for folder in folders:
        for p in sorted(folder.glob("*.ttl")):
            parse_into(g, p)
    return g
