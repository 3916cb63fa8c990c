"""Figures of the analyses, for papers and reports (matplotlib).

Each ``*_figure`` function takes an :class:`~scgraph.analysis.AnalysisResult` (the store for
the timeline) and returns a matplotlib Figure; :func:`save` writes it as PNG, SVG or PDF,
atomically and with fixed metadata so that the same input gives the same bytes. Colours are
the Okabe-Ito palette (safe for colour-blind readers), fonts are at least 8 pt at the printed
size, layouts use fixed seeds.
"""

from __future__ import annotations

import functools
import io as _io
import json
import math
import textwrap
from collections import defaultdict
from datetime import date
from importlib import resources
from pathlib import Path

import matplotlib
import matplotlib.text

matplotlib.use("Agg")

import matplotlib.dates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Polygon  # noqa: E402

from .. import files  # noqa: E402
from .networks import _str, select  # noqa: E402
from .run import AnalysisResult  # noqa: E402
from ..store import Store  # noqa: E402
from ..errors import PlotError
from .params import FIGURE_FORMATS as FORMATS
from .params import FIGURES as KINDS
from .params import NETWORKS

#: Okabe and Ito, "Color Universal Design" (2008), https://jfly.uni-koeln.de/color/
OKABE_ITO = {"orange": "#E69F00", "sky blue": "#56B4E9", "bluish green": "#009E73",
             "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00",
             "reddish purple": "#CC79A7", "black": "#000000", "grey": "#999999"}
KIND_COLORS = {"project": OKABE_ITO["blue"], "initiative": OKABE_ITO["vermillion"],
               "cluster": OKABE_ITO["orange"], "meeting": OKABE_ITO["bluish green"],
               "organisation": OKABE_ITO["reddish purple"], "person": OKABE_ITO["yellow"],
               "city": OKABE_ITO["sky blue"], "theme": OKABE_ITO["grey"]}
COMMUNITY_COLORS = [OKABE_ITO[c] for c in ("blue", "orange", "bluish green", "vermillion",
                                            "reddish purple", "sky blue", "yellow", "black")]
MAX_DRAWN = 400  # the network figure draws at most this many nodes (highest PageRank)
MAX_LABELS = 15  # the map labels at most this many cities (most projects)
MAX_ROWS = 60  # the hierarchy and the heatmap show at most this many projects / themes

STYLE = {"font.size": 9, "axes.titlesize": 11, "axes.labelsize": 9, "legend.fontsize": 8,
         "xtick.labelsize": 8, "ytick.labelsize": 8, "svg.hashsalt": "scgraph",
         "svg.fonttype": "path", "pdf.fonttype": 42, "font.family": "DejaVu Sans"}


def _figure(w: float, h: float) -> Figure:
    return Figure(figsize=(w, h), layout="constrained")


def _styled(func):
    """Make the figure under scgraph's style (font sizes, SVG hash salt)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with plt.rc_context(STYLE):
            return func(*args, **kwargs)
    return wrapper


def save(fig: Figure, path: Path | str, fmt: str | None = None, dpi: int = 200) -> Path:
    """Write ``fig`` to ``path`` (format from ``fmt`` or the suffix), atomically and with fixed
    metadata (no dates), so the same figure gives the same bytes."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise PlotError(f"unknown figure format {fmt!r}; use one of {', '.join(FORMATS)}")
    meta = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
            "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None}}[fmt]
    buf = _io.BytesIO()
    with plt.rc_context(STYLE):
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=meta)
    return files.write_atomic(path, buf.getvalue())


def _title(fig: Figure, text: str) -> None:
    """The figure's title, left-aligned over the whole figure, wrapped to fit."""
    fig.suptitle(_wrap(text, 88), x=0.01, ha="left", fontsize=10.5)


