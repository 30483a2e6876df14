// The dashboard's graphs and line states, from GET /api/v1/dashboard/trend:
// the last hour of the daemon's own figures, drawn as SVG built element
// by element (no markup from data), and each listener, serial port, link
// and output, up or down and since when.
import { el, row, timeEl } from "./common.js";

const svgNS = "http://www.w3.org/2000/svg";
const width = 560, height = 150, padLeft = 44, padBottom = 20, padTop = 8;
const colours = ["#1565c0", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f"];

function svg(tag, attrs) {
  const e = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}

// chart draws series ({name, values}) over the points' times, each line
// in its colour, with the greatest value on the axis and a legend; a
// value null leaves a gap.
export function chart(title, unit, times, series) {
  const box = el("figure", null, "chart");
  box.append(el("figcaption", title));
  const all = series.flatMap(s => s.values).filter(v => v != null);
  const top = Math.max(1, ...all) * 1.1;
  const g = svg("svg", { viewBox: "0 0 " + width + " " + height, width, height, role: "img", "aria-label": title });
  const plotW = width - padLeft - 4, plotH = height - padBottom - padTop;
  const x = i => padLeft + (times.length > 1 ? i * plotW / (times.length - 1) : 0);
  const y = v => padTop + plotH - v / top * plotH;
  g.append(svg("line", { x1: padLeft, y1: padTop + plotH, x2: width - 4, y2: padTop + plotH, class: "axis" }));
  g.append(svg("line", { x1: padLeft, y1: padTop, x2: padLeft, y2: padTop + plotH, class: "axis" }));
  const label = (text, attrs) => { const t = svg("text", attrs); t.textContent = text; return t; };
  // The greatest value, written inside the plot beside the axis's top.
  g.append(label("max " + fmt(top / 1.1) + " " + unit, { x: padLeft + 4, y: padTop + 10, class: "tick" }));
  g.append(label("0", { x: padLeft - 4, y: padTop + plotH, "text-anchor": "end", class: "tick" }));
  if (times.length) {
    g.append(label(clock(times[0]), { x: padLeft, y: height - 4, class: "tick" }));
    g.append(label(clock(times[times.length - 1]), { x: width - 4, y: height - 4, "text-anchor": "end", class: "tick" }));
  }
  const legend = el("p", null, "legend");
  series.forEach((s, n) => {
    const colour = colours[n % colours.length];
    let d = "", pen = false;
    s.values.forEach((v, i) => {
      if (v == null) { pen = false; return; }
      d += (pen ? " L" : " M") + x(i).toFixed(1) + " " + y(v).toFixed(1);
      pen = true;
    });
    if (d) g.append(svg("path", { d, fill: "none", stroke: colour, "stroke-width": 2, "data-series": s.name }));
    const last = [...s.values].reverse().find(v => v != null);
    const key = el("span", s.name + (last != null ? ": " + fmt(last) + " " + unit : ""), "key");
    key.style.borderColor = colour;
    legend.append(key, " ");
  });
  box.append(g, legend);
  return box;
}

function fmt(v) { return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2); }
function clock(t) { return new Date(t).toTimeString().slice(0, 8); }

// drawTrend fills the graphs and the lines' table from one answer.
export function drawTrend(d, titles, graphs, lines) {
  const times = d.points.map(p => p.at);
  const protocols = [...new Set(d.points.flatMap(p => Object.keys(p.signals_per_second)))].sort();
  graphs.replaceChildren(
    chart("Signals a second, by protocol", "/s", times, protocols.map(proto => ({
      name: titles[proto] || proto, values: d.points.map(p => p.signals_per_second[proto] || 0) }))),
    chart("ACK latency, 99th percentile", "ms", times, [{ name: "p99", values: d.points.map(p => p.ack_p99_ms) }]),
    chart("Queue depth", "incidents", times, [{ name: "open", values: d.points.map(p => p.queue_depth) }]));
  if (!d.points.length) graphs.append(el("p", "The graphs fill in as the daemon samples its figures, every " + d.interval_seconds + " s.", "muted"));
  const kinds = { listener: "panel listener", serial: "serial line", link: "legacy receiver's link", output: "output" };
  lines.replaceChildren(...d.lines.map(l => {
    const tr = row([kinds[l.kind] || l.kind, l.name, el("b", l.up ? "up" : "DOWN", l.up ? "line-up" : "line-down"), timeEl(l.since)]);
    tr.dataset.line = l.kind + "/" + l.name;
    return tr;
  }));
}
