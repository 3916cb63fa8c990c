// scgraph question page: pick a stored question (its parameters as a form) or write SPARQL in
// YASGUI's editor, run it, page and sort the answer, see it as a table, bar chart, map,
// network or timeline, download it. Every state is in the URL (?q=NAME&PARAM=..&view=.. or
// ?query=TEXT&view=..), so a shared link reproduces it and back/forward work.
// Every text from the data is set with textContent; nothing is fetched from outside the server.
"use strict";

const BASE = "https://w3id.org/scgraph/";
const SVG = "http://www.w3.org/2000/svg";
const XSD = "http://www.w3.org/2001/XMLSchema#";
const PAGE_SIZE = 100;
const RESERVED = new Set(["q", "query", "view", "page", "sort"]);
const VIEWS = ["table", "bars", "map", "network", "timeline"];
// Parameter names whose choices the graph knows: the class of the things to offer.
const CHOICES = {
  city: "City", country: "Country", initiative: "Initiative", organisation: "Organisation",
  organization: "Organisation", project: "Project", meeting: "Meeting", topic: "DiscussionTopic",
  theme: "Theme", programme: "FundingProgramme", cluster: "Cluster", platform: "Platform",
};
const state = {
  queries: [], prefixes: {}, question: null, bound: "", result: null, ran: null, labels: new Map(),
  view: "table", page: 0, sort: null, terms: [], choices: new Map(), name: "query",
};
const $ = (sel) => document.querySelector(sel);

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function svgEl(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}
function setStatus(text, bad) {
  const s = $("#status");
  s.textContent = text;
  s.className = bad ? "error" : "";
}
const fmtInt = (n) => n.toLocaleString("en");

// --------------------------------------------------------------------- the editor

let yasqe = null;
const editor = {
  get: () => (yasqe ? yasqe.getValue() : $("#editor textarea").value),
  set: (text) => { if (yasqe) { yasqe.setValue(text); yasqe.clearHistory && yasqe.clearHistory(); } else $("#editor textarea").value = text; },
};
window.scgraph = { editor, state };  // for the tests and the curious

function iriCompleter(name, base, kinds) {
  return Object.assign({}, base, {
    name, persistenceId: null, bulk: false, autoShow: false,
    get: (_y, token) => {
      const start = (token && token.autocompletionString) || "";
      return state.terms.filter((t) => kinds.includes(t.kind) && t.iri.startsWith(start)).map((t) => t.iri).sort();
    },
    postprocessHints: (_y, hints) => hints.map((h) => {
      const t = state.terms.find((x) => h.text.includes(shortIri(x.iri)) || h.text === "<" + x.iri + ">");
      return t && t.label ? Object.assign(h, { displayText: h.text + "  — " + t.label }) : h;
    }),
  });
}

function makeEditor(text) {
  const host = $("#editor");
  const Y = window.Yasqe;
  if (!Y) {  // the vendored editor did not load: a plain text area still works
    host.appendChild(el("textarea", { spellcheck: "false", rows: "14", "aria-label": "SPARQL" }, text));
    return;
  }
  const builtin = Y.Autocompleters || {};
  if (builtin.prefixes) {
    Y.registerAutocompleter(Object.assign({}, builtin.prefixes, {
      name: "scgPrefixes", persistenceId: null,
      get: () => Object.entries(state.prefixes).map(([p, ns]) => p + ": <" + ns + ">").sort(),
    }), false);
  }
  if (builtin.class) Y.registerAutocompleter(iriCompleter("scgClass", builtin.class, ["class"]), false);
  if (builtin.property) Y.registerAutocompleter(iriCompleter("scgProperty", builtin.property, ["property"]), false);
  yasqe = new Y(host, {
    value: text, persistenceId: null, showQueryButton: false, resizeable: true, editorHeight: "300px",
    autocompleters: ["variables", "scgPrefixes", "scgClass", "scgProperty"].filter((n) => n === "variables" || Y.Autocompleters[n]),
    createShareableLink: null, consumeShareLink: null, prefixCcApi: null, syntaxErrorCheck: true,
    extraKeys: { "Ctrl-Enter": () => run(), "Cmd-Enter": () => run(), "Ctrl-Space": (y) => y.autocomplete() },
  });
  yasqe.on("change", () => { clearServerError(); markEdited(); });
}