def _short(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, with an ellipsis when cut."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _wrap(text: str, width: int = 28) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


# --------------------------------------------------------------------------- labels


def place_labels(ax, points: list[tuple[float, float, str]], fontsize: float = 8,
                 radii: list[float] | None = None) -> list:
    """Put a label next to each point (in order of priority) where it overlaps no label placed
    before: try eight directions at growing distances (from the marker's edge, ``radii`` in
    points), with a leader line when moved away."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer() if hasattr(fig.canvas, "get_renderer") else None
    if renderer is None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        FigureCanvasAgg(fig)
        renderer = fig.canvas.get_renderer()
    fig.draw_without_rendering()
    # every marker is an obstacle too, so that a label never sits on another point's marker
    # (where it would seem to belong to that point)
    from matplotlib.transforms import Bbox

    px = fig.dpi / 72.0
    markers: list = []
    for k, (x, y, _label) in enumerate(points):
        cx, cy = ax.transData.transform((x, y))
        r = max((radii[k] if radii else 0.0) - 1.0, 2.0) * px
        markers.append(Bbox([[cx - r, cy - r], [cx + r, cy + r]]))
    placed: list = []
    texts = []
    dirs = [(1, 1), (1, -1), (-1, 1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1)]
    for k, (x, y, label) in enumerate(points):
        done = False
        r0 = radii[k] if radii else 0.0
        for step in (4, 10, 18, 28, 42):
            dist = step + r0
            for dx, dy in dirs:
                ha = "left" if dx > 0 else "right" if dx < 0 else "center"
                va = "bottom" if dy > 0 else "top" if dy < 0 else "center"
                t = ax.annotate(label, (x, y), xytext=(dx * dist, dy * dist), textcoords="offset points",
                                ha=ha, va=va, fontsize=fontsize, zorder=5,
                                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75},
                                arrowprops={"arrowstyle": "-", "color": "#555", "lw": 0.6, "shrinkA": 0, "shrinkB": (radii[k] if radii else 0.0)})
                # the text's own box, without the leader line
                t.update_positions(renderer)
                bb = matplotlib.text.Text.get_window_extent(t, renderer).expanded(1.05, 1.1)
                axbb = ax.get_window_extent(renderer)
                inside = axbb.contains(bb.x0, bb.y0) and axbb.contains(bb.x1, bb.y1)
                obstacles = placed + markers[:k] + markers[k + 1:]
                if inside and not any(bb.overlaps(o) for o in obstacles):
                    placed.append(bb)
                    texts.append(t)
                    done = True
                    break
                t.remove()
            if done:
                break
    return texts


# --------------------------------------------------------------------------- network


def packed_layout(g: nx.Graph, seed: int = 0) -> dict[str, tuple[float, float]]:
    """Lay out each connected component on its own (spring layout, fixed seed) and pack them in
    rows, largest first, each scaled by the square root of its size."""
    comps = sorted((sorted(c) for c in nx.connected_components(g)), key=lambda c: (-len(c), c[0]))
    pos: dict[str, tuple[float, float]] = {}
    x, y, row_h = 0.0, 0.0, 0.0
    width = 2.2 * math.sqrt(max(len(comps[0]), 1)) * 1.6 if comps else 1.0
    for c in comps:
        size = math.sqrt(len(c))
        if len(c) == 1:
            local = {c[0]: np.zeros(2)}
        else:
            sub = g.subgraph(c)
            local = nx.spring_layout(sub, seed=seed, weight="weight", iterations=200, k=1.5 / math.sqrt(len(c)))
        arr = np.array([local[n] for n in c], dtype=float)
        arr -= arr.min(axis=0)
        span = arr.max(axis=0)
        span[span == 0] = 1.0
        arr = arr / span.max() * 2 * size if len(c) > 1 else arr
        w, h = (arr.max(axis=0) if len(c) > 1 else np.array([0.0, 0.0])) + 0.8
        if x > 0 and x + w > width:
            x, y, row_h = 0.0, y - row_h - 0.5, 0.0
        for n, (px, py) in zip(c, arr):
            pos[n] = (float(x + px), float(y - py))
        x += w + 0.5
        row_h = max(row_h, h)
    return pos


@_styled
def network_figure(r: AnalysisResult, network: str = "heterogeneous", *, color: str = "kind",
                   labels: int = 15, seed: int = 0) -> Figure:
    """The collaboration network: colour by kind or community, size by PageRank, the ``labels``
    most central nodes labelled."""
    if network not in r.networks:
        raise PlotError(f"unknown network {network!r} (--network); use one of {', '.join(NETWORKS)}")
    if color not in ("kind", "community"):
        raise PlotError(f"unknown colouring {color!r} (--color); use kind or community")
    g = r.networks[network]
    by_node = {m.node: m for m in r.metrics[network]}
    nodes = sorted(g.nodes)
    note = ""
    if len(nodes) > MAX_DRAWN:
        nodes = sorted(sorted(nodes, key=lambda n: (-by_node[n].pagerank, n))[:MAX_DRAWN])
        note = f", the {MAX_DRAWN} of highest PageRank of {g.number_of_nodes()}"
    isolated = [n for n in nodes if g.degree(n) == 0]
    if isolated and len(isolated) < len(nodes):
        nodes = [n for n in nodes if g.degree(n) > 0]
        note += f"; {len(isolated)} unlinked not drawn"
    h = g.subgraph(nodes)
    fig = _figure(7.2, 6.2)
    ax = fig.add_subplot()
    ax.set_axis_off()
    pos = packed_layout(h, seed=seed)
    pr = np.array([by_node[n].pagerank for n in nodes]) if nodes else np.zeros(0)
    spread = float(pr.max() - pr.min()) if len(pr) else 0.0
    sizes = 60 + 340 * (pr - pr.min()) / spread if spread > 0 else np.full(len(nodes), 120.0)
    if color == "kind":
        colors = [KIND_COLORS.get(g.nodes[n]["kind"], "#777777") for n in nodes]
    else:
        colors = [COMMUNITY_COLORS[(by_node[n].community - 1) % len(COMMUNITY_COLORS)] for n in nodes]
    edges = sorted((min(a, b), max(a, b)) for a, b in h.edges)
    if edges:
        widths = [0.5 + 0.6 * math.log(float(h.edges[e].get("weight", 1)) or 1) for e in edges]
        nx.draw_networkx_edges(h, pos, edgelist=edges, ax=ax, width=widths, edge_color="#9a9a9a", alpha=0.6)
    coll = ax.scatter([pos[n][0] for n in nodes], [pos[n][1] for n in nodes], s=sizes, c=colors,
                      edgecolors="white", linewidths=0.6, zorder=3)
    coll.set_gid("nodes")
    ax.margins(0.12)
    top = sorted(nodes, key=lambda n: (-by_node[n].betweenness, -by_node[n].pagerank, n))[:labels]
    size_of = dict(zip(nodes, sizes))
    place_labels(ax, [(pos[n][0], pos[n][1], _wrap(str(g.nodes[n].get("label", n)), 24)) for n in top],
                 radii=[math.sqrt(float(size_of[n])) / 2 for n in top])
    if color == "kind":
        present = [k for k in KIND_COLORS if any(g.nodes[n]["kind"] == k for n in nodes)]
        handles = [Line2D([], [], marker="o", ls="", color=KIND_COLORS[k], markersize=7, label=k) for k in present]
        title = "kind of node"
    else:
        used = sorted({by_node[n].community for n in nodes})[:len(COMMUNITY_COLORS)]
        handles = [Line2D([], [], marker="o", ls="", markersize=7, label=f"community {c}",
                          color=COMMUNITY_COLORS[(c - 1) % len(COMMUNITY_COLORS)]) for c in used]
        title = "community (Louvain)"
    ax.legend(handles=handles, title=title, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    what = {"heterogeneous": "Projects, initiatives, clusters, meetings, organisations, people, cities and themes",
            "project": "Projects linked by shared meetings, clusters, initiatives, themes, cities and partners",
            "organisation": "Organisations linked by shared projects, meetings and cities",
            "city": "Cities linked by shared projects and organisations"}[network]
    _title(fig, f"{what} ({len(nodes)} nodes{note}); size: PageRank; "
                       f"labels: the {min(labels, len(nodes))} highest betweenness")
    return fig


# --------------------------------------------------------------------------- hierarchy


@_styled
def hierarchy_figure(r: AnalysisResult) -> Figure:
    """Initiatives -> clusters -> projects: who is part of, member of or contributes to what."""
    g = r.graph
    cov = r.coverage
    links: set[tuple[str, str]] = set()
    for a, b, d in g.edges(data=True):
        ka, kb = g.nodes[a]["kind"], g.nodes[b]["kind"]
        rel = set(str(d["relation"]).split("; "))
        if {ka, kb} == {"cluster", "initiative"} and rel & {"part of", "contributes to", "member of"}:
            links.add((a, b) if ka == "initiative" else (b, a))
        if ka == kb == "initiative" and "part of" in rel:
            links.add((a, b) if a < b else (b, a))
    for grp, ps in cov.projects.items():
        for p in ps:
            if grp in g and p in g:
                links.add((grp, p))
    nodes = {n for link in links for n in link}
    projects = sorted(n for n in nodes if g.nodes[n]["kind"] == "project")
    note = ""
    if len(projects) > MAX_ROWS:
        pr = {m.node: m.pagerank for m in r.metrics["project"]}
        keep = set(sorted(projects, key=lambda n: (-pr.get(n, 0.0), n))[:MAX_ROWS])
        links = {(a, b) for a, b in links if g.nodes[b]["kind"] != "project" or b in keep}
        nodes = {n for link in links for n in link}
        note = f" (the {MAX_ROWS} of highest PageRank of {len(projects)})"
    cols = {"initiative": 0, "cluster": 1, "project": 2}
    layer: dict[int, list[str]] = defaultdict(list)
    for n in sorted(nodes):
        layer[cols.get(g.nodes[n]["kind"], 2)].append(n)
    y: dict[str, float] = {}
    for i, n in enumerate(sorted(layer[0], key=lambda n: str(g.nodes[n]["label"]).lower())):
        y[n] = -i
    for c in (1, 2):  # barycentre ordering against the layers to the left
        def bary(n: str) -> float:
            ys = [y[m] for m in nodes if ((m, n) in links or (n, m) in links) and m in y]
            return sum(ys) / len(ys) if ys else 0.0
        order = sorted(layer[c], key=lambda n: (-bary(n), str(g.nodes[n]["label"]).lower()))
        for i, n in enumerate(order):
            y[n] = -i
    heights = {c: max(len(layer[c]), 1) for c in (0, 1, 2)}
    tall = max(heights.values())
    for c in (0, 1, 2):  # spread each column over the same height
        for n in layer[c]:
            y[n] = (y[n] - (heights[c] - 1) / 2) * (tall / heights[c]) if heights[c] > 1 else 0.0
    fig = _figure(7.2, max(3.5, 0.36 * tall + 1.2))
    ax = fig.add_subplot()
    ax.set_axis_off()
    for a, b in sorted(links):
        ca, cb = cols.get(g.nodes[a]["kind"], 2), cols.get(g.nodes[b]["kind"], 2)
        if ca == cb:  # initiative part of initiative: an arc on the left
            t = np.linspace(0, 1, 30)
            bulge = 0.25 + 0.05 * abs(y[a] - y[b])
            ax.plot(ca - bulge * np.sin(np.pi * t), y[a] + (y[b] - y[a]) * t, color=OKABE_ITO["vermillion"],
                    lw=0.9, zorder=1)
        elif abs(ca - cb) == 2:
            ax.plot([ca, cb], [y[a], y[b]], color=OKABE_ITO["blue"], lw=0.9, ls=(0, (4, 3)), alpha=0.7, zorder=1)
        else:
            ax.plot([ca, cb], [y[a], y[b]], color="#9a9a9a", lw=0.9, zorder=1)
    for c, kind in ((0, "initiative"), (1, "cluster"), (2, "project")):
        xs = [c] * len(layer[c])
        ax.scatter(xs, [y[n] for n in layer[c]], s=60, color=KIND_COLORS[kind], zorder=3,
                   edgecolors="white", label=kind, gid=f"hierarchy-{kind}")
        for n in layer[c]:
            ha, dx = ("right", -0.04) if c == 0 else ("left", 0.04)
            ax.text(c + dx, y[n], _wrap(str(g.nodes[n]["label"]), 30 if c < 2 else 26), ha=ha, va="center",
                    fontsize=8, zorder=4, bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85})
    ax.set_xlim(-1.0, 2.75)
    ax.set_ylim(min(y.values(), default=0) - 0.8, max(y.values(), default=0) + 0.8)
    handles, _labels = ax.get_legend_handles_labels()
    handles += [Line2D([], [], color="#9a9a9a", lw=0.9, label="part of, member of, contributes to"),
                Line2D([], [], color=OKABE_ITO["blue"], lw=0.9, ls=(0, (4, 3)), label="project tied to an initiative directly"),
                Line2D([], [], color=OKABE_ITO["vermillion"], lw=0.9, label="initiative part of initiative")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, frameon=False)
    _title(fig, f"Initiatives → clusters → projects: {len(layer[0])} initiatives, "
                       f"{len(layer[1])} clusters and {len(layer[2])} projects{note} linked by part-of, "
                       "membership, contribution, synergies or meetings")
    return fig


# --------------------------------------------------------------------------- timeline


def _date(term: object) -> tuple[date | None, str]:
    """A start date and its precision (day, month, year) from an xsd date-like literal."""
    text = _str(term)
    if not text:
        return None, ""
    try:
        if len(text) == 4:
            return date(int(text), 7, 1), "year"
        if len(text) == 7:
            return date(int(text[:4]), int(text[5:7]), 15), "month"
        return date(int(text[:4]), int(text[5:7]), int(text[8:10])), "day"
    except ValueError:
        return None, ""


@_styled
def timeline_figure(store: Store) -> Figure:
    """Meetings over time, one row per what they were a meeting of; marker size: projects
    named as taking part; filled: the day is known, hollow: only the month or year."""
    rows = select(store, "analysis_meetings")
    dated, undated = [], []
    for row in rows:
        d, prec = _date(row.get("start"))
        label = _str(row.get("label")) or _str(row["meeting"])
        group = _str(row.get("group")) or "(no group named)"
        if d is None:
            undated.append(label)
        else:
            dated.append((d, prec, label, group, int(row["projects"]), _str(row.get("place"))))  # type: ignore[arg-type]
    groups = sorted({x[3] for x in dated}, key=lambda s: min(x[0] for x in dated if x[3] == s))
    fig = _figure(7.2, max(2.8, 0.7 * len(groups) + 1.8))
    ax = fig.add_subplot()
    ypos = {gname: i for i, gname in enumerate(reversed(groups))}
    for d, prec, label, gname, n, place in sorted(dated):
        filled = prec == "day"
        ax.scatter([d], [ypos[gname]], s=40 + 40 * n, zorder=3,
                   color=OKABE_ITO["bluish green"] if filled else "white",
                   edgecolors=OKABE_ITO["bluish green"], linewidths=1.5)
    ax.set_yticks(list(ypos.values()), [_wrap(gname, 32) for gname in ypos])
    ax.set_ylim(-0.7, len(groups) - 0.3)
    if dated:
        lo, hi = min(x[0] for x in dated), max(x[0] for x in dated)
        ax.set_xlim(date(lo.year - 1, 1, 1), date(hi.year + 1, 12, 31))
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    order = sorted(dated, key=lambda x: (-x[4], x[0]))
    place_labels(ax, [(float(matplotlib.dates.date2num(d)), ypos[gname], _wrap(label + (f" ({place})" if place else ""), 30))
                      for d, _p, label, gname, _n, place in order], fontsize=7,
                 radii=[math.sqrt(40 + 40 * x[4]) / 2 + 1 for x in order])
    handles = [Line2D([], [], marker="o", ls="", color=OKABE_ITO["bluish green"], markersize=7, label="day known"),
               Line2D([], [], marker="o", ls="", markerfacecolor="white", markeredgecolor=OKABE_ITO["bluish green"],
                      markersize=7, label="month or year only")]
    handles += [Line2D([], [], marker="o", ls="", color="#777777", markersize=math.sqrt(40 + 40 * n) / 1.2,
                       label=f"{n} project{'s' if n != 1 else ''} named") for n in sorted({x[4] for x in dated})]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, labelspacing=1.0)
    note = f"; {len(undated)} undated meeting{'s' if len(undated) != 1 else ''} not shown" if undated else ""
    _title(fig, f"Timeline of {len(dated)} dated meetings, by what they were a meeting of{note}")
    return fig


# --------------------------------------------------------------------------- heatmap


@_styled
def heatmap_figure(r: AnalysisResult) -> Figure:
    """Themes x initiatives and clusters: how many of each one's projects address each theme it
    declares or discusses; x marks a gap (declared or discussed, no project)."""
    cov = r.coverage
    groups = sorted((gr for gr in cov.groups if cov.themes(gr)),
                    key=lambda gr: (cov.groups[gr], r.label(gr).lower()))
    themes = sorted({t for gr in groups for t in cov.themes(gr)}, key=lambda t: r.label(t).lower())
    shown = ""
    if len(themes) > MAX_ROWS:  # keep the themes of most initiatives and clusters
        count = {t: sum(t in cov.themes(gr) for gr in groups) for t in themes}
        keep = set(sorted(themes, key=lambda t: (-count[t], r.label(t).lower()))[:MAX_ROWS])
        shown = f" ({MAX_ROWS} of {len(themes)} themes)"
        themes = [t for t in themes if t in keep]
    data = np.full((len(themes), len(groups)), np.nan)
    for i, t in enumerate(themes):
        for j, gr in enumerate(groups):
            if t in cov.themes(gr) or cov.count(gr, t):
                data[i, j] = cov.count(gr, t)
    fig = _figure(7.2, max(4.0, 0.2 * len(themes) + 2.8))
    ax = fig.add_subplot()
    cmap = matplotlib.colormaps["cividis"].with_extremes(bad="#f2f2f2")
    vmax = max(1.0, float(np.nanmax(data)) if np.isfinite(data).any() else 1.0)
    im = ax.imshow(np.ma.masked_invalid(data), aspect="auto", cmap=cmap, vmin=0, vmax=vmax,
                   interpolation="nearest")
    gaps = 0
    for i, t in enumerate(themes):
        for j, gr in enumerate(groups):
            if t in cov.themes(gr) and cov.count(gr, t) == 0:
                gaps += 1
                ax.text(j, i, "×", ha="center", va="center", color=OKABE_ITO["vermillion"], fontsize=9,
                        fontweight="bold", gid="gap")
    ax.set_xticks(range(len(groups)), [f"{_short(r.label(gr), 34)} ({cov.groups[gr]})" for gr in groups],
                  rotation=60, ha="right", rotation_mode="anchor", fontsize=7)
    ax.set_yticks(range(len(themes)), [r.label(t) for t in themes], fontsize=7)
    ax.set_xticks(np.arange(-0.5, len(groups)), minor=True)
    ax.set_yticks(np.arange(-0.5, len(themes)), minor=True)
    ax.grid(which="minor", color="white", lw=0.8)
    ax.tick_params(which="minor", length=0)
    cb = fig.colorbar(im, ax=ax, shrink=0.4, fraction=0.05, pad=0.02, label="projects addressing the theme")
    cb.ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.legend(handles=[Line2D([], [], marker="x", ls="", color=OKABE_ITO["vermillion"], markersize=7,
                              label="gap: declared or discussed, no project"),
                       Line2D([], [], marker="s", ls="", color="#f2f2f2", markersize=9,
                              label="not a theme of the initiative or cluster")],
              loc="lower left", bbox_to_anchor=(0.0, 1.0), frameon=False, ncol=1)
    _title(fig, f"Theme coverage of {len(groups)} initiatives and clusters{shown}: projects per theme, "
                       f"{gaps} gaps marked ×")
    return fig


# --------------------------------------------------------------------------- map


def countries() -> list[dict]:
    """The country outlines packaged with scgraph (Natural Earth 1:110m, public domain)."""
    text = resources.files("scgraph.analysis").joinpath("data/countries.geojson").read_text("utf-8")
    return json.loads(text)["features"]


def draw_countries(ax, frame: tuple[float, float, float, float]) -> None:
    """The outlines of the packaged countries near ``frame`` (x0, x1, y0, y1), in light grey."""
    x0, x1, y0, y1 = frame
    for f in countries():
        geom = f["geometry"]
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        for poly in polys:
            ring = np.array(poly[0])
            if ring[:, 0].max() < x0 - 5 or ring[:, 0].min() > x1 + 5 or ring[:, 1].max() < y0 - 5 or ring[:, 1].min() > y1 + 5:
                continue
            ax.add_patch(Polygon(ring, closed=True, fc="#eeeeee", ec="#9a9a9a", lw=0.5, zorder=1))


@_styled
def map_figure(r: AnalysisResult) -> Figure:
    """Cities with coordinates, sized by the projects tied to them; lines join cities that share
    a project or an organisation; country outlines from Natural Earth (packaged, no tiles)."""
    g = r.graph
    cities = sorted(n for n, d in g.nodes(data=True) if d["kind"] == "city" and "lat" in d)
    cg = r.networks["city"]
    from .networks import PROJECT, incidences

    projects: dict[str, set[str]] = defaultdict(set)
    for c, ev, via in incidences(g, "city"):
        if ev == PROJECT:
            projects[c].add(via)
    points = {c: (float(g.nodes[c]["lon"]), float(g.nodes[c]["lat"])) for c in cities}
    (x0, x1, y0, y1), outside = map_extent(points)
    aspect = 1 / math.cos(math.radians((y0 + y1) / 2))
    # the axes take the extent's shape; the figure follows it (title and axis labels around)
    rows = math.ceil((len(set(len(projects[c]) for c in cities)) + 1) / 4)  # of the legend
    height = min(10.0, max(3.8, 6.4 * aspect * (y1 - y0) / (x1 - x0) + 1.3 + 0.5 * rows))
    fig = _figure(7.2, height)
    ax = fig.add_subplot()
    draw_countries(ax, (x0, x1, y0, y1))
    for a, b in sorted(cg.edges):
        if a in cities and b in cities:
            ax.plot([g.nodes[a]["lon"], g.nodes[b]["lon"]], [g.nodes[a]["lat"], g.nodes[b]["lat"]],
                    color=OKABE_ITO["orange"], lw=1.2, zorder=2)
    n = [len(projects[c]) for c in cities]
    ax.scatter([g.nodes[c]["lon"] for c in cities], [g.nodes[c]["lat"] for c in cities],
               s=[30 + 60 * k for k in n], color=OKABE_ITO["blue"], edgecolors="white", zorder=3, gid="cities")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(aspect)
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    labelled = sorted(((c, k) for c, k in zip(cities, n) if c not in outside),
                      key=lambda x: (-x[1], x[0]))[:MAX_LABELS]
    place_labels(ax, [(float(g.nodes[c]["lon"]), float(g.nodes[c]["lat"]),
                       f"{g.nodes[c]['label']} ({k} project{'s' if k != 1 else ''})") for c, k in labelled],
                 radii=[math.sqrt(30 + 60 * k) / 2 for _c, k in labelled])
    sizes = sorted(set(n))
    handles = [Line2D([], [], marker="o", ls="", color=OKABE_ITO["blue"], markersize=math.sqrt(30 + 60 * k),
                      label=f"city, {k} project{'s' if k != 1 else ''}") for k in sizes]
    handles.append(Line2D([], [], color=OKABE_ITO["orange"], lw=1.2, label="shared project or organisation"))
    # below the map, not over it: at registry scale cities fill every corner of the frame
    fig.legend(handles=handles, loc="outside lower center", ncols=min(4, len(handles)),
               frameon=False, labelspacing=1.1, columnspacing=1.6)
    far = ""
    if outside:
        names = sorted(str(g.nodes[c]["label"]) for c in outside)
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        far = f"; {len(outside)} outside Europe, beyond the frame ({shown}), their lines cut at the edge"
    _title(fig, f"{len(cities)} cities with coordinates and the projects tied to them "
                f"(partners based there, meetings held there){far}; outlines: Natural Earth")
    return fig


ROLE_COLORS = {"lighthouse": OKABE_ITO["vermillion"], "follower": OKABE_ITO["blue"],
               "observer": OKABE_ITO["bluish green"]}
ROLE_ORDER = ("lighthouse", "follower", "observer")


def _city_roles(store: Store) -> list[dict[str, object]]:
    """The rows of analysis_city_roles, sorted (project, role, city)."""
    rows = [{k: _str(v) for k, v in row.items()} for row in select(store, "analysis_city_roles")]
    if not rows:
        raise PlotError("no project names a lighthouse, follower or observer city: "
                        "the lighthouse figures need the curated lighthouse programme")
    return sorted(rows, key=lambda r: (r["projectLabel"], ROLE_ORDER.index(str(r["role"])), r["cityLabel"], r["city"]))


@_styled
def lighthouse_map_figure(store: Store) -> Figure:
    """Lighthouse, follower and observer cities of the lighthouse projects on a map, with the
    replication links (each lighthouse city to each follower city of the same project)."""
    rows = _city_roles(store)
    located = [r for r in rows if r["lat"] and r["long"]]
    roles: dict[str, set[str]] = defaultdict(set)  # city -> its roles over all projects
    for r in located:
        roles[str(r["city"])].add(str(r["role"]))
    strongest = {c: min(rs, key=ROLE_ORDER.index) for c, rs in roles.items()}
    points = {str(r["city"]): (float(str(r["long"])), float(str(r["lat"]))) for r in located}
    labels = {str(r["city"]): str(r["cityLabel"]) for r in located}
    (x0, x1, y0, y1), outside = map_extent(points)
    aspect = 1 / math.cos(math.radians((y0 + y1) / 2))
    height = min(10.0, max(3.8, 6.4 * aspect * (y1 - y0) / (x1 - x0) + 1.8))
    fig = _figure(7.2, height)
    ax = fig.add_subplot()
    draw_countries(ax, (x0, x1, y0, y1))
    by_project: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for r in located:
        by_project[str(r["project"])][str(r["role"])].append(str(r["city"]))
    links = sorted({(a, b) for p in by_project.values() for a in p["lighthouse"] for b in p["follower"] if a != b})
    for a, b in links:
        ax.plot([points[a][0], points[b][0]], [points[a][1], points[b][1]], color=OKABE_ITO["grey"],
                lw=0.6, alpha=0.6, zorder=2)
    for role in reversed(ROLE_ORDER):  # lighthouse cities drawn last, on top
        cities = sorted(c for c, r in strongest.items() if r == role)
        ax.scatter([points[c][0] for c in cities], [points[c][1] for c in cities],
                   s=70 if role == "lighthouse" else 34, color=ROLE_COLORS[role], edgecolors="white",
                   linewidths=0.6, zorder=3 if role != "lighthouse" else 4, gid=f"{role}-cities")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(aspect)
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    lighthouse = sorted((c for c, rs in roles.items() if "lighthouse" in rs and c not in outside), key=lambda c: labels[c])
    place_labels(ax, [(points[c][0], points[c][1], labels[c]) for c in lighthouse], fontsize=6.5,
                 radii=[math.sqrt(70) / 2] * len(lighthouse))
    counts = {role: sum(1 for r in strongest.values() if r == role) for role in ROLE_ORDER}
    handles = [Line2D([], [], marker="o", ls="", color=ROLE_COLORS[r], markersize=8 if r == "lighthouse" else 6,
                      label=f"{r} city ({counts[r]})") for r in ROLE_ORDER if counts[r]]
    handles.append(Line2D([], [], color=OKABE_ITO["grey"], lw=1, label=f"lighthouse to follower, same project ({len(links)})"))
    fig.legend(handles=handles, loc="outside lower center", ncols=2, frameon=False, columnspacing=1.2)
    projects = len({str(r["project"]) for r in rows})
    far = ""
    if outside:
        names = sorted(labels[c] for c in outside)
        far = f"; beyond the frame: {', '.join(names)}"
    missing = sorted({str(r["cityLabel"]) for r in rows if not (r["lat"] and r["long"])})
    unplaced = f"; without coordinates: {', '.join(missing)}" if missing else ""
    _title(fig, f"The cities of {projects} Smart Cities and Communities lighthouse projects by their "
                f"strongest role (lighthouse cities labelled){far}{unplaced}; outlines: Natural Earth")
    return fig


@_styled
def lighthouse_network_figure(store: Store, seed: int = 0) -> Figure:
    """Projects and their cities as a network: an edge per city role, coloured by the role;
    cities in several projects tie the projects together."""
    rows = _city_roles(store)
    g = nx.Graph()
    for r in rows:
        p, c = f"p:{r['project']}", f"c:{r['city']}"
        g.add_node(p, label=str(r["projectLabel"]), kind="project")
        g.add_node(c, label=str(r["cityLabel"]), kind="city")
        prev = g.edges[p, c]["role"] if g.has_edge(p, c) else None
        role = str(r["role"]) if prev is None else min(prev, str(r["role"]), key=ROLE_ORDER.index)
        g.add_edge(p, c, role=role)
    pos = packed_layout(g, seed=seed)  # each project with its cities on its own, packed
    fig = _figure(7.2, 7.6)
    ax = fig.add_subplot()
    for role in reversed(ROLE_ORDER):
        edges = sorted((a, b) for a, b, d in g.edges(data=True) if d["role"] == role)
        nx.draw_networkx_edges(g, pos, edgelist=edges, ax=ax, edge_color=ROLE_COLORS[role],
                               width=1.4 if role == "lighthouse" else 0.8, alpha=0.85)
    projects = sorted(n for n, d in g.nodes(data=True) if d["kind"] == "project")
    cities = sorted(n for n, d in g.nodes(data=True) if d["kind"] == "city")
    shared = [c for c in cities if g.degree(c) > 1]
    nx.draw_networkx_nodes(g, pos, nodelist=cities, ax=ax, node_size=14, node_color="#bbbbbb", linewidths=0)
    nx.draw_networkx_nodes(g, pos, nodelist=shared, ax=ax, node_size=40, node_color=OKABE_ITO["orange"],
                           edgecolors="white", linewidths=0.6)
    nx.draw_networkx_nodes(g, pos, nodelist=projects, ax=ax, node_size=110, node_shape="s",
                           node_color=OKABE_ITO["black"])
    points = [(float(pos[n][0]), float(pos[n][1]), g.nodes[n]["label"]) for n in projects]
    points += [(float(pos[n][0]), float(pos[n][1]), g.nodes[n]["label"]) for n in shared]
    place_labels(ax, points, fontsize=6.5, radii=[6.0] * len(projects) + [3.5] * len(shared))
    ax.set_axis_off()
    handles = [Line2D([], [], marker="s", ls="", color=OKABE_ITO["black"], markersize=7, label=f"project ({len(projects)})"),
               Line2D([], [], marker="o", ls="", color="#bbbbbb", markersize=5, label=f"city ({len(cities)})"),
               Line2D([], [], marker="o", ls="", color=OKABE_ITO["orange"], markersize=6,
                      label=f"city of several projects ({len(shared)})")]
    handles += [Line2D([], [], color=ROLE_COLORS[r], lw=1.4, label=f"{r} city")
                for r in ROLE_ORDER if any(d["role"] == r for *_e, d in g.edges(data=True))]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False, columnspacing=1.2)
    _title(fig, f"{len(projects)} lighthouse projects and their {len(cities)} cities by role "
                f"(a city two sources give two roles is drawn in the stronger)")
    return fig


#: longitude and latitude bounds of the map's Europe (with the Canaries, Cyprus and Iceland)
EUROPE = (-25.0, 45.0, 27.0, 72.0)


def map_extent(points: dict[str, tuple[float, float]], pad: float = 3.0
               ) -> tuple[tuple[float, float, float, float], list[str]]:
    """The map's frame (x0, x1, y0, y1) and the cities left outside it.

    The frame fits the cities, with ``pad`` degrees around and at least 20 x 14 degrees. When
    some cities lie outside Europe (:data:`EUROPE`: the registry has partners in Tel Aviv,
    Cairo or California) but most lie in it, the frame fits the European ones, so that a
    partner on another continent does not shrink Europe to a corner; the others are returned.
    """
    if not points:
        return (-12.0, 35.0, 33.0, 62.0), []
    lo_x, hi_x, lo_y, hi_y = EUROPE
    inside = {c: xy for c, xy in points.items() if lo_x <= xy[0] <= hi_x and lo_y <= xy[1] <= hi_y}
    framed = inside if inside and len(inside) * 2 >= len(points) else points
    lons = [x for x, _ in framed.values()]
    lats = [y for _, y in framed.values()]
    x0, x1 = min(lons) - pad, max(lons) + pad
    y0, y1 = min(lats) - pad, max(lats) + pad
    if x1 - x0 < 20:
        mid = (x0 + x1) / 2
        x0, x1 = mid - 10, mid + 10
    if y1 - y0 < 14:
        mid = (y0 + y1) / 2
        y0, y1 = mid - 7, mid + 7
    outside = sorted(c for c, (x, y) in points.items() if not (x0 <= x <= x1 and y0 <= y <= y1))
    return (x0, x1, y0, y1), outside


def figure(kind: str, r: AnalysisResult, store: Store | None = None, *, network: str = "heterogeneous",
           color: str = "kind", labels: int = 15, seed: int = 0) -> Figure:
    """The figure of ``kind`` (one of :data:`KINDS`)."""
    if kind == "network":
        return network_figure(r, network, color=color, labels=labels, seed=seed)
    if kind == "hierarchy":
        return hierarchy_figure(r)
    if kind == "timeline":
        if store is None:
            raise PlotError("the timeline needs the store")
        return timeline_figure(store)
    if kind == "heatmap":
        return heatmap_figure(r)
    if kind == "map":
        return map_figure(r)
    if kind in ("lighthouse-map", "lighthouse-network"):
        if store is None:
            raise PlotError(f"the {kind} figure needs the store")
        return lighthouse_map_figure(store) if kind == "lighthouse-map" else lighthouse_network_figure(store, seed)
    raise PlotError(f"unknown figure {kind!r}; use one of {', '.join(KINDS)}")
