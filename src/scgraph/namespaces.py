"""Every IRI base and prefix of scgraph, spelled out once.

Other modules write ``SCG.City`` or ``ID["city/brussels"]``, never ``"https://..."``.
``SCG`` fails on unknown names (``SCG.Projet`` raises AttributeError); a test keeps its
term list equal to the terms defined in ``ontology/scgraph.ttl``.
"""

from __future__ import annotations

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import (
    DCAT,
    DCTERMS,
    FOAF,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    SH,
    SKOS,
    VOID,
    XSD,
    DefinedNamespace,
)

BASE = "https://w3id.org/scgraph/"

ONTOLOGY_IRI = URIRef(BASE + "ontology")
SHAPES_IRI = URIRef(BASE + "shapes")
VOCABULARIES_IRI = URIRef(BASE + "vocabularies")


class SCG(DefinedNamespace):
    """The scgraph ontology (``ontology/scgraph.ttl``)."""

    _NS = Namespace(BASE + "ontology#")
    _fail = True

    ActionCluster: URIRef
    AgendaItem: URIRef
    City: URIRef
    Cluster: URIRef
    ClusterMeeting: URIRef
    Congress: URIRef
    CoordinationAction: URIRef
    Country: URIRef
    DataSpace: URIRef
    Dataset: URIRef
    Delegation: URIRef
    DirectorateGeneral: URIRef
    DiscussionTopic: URIRef
    Document: URIRef
    Forum: URIRef
    FundingPortal: URIRef
    FundingProgramme: URIRef
    Geometry: URIRef
    Initiative: URIRef
    InteractivePlatform: URIRef
    InteroperabilityMechanism: URIRef
    InvestmentTarget: URIRef
    LighthouseProject: URIRef
    Marketplace: URIRef
    Meeting: URIRef
    MeetingRole: URIRef
    MeetingSeries: URIRef
    MonetaryAmount: URIRef
    Organisation: URIRef
    OrganisationalUnit: URIRef
    Participation: URIRef
    Person: URIRef
    Place: URIRef
    Platform: URIRef
    Programme: URIRef
    Project: URIRef
    Repository: URIRef
    Role: URIRef
    Session: URIRef
    SourceDocument: URIRef
    Synergy: URIRef
    SynergyType: URIRef
    Theme: URIRef
    Venue: URIRef
    VideoChannel: URIRef
    WebPage: URIRef
    Website: URIRef
    Workshop: URIRef

    acronym: URIRef
    actedOnBehalfOf: URIRef
    activityType: URIRef
    addressesMechanism: URIRef
    addressesTopic: URIRef
    affiliation: URIRef
    agendaItemOf: URIRef
    amount: URIRef
    announcedIn: URIRef
    attendanceMode: URIRef
    attended: URIRef
    attendee: URIRef
    basedIn: URIRef
    call: URIRef
    callTopic: URIRef
    cityCountry: URIRef
    concerns: URIRef
    containsPlace: URIRef
    contributesTo: URIRef
    coordinationActionFor: URIRef
    coordinator: URIRef
    country: URIRef
    curationNote: URIRef
    currency: URIRef
    dateNote: URIRef
    declaredCityCount: URIRef
    declaredMeetingCount: URIRef
    declaredMemberCount: URIRef
    declaredParticipantCount: URIRef
    endDate: URIRef
    euContribution: URIRef
    evidence: URIRef
    followedBy: URIRef
    followerCity: URIRef
    follows: URIRef
    forProject: URIRef
    fundedBy: URIRef
    fundingProgramme: URIRef
    fundingScheme: URIRef
    hasAgendaItem: URIRef
    hasGeometry: URIRef
    hasMember: URIRef
    hasPart: URIRef
    hasParticipation: URIRef
    hasPartner: URIRef
    hasPlatform: URIRef
    hasSubEvent: URIRef
    hasSubOrganisation: URIRef
    hasTheme: URIRef
    heldIn: URIRef
    identifier: URIRef
    inSeries: URIRef
    intendedAudience: URIRef
    invitee: URIRef
    involvesCity: URIRef
    issuedNotAfter: URIRef
    issuedNotBefore: URIRef
    launched: URIRef
    legalBasis: URIRef
    lighthouseCity: URIRef
    locatedIn: URIRef
    meetingOf: URIRef
    memberKind: URIRef
    memberOf: URIRef
    namedForMeeting: URIRef
    netEuContribution: URIRef
    observerCity: URIRef
    openedBy: URIRef
    operatedBy: URIRef
    order: URIRef
    organisedBy: URIRef
    partOf: URIRef
    participant: URIRef
    participantKind: URIRef
    participationRole: URIRef
    partnerIn: URIRef
    plannedParticipant: URIRef
    plannedSpeaker: URIRef
    platformOf: URIRef
    presented: URIRef
    promotedBy: URIRef
    publishedOn: URIRef
    recordedIn: URIRef
    reportedIn: URIRef
    retrievedOn: URIRef
    scientificField: URIRef
    seedFile: URIRef
    setBy: URIRef
    sha256: URIRef
    signatureDate: URIRef
    sme: URIRef
    speaker: URIRef
    startDate: URIRef
    statedIn: URIRef
    status: URIRef
    subEventOf: URIRef
    subOrganisationOf: URIRef
    synergyBetween: URIRef
    synergyType: URIRef
    totalCost: URIRef
    unitOf: URIRef
    value: URIRef
    vatNumber: URIRef
    vehicle: URIRef
    withinEvent: URIRef
    withinOrganisation: URIRef

    # analysis results (ontology/analysis.ttl)
    AnalysisRun: URIRef
    Gap: URIRef
    Measurement: URIRef
    gapKind: URIRef
    method: URIRef
    metric: URIRef
    network: URIRef
    rank: URIRef
    score: URIRef

