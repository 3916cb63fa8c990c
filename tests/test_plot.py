"""Every figure kind in every format, with its content checked on the Figure objects: nodes
drawn, labels, legend, title; SVG and PDF parse; the same input gives the same bytes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from matplotlib.collections import PathCollection
from matplotlib.text import Annotation

from scgraph import parse
from scgraph.analysis import figures as plot
from scgraph.analysis import analyse
from scgraph.store import OxigraphStore
from rdflib import Dataset

DATA = Path(__file__).parent / "data" / "analysis"


def _store(path: Path) -> OxigraphStore:
    ds = Dataset()
    parse.parse_into(ds, path)
    st = OxigraphStore()
    st.load_dataset(ds)
    return st


@pytest.fixture(scope="module")
def setup():
    st = _store(DATA / "small.trig")
    yield analyse(st), st
    st.close()


def _title(fig) -> str:
    return fig._suptitle.get_text() if fig._suptitle is not None else ""


def _legend_labels(fig) -> list[str]:
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend()] + list(fig.legends)
    return [t.get_text() for legend in legends for t in legend.get_texts()]


def _annotations(ax) -> list[str]:
    return [c.get_text() for c in ax.get_children() if isinstance(c, Annotation)]


@pytest.fixture(scope="module")
def lighthouse():
    st = _store(DATA / "lighthouse.trig")
    yield st
    st.close()


@pytest.mark.parametrize("fmt", plot.FORMATS)
@pytest.mark.parametrize("kind", plot.KINDS)
def test_every_kind_in_every_format(setup, lighthouse, tmp_path, kind, fmt):
    r, st = setup
    fig = plot.figure(kind, r, lighthouse if kind.startswith("lighthouse") else st)
    path = plot.save(fig, tmp_path / f"{kind}.{fmt}")
    data = path.read_bytes()
    assert len(data) > 1000
    if fmt == "png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
    elif fmt == "svg":
        root = ET.fromstring(data)
        assert root.tag.endswith("svg") and b"<dc:date>" not in data
    else:
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF") and b"CreationDate" not in data
    assert _title(fig) and _legend_labels(fig)


def test_svg_bytes_repeat(setup, tmp_path):
    r, st = setup
    a = plot.save(plot.figure("network", r), tmp_path / "a.svg").read_bytes()
    b = plot.save(plot.figure("network", r), tmp_path / "b.svg").read_bytes()
    assert a == b


def test_network_figure_content(setup):
    r, _st = setup
    fig = plot.network_figure(r, "heterogeneous", labels=5)
    ax = fig.axes[0]
    g = r.networks["heterogeneous"]
    linked = [n for n in g if g.degree(n) > 0]
    nodes = [c for c in ax.collections if isinstance(c, PathCollection) and c.get_gid() == "nodes"]
    assert len(nodes) == 1 and len(nodes[0].get_offsets()) == len(linked)
    assert len(_annotations(ax)) == 5
    kinds = {g.nodes[n]["kind"] for n in linked}
    assert set(_legend_labels(fig)) == kinds
    assert len(linked) == g.number_of_nodes() == 18
    assert "themes (18 nodes); size: PageRank; labels: the 5 highest betweenness" in " ".join(_title(fig).split())


def test_network_by_community_and_bad_options(setup):
    r, _st = setup
    fig = plot.network_figure(r, "project", color="community")
    assert _legend_labels(fig) == ["community 1", "community 2"]
    with pytest.raises(plot.PlotError, match="unknown network 'nope'"):
        plot.network_figure(r, "nope")
    with pytest.raises(plot.PlotError, match="unknown figure 'pie'"):
        plot.figure("pie", r)
    with pytest.raises(plot.PlotError, match="unknown figure format 'gif'"):
        plot.save(fig, Path("x.gif"))


def test_hierarchy_content(setup):
    r, _st = setup
    fig = plot.hierarchy_figure(r)
    ax = fig.axes[0]
    drawn = {c.get_gid(): len(c.get_offsets()) for c in ax.collections}
    # K is part of I; A is a member of K (so of I too), D and E met at K's meeting M; D
    # contributes to I: lines I-K, K-A, K-D, K-E, I-A, I-D
    assert drawn == {"hierarchy-initiative": 1, "hierarchy-cluster": 1, "hierarchy-project": 3}
    assert sorted(t.get_text() for t in ax.texts) == ["A", "D", "E", "I", "K"]
    assert len(ax.lines) == 6


def test_timeline_content(setup):
    r, st = setup
    fig = plot.timeline_figure(st)
    ax = fig.axes[0]
    assert len([c for c in ax.collections if isinstance(c, PathCollection)]) == 2  # meetings M and N
    assert sorted(_annotations(ax)) == ["M (X)", "N (Y)"]
    assert "Timeline of 2 dated meetings" in _title(fig)


def test_heatmap_marks_the_gap(setup):
    r, _st = setup
    fig = plot.heatmap_figure(r)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts if t.get_gid() == "gap"] == ["×"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Theme 1", "Theme 4", "Theme 9"]
    assert "1 gaps marked" in _title(fig)


def test_map_content(setup):
    r, _st = setup
    fig = plot.map_figure(r)
    ax = fig.axes[0]
    cities = [c for c in ax.collections if c.get_gid() == "cities"]
    assert len(cities[0].get_offsets()) == 1  # Y has no coordinates
    assert _annotations(ax) == ["X (2 projects)"]
    assert len(ax.patches) > 10  # country outlines around Brussels
    assert len(plot.countries()) == 177


def test_lighthouse_map_content(lighthouse):
    fig = plot.lighthouse_map_figure(lighthouse)
    ax = fig.axes[0]
    by_role = {c.get_gid(): [tuple(xy) for xy in c.get_offsets()] for c in ax.collections if c.get_gid()}
    # Lyon is a lighthouse city of A and a follower city of B: drawn once, in its strongest role
    assert sorted(by_role) == ["follower-cities", "lighthouse-cities", "observer-cities"]
    assert len(by_role["lighthouse-cities"]) == 3 and len(by_role["follower-cities"]) == 1
    assert len(by_role["observer-cities"]) == 1
    # replication links: A's lighthouse cities to Nice (Z has no coordinates), B's Madrid to Lyon
    assert len(ax.lines) == 3
    assert sorted(_annotations(ax)) == ["Lyon", "Madrid", "Paris"]
    assert _legend_labels(fig) == ["lighthouse city (3)", "follower city (1)", "observer city (1)",
                                   "lighthouse to follower, same project (3)"]
    assert "without coordinates: Z" in _title(fig)


def test_lighthouse_network_content(lighthouse):
    fig = plot.lighthouse_network_figure(lighthouse)
    labels = _legend_labels(fig)
    assert labels[:3] == ["project (2)", "city (6)", "city of several projects (1)"]
    assert sorted(_annotations(fig.axes[0])) == ["A", "B", "Lyon"]


def test_lighthouse_figures_need_city_roles(setup):
    _r, st = setup
    with pytest.raises(plot.PlotError, match="no project names a lighthouse, follower or observer city"):
        plot.lighthouse_map_figure(st)


def test_map_frame_fits_europe_and_names_the_cities_beyond():
    brussels, munich, lisbon = (4.35, 50.85), (11.58, 48.14), (-9.14, 38.72)
    berkeley, san_francisco = (-122.27, 37.87), (-122.42, 37.77)
    frame, outside = plot.map_extent({"brussels": brussels, "munich": munich, "lisbon": lisbon,
                                      "berkeley": berkeley})
    assert frame == pytest.approx((-12.14, 14.58, 35.72, 53.85)) and outside == ["berkeley"]
    # most cities beyond Europe: the frame fits them all
    frame, outside = plot.map_extent({"brussels": brussels, "berkeley": berkeley, "sf": san_francisco})
    assert frame == pytest.approx((-125.42, 7.35, 34.77, 53.85)) and outside == []
    # one city: a frame of 20 x 14 degrees around it
    assert plot.map_extent({"brussels": brussels}) == (pytest.approx((-5.65, 14.35, 43.85, 57.85)), [])


def test_map_title_names_the_cities_beyond_the_frame(setup):
    r, _st = setup
    g = r.graph
    city = next(n for n, d in g.nodes(data=True) if d["kind"] == "city" and "lat" in d)
    far = "https://w3id.org/scgraph/id/city/berkeley"
    g.add_node(far, kind="city", label="Berkeley", lat=37.87, lon=-122.27)
    g.add_node(far + "-2", kind="city", label="Oakland", lat=37.80, lon=-122.27)
    try:
        fig = plot.map_figure(r)
    finally:
        g.remove_nodes_from([far, far + "-2"])
    # one city in Europe against two beyond it: the frame takes all three
    assert "outside Europe" not in _title(fig)
    g.add_node(far, kind="city", label="Berkeley", lat=37.87, lon=-122.27)
    try:
        fig = plot.map_figure(r)
    finally:
        g.remove_node(far)
    assert "1 outside Europe, beyond the frame (Berkeley)" in _title(fig)
    assert len([c for c in fig.axes[0].collections if c.get_gid() == "cities"][0].get_offsets()) == 2
    assert city in g
