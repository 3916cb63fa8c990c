"""The analyses' parameters and their defaults, in a module that imports nothing (the CLI reads
them to declare its options without loading NetworkX or igraph)."""

from __future__ import annotations

#: The kinds that have one-mode projections (``analysis.networks``).
PROJECTED: tuple[str, ...] = ("project", "organisation", "city")
#: The networks that get metrics: the heterogeneous graph and each projection.
NETWORKS: tuple[str, ...] = ("heterogeneous", *PROJECTED)
#: The kinds that get suggested synergies.
SUGGESTED: tuple[str, ...] = ("project", "city")
#: The link-prediction scores that rank suggested synergies (``analysis.synergies``).
METHODS: tuple[str, ...] = ("adamic-adar", "jaccard", "resource-allocation")

#: A context node shared by more things than this (a funding programme, a broad field of
#: science, a big city, a partner in hundreds of projects) says little about any pair;
#: projections and link prediction leave it out (``--max-shared``). Each node shared by k
#: things makes k(k-1)/2 pairs, so a few large hubs would make most of a projection's edges
#: (docs/analyses.md has the counts).
MAX_SHARED = 50