ID = Namespace(BASE + "id/")  # things: ID["city/brussels"], ID["project/urbanage"]
GRAPH = Namespace(BASE + "graph/")  # named graphs: GRAPH["inferred"], GRAPH["source/..."]
THEME = Namespace(BASE + "theme/")  # concepts of the theme scheme (ontology/vocabularies.ttl)
ROLE = Namespace(BASE + "role/")  # concepts of the role scheme
SYNERGY_TYPE = Namespace(BASE + "synergy-type/")  # concepts of the synergy-type scheme
SHAPES = Namespace(BASE + "shapes#")  # SHACL shapes (ontology/shapes.ttl)

SCHEMA = Namespace("https://schema.org/")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
WGS84 = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
EURIO = Namespace("http://data.europa.eu/s66#")
VANN = Namespace("http://purl.org/vocab/vann/")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
EU_COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")
EU_CORPORATE_BODY = Namespace("http://publications.europa.eu/resource/authority/corporate-body/")
GEONAMES = Namespace("https://sws.geonames.org/")
CORDIS_PROJECT = Namespace("https://cordis.europa.eu/project/id/")

# Named graphs with a fixed role
ONTOLOGY_GRAPH = GRAPH["ontology"]
INFERRED_GRAPH = GRAPH["inferred"]
METADATA_GRAPH = GRAPH["metadata"]

PREFIXES: dict[str, Namespace] = {
    "scg": Namespace(str(SCG._NS)),
    "id": ID,
    "graph": GRAPH,
    "theme": THEME,
    "role": ROLE,
    "synergy": SYNERGY_TYPE,
    "scgsh": SHAPES,
    "schema": SCHEMA,
    "org": ORG,
    "foaf": FOAF,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "prov": PROV,
    "dcat": DCAT,
    "geo": GEO,
    "wgs84": WGS84,
    "eurio": EURIO,
    "void": VOID,
    "sh": SH,
    "owl": OWL,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "vann": VANN,
    "sd": SD,
    "eucountry": EU_COUNTRY,
    "eucorp": EU_CORPORATE_BODY,
    "gn": GEONAMES,
    "cordis": CORDIS_PROJECT,
}


def bind_prefixes(g: Graph) -> Graph:
    """Bind scgraph's prefixes on ``g`` (replacing rdflib's defaults) and return it."""
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns, override=True, replace=True)
    return g


def sparql_prologue() -> str:
    """``PREFIX`` lines for every scgraph prefix, for queries built in code."""
    return "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


def short(term: object) -> str:
    """A readable name for display: ``id:org/ec`` for IRIs under a known prefix, else N3."""
    if isinstance(term, URIRef):
        s = str(term)
        best = max((ns for ns in PREFIXES.values() if s.startswith(str(ns))),
                   key=lambda ns: len(str(ns)), default=None)
        if best is not None:
            prefix = next(p for p, ns in PREFIXES.items() if ns is best)
            return f"{prefix}:{s[len(str(best)):]}"
        return f"<{s}>"
    if term is None:
        return "-"
    n3 = getattr(term, "n3", None)
    return n3() if callable(n3) else str(term)


# --------------------------------------------------------------------------- release (publish)

DATASET_IRI = URIRef(BASE + "dataset")  # the published dataset (VoID/DCAT in void.ttl)
DISTRIBUTION = Namespace(BASE + "dataset/distribution/")  # one per release file
SPDX = Namespace("http://spdx.org/rdf/terms#")
IANA_MEDIA_TYPE = Namespace("http://www.iana.org/assignments/media-types/")
CC_BY_4 = URIRef("https://creativecommons.org/licenses/by/4.0/")
APACHE_2 = URIRef("https://www.apache.org/licenses/LICENSE-2.0")
CORDIS_DATASET = URIRef(
    "https://data.europa.eu/data/datasets/cordis-eu-research-projects-under-horizon-europe-2021-2027")


# --------------------------------------------------------------------------- analysis results

ANALYSIS_GRAPH = GRAPH["analysis"]  # what 'scgraph analyse' adds to the dataset


# --------------------------------------------------------------------------- DCAT-AP (void.ttl)
#
# The controlled vocabularies DCAT-AP 3.0 names for these properties (the EU Publications
# Office's authority tables), and the catalogue and publisher of a release.

EU_FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")  # dct:format
EU_DATA_THEME = Namespace("http://publications.europa.eu/resource/authority/data-theme/")  # dcat:theme
CATALOG_IRI = URIRef(BASE + "catalog")  # the dcat:Catalog of void.ttl: the release's one dataset
PUBLISHER_IRI = URIRef(BASE + "dataset#publisher")  # foaf:Agent: the scgraph developers
CONTACT_IRI = URIRef(BASE + "dataset#contact")  # vcard:Organization: the dataset's contact point
EU_ACCESS_RIGHT = Namespace("http://publications.europa.eu/resource/authority/access-right/")  # dct:accessRights
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