let errorMark = null;
function clearServerError() {
  if (errorMark) { errorMark.clear(); errorMark = null; }
  if (yasqe) for (let i = 0; i < yasqe.lineCount(); i++) yasqe.removeLineClass(i, "background", "server-error-line");
}
// "error at 2:9: expected ..." from the endpoint: mark that place in the editor.
function showServerError(message) {
  const m = /error at (\d+):(\d+)/.exec(message);
  if (!m || !yasqe) return;
  const line = Number(m[1]) - 1, ch = Math.max(0, Number(m[2]) - 1);
  if (line < 0 || line >= yasqe.lineCount()) return;
  yasqe.addLineClass(line, "background", "server-error-line");
  const len = yasqe.getLine(line).length;
  const from = Math.max(0, Math.min(ch, len - 1));  // past the end: the last character
  if (len) errorMark = yasqe.markText({ line, ch: from }, { line, ch: from + 1 }, { className: "server-error", title: message });
  yasqe.setCursor({ line, ch: Math.min(ch, len) });
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
// nothing else (an IRI of another scheme in the data must never become a live link).
function localHref(iri) {
  if (iri.startsWith(BASE)) return "/" + iri.slice(BASE.length);
  return /^https?:\/\//i.test(iri) ? iri : null;
}
function labelOf(t) {
  if (!t) return "";
  if (t.type === "uri") return state.labels.get(t.value) || shortIri(t.value);
  if (t.type === "bnode") return "_:" + t.value;
  return t.value;
}
function termNode(t) {
  if (!t) return document.createTextNode("");
  if (t.type === "uri") {
    const label = state.labels.get(t.value);
    const a = el("a", { href: localHref(t.value), title: label ? shortIri(t.value) + "\n" + t.value : t.value }, label || shortIri(t.value));
    if (label) a.className = "labelled";
    return a;
  }
  if (t.type === "literal" && t["xml:lang"]) {
    return el("span", { class: "lang", "data-lang": "@" + t["xml:lang"], lang: t["xml:lang"] }, t.value);  // the tag drawn by CSS
  }
  if (isNumeric(t) && t.datatype && /#(integer|decimal|double|float|int|long)$/.test(t.datatype) && Math.abs(Number(t.value)) >= 10000) {
    return el("span", { class: "num", title: t.value }, Number(t.value).toLocaleString("en"));
  }
  return document.createTextNode(labelOf(t));
}
function isNumeric(t) {
  return !!t && t.type !== "uri" && t.type !== "bnode" && t.value.trim() !== "" && isFinite(Number(t.value))
    && !(t.datatype && /#(gYear|date|dateTime)$/.test(t.datatype));
}
// A date's time (ms), or null. ``loose``: a bare year (2018) counts too, for columns whose
// name says they hold dates (start, end, year…).
const DATE_NAME = /(start|end|date|year|begin|since|until|founded|published|when)$/i;
function dateOf(t, loose) {
  if (!t || t.type === "uri" || t.type === "bnode") return null;
  const dt = t.datatype || "";
  const m = /^(-?\d{4})(?:-(\d\d)(?:-(\d\d))?)?(?:T[\d:.]+(?:Z|[+-]\d\d:\d\d)?)?$/.exec(t.value.trim());
  if (!m) return null;
  if (!/#(date|dateTime|gYear|gYearMonth)$/.test(dt) && !(m[2] && m[3]) && !(loose && !/#(decimal|double|float)$/.test(dt))) return null;  // a bare 2021 is a number
  return Date.UTC(Number(m[1]), m[2] ? Number(m[2]) - 1 : 0, m[3] ? Number(m[3]) : 1);
}

// --------------------------------------------------------------------- catalogue and forms

async function loadCatalogue() {
  const r = await fetch("/queries.json");
  const data = await r.json();
  state.queries = data.queries;
  state.prefixes = data.prefixes;
  const sel = $("#question");
  sel.textContent = "";
  sel.appendChild(el("option", { value: "" }, "— write your own SPARQL —"));
  for (const q of state.queries) sel.appendChild(el("option", { value: q.name }, q.title || q.name));
}
async function loadTerms() {
  const q = "PREFIX owl: <http://www.w3.org/2002/07/owl#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    + "SELECT ?t ?k (SAMPLE(?l) AS ?label) WHERE { VALUES (?type ?k) { (owl:Class \"class\") (rdfs:Class \"class\") "
    + "(owl:ObjectProperty \"property\") (owl:DatatypeProperty \"property\") (rdf:Property \"property\") (owl:AnnotationProperty \"property\") } "
    + "?t a ?type FILTER(isIRI(?t)) OPTIONAL { ?t rdfs:label ?l FILTER(LANG(?l) IN (\"en\", \"\")) } } GROUP BY ?t ?k";
  const res = await select("PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n" + q);
  state.terms = res.rows.map((r) => ({ iri: r[0].value, kind: r[1].value, label: r[2] ? r[2].value : "" }));
}

function questionNamed(name) { return state.queries.find((x) => x.name === name) || null; }

function showQuestion(q) {
  state.question = q;
  state.name = q ? q.name : "query";
  $("#question").value = q ? q.name : "";
  $("#title").textContent = q ? q.title || q.name : "Ask the graph";
  $("#description").textContent = q ? q.description || "" : "Write your own SPARQL below, or pick a question from the catalogue.";
  buildForm(q);
}

function inputFor(p) {
  const attrs = { id: "param-" + p.name, name: p.name, "data-type": p.type };
  if (!p.optional) attrs.required = "";
  switch (p.type) {
    case "integer": case "year": return el("input", Object.assign(attrs, { type: "number", step: "1" }));
    case "decimal": case "double": return el("input", Object.assign(attrs, { type: "number", step: "any" }));
    case "date": return el("input", Object.assign(attrs, { type: "date" }));
    case "datetime": return el("input", Object.assign(attrs, { type: "datetime-local", step: "1" }));
    case "boolean": {
      const s = el("select", attrs);
      if (p.optional) s.appendChild(el("option", { value: "" }, "—"));
      s.appendChild(el("option", { value: "true" }, "true"));
      s.appendChild(el("option", { value: "false" }, "false"));
      return s;
    }
    case "iri": return el("input", Object.assign(attrs, { type: "url", placeholder: "https://w3id.org/scgraph/id/…", size: "40" }));
    default: return el("input", Object.assign(attrs, { type: "text" }));
  }
}

function buildForm(q) {
  const form = $("#params");
  form.textContent = "";
  form.hidden = !q || !q.params.length;
  if (!q) return;
  for (const p of q.params) {
    const row = el("div", { class: "param" });
    const label = el("label", { for: "param-" + p.name }, p.name);
    label.appendChild(el("small", {}, " " + p.type + (p.optional ? ", optional" : "")));
    row.appendChild(label);
    const input = inputFor(p);
    row.appendChild(input);
    form.appendChild(row);
    if (p.type === "iri" && CHOICES[p.name.toLowerCase()]) fillChoices(p, row);
  }
}

async function choicesFor(cls) {
  if (state.choices.has(cls)) return state.choices.get(cls);
  const q = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
    + "SELECT ?x (SAMPLE(?l0) AS ?label) WHERE { ?x a <https://w3id.org/scgraph/ontology#" + cls + "> "
    + "OPTIONAL { ?x rdfs:label|skos:prefLabel ?l0 FILTER(LANG(?l0) IN (\"en\", \"\")) } FILTER(isIRI(?x)) } "
    + "GROUP BY ?x ORDER BY LCASE(STR(?label)) ?x LIMIT 5000";
  const res = await select(q);
  const out = res.rows.map((r) => ({ iri: r[0].value, label: r[1] ? r[1].value : shortIri(r[0].value) }));
  state.choices.set(cls, out);
  return out;
}

// The graph knows the things of this class: a select of their names (a long list: a text
// field with suggestions instead), the IRI as the value.
async function fillChoices(p, row) {
  const cls = CHOICES[p.name.toLowerCase()];
  let choices;
  try { choices = await choicesFor(cls); } catch (e) { return; }
  if (!choices.length) return;
  const old = row.querySelector("#param-" + p.name);
  const value = old.value;
  let input;
  if (choices.length <= 1500) {
    input = el("select", { id: "param-" + p.name, name: p.name, "data-type": p.type, required: p.optional ? null : "" });
    input.appendChild(el("option", { value: "" }, p.optional ? "— any —" : "— choose a " + cls.toLowerCase() + " —"));
    for (const c of choices) input.appendChild(el("option", { value: c.iri }, c.label));
  } else {
    input = el("input", { id: "param-" + p.name, name: p.name, "data-type": p.type, type: "url", list: "choices-" + p.name, size: "40" });
    const list = el("datalist", { id: "choices-" + p.name });
    for (const c of choices) list.appendChild(el("option", { value: c.iri }, c.label));
    row.appendChild(list);
  }
  input.value = value;
  if (value && input.value !== value && input.tagName === "SELECT") {  // an IRI the list lacks: keep it
    input.appendChild(el("option", { value }, shortIri(value)));
    input.value = value;
  }
  old.replaceWith(input);
  row.dataset.choices = String(choices.length);
}

function formValues() {
  const out = {};
  for (const input of document.querySelectorAll("#params [name]")) if (input.value.trim() !== "") out[input.name] = input.value.trim();
  return out;
}
function setFormValues(values) {
  for (const input of document.querySelectorAll("#params [name]")) {
    const v = values[input.name] || "";
    if (input.tagName === "SELECT" && v && ![...input.options].some((o) => o.value === v)) input.appendChild(el("option", { value: v }, shortIri(v)));
    input.value = v;
  }
}

// A parameter value as a SPARQL term (as scgraph.catalogue.to_term does), or an Error.
function sparqlTerm(value, type, name) {
  if (type === "iri") {
    if (!/^[A-Za-z][A-Za-z0-9+.-]*:[^<>"{}|^`\\\x00-\x20]*$/.test(value)) throw new Error(name + " must be an absolute IRI");
    return "<" + value + ">";
  }
  const lit = (v, dt) => JSON.stringify(v) + (dt ? "^^<" + XSD + dt + ">" : "");
  switch (type) {
    case "string": return JSON.stringify(value);
    case "integer": if (!/^[+-]?\d+$/.test(value)) throw new Error(name + " must be a whole number"); return lit(value, "integer");
    case "decimal": if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(value)) throw new Error(name + " must be a decimal number"); return lit(value, "decimal");
    case "double": if (!isFinite(Number(value))) throw new Error(name + " must be a number"); return lit(value, "double");
    case "boolean": if (!/^(true|false)$/.test(value)) throw new Error(name + " must be true or false"); return lit(value, "boolean");
    case "date": if (!/^\d{4}-\d\d-\d\d$/.test(value)) throw new Error(name + " must be a date (YYYY-MM-DD)"); return lit(value, "date");
    case "datetime": return lit(value.length === 16 ? value + ":00" : value, "dateTime");
    case "year": if (!/^\d{4}$/.test(value)) throw new Error(name + " must be a year (YYYY)"); return lit(value, "gYear");
    default: return JSON.stringify(value);
  }
}

// The offsets of the "{" opening top-level groups, outside comments, strings and IRIs (as
// scgraph.store._top_level_braces).
function topLevelBraces(text) {
  const out = [];
  let depth = 0, i = 0;
  const str = /'''(?:[^'\\]|\\.|'(?!''))*'''|"""(?:[^"\\]|\\.|"(?!""))*"""|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/y;
  const iri = /<[^<>"{}|^`\\\x00-\x20]*>/y;
  while (i < text.length) {
    const c = text[i];
    if (c === "#") { const nl = text.indexOf("\n", i); i = nl < 0 ? text.length : nl; continue; }
    const re = c === "'" || c === '"' ? str : c === "<" ? iri : null;
    if (re) { re.lastIndex = i; const m = re.exec(text); if (m) { i += m[0].length; continue; } }
    if (c === "{") { if (depth === 0) out.push(i); depth++; } else if (c === "}") depth--;
    i++;
  }
  return out;
}
// The question's SPARQL with a VALUES block for the given parameters opening its WHERE group
// (scgraph.store.bind_values: what 'scgraph query NAME --param' runs).
function bindQuery(q, values) {
  const names = q.params.map((p) => p.name).filter((n) => values[n] !== undefined).sort();
  if (!names.length) return q.sparql;
  const terms = names.map((n) => sparqlTerm(values[n], q.params.find((p) => p.name === n).type, n));
  const braces = topLevelBraces(q.sparql);
  const head = braces.length ? q.sparql.slice(0, braces[0]).split("\n").map((l) => l.replace(/#.*$/, "")).join("\n") : "";
  const where = /\bCONSTRUCT\s*$/i.test(head.trimEnd()) ? 1 : 0;
  if (braces.length <= where) throw new Error("the query has no WHERE group to bind parameters in");
  const at = braces[where] + 1;
  return q.sparql.slice(0, at) + " VALUES (" + names.map((n) => "?" + n).join(" ") + ") { (" + terms.join(" ") + ") }" + q.sparql.slice(at);
}
function missingParams(q, values) {
  return q.params.filter((p) => !p.optional && !values[p.name]).map((p) => p.name);
}
function rebind() {
  const q = state.question;
  if (!q) return;
  try {
    state.bound = bindQuery(q, formValues());
    editor.set(state.bound);
    setStatus("");
  } catch (e) { setStatus(e.message, true); }
  markEdited();
}
function isEdited() { return !state.question || editor.get() !== state.bound; }
function markEdited() { $("#edited").hidden = !(state.question && isEdited()); }

// --------------------------------------------------------------------- the URL

function urlOf() {
  const u = new URLSearchParams();
  if (state.question && !isEdited()) {
    u.set("q", state.question.name);
    const values = formValues();
    for (const p of state.question.params) if (values[p.name]) u.set(p.name, values[p.name]);
  } else {
    u.set("query", editor.get());
  }
  if (state.view !== "table") u.set("view", state.view);
  if (state.page) u.set("page", String(state.page + 1));
  if (state.sort) u.set("sort", state.sort.col + (state.sort.desc ? "-desc" : ""));
  return location.pathname + "?" + u.toString();
}
function pushUrl(replace) {
  const url = urlOf();
  if (url === location.pathname + location.search) return;
  history[replace ? "replaceState" : "pushState"](null, "", url);
}
// Open the state a URL describes; run it when it is complete.
async function openUrl() {
  const u = new URLSearchParams(location.search);
  state.view = VIEWS.includes(u.get("view")) ? u.get("view") : "table";
  state.page = Math.max(0, (parseInt(u.get("page"), 10) || 1) - 1);
  const sort = u.get("sort");
  state.sort = sort ? { col: sort.replace(/-desc$/, ""), desc: sort.endsWith("-desc") } : null;
  const q = u.get("q") ? questionNamed(u.get("q")) : null;
  let text;
  if (q) {
    showQuestion(q);
    const values = {};
    for (const p of q.params) if (u.get(p.name)) values[p.name] = u.get(p.name);
    setFormValues(values);
    try { state.bound = bindQuery(q, values); } catch (e) { state.bound = q.sparql; setStatus(e.message, true); }
    text = u.has("query") ? u.get("query") : state.bound;
    editor.set(text);
    markEdited();
    const missing = missingParams(q, values);
    if (missing.length && !u.has("query")) {
      setStatus("Choose " + missing.join(", ") + " to run this question.");
      const first = document.querySelector("#param-" + missing[0]);
      if (first) first.focus();
      return;
    }
  } else if (u.has("query")) {
    showQuestion(null);
    text = u.get("query");
    editor.set(text);
  } else {
    if (u.get("q")) setStatus("No question named " + JSON.stringify(u.get("q")) + " in the catalogue.", true);
    return;
  }
  if (state.result && state.ran === text) { render(); return; }  // same answer: another view, page or order
  await execute(text);
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
      const m = p.match(/^"((?:[^"\\]|\\.)*)"(?:@([A-Za-z0-9-]+)|\^\^<([^>]*)>)?$/);
      const t = { type: "literal", value: JSON.parse('"' + m[1] + '"') };
      if (m[2]) t["xml:lang"] = m[2];
      if (m[3]) t.datatype = m[3];
      return t;
    }));
  }
  return { vars: ["subject", "predicate", "object"], rows, graph: true };
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
async function select(query) {
  const r = await post(query, "application/sparql-results+json");
  if (!r.ok) throw new Error((await r.text()).trim());
  const doc = await r.json();
  return { vars: doc.head.vars, rows: doc.results.bindings.map((b) => doc.head.vars.map((v) => b[v])) };
}

// Names for the IRIs of an answer: a label column beside them (cityLabel, name…) or else
// their rdfs:label / skos:prefLabel in the graph.
async function fetchLabels(res) {
  const labelCols = res.vars.map((v, i) => [v, i]).filter(([v]) => /(label|name|title)$/i.test(v));
  for (const [v, i] of labelCols) {
    const stem = v.replace(/_?(label|name|title)$/i, "").toLowerCase();
    let iriCol = res.vars.findIndex((w) => w.toLowerCase() === stem);
    if (iriCol < 0 && i > 0 && res.rows.every((r) => !r[i - 1] || r[i - 1].type === "uri")) iriCol = i - 1;
    if (iriCol < 0 || iriCol === i) continue;
    for (const r of res.rows) if (r[iriCol] && r[iriCol].type === "uri" && r[i] && r[i].type === "literal" && !state.labels.has(r[iriCol].value)) state.labels.set(r[iriCol].value, r[i].value);
  }
  const iris = [...new Set(res.rows.flatMap((r) => r.filter((t) => t && t.type === "uri").map((t) => t.value)))]
    .filter((i) => !state.labels.has(i) && /^[^<>"{}|^`\\\x00-\x20]*$/.test(i)).slice(0, 3000);
  for (let s = 0; s < iris.length; s += 500) {
    const chunk = iris.slice(s, s + 500).map((i) => "<" + i + ">").join(" ");
    const q = "SELECT ?x (SAMPLE(?l) AS ?label) WHERE { VALUES ?x { " + chunk + " } "
      + "?x <http://www.w3.org/2000/01/rdf-schema#label>|<http://www.w3.org/2004/02/skos/core#prefLabel> ?l "
      + "FILTER(LANG(?l) IN (\"en\", \"\")) } GROUP BY ?x";
    try {
      const got = await select(q);
      for (const [x, l] of got.rows) if (x && l) state.labels.set(x.value, l.value);
    } catch (e) { break; }
  }
}

async function execute(query) {
  setStatus("Running…");
  clearServerError();
  $("#run").disabled = true;
  const t0 = performance.now();
  try {
    const r = await post(query, ACCEPT);
    const text = await r.text();
    if (!r.ok) {
      setStatus("Error " + r.status + ": " + text.trim(), true);
      showServerError(text);
      return;
    }
    const type = r.headers.get("Content-Type") || "";
    let result;
    if (type.startsWith("application/n-triples")) {
      result = parseNTriples(text);
    } else {
      const doc = JSON.parse(text);
      if ("boolean" in doc) result = { vars: ["answer"], rows: [[{ type: "literal", value: String(doc.boolean) }]], ask: true };
      else result = { vars: doc.head.vars, rows: doc.results.bindings.map((b) => doc.head.vars.map((v) => b[v])) };
    }
    const ms = Math.round(performance.now() - t0);
    await fetchLabels(result);
    state.result = result;
    state.ran = query;
    let msg = fmtInt(result.rows.length) + (result.rows.length === 1 ? " row" : " rows") + " in " + ms + " ms";
    if (r.headers.get("X-SPARQL-Truncated")) msg += " (cut at the server's limit of " + r.headers.get("X-SPARQL-Max-Rows") + " rows)";
    setStatus(msg);
    render();
  } catch (e) {
    setStatus("Error: " + e.message, true);
  } finally {
    $("#run").disabled = false;
  }
}

// Run the question when every required parameter has a value; else say which are missing.
function runIfComplete() {
  const q = state.question;
  const missing = q ? missingParams(q, formValues()) : [];
  if (missing.length) {
    pushUrl(false);
    setStatus("Choose " + missing.join(", ") + " to run this question.");
    return null;
  }
  return run();
}

function run() {
  const values = formValues();
  if (state.question && !isEdited()) {
    const missing = missingParams(state.question, values);
    if (missing.length) { setStatus("Choose " + missing.join(", ") + " to run this question.", true); return; }
  }
  state.page = 0;
  state.sort = null;
  pushUrl(false);
  return execute(editor.get());
}

function queryKind(text) {
  const body = text.replace(/#[^\n]*/g, " ").replace(/<[^>]*>/g, " ");
  const m = /\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b/i.exec(body);
  return m ? (/^(CONSTRUCT|DESCRIBE)$/i.test(m[1]) ? "graph" : "select") : "select";
}
function updateDownloads() {
  const kind = queryKind(editor.get());
  for (const b of document.querySelectorAll("#downloads button")) {
    b.disabled = b.dataset.kind !== kind;
    b.title = b.disabled ? (kind === "graph" ? "a CONSTRUCT or DESCRIBE answer is a graph: download it as RDF" : "only CONSTRUCT and DESCRIBE answers are graphs") : "Download the whole answer as " + b.textContent;
  }
}
const MEDIA = { csv: "text/csv", tsv: "text/tab-separated-values", json: "application/sparql-results+json",
  turtle: "text/turtle", ntriples: "application/n-triples", rdfxml: "application/rdf+xml", jsonld: "application/ld+json" };
const EXT = { csv: "csv", tsv: "tsv", json: "srj.json", turtle: "ttl", ntriples: "nt", rdfxml: "rdf", jsonld: "jsonld" };
async function download(format) {
  const r = await post(editor.get(), MEDIA[format], format);
  if (!r.ok) {
    setStatus("Error " + r.status + ": " + (await r.text()).trim(), true);
    return;
  }
  const blob = await r.blob();
  const a = el("a", { href: URL.createObjectURL(blob), download: state.name + "." + EXT[format] });
  document.body.appendChild(a);
  a.click();
  a.remove();
}

// --------------------------------------------------------------------- views

function render() {
  const res = state.result;
  if (!res) return;
  const reasons = {};
  const plans = { bars: barColumns(res), map: mapColumns(res), network: networkColumns(res), timeline: timelineColumns(res) };
  for (const [view, plan] of Object.entries(plans)) {
    const b = document.querySelector('.tabs button[data-view="' + view + '"]');
    b.disabled = !!plan.why;
    b.title = plan.why ? "Not available: " + plan.why : plan.what || "";
    if (plan.why) reasons[view] = plan.why;
  }
  const why = $("#why");
  why.textContent = "";
  const names = { bars: "bar chart", map: "map", network: "network", timeline: "timeline" };
  const missing = Object.entries(reasons);
  if (missing.length) why.textContent = "Not available: " + missing.map(([v, r]) => names[v] + " (" + r + ")").join("; ") + ".";
  if (state.view !== "table" && reasons[state.view]) state.view = "table";
  show(state.view, plans);
}
function show(view, plans) {
  state.view = view;
  for (const b of document.querySelectorAll(".tabs button")) b.classList.toggle("active", b.dataset.view === view);
  for (const v of document.querySelectorAll(".view")) v.classList.toggle("active", v.id === "view-" + view);
  const res = state.result;
  for (const v of VIEWS) if (v !== view) $("#view-" + v).textContent = "";
  if (!res) return;
  plans = plans || { bars: barColumns(res), map: mapColumns(res), network: networkColumns(res), timeline: timelineColumns(res) };
  if (view === "table") renderTable(res);
  else if (view === "bars") renderBars(res, plans.bars);
  else if (view === "map") renderMap(res, plans.map);
  else if (view === "network") renderNetwork(res, plans.network);
  else if (view === "timeline") renderTimeline(res, plans.timeline);
}

// ---- table: pages of PAGE_SIZE rows, sorted by a column on a click of its heading

function sortKey(t) {
  if (!t) return [2, ""];
  if (isNumeric(t)) return [0, Number(t.value)];
  const d = dateOf(t);
  if (d !== null) return [0, d];
  return [1, labelOf(t).toLocaleLowerCase()];
}
function sortedRows(res) {
  if (!state.sort) return res.rows;
  const i = res.vars.indexOf(state.sort.col);
  if (i < 0) return res.rows;
  const keyed = res.rows.map((r, n) => [sortKey(r[i]), n, r]);
  keyed.sort((a, b) => {
    const [ka, kb] = [a[0], b[0]];
    let c = ka[0] - kb[0];
    if (!c) c = typeof ka[1] === "number" ? ka[1] - kb[1] : ka[1].localeCompare(kb[1]);
    if (state.sort.desc && ka[0] === kb[0] && ka[0] !== 2) c = -c;
    return c || a[1] - b[1];
  });
  return keyed.map((k) => k[2]);
}
function renderTable(res) {
  const box = $("#view-table");
  box.textContent = "";
  if (!res.rows.length) {
    box.appendChild(el("p", { class: "empty" }, "No answer: the query matched nothing."));
    return;
  }
  const pages = Math.ceil(res.rows.length / PAGE_SIZE);
  state.page = Math.min(state.page, pages - 1);
  const rows = sortedRows(res).slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE);
  const table = el("table", { id: "results" });
  const head = el("tr");
  for (const v of res.vars) {
    const sorted = state.sort && state.sort.col === v;
    const th = el("th", { "aria-sort": sorted ? (state.sort.desc ? "descending" : "ascending") : "none", title: "Sort by " + v });
    const b = el("button", { type: "button", class: "sort", "data-col": v }, v);
    b.appendChild(el("span", { class: "arrow" }, sorted ? (state.sort.desc ? " ▼" : " ▲") : ""));
    b.addEventListener("click", () => {
      state.sort = sorted && !state.sort.desc ? { col: v, desc: true } : sorted ? null : { col: v, desc: false };
      state.page = 0;
      pushUrl(false);
      renderTable(res);
    });
    th.appendChild(b);
    head.appendChild(th);
  }
  table.appendChild(el("thead")).appendChild(head);
  const body = el("tbody");
  for (const row of rows) {
    const tr = el("tr");
    for (const t of row) tr.appendChild(el("td")).appendChild(termNode(t));
    body.appendChild(tr);
  }
  table.appendChild(body);
  if (pages > 1) box.appendChild(pager(res, pages));
  box.appendChild(table);
  if (pages > 1) box.appendChild(pager(res, pages));
}
function pager(res, pages) {
  const nav = el("nav", { class: "pager", "aria-label": "pages of the answer" });
  const go = (p) => { state.page = p; pushUrl(false); renderTable(res); $("#view-table").scrollTop = 0; };
  const first = state.page * PAGE_SIZE + 1, last = Math.min(res.rows.length, (state.page + 1) * PAGE_SIZE);
  const prev = el("button", { type: "button", class: "prev" }, "‹ Previous");
  prev.disabled = state.page === 0;
  prev.addEventListener("click", () => go(state.page - 1));
  const next = el("button", { type: "button", class: "next" }, "Next ›");
  next.disabled = state.page >= pages - 1;
  next.addEventListener("click", () => go(state.page + 1));
  nav.appendChild(prev);
  nav.appendChild(el("span", { class: "range" }, "rows " + fmtInt(first) + "–" + fmtInt(last) + " of " + fmtInt(res.rows.length) + " · page " + (state.page + 1) + " of " + pages));
  nav.appendChild(next);
  return nav;
}

// ---- choosing columns

const GEO = /^(lat|latitude|long|lon|lng|longitude)$|(Lat|Long|Lon|Latitude|Longitude)$/;
const NOT_A_MEASURE = /^(id|year|order|position|rank|index|n|row)$|(Id|Year|Order|Position)$/;
function columns(res, pred) { return res.vars.map((_, i) => i).filter((i) => res.rows.length && res.rows.every((r) => pred(r[i], i))); }
function labelColumn(res, except) {
  const ok = (i) => !except.includes(i);
  const literal = columns(res, (t) => !t || (t.type === "literal" && !isNumeric(t) && dateOf(t) === null)).filter(ok)
    .filter((i) => res.rows.some((r) => r[i]));
  const named = literal.find((i) => /(label|name|title)$/i.test(res.vars[i]));
  if (named !== undefined) return named;
  const iri = columns(res, (t) => t && t.type === "uri").filter(ok);
  const labelled = iri.find((i) => res.rows.every((r) => state.labels.has(r[i].value)));
  if (labelled !== undefined) return labelled;
  if (literal.length) return literal[0];
  if (iri.length) return iri[0];
  // last: a column of years or positions, as the names of the bars (projects by year)
  const ordinal = columns(res, (t) => t && isNumeric(t)).filter(ok).find((i) => NOT_A_MEASURE.test(res.vars[i]));
  return ordinal === undefined ? -1 : ordinal;
}

function barColumns(res) {
  if (!res.rows.length) return { why: "the answer is empty" };
  const numeric = columns(res, (t) => t && isNumeric(t)).filter((i) => !GEO.test(res.vars[i]));
  if (!numeric.length) return { why: "no column holds numbers in every row" };
  const value = numeric.find((i) => !NOT_A_MEASURE.test(res.vars[i]));
  if (value === undefined) return { why: "the numeric columns are identifiers, years or positions, not amounts" };
  const label = labelColumn(res, [value]);
  if (label < 0) return { why: "no column names the bars" };
  return { value, label, what: res.vars[value] + " by " + res.vars[label] };
}
function renderBars(res, cols) {
  const box = $("#view-bars");
  box.textContent = "";
  const LIMIT = 60;
  const rows = res.rows.map((r) => ({ label: labelOf(r[cols.label]), value: Number(r[cols.value].value), term: r[cols.label] }));
  const sortedByValue = rows.slice().sort((a, b) => b.value - a.value);
  const descending = rows.every((r, i) => i === 0 || rows[i - 1].value >= r.value);
  const shown = (descending ? rows : sortedByValue).slice(0, LIMIT);
  const max = Math.max(...shown.map((r) => r.value), 0) || 1;
  const bh = 22, left = 250, width = 560, h = shown.length * bh + 20;
  const svg = svgEl("svg", { viewBox: "0 0 " + (left + width + 110) + " " + h, width: "100%", role: "img",
    "aria-label": res.vars[cols.value] + " by " + res.vars[cols.label], class: "bars" });
  shown.forEach((r, i) => {
    const y = 10 + i * bh;
    const w = Math.max(1, (Math.max(r.value, 0) / max) * width);
    const label = svgEl("text", { x: left - 8, y: y + bh * 0.65, "text-anchor": "end" }, r.label.length > 40 ? r.label.slice(0, 39) + "…" : r.label);
    label.appendChild(svgEl("title", {}, r.label));
    if (r.term && r.term.type === "uri" && localHref(r.term.value)) {
      const a = svgEl("a", { href: localHref(r.term.value) });
      a.appendChild(label);
      svg.appendChild(a);
    } else svg.appendChild(label);
    const bar = svgEl("rect", { class: "bar", x: left, y: y + 3, width: w, height: bh - 6, rx: 2 });
    bar.appendChild(svgEl("title", {}, r.label + ": " + r.value.toLocaleString("en")));
    svg.appendChild(bar);
    svg.appendChild(svgEl("text", { x: left + w + 6, y: y + bh * 0.65, class: "value" }, r.value.toLocaleString("en")));
  });
  let caption = res.vars[cols.value] + " by " + res.vars[cols.label];
  if (rows.length > LIMIT) caption += " — the " + LIMIT + " largest of " + fmtInt(rows.length);
  box.appendChild(el("p", { class: "caption" }, caption));
  box.appendChild(svg);
}

function mapColumns(res) {
  const find = (re) => res.vars.findIndex((v) => re.test(v));
  const lat = find(/^(lat|latitude)$|(Lat|Latitude)$/), lon = find(/^(long|lon|lng|longitude)$|(Long|Lon|Lng|Longitude)$/);
  if (!res.rows.length) return { why: "the answer is empty" };
  if (lat < 0 || lon < 0) return { why: "it needs a lat (latitude) and a long (longitude) column" };
  if (!res.rows.some((r) => isNumeric(r[lat]) && isNumeric(r[lon]))) return { why: "the lat and long columns hold no numbers" };
  const label = labelColumn(res, [lat, lon]);
  const link = columns(res, (t) => !t || t.type === "uri").filter((i) => i !== lat && i !== lon && res.rows.some((r) => r[i]))[0];
  return { lat, lon, label, link: link === undefined ? -1 : link, what: "points at " + res.vars[lat] + ", " + res.vars[lon] };
}

let atlas = null;
async function loadAtlas() {
  if (!atlas) atlas = fetch("/static/vendor/countries-110m.json").then((r) => r.json());
  return atlas;
}
// TopoJSON (world-atlas) to rings of [lon, lat].
function topoRings(topo, object) {
  const { scale, translate } = topo.transform;
  const arcs = topo.arcs.map((arc) => {
    let x = 0, y = 0;
    return arc.map(([dx, dy]) => { x += dx; y += dy; return [x * scale[0] + translate[0], y * scale[1] + translate[1]]; });
  });
  const ring = (ids) => {
    const pts = [];
    for (const id of ids) {
      const a = id < 0 ? arcs[~id].slice().reverse() : arcs[id];
      pts.push(...(pts.length ? a.slice(1) : a));
    }
    return pts;
  };
  const out = [];
  for (const g of topo.objects[object].geometries) {
    const polys = g.type === "Polygon" ? [g.arcs] : g.type === "MultiPolygon" ? g.arcs : [];
    for (const poly of polys) for (const r of poly) out.push({ name: g.properties && g.properties.name, ring: ring(r) });
  }
  return out;
}

async function renderMap(res, cols) {
  const box = $("#view-map");
  box.textContent = "";
  const groups = new Map();  // points at the same place drawn once, with a count
  for (const r of res.rows) {
    if (!isNumeric(r[cols.lat]) || !isNumeric(r[cols.lon])) continue;
    const lat = Number(r[cols.lat].value), lon = Number(r[cols.lon].value);
    const key = lat.toFixed(4) + "," + lon.toFixed(4);
    if (!groups.has(key)) groups.set(key, { lat, lon, labels: [], term: cols.link >= 0 ? r[cols.link] : null });
    const label = cols.label >= 0 ? labelOf(r[cols.label]) : "";
    const g = groups.get(key);
    if (label && !g.labels.includes(label)) g.labels.push(label);
  }
  const pts = [...groups.values()];
  let [w0, e0] = [Math.min(...pts.map((p) => p.lon)), Math.max(...pts.map((p) => p.lon))];
  let [s0, n0] = [Math.min(...pts.map((p) => p.lat)), Math.max(...pts.map((p) => p.lat))];
  const pad = Math.max(3, (e0 - w0) * 0.12, (n0 - s0) * 0.12);
  w0 = Math.max(-180, w0 - pad); e0 = Math.min(180, e0 + pad); s0 = Math.max(-85, s0 - pad); n0 = Math.min(85, n0 + pad);
  const k = Math.cos(((s0 + n0) / 2) * Math.PI / 180);  // equirectangular, true to scale at mid-latitude
  const W = 820;
  const H = Math.round(Math.max(320, Math.min(700, W * (n0 - s0) / ((e0 - w0) * k))));
  // widen the extent to the frame so that the aspect is kept
  const sx = W / ((e0 - w0) * k), sy = H / (n0 - s0), s = Math.min(sx, sy);
  const cx = (w0 + e0) / 2, cy = (s0 + n0) / 2;
  const x = (lon) => W / 2 + (lon - cx) * k * s, y = (lat) => H / 2 - (lat - cy) * s;
  const svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", role: "img", "aria-label": "map of the points", class: "map" });
  svg.appendChild(svgEl("rect", { x: 0, y: 0, width: W, height: H, class: "sea" }));
  const land = svgEl("g", { class: "countries" });
  svg.appendChild(land);
  try {
    const topo = await loadAtlas();
    for (const { name, ring } of topoRings(topo, "countries")) {
      let d = "", prev = null;
      for (const [lon, lat] of ring) {
        d += (prev === null || Math.abs(lon - prev) > 180 ? "M" : "L") + x(lon).toFixed(1) + "," + y(lat).toFixed(1);
        prev = lon;
      }
      const path = svgEl("path", { d: d + "Z", class: "country" });
      if (name) path.appendChild(svgEl("title", {}, name));
      land.appendChild(path);
    }
  } catch (e) { box.appendChild(el("p", { class: "caption" }, "The country outlines could not be read: " + e.message)); }
  // most-labelled places first get their labels; a label that would overlap one already
  // placed tries the other sides, then is left to the point's tooltip
  const order = pts.slice().sort((a, b) => b.labels.length - a.labels.length || a.lat - b.lat);
  const placed = [];
  const fits = (b) => b.x >= 0 && b.y >= 0 && b.x + b.w <= W && b.y + b.h <= H
    && !placed.some((o) => b.x < o.x + o.w && o.x < b.x + b.w && b.y < o.y + o.h && o.y < b.y + b.h);
  for (const p of pts) placed.push({ x: x(p.lon) - 5, y: y(p.lat) - 5, w: 10, h: 10 });
  const dots = svgEl("g", { class: "points" }), labels = svgEl("g", { class: "labels" });
  for (const p of order) {
    const px = x(p.lon), py = y(p.lat);
    const r = p.labels.length > 1 ? Math.min(11, 5 + Math.sqrt(p.labels.length) * 1.5) : 5;
    const c = svgEl("circle", { class: "point", cx: px.toFixed(1), cy: py.toFixed(1), r });
    c.appendChild(svgEl("title", {}, (p.labels.join(", ") || "") + " (" + p.lat + ", " + p.lon + ")"));
    const href = p.term && p.term.type === "uri" ? localHref(p.term.value) : null;
    if (href) { const a = svgEl("a", { href }); a.appendChild(c); dots.appendChild(a); } else dots.appendChild(c);
    if (!p.labels.length) continue;
    const text = p.labels[0] + (p.labels.length > 1 ? " +" + (p.labels.length - 1) : "");
    const w = text.length * 6.3 + 4, h = 13;
    for (const [dx, dy, anchor] of [[8, -6, "start"], [-8 - w, -6, "end"], [-w / 2, -19, "middle"], [-w / 2, 7, "middle"]]) {
      const b = { x: px + dx, y: py + dy, w, h };
      if (!fits(b)) continue;
      placed.push(b);
      const tx = anchor === "start" ? b.x + 2 : anchor === "end" ? b.x + w - 2 : b.x + w / 2;
      labels.appendChild(svgEl("text", { x: tx.toFixed(1), y: (b.y + 10).toFixed(1), "text-anchor": anchor, class: "place" }, text));
      break;
    }
  }
  svg.appendChild(dots);
  svg.appendChild(labels);
  const shownLabels = labels.childNodes.length;
  box.appendChild(el("p", { class: "caption" }, fmtInt(pts.length) + " places" + (pts.length < res.rows.length ? " (" + fmtInt(res.rows.length) + " rows)" : "")
    + (shownLabels < pts.filter((p) => p.labels.length).length ? "; labels that would overlap are left to the tooltips" : "")
    + ". Outlines: Natural Earth 1:110m."));
  box.appendChild(svg);
}

function networkColumns(res) {
  if (!res.rows.length) return { why: "the answer is empty" };
  if (res.graph) return { a: 0, b: 2, graph: true, what: "subject → object" };
  // IRI columns that vary (a constant column, such as a type, is not an end of a link)
  const iri = columns(res, (t) => !t || t.type === "uri").filter((i) => res.rows.some((r) => r[i]))
    .filter((i) => new Set(res.rows.map((r) => r[i] && r[i].value)).size > 1)
    .filter((i) => !/^(type|class|p|predicate|property|g|graph)$/i.test(res.vars[i]));
  if (iri.length < 2) return { why: "it needs two columns of IRIs to link" };
  return { a: iri[0], b: iri[1], what: res.vars[iri[0]] + " → " + res.vars[iri[1]] };
}
function renderNetwork(res, cols) {
  // A force-directed layout (a fixed number of steps from a deterministic start on a circle).
  const box = $("#view-network");
  box.textContent = "";
  const LIMIT = 400;
  const RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
  const ids = new Map();
  const nodes = [];
  const node = (t, side) => {
    if (!ids.has(t.value)) { ids.set(t.value, nodes.length); nodes.push({ t, side, x: 0, y: 0, vx: 0, vy: 0, deg: 0 }); }
    return ids.get(t.value);
  };
  const seen = new Set();
  const edges = [];
  for (const r of res.rows) {
    const a = r[cols.a], b = r[cols.b];
    if (!a || !b || a.type === "literal" || b.type === "literal") continue;
    if (cols.graph && r[1] && r[1].value === RDF_TYPE) continue;
    const key = a.value + " " + b.value;
    if (seen.has(key) || a.value === b.value) continue;
    seen.add(key);
    if (edges.length >= LIMIT) break;
    const i = node(a, "source"), j = node(b, "target");
    nodes[i].deg++; nodes[j].deg++;
    edges.push([i, j]);
  }
  const n = nodes.length;
  const W = 820, H = Math.max(420, Math.min(760, 160 + n * 9));
  nodes.forEach((d, i) => { d.x = W / 2 + (W / 3) * Math.cos((2 * Math.PI * i) / n); d.y = H / 2 + (H / 3) * Math.sin((2 * Math.PI * i) / n); });
  const k = Math.sqrt((W * H) / Math.max(n, 1)) * 0.55;
  const steps = n > 200 ? 120 : 300;
  for (let step = 0; step < steps; step++) {
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
    for (const d of nodes) { d.vx += (W / 2 - d.x) * 0.02 * k / 10; d.vy += (H / 2 - d.y) * 0.02 * k / 10; }
    const temp = 24 * (1 - step / steps) + 0.5;
    for (const d of nodes) {
      const v = Math.max(Math.hypot(d.vx, d.vy), 0.01);
      d.x = Math.min(W - 60, Math.max(60, d.x + (d.vx / v) * Math.min(v, temp)));
      d.y = Math.min(H - 20, Math.max(20, d.y + (d.vy / v) * Math.min(v, temp)));
    }
  }
  const svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", role: "img", "aria-label": "network of the pairs", class: "network" });
  for (const [i, j] of edges) svg.appendChild(svgEl("line", { class: "edge", x1: nodes[i].x.toFixed(1), y1: nodes[i].y.toFixed(1), x2: nodes[j].x.toFixed(1), y2: nodes[j].y.toFixed(1) }));
  // labels for the best-connected nodes first; one that would overlap another is left to its tooltip
  const placed = [];
  const order = nodes.map((d, i) => i).sort((a, b) => nodes[b].deg - nodes[a].deg);
  const texts = svgEl("g", { class: "labels" });
  for (const i of order) {
    const d = nodes[i];
    const a = svgEl("a", { href: localHref(d.t.value) });
    const c = svgEl("circle", { class: "node " + d.side, cx: d.x.toFixed(1), cy: d.y.toFixed(1), r: Math.min(12, 4 + Math.sqrt(d.deg) * 1.6) });
    c.appendChild(svgEl("title", {}, labelOf(d.t) + "\n" + d.t.value));
    a.appendChild(c);
    svg.appendChild(a);
    const text = labelOf(d.t);
    const label = text.length > 28 ? text.slice(0, 27) + "…" : text;
    const w = label.length * 6.2, left = d.x + 9 + w > W;  // near the right edge: the label on the left
    const b = { x: left ? d.x - 9 - w : d.x + 8, y: d.y - 8, w, h: 13 };
    if (placed.some((o) => b.x < o.x + o.w && o.x < b.x + b.w && b.y < o.y + o.h && o.y < b.y + b.h)) continue;
    placed.push(b);
    texts.appendChild(svgEl("text", { x: (left ? d.x - 9 : d.x + 9).toFixed(1), y: (d.y + 4).toFixed(1), "text-anchor": left ? "end" : "start" }, label));
  }
  svg.appendChild(texts);
  const va = cols.graph ? "subject" : res.vars[cols.a], vb = cols.graph ? "object" : res.vars[cols.b];
  let caption = va + " → " + vb + ": " + n + " nodes, " + edges.length + " links";
  if (edges.length >= LIMIT) caption += " (the first " + LIMIT + " links)";
  if (cols.graph) caption += "; rdf:type and literal values left out";
  box.appendChild(el("p", { class: "caption" }, caption));
  box.appendChild(svg);
}

function timelineColumns(res) {
  if (!res.rows.length) return { why: "the answer is empty" };
  const dates = columns(res, (t, i) => !t || dateOf(t, DATE_NAME.test(res.vars[i])) !== null).filter((i) => res.rows.some((r) => r[i]));
  if (!dates.length) return { why: "no column holds dates (xsd:date, xsd:dateTime, xsd:gYear or YYYY-MM-DD)" };
  const label = labelColumn(res, dates);
  return { start: dates[0], end: dates.length > 1 ? dates[1] : -1, label, what: res.vars[dates[0]] + (dates.length > 1 ? "–" + res.vars[dates[1]] : "") };
}
function renderTimeline(res, cols) {
  const box = $("#view-timeline");
  box.textContent = "";
  const LIMIT = 300;
  const items = res.rows.filter((r) => r[cols.start]).map((r) => {
    const s = dateOf(r[cols.start], true);
    const e = cols.end >= 0 && r[cols.end] ? dateOf(r[cols.end], true) : null;
    return { s, e: e !== null && e >= s ? e : null, label: cols.label >= 0 ? labelOf(r[cols.label]) : r[cols.start].value,
      when: r[cols.start].value + (e !== null ? " – " + r[cols.end].value : ""), term: cols.label >= 0 ? r[cols.label] : null };
  }).sort((a, b) => a.s - b.s).slice(0, LIMIT);
  const t0 = Math.min(...items.map((i) => i.s)), t1 = Math.max(...items.map((i) => i.e || i.s));
  const span = Math.max(t1 - t0, 86400000 * 30);
  const W = 820, left = 20, right = 20, lane = 20, axis = 30;
  const x = (t) => left + ((t - t0) / span) * (W - left - right - 180);
  // lanes: an item goes to the first lane whose last item (with its label) ends before it
  const ends = [];
  for (const it of items) {
    const x0 = x(it.s), x1 = Math.max(it.e ? x(it.e) : x0, x0) + 18 + Math.min(it.label.length, 30) * 6.6;
    let l = ends.findIndex((e) => e < x0);
    if (l < 0) { l = ends.length; ends.push(0); }
    ends[l] = x1;
    it.lane = l;
  }
  const H = axis + ends.length * lane + 20;
  const svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, width: "100%", role: "img", "aria-label": "timeline", class: "timeline" });
  const y0 = new Date(t0).getUTCFullYear(), y1 = new Date(t1).getUTCFullYear();
  const stepY = Math.max(1, Math.ceil((y1 - y0 + 1) / 12));
  for (let yr = y0; yr <= y1 + 1; yr += stepY) {
    const tx = x(Date.UTC(yr, 0, 1));
    if (tx < left - 1 || tx > W - 150) continue;
    svg.appendChild(svgEl("line", { class: "grid", x1: tx, x2: tx, y1: axis - 6, y2: H }));
    svg.appendChild(svgEl("text", { x: tx + 3, y: axis - 10, class: "year" }, String(yr)));
  }
  for (const it of items) {
    const y = axis + it.lane * lane + lane / 2;
    const g = svgEl("g", { class: "item" });
    if (it.e) g.appendChild(svgEl("rect", { class: "span", x: x(it.s), y: y - 5, width: Math.max(3, x(it.e) - x(it.s)), height: 10, rx: 3 }));
    else g.appendChild(svgEl("circle", { class: "event", cx: x(it.s), cy: y, r: 5 }));
    const text = it.label.length > 30 ? it.label.slice(0, 29) + "…" : it.label;
    g.appendChild(svgEl("text", { x: (it.e ? x(it.e) : x(it.s)) + 8, y: y + 4 }, text));
    g.appendChild(svgEl("title", {}, it.label + ": " + it.when));
    const href = it.term && it.term.type === "uri" ? localHref(it.term.value) : null;
    if (href) { const a = svgEl("a", { href }); a.appendChild(g); svg.appendChild(a); } else svg.appendChild(g);
  }
  let caption = fmtInt(items.length) + " items by " + res.vars[cols.start] + (cols.end >= 0 ? " to " + res.vars[cols.end] : "");
  if (res.rows.length > LIMIT) caption += " (the first " + LIMIT + ")";
  box.appendChild(el("p", { class: "caption" }, caption));
  box.appendChild(svg);
}

// --------------------------------------------------------------------- start

document.addEventListener("DOMContentLoaded", async () => {
  try {
    await loadCatalogue();  // the prefixes, before the editor reads them for its completion
  } catch (e) {
    setStatus("Cannot load the catalogue: " + e.message, true);
  }
  makeEditor("SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10");
  $("#run").addEventListener("click", () => run());
  $("#params").addEventListener("submit", (e) => { e.preventDefault(); run(); });
  $("#share").addEventListener("click", async () => {
    pushUrl(true);
    try { await navigator.clipboard.writeText(location.href); setStatus("Link copied."); } catch (e) { setStatus("Link: " + location.href); }
  });
  $("#revert").addEventListener("click", () => { editor.set(state.bound); markEdited(); });
  for (const b of document.querySelectorAll("#downloads button")) b.addEventListener("click", () => download(b.dataset.format));
  if (yasqe) yasqe.on("change", updateDownloads); else $("#editor textarea").addEventListener("input", () => { markEdited(); updateDownloads(); });
  for (const b of document.querySelectorAll(".tabs button")) b.addEventListener("click", () => { show(b.dataset.view); pushUrl(false); });
  window.addEventListener("popstate", () => openUrl());
  $("#question").addEventListener("change", () => {
    const q = questionNamed($("#question").value);
    showQuestion(q);
    if (q) {
      state.bound = bindQuery(q, {});
      editor.set(state.bound);
    } else pushUrl(false);
    markEdited();
    updateDownloads();
    if (q) runIfComplete();
  });
  $("#params").addEventListener("change", () => { rebind(); runIfComplete(); });
  loadTerms().catch(() => {});
  await openUrl();
  updateDownloads();
  document.body.dataset.ready = "true";
});
