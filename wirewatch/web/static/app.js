/* wirewatch dashboard charts and forms: plain JS, no libraries, no network beyond this server.
 * Everything taken from the data is put in the page with textContent or SVG attributes, never
 * innerHTML, so article text cannot inject markup. */
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const TYPE_COLOURS = {
  AGREE: "#4e9a06", CONSULT: "#3465a4", SUPPORT: "#73d216", CONCEDE: "#8ae234", COOPERATE: "#06989a",
  AID: "#34e2e2", RETREAT: "#729fcf", REQUEST: "#ad7fa8", ACCUSE: "#f57900", REJECT: "#c4a000",
  THREATEN: "#e9b96e", PROTEST: "#75507b", SANCTION: "#8f5902", MOBILIZE: "#555753", COERCE: "#cc0000",
  ASSAULT: "#a40000",
};

function el(name, attrs, parent) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  if (parent) parent.appendChild(e);
  return e;
}

function text(parent, x, y, s, attrs) {
  const t = el("text", Object.assign({ x, y }, attrs || {}), parent);
  t.textContent = s;
  return t;
}

function svgRoot(host, w, h, label) {
  const svg = el("svg", { viewBox: `0 0 ${w} ${h}`, role: "img", "aria-label": label });
  host.replaceChildren(svg);
  return svg;
}

