"""Print the IRI a city gets in scgraph, reconciled with the packaged GeoNames gazetteer.

Usage: .venv/bin/python scripts/city_iri.py NAME COUNTRY_CODE [NAME COUNTRY_CODE ...]

The IRI is the one the CORDIS importer mints (``city/<slug>-<cc>``), or the curated one for
the cities that data/reference/places.ttl already describes, so that curated and registry
data name a city the same way. A name the gazetteer does not know prints ``NOT FOUND``.
"""

from __future__ import annotations

import sys

from scgraph.gazetteer import Gazetteer, country_code
from scgraph.importers.cordis.mapping import CuratedIndex, load_curated
from scgraph.namespaces import ID


def main(argv: list[str]) -> int:
    if not argv or len(argv) % 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    g = Gazetteer.default()
    curated = CuratedIndex.from_graph(load_curated()).cities  # GeoNames id -> curated IRI
    for name, cc in zip(argv[::2], argv[1::2]):
        hit = g.city(name, cc)
        if hit is None:
            print(f"{name} ({cc}): NOT FOUND")
            continue
        iri = curated.get(hit.geonameid, "").removeprefix(str(ID)) or f"city/{hit.slug}-{country_code(cc).lower()}"
        print(f"{name} ({cc}): <{iri}>  GeoNames {hit.geonameid} {hit.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
