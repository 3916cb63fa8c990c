// scgraph question page: pick a stored question, edit its SPARQL, run it, see and download
// the answer. Plain JavaScript, no library; every text from the data is set with textContent.
"use strict";

const BASE = "https://w3id.org/scgraph/";
const SVG = "http://www.w3.org/2000/svg";
const state = { queries: [], prefixes: {}, result: null, name: "query" };
const $ = (sel) => document.querySelector(sel);

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function svgEl(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}
function setStatus(text, bad) {
  const s = $("#status");
  s.textContent = text;
  s.className = bad ? "error" : "";
}

// --------------------------------------------------------------------- terms

function shortIri(iri) {
  let best = null;
  for (const [p, ns] of Object.entries(state.prefixes)) {
    if (iri.startsWith(ns) && (!best || ns.length > best[1].length)) best = [p, ns];
  }
  return best ? best[0] + ":" + iri.slice(best[1].length) : iri;
}
// Where a link to an IRI goes: scgraph IRIs to their page here, http(s) IRIs as they are, and
// nothing else (an IRI of another scheme in the data, one that runs script, must never
// become a live link).
function localHref(iri) {
  if (iri.startsWith(BASE)) return "/" + iri.slice(BASE.length);
  return /^https?:\/\//i.test(iri) ? iri : null;
}
function termText(t) {
  if (!t) return "";
  if (t.type === "uri") return shortIri(t.value);
  if (t.type === "bnode") return "_:" + t.value;
  return t.value;
}
function termNode(t) {
  if (!t) return document.createTextNode("");
  if (t.type === "uri") {
    const a = el("a", { href: localHref(t.value), title: t.value }, shortIri(t.value));
    return a;
  }
  return document.createTextNode(termText(t));
}
function isNumeric(t) {
  return t && t.type !== "uri" && t.type !== "bnode" && t.value.trim() !== "" && isFinite(Number(t.value));
}

// --------------------------------------------------------------------- catalogue

async function loadCatalogue() {
  const r = await fetch("/queries.json");
  const data = await r.json();
  state.queries = data.queries;
  state.prefixes = data.prefixes;
  const sel = $("#question");
  sel.textContent = "";
  sel.appendChild(el("option", { value: "" }, "— write your own SPARQL —"));
  for (const q of state.queries) sel.appendChild(el("option", { value: q.name }, q.title || q.name));
  sel.addEventListener("change", () => pick(sel.value));
}
function pick(name) {
  const q = state.queries.find((x) => x.name === name);
  if (!q) {
    $("#title").textContent = "Ask the graph";
    $("#description").textContent = "Write your own SPARQL below.";
    state.name = "query";
    return;
  }
  $("#title").textContent = q.title || q.name;
  let text = q.description || "";
  if (q.params.length) {
    text += " Parameters: " + q.params.map((p) => p.name + " (" + p.type + (p.optional ? ", optional" : "") + ")").join(", ")
      + " — bind them by editing the query (for example with VALUES).";
  }
  $("#description").textContent = text;
  $("#sparql").value = q.sparql;
  state.name = q.name;
}

// --------------------------------------------------------------------- running

const ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9";

function parseNTriples(text) {
  const term = /(<[^>]*>|_:\S+|"(?:[^"\\]|\\.)*"(?:@[A-Za-z0-9-]+|\^\^<[^>]*>)?)/g;
  const rows = [];
  for (const line of text.split("\n")) {
    const parts = line.match(term);
    if (!parts || parts.length < 3) continue;
    rows.push(parts.slice(0, 3).map((p) => {
      if (p.startsWith("<")) return { type: "uri", value: p.slice(1, -1) };
      if (p.startsWith("_:")) return { type: "bnode", value: p.slice(2) };
      const m = p.match(/^"((?:[^"\\]|\\.)*)"/);
      return { type: "literal", value: JSON.parse('"' + m[1] + '"') };
    }));
  }
  return { vars: ["subject", "predicate", "object"], rows };
}

async function post(query, accept, format) {
  const body = new URLSearchParams({ query });
  if (format) body.set("format", format);
  return fetch("/sparql", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: accept },
    body,
  });
}