async function getJSON(url) {
  const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

/* A dashboard URL with some filters changed (and the page cursor dropped). */
function withParams(change) {
  const u = new URL(location.href);
  u.pathname = "/";
  u.searchParams.delete("cursor");
  for (const [k, v] of Object.entries(change)) u.searchParams.set(k, v);
  return u.pathname + u.search;
}

function empty(svg, w, h, msg) {
  text(svg, w / 2, h / 2, msg, { "text-anchor": "middle", class: "empty" });
}

/* -- timeline: stacked bars of event counts per day, coloured by PLOVER type -------------- */

function days(first, last) {
  const out = [];
  const d = new Date(first + "T00:00:00Z");
  const end = new Date(last + "T00:00:00Z");
  while (d <= end && out.length < 800) {
    out.push(d.toISOString().slice(0, 10));
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return out;
}

async function drawTimeline(host) {
  const W = 600, H = 300, L = 30, B = 40, T = 8;
  const data = await getJSON(host.dataset.src);
  const svg = svgRoot(host, W, H, "Events per day by type");
  const items = data.items || [];
  if (!items.length) { empty(svg, W, H, "no dated events"); return; }
  const present = [...new Set(items.map((d) => d.date))].sort();
  let axis = days(present[0], present[present.length - 1]);
  if (axis.length >= 800) axis = present; // very long spans: only the days that have events
  const byDay = new Map(axis.map((d) => [d, []]));
  for (const it of items) if (byDay.has(it.date)) byDay.get(it.date).push(it);
  let max = 1;
  for (const list of byDay.values()) max = Math.max(max, list.reduce((a, b) => a + b.count, 0));
  const bw = (W - L - 4) / axis.length;
  const y = (n) => (H - B) - (n / max) * (H - B - T);
  el("line", { x1: L, y1: H - B, x2: W - 2, y2: H - B, stroke: "#99a" }, svg);
  text(svg, L - 4, y(max) + 4, String(max), { "text-anchor": "end", "font-size": 10, fill: "#667" });
  text(svg, L - 4, H - B, "0", { "text-anchor": "end", "font-size": 10, fill: "#667" });
  const types = new Set();
  axis.forEach((day, i) => {
    let acc = 0;
    for (const it of byDay.get(day).sort((a, b) => a.type.localeCompare(b.type))) {
      types.add(it.type);
      const link = el("a", { href: withParams({ since: day, until: day, type: it.type }) }, svg);
      const r = el("rect", {
        x: L + i * bw + bw * 0.1, width: Math.max(bw * 0.8, 1), y: y(acc + it.count),
        height: Math.max(y(acc) - y(acc + it.count), 0.5), fill: TYPE_COLOURS[it.type] || "#888",
        class: "bar", "data-type": it.type, "data-date": day,
      }, link);
      const tip = el("title", {}, r);
      tip.textContent = `${day}: ${it.count} ${it.type}`;
      acc += it.count;
    }
  });
  text(svg, L, H - B + 13, axis[0], { "font-size": 10, fill: "#667" });
  text(svg, W - 2, H - B + 13, axis[axis.length - 1], { "font-size": 10, fill: "#667", "text-anchor": "end" });
  let lx = L;
  for (const t of [...types].sort()) {
    if (lx > W - 60) break;
    el("rect", { x: lx, y: H - 14, width: 9, height: 9, fill: TYPE_COLOURS[t] || "#888" }, svg);
    text(svg, lx + 12, H - 6, t, { "font-size": 9, class: "legend-item" });
    lx += 16 + t.length * 6;
  }
}

/* -- map: country shapes (shipped GeoJSON) shaded by event count, and event points ------- */

const MAP_W = 720, MAP_H = 360, LAT_TOP = 84, LAT_BOTTOM = -58;
const px = (lon) => ((lon + 180) / 360) * MAP_W;
const py = (lat) => ((LAT_TOP - lat) / (LAT_TOP - LAT_BOTTOM)) * MAP_H;

function ringPath(ring) {
  let d = "";
  ring.forEach(([lon, lat], i) => { d += (i ? "L" : "M") + px(lon).toFixed(1) + " " + py(lat).toFixed(1); });
  return d + "Z";
}

function geomPath(g) {
  if (!g) return "";
  const polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
  return polys.map((p) => p.map(ringPath).join("")).join("");
}

async function drawMap(host) {
  const [shapes, data] = await Promise.all([getJSON(host.dataset.shapes), getJSON(host.dataset.src)]);
  const svg = svgRoot(host, MAP_W, MAP_H, "Map of event locations");
  el("rect", { x: 0, y: 0, width: MAP_W, height: MAP_H, class: "ocean" }, svg);
  const counts = new Map((data.countries || []).map((c) => [c.country, c.count]));
  const max = Math.max(1, ...counts.values());
  const land = el("g", { class: "countries" }, svg);
  for (const f of shapes.features) {
    const code = f.properties.iso3;
    const n = counts.get(code) || 0;
    const p = el("path", { d: geomPath(f.geometry), class: n ? "land hit" : "land", "data-iso3": code }, land);
    if (n) p.style.fill = `rgba(192, 57, 43, ${0.15 + 0.55 * (n / max)})`;
    const tip = el("title", {}, p);
    tip.textContent = `${f.properties.name}${n ? ": " + n + " events" : ""}`;
  }
  const pts = el("g", { class: "points" }, svg);
  const pmax = Math.max(1, ...(data.points || []).map((p) => p.count));
  for (const p of data.points || []) {
    const link = el("a", { href: withParams({ place: p.name }) }, pts);
    const c = el("circle", {
      cx: px(p.lon).toFixed(1), cy: py(p.lat).toFixed(1), r: (2.5 + 7 * Math.sqrt(p.count / pmax)).toFixed(1),
      class: "point", "data-place": p.name,
    }, link);
    const tip = el("title", {}, c);
    tip.textContent = `${p.name}${p.country ? " (" + p.country + ")" : ""}: ${p.count} events`;
  }
  if (!(data.points || []).length) empty(svg, MAP_W / 2, MAP_H - 10, "no located events");
}

/* -- network: actor -> target edges around one actor, on a circle -------------------------- */

async function drawNetwork(host) {
  const W = 460, H = 360;
  const d = await getJSON(host.dataset.src);
  const svg = svgRoot(host, W, H, "Actor network");
  const net = d.network || { nodes: [], edges: [] };
  if (!net.nodes.length) { empty(svg, W, H, "no actor-to-target events"); return; }
  const center = host.dataset.center;
  const others = net.nodes.map((n) => n.id).filter((id) => id !== center).slice(0, 24);
  const pos = new Map();
  pos.set(center, [W / 2, H / 2]);
  others.forEach((id, i) => {
    const a = (2 * Math.PI * i) / others.length - Math.PI / 2;
    pos.set(id, [W / 2 + 140 * Math.cos(a), H / 2 + 130 * Math.sin(a)]);
  });
  const defs = el("defs", {}, svg);
  // userSpaceOnUse: arrow heads keep one size whatever the edge width; refX stops them at the node's rim.
  const mk = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 22, refY: 5, markerWidth: 9, markerHeight: 9,
    markerUnits: "userSpaceOnUse", orient: "auto" }, defs);
  el("path", { d: "M0 0L10 5L0 10z", fill: "#667" }, mk);
  const maxc = Math.max(1, ...net.edges.map((e) => e.count));
  for (const e of net.edges) {
    const a = pos.get(e.source), b = pos.get(e.target);
    if (!a || !b) continue;
    const line = el("line", {
      x1: a[0], y1: a[1], x2: b[0], y2: b[1], class: "edge", stroke: TYPE_COLOURS[e.type] || "#888",
      "stroke-width": 1 + 3 * (e.count / maxc), "marker-end": "url(#arrow)",
    }, svg);
    const tip = el("title", {}, line);
    tip.textContent = `${e.source} → ${e.target}: ${e.count} ${e.type}`;
  }
  for (const [id, [x, y]] of pos) {
    const g = el("g", { class: id === center ? "node center" : "node" }, svg);
    el("circle", { cx: x, cy: y, r: id === center ? 9 : 6 }, g);
    const link = el("a", { href: "/actors/" + encodeURIComponent(id) }, g);
    text(link, x, y + (y < H / 2 - 1 ? -12 : 20), id.length > 28 ? id.slice(0, 27) + "…" : id, { "text-anchor": "middle" });
  }
}

