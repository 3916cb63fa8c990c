"""Export the analysed networks: GraphML and GEXF (for Gephi, Cytoscape, yEd) and one
self-contained interactive HTML page that works offline (its script and style are inline).

Nodes carry ``kind``, ``label``, coordinates for cities, and the metrics of the network
(degree, weighted degree, betweenness, PageRank, component, community, articulation point);
edges carry their relation or their weight and evidence.
"""

from __future__ import annotations

import html
import io as _io
import json
import re
from pathlib import Path

import networkx as nx

from .. import files
from .run import AnalysisResult
from .params import EXPORT_FORMATS as FORMATS
from .params import NETWORKS

#: The HTML page draws at most this many nodes per network (the most central ones).
HTML_MAX_NODES = 1500


def annotated(r: AnalysisResult, network: str) -> nx.Graph:
    """The network with its metrics as node attributes (only scalar attributes)."""
    g = r.networks[network]
    out = nx.Graph()
    by_node = {m.node: m for m in r.metrics[network]}
    for n in sorted(g.nodes):
        a = {k: v for k, v in g.nodes[n].items() if isinstance(v, (str, int, float, bool))}
        m = by_node[n]
        a.update(degree=m.degree, weighted_degree=round(m.weighted_degree, 6),
                 betweenness=round(m.betweenness, 6), pagerank=round(m.pagerank, 6),
                 component=m.component, community=m.community,
                 articulation_point=m.articulation_point)
        out.add_node(n, **a)
    for a_, b_ in sorted((min(a, b), max(a, b)) for a, b in g.edges):
        d = {k: v for k, v in g.edges[a_, b_].items() if isinstance(v, (str, int, float, bool))}
        out.add_edge(a_, b_, **d)
    out.graph["name"] = f"scgraph {network} network"
    return out


def graphml(g: nx.Graph) -> bytes:
    """GraphML of ``g`` (attribute keys in first-use order, nodes and edges sorted)."""
    buf = _io.BytesIO()
    nx.write_graphml(g, buf, encoding="utf-8", prettyprint=True)
    return buf.getvalue()


def gexf(g: nx.Graph) -> bytes:
    """GEXF 1.2 of ``g``, without the writer's date so that the bytes repeat."""
    buf = _io.BytesIO()
    nx.write_gexf(g, buf, encoding="utf-8", prettyprint=True, version="1.2draft")
    return re.sub(rb'\s*lastmodifieddate="[^"]*"', b"", buf.getvalue())


# --------------------------------------------------------------------------- HTML


def _layout(g: nx.Graph, seed: int) -> dict[str, tuple[float, float]]:
    if g.number_of_nodes() == 0:
        return {}
    from .figures import packed_layout

    pos = packed_layout(g, seed=seed)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-9) / 2
    return {n: (round((p[0] - cx) / span, 4), round((p[1] - cy) / span, 4)) for n, p in pos.items()}


def page_data(r: AnalysisResult, seed: int = 0, max_nodes: int = HTML_MAX_NODES) -> dict[str, object]:
    """The nodes and edges of every network, laid out, for the HTML page."""
    nets = {}
    for net in NETWORKS:
        g = annotated(r, net)
        note = ""
        if g.number_of_nodes() > max_nodes:
            keep = sorted(g.nodes, key=lambda n: (-g.nodes[n]["pagerank"], n))[:max_nodes]
            g = g.subgraph(sorted(keep)).copy()
            note = f"the {max_nodes} nodes of highest PageRank of {r.networks[net].number_of_nodes()}"
        pos = _layout(g, seed)
        nodes = [{"id": n, "label": str(d.get("label", n)), "kind": d["kind"], "x": pos[n][0],
                  "y": pos[n][1], "pagerank": d["pagerank"], "betweenness": d["betweenness"],
                  "degree": d["degree"], "community": d["community"],
                  "broker": bool(d["articulation_point"])}
                 for n, d in sorted(g.nodes(data=True))]
        index = {n["id"]: i for i, n in enumerate(nodes)}
        edges = [[index[a], index[b], str(d.get("relation") or d.get("evidence") or ""),
                  float(d.get("weight", 1))] for a, b, d in sorted(g.edges(data=True))]
        nets[net] = {"nodes": nodes, "edges": edges, "note": note}
    return nets