async function run() {
  const query = $("#sparql").value;
  setStatus("Running…");
  $("#run").disabled = true;
  const t0 = performance.now();
  try {
    const r = await post(query, ACCEPT);
    const text = await r.text();
    if (!r.ok) {
      setStatus("Error " + r.status + ": " + text.trim(), true);
      return;
    }
    const type = r.headers.get("Content-Type") || "";
    let result;
    if (type.startsWith("application/n-triples")) {
      result = parseNTriples(text);
    } else {
      const doc = JSON.parse(text);
      if ("boolean" in doc) result = { vars: ["answer"], rows: [[{ type: "literal", value: String(doc.boolean) }]] };
      else result = { vars: doc.head.vars, rows: doc.results.bindings.map((b) => doc.head.vars.map((v) => b[v])) };
    }
    state.result = result;
    const ms = Math.round(performance.now() - t0);
    let msg = result.rows.length + (result.rows.length === 1 ? " row" : " rows") + " in " + ms + " ms";
    if (r.headers.get("X-SPARQL-Truncated")) msg += " (cut at the server's limit of " + r.headers.get("X-SPARQL-Max-Rows") + " rows)";
    setStatus(msg);
    render();
  } catch (e) {
    setStatus("Error: " + e.message, true);
  } finally {
    $("#run").disabled = false;
  }
}

async function downloadCsv() {
  const r = await post($("#sparql").value, "text/csv", "csv");
  if (!r.ok) {
    setStatus("Error " + r.status + ": " + (await r.text()).trim(), true);
    return;
  }
  const blob = await r.blob();
  const a = el("a", { href: URL.createObjectURL(blob), download: state.name + ".csv" });
  document.body.appendChild(a);
  a.click();
  a.remove();
}

// --------------------------------------------------------------------- views

function render() {
  const res = state.result;
  renderTable(res);
  const bars = barColumns(res), map = mapColumns(res), net = networkColumns(res);
  enable("bars", bars);
  enable("map", map);
  enable("network", net);
  if (bars) renderBars(res, bars);
  if (map) renderMap(res, map);
  if (net) renderNetwork(res, net);
  const active = document.querySelector(".tabs button.active");
  if (active && active.disabled) show("table");
}
function enable(view, ok) {
  const b = document.querySelector('.tabs button[data-view="' + view + '"]');
  b.disabled = !ok;
  if (!ok) $("#view-" + view).textContent = "";
}
function show(view) {
  for (const b of document.querySelectorAll(".tabs button")) b.classList.toggle("active", b.dataset.view === view);
  for (const v of document.querySelectorAll(".view")) v.classList.toggle("active", v.id === "view-" + view);
}

function renderTable(res) {
  const box = $("#view-table");
  box.textContent = "";
  if (!res.rows.length) {
    box.appendChild(el("p", { class: "empty" }, "No answer: the query matched nothing."));
    return;
  }
  const table = el("table", { id: "results" });
  const head = el("tr");
  for (const v of res.vars) head.appendChild(el("th", {}, v));
  table.appendChild(el("thead")).appendChild(head);
  const body = el("tbody");
  for (const row of res.rows) {
    const tr = el("tr");
    for (const t of row) tr.appendChild(el("td")).appendChild(termNode(t));
    body.appendChild(tr);
  }
  table.appendChild(body);
  box.appendChild(table);
}

function barColumns(res) {
  if (!res.rows.length || res.rows.length > 200) return null;
  const numeric = res.vars.findIndex((_, i) => res.rows.every((r) => isNumeric(r[i])));
  if (numeric < 0) return null;
  const label = res.vars.findIndex((_, i) => i !== numeric && res.rows.every((r) => r[i] && !isNumeric(r[i])));
  return label < 0 ? null : { label, value: numeric };
}
function renderBars(res, cols) {
  const box = $("#view-bars");
  box.textContent = "";
  const rows = res.rows.map((r) => ({ label: termText(r[cols.label]), value: Number(r[cols.value].value) }));
  const max = Math.max(...rows.map((r) => r.value), 0) || 1;
  const bh = 22, left = 230, width = 640, h = rows.length * bh + 30;
  const svg = svgEl("svg", { viewBox: "0 0 " + (left + width + 60) + " " + h, width: "100%", role: "img",
    "aria-label": res.vars[cols.value] + " by " + res.vars[cols.label] });
  rows.forEach((r, i) => {
    const y = 10 + i * bh;
    const w = Math.max(1, (Math.max(r.value, 0) / max) * width);
    svg.appendChild(svgEl("text", { x: left - 8, y: y + bh * 0.65, "text-anchor": "end" },
      r.label.length > 38 ? r.label.slice(0, 37) + "…" : r.label));
    const bar = svgEl("rect", { class: "bar", x: left, y: y + 3, width: w, height: bh - 6 });
    bar.appendChild(svgEl("title", {}, r.label + ": " + r.value));
    svg.appendChild(bar);
    svg.appendChild(svgEl("text", { x: left + w + 6, y: y + bh * 0.65 }, String(r.value)));
  });
  box.appendChild(el("p", { class: "empty" }, res.vars[cols.value] + " by " + res.vars[cols.label]));
  box.appendChild(svg);
}

