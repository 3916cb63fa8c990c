"""City and country reconciliation: registry spellings to one GeoNames city each."""

from __future__ import annotations

import pytest

from scgraph.gazetteer import Gazetteer, candidate_names, country_code, normalise_name, slugify


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.default()


@pytest.mark.parametrize("name, expected", [
    ("München", "munchen"),
    ("KØBENHAVN", "kobenhavn"),
    ("'S-Hertogenbosch", "s hertogenbosch"),
    ("  Łódź ", "lodz"),
    ("Gießen", "giessen"),
])
def test_normalise_name(name: str, expected: str) -> None:
    assert normalise_name(name) == expected


@pytest.mark.parametrize("name, expected", [
    ("Aarhus C", ["aarhus c", "aarhus"]),
    ("Kobenhavn SV", ["kobenhavn sv", "kobenhavn"]),
    ("Strasbourg Cedex 2", ["strasbourg cedex 2", "strasbourg"]),
    ("Bruxelles / Brussel", ["bruxelles brussel", "bruxelles", "brussel"]),
    ("Noain (Valle de Elorz)", ["noain valle de elorz", "noain"]),
    ("75015 Paris", ["75015 paris", "paris"]),
    ("Den Haag", ["den haag"]),  # a two-letter first word is kept
])
def test_candidate_names(name: str, expected: list[str]) -> None:
    assert candidate_names(name) == expected


@pytest.mark.parametrize("name, country, geonameid, slug", [
    ("Munchen", "DE", 2867714, "munich"),
    ("MÜNCHEN", "DE", 2867714, "munich"),
    ("Aarhus C", "DK", 2624652, "arhus"),
    ("Kobenhavn", "DK", 2618425, "copenhagen"),
    ("Bruxelles / Brussel", "BE", 2800866, "brussels"),
    ("BRUXELLES", "BE", 2800866, "brussels"),
    ("Elsene", "BE", 2795011, "ixelles"),  # a municipality of its own, not Brussels
    ("Strasbourg Cedex", "FR", 2973783, "strasbourg"),
    ("Bologna Bo", "IT", 3181928, "bologna"),
    ("Irakleio", "EL", 261745, "irakleion"),  # EL is Greece; two cities match, the larger wins
    ("London", "UK", 2643743, "london"),  # UK is GB
    ("'S-Hertogenbosch", "NL", 2747351, "s-hertogenbosch"),
    ("Warszawa", "PL", 756135, "warsaw"),
])
def test_registry_spellings_find_one_city(gazetteer: Gazetteer, name: str, country: str,
                                          geonameid: int, slug: str) -> None:
    city = gazetteer.city(name, country)
    assert city is not None and (city.geonameid, city.slug) == (geonameid, slug)


@pytest.mark.parametrize("name, country", [
    ("Noain (Valle de Elorz)", "ES"),  # under 15,000 inhabitants: not in the gazetteer
    ("Munchen", "AT"),  # only within the country
    ("CPH", "DK"),  # airport codes are not names
    ("", "DE"),
])
def test_unknown_names_are_not_guessed(gazetteer: Gazetteer, name: str, country: str) -> None:
    assert gazetteer.city(name, country) is None


def test_countries(gazetteer: Gazetteer) -> None:
    assert country_code("el") == "GR" and country_code("UK") == "GB" and country_code("de") == "DE"
    greece = gazetteer.country("EL")
    assert greece is not None and (greece.iso2, greece.iso3, greece.name) == ("GR", "GRC", "Greece")
    assert gazetteer.country("ZZ") is None


def test_same_name_in_one_country_gets_distinct_slugs_and_the_largest_wins() -> None:
    def city(gid: int, name: str, pop: int, alts: list[str]) -> dict:
        return {"geonameid": gid, "name": name, "latitude": 1.0, "longitude": 2.0,
                "countrycode": "XX", "population": pop, "alternatenames": alts}

    g = Gazetteer({"1": city(1, "Springfield", 20000, ["Spring"]),
                   "2": city(2, "Springfield", 90000, []),
                   "3": city(3, "Shelbyville", 50000, ["Springfield", "SPF"])},
                  {"XX": {"iso3": "XXX", "name": "Nowhere", "geonameid": 9}})
    assert g.city("springfield", "XX").geonameid == 2  # name or alternate name: largest wins
    assert {c.slug for c in g.cities_by_id.values()} == {"springfield-1", "springfield-2", "shelbyville"}
    assert g.city("Spring", "XX").geonameid == 1
    assert g.city("SPF", "XX") is None


def test_slugify() -> None:
    assert slugify("Donostia / San Sebastián") == "donostia-san-sebastian"
    assert slugify("!!!") == ""
