"""``scgraph analyse``, ``plot`` and ``export-graph`` from the shell, and the exports: GraphML
and GEXF load back with the same nodes, edges and attributes; the HTML page is self-contained."""

from __future__ import annotations

import json
import re
from pathlib import Path

import networkx as nx
import pytest
from typer.testing import CliRunner

from scgraph.cli import app

DATA = Path(__file__).parent / "data" / "analysis"
SMALL = str(DATA / "small.trig")
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    result = invoke("export-graph", "--data", SMALL, "-o", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_analyse_writes_every_output(tmp_path):
    out = tmp_path / "a"
    result = invoke("analyse", "--data", SMALL, "-o", str(out), "--top", "1", "--evaluate", "--splits", "2")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted([
        "analysis.trig", "analysis.ttl", "brokers.csv", "communities.csv", "coverage_gaps.csv",
        "coverage_gaps.json", "data_gaps.csv", "data_gaps.json", "evaluation.csv", "evaluation.json",
        "metrics.csv", "metrics.json", "rankings.csv", "rankings.json", "summaries.csv",
        "summaries.json", "summary.json", "synergies.csv", "synergies.json"])
    syn = json.loads((out / "synergies.json").read_text())
    assert [(s["kind"], s["label_a"], s["label_b"]) for s in syn] == [("project", "A", "B"), ("city", "X", "Y")]
    assert "project: 5 nodes, 4 edges" in result.output
    ev = (out / "evaluation.csv").read_text().splitlines()
    assert ev[0] == "kind,method,auc,auc_sd,precision,precision_sd,k,splits,edges,hidden,negatives,reliable,note"
    assert [line.split(",")[:2] for line in ev[1:]] == [
        ["project", "adamic-adar"], ["project", "jaccard"], ["project", "resource-allocation"], ["project", "random"]]
    # two recorded collaborations: the figures are reported, and said to mean nothing
    note = ("too few recorded collaborations to mean anything: 2 (1 hidden per split); "
            "needs at least 20 and 5 hidden")
    assert all(line.endswith(f",false,{note}") for line in ev[1:])
    assert f"evaluation project adamic-adar: AUC 0.594, precision@10 0.111 ({note})" in result.output
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert invoke("analyse", "--data", SMALL, "-o", str(out), "--top", "1", "--evaluate", "--splits", "2",
                  "-q").exit_code == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first


def test_methods_rank_differently_but_agree_here(tmp_path):
    for method in ("jaccard", "resource-allocation"):
        result = invoke("analyse", "--data", SMALL, "-o", str(tmp_path / method), "--method", method, "-q")
        assert result.exit_code == 0
        rows = (tmp_path / method / "synergies.csv").read_text().splitlines()[1:]
        assert [r.split(",")[5] for r in rows] == ["B", "C", "Y"]
        assert all(f",{method}," in r for r in rows)


def test_bad_parameters_leave_outputs_alone(tmp_path):
    out = tmp_path / "a"
    out.mkdir()
    (out / "metrics.csv").write_text("old")
    result = invoke("analyse", "--data", SMALL, "-o", str(out), "--hide", "1.5")
    assert (result.exit_code, result.output) == (1, "Error: --hide must be between 0 and 1, got 1.5\n")
    assert (out / "metrics.csv").read_text() == "old"
    result = invoke("analyse", "--data", str(DATA / "nope.trig"), "-o", str(out))
    assert result.exit_code == 1 and result.output == f"Error: {DATA / 'nope.trig'}: no such file\n"
    assert invoke("analyse", "--method", "cosine").exit_code == 2
    assert invoke("plot", "pie").exit_code == 2
    assert invoke("plot", "network", "--color", "rainbow", "--data", SMALL).output == (
        "Error: unknown colouring 'rainbow' (--color); use kind or community\n")


@pytest.mark.parametrize("kind", ["network", "hierarchy", "timeline", "heatmap", "map"])
def test_plot_command(tmp_path, kind):
    path = tmp_path / f"{kind}.svg"
    result = invoke("plot", kind, "--format", "svg", "-o", str(path), "--data", SMALL)
    assert (result.exit_code, result.output) == (0, f"wrote {path}\n")
    assert path.read_bytes().startswith(b"<?xml")


def test_help_texts():
    for cmd in ("analyse", "plot", "export-graph"):
        result = invoke(cmd, "--help")
        assert result.exit_code == 0
    assert "adamic-adar" in invoke("analyse", "--help").output


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
@pytest.mark.parametrize("network", ["heterogeneous", "project", "organisation", "city"])
def test_exports_load_back(exported, fmt, network):
    from scgraph.analysis import analyse
    from scgraph.store import OxigraphStore
    from scgraph import parse
    from rdflib import Dataset

    path = exported / f"{network}.{fmt}"
    g = nx.read_graphml(path) if fmt == "graphml" else nx.read_gexf(path)
    ds = Dataset()
    parse.parse_into(ds, DATA / "small.trig")
    st = OxigraphStore()
    st.load_dataset(ds)
    r = analyse(st)
    want = r.networks[network]
    assert set(g.nodes) == set(want.nodes)
    assert {frozenset(e) for e in g.edges} == {frozenset(e) for e in want.edges}
    for n, d in want.nodes(data=True):
        got = g.nodes[n]
        assert (got["kind"], got["label"]) == (d["kind"], d["label"])
    m = {x.node: x for x in r.metrics[network]}
    for n in want.nodes:
        assert float(g.nodes[n]["pagerank"]) == pytest.approx(m[n].pagerank, abs=1e-6)
        assert int(g.nodes[n]["community"]) == m[n].community
    for a, b, d in want.edges(data=True):
        for key in ("relation", "evidence", "weight"):
            if key in d:
                assert str(g.edges[a, b][key]) == str(d[key]) or float(g.edges[a, b][key]) == float(d[key])


def test_gexf_has_no_date(exported):
    assert b"lastmodifieddate" not in (exported / "project.gexf").read_bytes()


def test_html_page_is_self_contained(exported):
    page = (exported / "networks.html").read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", page)
    assert "@import" not in page and "url(" not in page
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S).group(1))
    assert set(data) == {"heterogeneous", "project", "organisation", "city"}
    assert {n["label"] for n in data["project"]["nodes"]} == {"A", "B", "C", "D", "E"}
    assert len(data["project"]["edges"]) == 4