function mapColumns(res) {
  const find = (re) => res.vars.findIndex((v) => re.test(v));
  const lat = find(/^(lat|latitude)$/i), lon = find(/^(long|lon|lng|longitude)$/i);
  if (lat < 0 || lon < 0 || !res.rows.length) return null;
  if (!res.rows.every((r) => isNumeric(r[lat]) && isNumeric(r[lon]))) return null;
  const other = (pred) => res.vars.findIndex((_, i) => i !== lat && i !== lon && res.rows.every((r) => r[i] && pred(r[i])));
  const literal = other((t) => t.type === "literal" && !isNumeric(t));
  const iri = other((t) => t.type === "uri");
  return { lat, lon, label: literal >= 0 ? literal : iri, link: iri };
}
function renderMap(res, cols) {
  // Equirectangular projection of the points' own extent, with a graticule; no tiles.
  const box = $("#view-map");
  box.textContent = "";
  const pts = res.rows.map((r) => ({ lat: Number(r[cols.lat].value), lon: Number(r[cols.lon].value),
    label: cols.label >= 0 ? termText(r[cols.label]) : "", term: cols.link >= 0 ? r[cols.link] : null }));
  let [w0, e0] = [Math.min(...pts.map((p) => p.lon)), Math.max(...pts.map((p) => p.lon))];
  let [s0, n0] = [Math.min(...pts.map((p) => p.lat)), Math.max(...pts.map((p) => p.lat))];
  const pad = Math.max(2, (e0 - w0) * 0.15, (n0 - s0) * 0.15);
  w0 -= pad; e0 += pad; s0 -= pad; n0 += pad;
  const W = 760, H = Math.max(260, Math.min(620, W * (n0 - s0) / (e0 - w0)));
  const x = (lon) => ((lon - w0) / (e0 - w0)) * W, y = (lat) => ((n0 - lat) / (n0 - s0)) * H;
  const svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", role: "img", "aria-label": "map of the points" });
  svg.appendChild(svgEl("rect", { x: 0, y: 0, width: W, height: H, fill: "#f3f7fb" }));
  const step = (e0 - w0) > 40 ? 10 : 5;
  for (let lon = Math.ceil(w0 / step) * step; lon <= e0; lon += step) {
    svg.appendChild(svgEl("line", { class: "grid", x1: x(lon), x2: x(lon), y1: 0, y2: H }));
    svg.appendChild(svgEl("text", { x: x(lon) + 3, y: H - 4 }, lon + "°"));
  }
  for (let lat = Math.ceil(s0 / step) * step; lat <= n0; lat += step) {
    svg.appendChild(svgEl("line", { class: "grid", x1: 0, x2: W, y1: y(lat), y2: y(lat) }));
    svg.appendChild(svgEl("text", { x: 3, y: y(lat) - 3 }, lat + "°"));
  }
  for (const p of pts) {
    const g = svgEl("g");
    const c = svgEl("circle", { class: "point", cx: x(p.lon), cy: y(p.lat), r: 6 });
    c.appendChild(svgEl("title", {}, p.label + " (" + p.lat + ", " + p.lon + ")"));
    g.appendChild(c);
    if (p.label) g.appendChild(svgEl("text", { x: x(p.lon) + 8, y: y(p.lat) + 4 }, p.label));
    if (p.term && p.term.type === "uri") {
      const a = svgEl("a", { href: localHref(p.term.value) });
      a.appendChild(g);
      svg.appendChild(a);
    } else svg.appendChild(g);
  }
  box.appendChild(svg);
}

