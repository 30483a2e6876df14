// What the console and the portal share: DOM helpers that write text,
// never HTML, so nothing a panel sends can run in a browser; the JSON API
// client; and times written in a site's time zone, with UTC on hover.

export function $(id) { return document.getElementById(id); }

export function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

// row makes a table row of cells: nodes as they are, anything else as text.
export function row(cells) {
  const tr = document.createElement("tr");
  for (const c of cells) {
    const td = document.createElement("td");
    if (c instanceof Node) td.appendChild(c); else td.textContent = c == null ? "" : String(c);
    tr.appendChild(td);
  }
  return tr;
}

export function fill(tbody, rows) { tbody.replaceChildren(...rows); }

export function cells(...nodes) { const span = el("span"); span.append(...nodes); return span; }

export function button(text, onclick, cls) {
  const b = el("button", text, cls);
  b.type = "button";
  b.addEventListener("click", onclick);
  return b;
}

export function link(text, href) { const a = el("a", text); a.href = href; return a; }

// pickedID is the id a record picked by searching names ("#12 Acme
// Stores", "12"), or 0.
export function pickedID(v) {
  const m = String(v).trim().match(/^#?(\d+)(\s|$)/);
  return m ? Number(m[1]) : 0;
}

// mediaLinks shows a signal's video and image links (clip, live, snapshot,
// portal), each opening in a new tab; only http(s) addresses are kept at
// ingest, and only those are linked here.
export function mediaLinks(modifiers) {
  const span = el("span");
  for (const m of modifiers || []) {
    if (!m.Name.startsWith("media_") || !/^https?:\/\//.test(m.Value)) continue;
    const a = link(m.Name.slice(6), m.Value);
    a.className = "media"; a.target = "_blank"; a.rel = "noopener noreferrer";
    span.append(a, " ");
  }
  return span;
}

// client returns an API client: JSON in and out, the session's CSRF token
// on every change, onUnauthorized on a 401. An error carries the API's
// message and the field it names, for showing at the field.
export function client(csrf, onUnauthorized) {
  return async function api(method, path, body) {
    const opts = { method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    if (method !== "GET") opts.headers["X-CSRF-Token"] = csrf();
    const resp = await fetch(path, opts);
    if (resp.status === 401) { onUnauthorized(); throw new Error("not logged in"); }
    const text = await resp.text();
    const data = text ? JSON.parse(text) : null;
    if (!resp.ok) {
      const err = new Error((data && data.error) || resp.statusText);
      err.field = (data && data.field) || "";
      throw err;
    }
    return data;
  };
}

// The station's clock: "24h" or "12h" (console.clock).
let hour12 = false;
export function setClock(clock) { hour12 = clock === "12h"; }

const formats = new Map();
function format(zone) {
  const key = (zone || "") + (hour12 ? "/12" : "/24");
  let f = formats.get(key);
  if (!f) {
    const o = { year: "numeric", month: "2-digit", day: "2-digit", hour: hour12 ? "numeric" : "2-digit", minute: "2-digit",
      second: "2-digit", hourCycle: hour12 ? "h12" : "h23", timeZoneName: zone ? "short" : undefined };
    try { f = new Intl.DateTimeFormat("en-US", { ...o, timeZone: zone || undefined }); } catch (e) { f = new Intl.DateTimeFormat("en-US", o); }
    formats.set(key, f);
  }
  return f;
}

// fmtTime writes t in zone (a site's IANA time zone; "" for this
// browser's) in the station's clock, date first and unambiguous:
// 2026-12-02 14:21:44 GMT, or 2026-12-02 2:21:44 PM GMT.
export function fmtTime(t, zone) {
  if (!t) return "";
  const p = {};
  for (const x of format(zone).formatToParts(new Date(t))) p[x.type] = x.value;
  return p.year + "-" + p.month + "-" + p.day + " " + p.hour + ":" + p.minute + ":" + p.second +
    (p.dayPeriod ? " " + p.dayPeriod : "") + (p.timeZoneName ? " " + p.timeZoneName : "");
}

// utc writes t in UTC, for the hover.
export function utc(t) { return t ? new Date(t).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC") : ""; }

// timeEl is t as a <time> in zone, with UTC on hover.
export function timeEl(t, zone) {
  const e = el("time", fmtTime(t, zone));
  if (t) { e.dateTime = new Date(t).toISOString(); e.title = utc(t); }
  return e;
}
