"""The analyses' parameters, their choices and defaults, in a module that imports nothing heavy:
the CLI declares its options from them (as the enums typer takes) without loading NetworkX or
igraph, and the analyses check their arguments against the same tuples."""

from __future__ import annotations

from enum import Enum


class Method(str, Enum):
    """The link-prediction scores that rank suggested synergies (``analysis.synergies``)."""

    adamic_adar = "adamic-adar"
    jaccard = "jaccard"
    resource_allocation = "resource-allocation"


class Network(str, Enum):
    """The networks that get metrics: the heterogeneous graph and each one-mode projection."""

    heterogeneous = "heterogeneous"
    project = "project"
    organisation = "organisation"
    city = "city"


class FigureKind(str, Enum):
    """The figures of ``analysis.figures``."""

    network = "network"
    hierarchy = "hierarchy"
    timeline = "timeline"
    heatmap = "heatmap"
    map = "map"
    lighthouse_map = "lighthouse-map"
    lighthouse_network = "lighthouse-network"


class FigureFormat(str, Enum):
    png = "png"
    svg = "svg"
    pdf = "pdf"


class ExportFormat(str, Enum):
    """The network exports of ``analysis.export``."""

    graphml = "graphml"
    gexf = "gexf"
    html = "html"

NETWORKS: tuple[str, ...] = tuple(n.value for n in Network)
#: The kinds that have one-mode projections (``analysis.networks``).
PROJECTED: tuple[str, ...] = NETWORKS[1:]
#: The kinds that get suggested synergies.
SUGGESTED: tuple[str, ...] = ("project", "city")
METHODS: tuple[str, ...] = tuple(m.value for m in Method)
FIGURES: tuple[str, ...] = tuple(k.value for k in FigureKind)
FIGURE_FORMATS: tuple[str, ...] = tuple(f.value for f in FigureFormat)
EXPORT_FORMATS: tuple[str, ...] = tuple(f.value for f in ExportFormat)

#: A context node shared by more things than this (a funding programme, a broad field of
#: science, a big city, a partner in hundreds of projects) says little about any pair;
#: projections and link prediction leave it out (``--max-shared``). Each node shared by k
#: things makes k(k-1)/2 pairs, so a few large hubs would make most of a projection's edges
#: (docs/analyses.md has the counts).
MAX_SHARED = 50