function networkColumns(res) {
  const iri = res.vars.map((_, i) => i).filter((i) => res.rows.length && res.rows.every((r) => r[i] && r[i].type === "uri"));
  if (iri.length < 2 || res.rows.length > 400) return null;
  // with subject/predicate/object rows, link subject to object
  return res.vars.length === 3 && iri.includes(0) && iri.includes(2) && res.vars[1] === "predicate"
    ? { a: 0, b: 2 } : { a: iri[0], b: iri[1] };
}
function renderNetwork(res, cols) {
  // A small force-directed layout (fixed number of steps, deterministic start on a circle).
  const box = $("#view-network");
  box.textContent = "";
  const ids = new Map();
  const nodes = [];
  const node = (t, side) => {
    if (!ids.has(t.value)) { ids.set(t.value, nodes.length); nodes.push({ t, side, x: 0, y: 0, vx: 0, vy: 0 }); }
    return ids.get(t.value);
  };
  const edges = res.rows.map((r) => [node(r[cols.a], "source"), node(r[cols.b], "target")]);
  const W = 760, H = 520, n = nodes.length;
  nodes.forEach((d, i) => { d.x = W / 2 + 200 * Math.cos((2 * Math.PI * i) / n); d.y = H / 2 + 200 * Math.sin((2 * Math.PI * i) / n); });
  const k = Math.sqrt((W * H) / Math.max(n, 1)) * 0.6;
  for (let step = 0; step < 300; step++) {
    for (const d of nodes) { d.vx = 0; d.vy = 0; }
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
      const a = nodes[i], b = nodes[j];
      let dx = a.x - b.x, dy = a.y - b.y; const dist = Math.max(Math.hypot(dx, dy), 0.01);
      const f = (k * k) / dist; dx /= dist; dy /= dist;
      a.vx += dx * f; a.vy += dy * f; b.vx -= dx * f; b.vy -= dy * f;
    }
    for (const [i, j] of edges) {
      const a = nodes[i], b = nodes[j];
      let dx = a.x - b.x, dy = a.y - b.y; const dist = Math.max(Math.hypot(dx, dy), 0.01);
      const f = (dist * dist) / k; dx /= dist; dy /= dist;
      a.vx -= dx * f; a.vy -= dy * f; b.vx += dx * f; b.vy += dy * f;
    }
    const temp = 20 * (1 - step / 300) + 0.5;
    for (const d of nodes) {
      const v = Math.max(Math.hypot(d.vx, d.vy), 0.01);
      d.x = Math.min(W - 40, Math.max(40, d.x + (d.vx / v) * Math.min(v, temp)));
      d.y = Math.min(H - 20, Math.max(20, d.y + (d.vy / v) * Math.min(v, temp)));
    }
  }
  const svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", role: "img", "aria-label": "network of the pairs" });
  for (const [i, j] of edges) svg.appendChild(svgEl("line", { class: "edge", x1: nodes[i].x, y1: nodes[i].y, x2: nodes[j].x, y2: nodes[j].y }));
  for (const d of nodes) {
    const a = svgEl("a", { href: localHref(d.t.value) });
    const c = svgEl("circle", { class: "node " + d.side, cx: d.x, cy: d.y, r: 6 });
    c.appendChild(svgEl("title", {}, d.t.value));
    a.appendChild(c);
    a.appendChild(svgEl("text", { x: d.x + 8, y: d.y + 4 }, shortIri(d.t.value)));
    svg.appendChild(a);
  }
  box.appendChild(el("p", { class: "empty" }, res.vars[cols.a] + " → " + res.vars[cols.b] + ": " + n + " nodes, " + edges.length + " links"));
  box.appendChild(svg);
}

// --------------------------------------------------------------------- start

document.addEventListener("DOMContentLoaded", () => {
  $("#run").addEventListener("click", run);
  $("#csv").addEventListener("click", downloadCsv);
  $("#sparql").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run(); });
  for (const b of document.querySelectorAll(".tabs button")) b.addEventListener("click", () => show(b.dataset.view));
  loadCatalogue().then(() => {
    const wanted = new URLSearchParams(location.search).get("q");
    if (wanted) { $("#question").value = wanted; pick(wanted); }
  }).catch((e) => setStatus("Cannot load the catalogue: " + e.message, true));
});
