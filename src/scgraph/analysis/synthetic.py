"""A synthetic registry-like graph with planted communities, to evaluate the synergy scores
at a size the curated graph does not reach.

Projects, organisations, cities, themes, initiatives and clusters each belong to one of
``communities`` groups; a project takes its themes, partners, initiative and cluster from its
own group with probability ``p_in`` (else from anywhere), and meetings gather projects mostly
of one group. So recorded collaborations (shared meetings) go with shared context, as they do
in real cluster meetings, but nothing here is real data: every IRI is under
``id/<kind>/synthetic-...`` and every label says "Synthetic".

    python -m scgraph.analysis.synthetic OUT.trig [--projects 400] [--seed 0]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from rdflib import Dataset, Literal
from rdflib.namespace import RDF, RDFS, XSD

from .. import files
from ..namespaces import GRAPH, ID, SCG, THEME, WGS84, bind_prefixes

SYNTHETIC_GRAPH = GRAPH["source/synthetic"]


def generate(projects: int = 400, *, communities: int = 8, seed: int = 0, p_in: float = 0.8) -> Dataset:
    """A Dataset with one named graph of synthetic projects and their context."""
    rng = random.Random(seed)
    ds = Dataset()
    bind_prefixes(ds)
    g = ds.graph(SYNTHETIC_GRAPH)

    def thing(kind: str, cls, n: int, label: str):
        node = ID[f"{kind}/synthetic-{n:05d}"]
        g.add((node, RDF.type, cls))
        g.add((node, RDFS.label, Literal(f"Synthetic {label} {n}", lang="en")))
        return node

    per = max(1, projects // 40)
    themes = [[THEME[f"synthetic-{c}-{i}"] for i in range(5)] for c in range(communities)]
    for c, ts in enumerate(themes):
        for i, t in enumerate(ts):
            g.add((t, RDF.type, SCG.Theme))
            g.add((t, RDFS.label, Literal(f"Synthetic theme {c}.{i}", lang="en")))
    cities = [[thing("city", SCG.City, c * 100 + i, "city") for i in range(max(2, per))] for c in range(communities)]
    for c, cs in enumerate(cities):
        for i, city in enumerate(cs):
            g.add((city, WGS84.lat, Literal(f"{40 + c + i / 10:.3f}", datatype=XSD.decimal)))
            g.add((city, WGS84.long, Literal(f"{c * 3 - 5 + i / 10:.3f}", datatype=XSD.decimal)))
    orgs = [[thing("org", SCG.Organisation, c * 1000 + i, "organisation") for i in range(3 * per + 4)]
            for c in range(communities)]
    for c, os_ in enumerate(orgs):
        for o in os_:
            g.add((o, SCG.basedIn, rng.choice(cities[c])))
    initiatives = [thing("initiative", SCG.Initiative, c, "initiative") for c in range(communities)]
    clusters = [[thing("cluster", SCG.Cluster, c * 10 + i, "cluster") for i in range(2)] for c in range(communities)]

    def pick(c: int, pools: list[list]):
        return rng.choice(pools[c] if rng.random() < p_in else pools[rng.randrange(communities)])

    members: list[list] = [[] for _ in range(communities)]
    for n in range(projects):
        c = n % communities
        p = thing("project", SCG.Project, n, "project")
        members[c].append(p)
        for _ in range(rng.randint(1, 3)):
            g.add((p, SCG.hasTheme, pick(c, themes)))
        for _ in range(rng.randint(2, 5)):
            g.add((p, SCG.hasPartner, pick(c, orgs)))
        if rng.random() < 0.5:
            g.add((p, SCG.contributesTo, initiatives[c] if rng.random() < p_in else rng.choice(initiatives)))
        if rng.random() < 0.5:
            g.add((p, SCG.memberOf, pick(c, clusters)))
    for m in range(projects // 4):
        c = m % communities
        meeting = thing("meeting", SCG.Meeting, m, "meeting")
        g.add((meeting, SCG.heldIn, rng.choice(cities[c])))
        for _ in range(rng.randint(2, 4)):
            g.add((meeting, SCG.attendee, pick(c, members)))
    return ds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic registry-like graph (TriG).")
    parser.add_argument("out", type=Path)
    parser.add_argument("--projects", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from ..publish.serialise import trig

    files.write_atomic(args.out, trig(generate(args.projects, seed=args.seed)))


if __name__ == "__main__":
    main()