_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;display:flex;height:100vh}
#side{width:290px;padding:12px;border-right:1px solid #ccc;overflow:auto;flex:none}
#main{flex:1;position:relative}svg{width:100%;height:100%;cursor:grab;background:#fff}
h1{font-size:17px;margin:0 0 8px}label{display:block}select,input[type=search]{width:100%;margin:4px 0 8px}
.sw{display:inline-block;width:11px;height:11px;border-radius:50%;margin-right:5px;vertical-align:-1px}
#info{margin-top:10px;padding:8px;background:#f4f4f4;min-height:60px;word-wrap:break-word}
.edge{stroke:#999;stroke-opacity:.5}.hl{stroke:#000;stroke-opacity:.9}
circle{stroke:#fff;stroke-width:.6}circle.hit{stroke:#000;stroke-width:2}
text{font-size:11px;pointer-events:none;paint-order:stroke;stroke:#fff;stroke-width:3px}
#note{color:#666;font-size:12px}
"""

_JS = r"""
const DATA=JSON.parse(document.getElementById('data').textContent);
const COLORS=JSON.parse(document.getElementById('colors').textContent);
const NS='http://www.w3.org/2000/svg';
const svg=document.getElementById('svg'),g=document.getElementById('view');
let view={x:0,y:0,k:1},current=null,hidden=new Set();
function el(n,a){const e=document.createElementNS(NS,n);for(const k in a)e.setAttribute(k,a[k]);return e}
function draw(name){
  current=DATA[name];g.textContent='';
  const W=svg.clientWidth||800,H=svg.clientHeight||600,s=Math.min(W,H)*0.45;
  const P=current.nodes.map(n=>[W/2+n.x*s,H/2-n.y*s]);
  const maxPr=Math.max(...current.nodes.map(n=>n.pagerank),1e-9);
  const eg=el('g',{}),ng=el('g',{}),tg=el('g',{});g.append(eg,ng,tg);
  current.edges.forEach((e,i)=>{const a=current.nodes[e[0]],b=current.nodes[e[1]];
    if(hidden.has(a.kind)||hidden.has(b.kind))return;
    const l=el('line',{x1:P[e[0]][0],y1:P[e[0]][1],x2:P[e[1]][0],y2:P[e[1]][1],class:'edge','stroke-width':Math.min(1+Math.log(e[3]),4)});
    l.dataset.a=e[0];l.dataset.b=e[1];eg.append(l)});
  const top=new Set(current.nodes.map((n,i)=>[n.pagerank,i]).sort((a,b)=>b[0]-a[0]).slice(0,12).map(x=>x[1]));
  current.nodes.forEach((n,i)=>{if(hidden.has(n.kind))return;
    const c=el('circle',{cx:P[i][0],cy:P[i][1],r:3+9*Math.sqrt(n.pagerank/maxPr),fill:COLORS[n.kind]||'#777'});
    c.dataset.i=i;const t=el('title',{});t.textContent=n.label+' ('+n.kind+')';c.append(t);
    c.addEventListener('click',()=>select(i));ng.append(c);
    if(top.has(i)){const x=el('text',{x:P[i][0]+7,y:P[i][1]-5});x.textContent=n.label;tg.append(x)}});
  document.getElementById('note').textContent=current.note?('Showing '+current.note+'.'):'';
  apply();
}
function select(i){const n=current.nodes[i];
  document.querySelectorAll('circle').forEach(c=>c.classList.toggle('hit',+c.dataset.i===i));
  document.querySelectorAll('line').forEach(l=>l.classList.toggle('hl',+l.dataset.a===i||+l.dataset.b===i));
  const nb=current.edges.filter(e=>e[0]===i||e[1]===i).map(e=>current.nodes[e[0]===i?e[1]:e[0]].label+(e[2]?' — '+e[2]:''));
  const info=document.getElementById('info');info.textContent='';
  const b=document.createElement('b');b.textContent=n.label;info.append(b);
  const lines=['kind: '+n.kind,'IRI: '+n.id,'degree: '+n.degree,'PageRank: '+n.pagerank,'betweenness: '+n.betweenness,
    'community: '+n.community+(n.broker?' (broker)':''),'linked to: '+nb.sort().join('; ')];
  lines.forEach(t=>{const d=document.createElement('div');d.textContent=t;info.append(d)});
}
function apply(){g.setAttribute('transform','translate('+view.x+','+view.y+') scale('+view.k+')')}
svg.addEventListener('wheel',ev=>{ev.preventDefault();const f=ev.deltaY<0?1.15:1/1.15,r=svg.getBoundingClientRect();
  const mx=ev.clientX-r.left,my=ev.clientY-r.top;view.x=mx-(mx-view.x)*f;view.y=my-(my-view.y)*f;view.k*=f;apply()},{passive:false});
let drag=null;svg.addEventListener('mousedown',ev=>{drag=[ev.clientX-view.x,ev.clientY-view.y]});
window.addEventListener('mousemove',ev=>{if(drag){view.x=ev.clientX-drag[0];view.y=ev.clientY-drag[1];apply()}});
window.addEventListener('mouseup',()=>{drag=null});
document.getElementById('net').addEventListener('change',ev=>{view={x:0,y:0,k:1};draw(ev.target.value)});
document.getElementById('q').addEventListener('input',ev=>{const q=ev.target.value.toLowerCase();if(!q)return;
  const i=current.nodes.findIndex(n=>n.label.toLowerCase().includes(q));if(i>=0)select(i)});
document.querySelectorAll('input[data-kind]').forEach(cb=>cb.addEventListener('change',()=>{
  cb.checked?hidden.delete(cb.dataset.kind):hidden.add(cb.dataset.kind);draw(document.getElementById('net').value)}));
draw(document.getElementById('net').value);
"""


def html_page(r: AnalysisResult, seed: int = 0, max_nodes: int = HTML_MAX_NODES) -> bytes:
    """One HTML page with every network, laid out with a fixed seed; no outside resources."""
    from .figures import KIND_COLORS

    data = page_data(r, seed=seed, max_nodes=max_nodes)
    kinds = sorted({n["kind"] for net in data.values() for n in net["nodes"]},  # type: ignore[index]
                   key=lambda k: list(KIND_COLORS).index(k) if k in KIND_COLORS else 99)
    options = "".join(f'<option value="{n}">{html.escape(n)} ({len(data[n]["nodes"])} nodes)</option>'  # type: ignore[index]
                      for n in NETWORKS)
    legend = "".join(f'<label><input type="checkbox" checked data-kind="{k}"><span class="sw" '
                     f'style="background:{KIND_COLORS.get(k, "#777")}"></span>{k}</label>' for k in kinds)

    def script_json(o: object) -> str:
        return json.dumps(o, sort_keys=True, ensure_ascii=False).replace("</", "<\\/")

    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>scgraph networks</title><style>{_CSS}</style></head>
<body><div id="side"><h1>scgraph networks</h1>
<p>Projects, initiatives, clusters, meetings, organisations, people, cities and themes of the
EU smart-city graph, and the one-mode projections. Node size: PageRank. Click a node for its
links; scroll to zoom, drag to pan.</p>
<label for="net">Network</label><select id="net">{options}</select>
<label for="q">Find</label><input id="q" type="search" placeholder="label">
<div>{legend}</div><div id="info">Click a node.</div><p id="note"></p></div>
<div id="main"><svg id="svg" role="img" aria-label="network"><g id="view"></g></svg></div>
<script type="application/json" id="data">{script_json(data)}</script>
<script type="application/json" id="colors">{script_json(KIND_COLORS)}</script>
<script>{_JS}</script></body></html>
"""
    return page.encode("utf-8")


def export(r: AnalysisResult, out_dir: Path | str, *, formats: tuple[str, ...] = FORMATS,
           networks: tuple[str, ...] = NETWORKS, seed: int = 0) -> dict[str, Path]:
    """Write ``<network>.graphml`` / ``.gexf`` for each network and ``networks.html``."""
    out_dir = Path(out_dir)
    out: dict[str, bytes] = {}
    for net in networks:
        g = annotated(r, net)
        if "graphml" in formats:
            out[f"{net}.graphml"] = graphml(g)
        if "gexf" in formats:
            out[f"{net}.gexf"] = gexf(g)
    if "html" in formats:
        out["networks.html"] = html_page(r, seed=seed)
    return {name: files.write_atomic(out_dir / name, data) for name, data in sorted(out.items())}