/* -- watches: create and delete through the API with the operator's token ------------------ */

function setupWatches() {
  const form = document.getElementById("watch-form");
  if (!form) return;
  const status = document.getElementById("watch-status");
  const tokenInput = form.elements.namedItem("token");
  const saved = sessionStorage.getItem("wirewatch-token");
  if (saved && tokenInput) tokenInput.value = saved;
  const say = (msg, ok) => { status.textContent = msg; status.className = ok ? "form-status ok" : "form-status"; };
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = {};
    for (const [k, v] of new FormData(form).entries()) {
      if (k !== "token" && String(v).trim() !== "") body[k] = k === "quantity_min" ? Number(v) : String(v).trim();
    }
    const token = String(tokenInput.value || "");
    sessionStorage.setItem("wirewatch-token", token);
    const r = await fetch("/api/watches", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + token },
      body: JSON.stringify(body),
    });
    const data = await r.json().catch(() => ({}));
    if (r.ok) { say(`watch #${data.id} created`, true); setTimeout(() => location.reload(), 300); }
    else say((data.error && data.error.message) || `HTTP ${r.status}`, false);
  });
  for (const b of document.querySelectorAll("button.delete-watch")) {
    b.addEventListener("click", async () => {
      const token = String(tokenInput.value || "");
      if (!token) { say("enter the API token to delete a watch", false); return; }
      const r = await fetch("/api/watches/" + encodeURIComponent(b.dataset.id), {
        method: "DELETE", credentials: "same-origin", headers: { Authorization: "Bearer " + token },
      });
      const data = await r.json().catch(() => ({}));
      if (r.ok) location.reload(); else say((data.error && data.error.message) || `HTTP ${r.status}`, false);
    });
  }
}

function run(id, fn) {
  const host = document.getElementById(id);
  if (!host) return;
  fn(host).then(() => host.setAttribute("data-ready", "1")).catch((e) => {
    host.setAttribute("data-ready", "error");
    const p = document.createElement("p");
    p.className = "none";
    p.textContent = "could not draw: " + e.message;
    host.replaceChildren(p);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  run("timeline", drawTimeline);
  run("map", drawMap);
  run("network", drawNetwork);
  setupWatches();
});
