// The console's history: signals and incidents searched on the server,
// newest first, a page at a time, and downloaded as CSV with the same
// filters. The filters live in the page's address (#/history?…), so a
// search can be bookmarked, reloaded and sent to a colleague.
import { $, el, row, link, timeEl, pickedID } from "./common.js";
import { pickRecord } from "./records.js";

const pageSize = 100;

const categories = ["", "fire", "holdup", "medical", "burglary", "alarm", "trouble", "tamper", "schedule", "openclose", "test", "info", "unknown"];

// The filters of each kind, in the form's order: f is the API parameter;
// pick names a record kind picked by searching (its id is sent).
const filters = {
  signals: [
    { f: "account", label: "Account", hint: "as stored, such as ABC1234" },
    { f: "customer_id", label: "Customer", pick: "customers", hint: "and every customer below it" },
    { f: "site_id", label: "Site", pick: "sites" },
    { f: "code", label: "Code", hint: "BA, 130…" },
    { f: "category", label: "Category", options: categories },
    { f: "zone", label: "Zone" },
    { f: "q", label: "Words" },
    { f: "since", label: "From", time: true }, { f: "until", label: "To", time: true },
  ],
  incidents: [
    { f: "customer_id", label: "Customer", pick: "customers", hint: "and every customer below it" },
    { f: "site_id", label: "Site", pick: "sites" },
    { f: "priority", label: "Priority", options: ["", "1", "2", "3", "4", "5", "6", "7", "8", "9"] },
    { f: "status", label: "Status", options: ["", "open", "resolved"] },
    { f: "operator", label: "Operator", hint: "user name" },
    { f: "resolution", label: "Resolution", hint: "code, such as false_alarm" },
    { f: "q", label: "Words", hint: "in the title or account" },
    { f: "since", label: "From", time: true }, { f: "until", label: "To", time: true },
  ],
};

export class History {
  constructor(api) { this.api = api; this.view = $("view-history"); }

  async route(hash) {
    const params = new URLSearchParams(hash.split("?")[1] || "");
    const kind = params.get("kind") === "incidents" ? "incidents" : "signals";
    const page = el("div");
    this.view.replaceChildren(page);
    const tabs = el("nav", null, "records-menu");
    for (const k of ["signals", "incidents"]) {
      const a = link(k === "signals" ? "Signals" : "Incidents", "#/history?kind=" + k);
      if (k === kind) a.className = "current";
      tabs.append(a, " ");
    }
    const form = el("form", null, "history-form");
    form.id = "history-form";
    const inputs = {};
    for (const f of filters[kind]) {
      const wrap = el("label", null, "field");
      wrap.append(el("span", f.label, "field-label"));
      let input;
      if (f.options) {
        input = el("select");
        for (const o of f.options) { const opt = el("option", o || "any"); opt.value = o; input.append(opt); }
      } else {
        input = el("input");
        if (f.time) input.type = "datetime-local";
      }
      input.id = "h-" + f.f;
      input.dataset.field = f.f;
      const v = params.get(f.f) || "";
      if (f.pick) {
        wrap.append(pickRecord(this.api, f.pick, input, "h-list-" + f.f));
        input.value = params.get(f.f + "_label") || (v ? "#" + v : "");
      } else if (f.time) input.value = v ? localInput(v) : "";
      else input.value = v;
      wrap.append(input);
      if (f.hint) wrap.append(el("small", f.hint, "muted"));
      inputs[f.f] = input;
      form.append(wrap);
    }
    const search = el("button", "Search");
    search.type = "submit"; search.id = "history-search";
    form.append(search, link("Clear", "#/history?kind=" + kind));
    form.addEventListener("submit", ev => {
      ev.preventDefault();
      const next = new URLSearchParams({ kind });
      for (const f of filters[kind]) {
        const v = inputs[f.f].value.trim();
        if (!v) continue;
        if (f.pick) { next.set(f.f, String(pickedID(v))); next.set(f.f + "_label", v); } else if (f.time) next.set(f.f, new Date(v).toISOString());
        else next.set(f.f, v);
      }
      location.hash = "#/history?" + next.toString();
    });
    const err = el("p", "", "error");
    err.setAttribute("role", "alert");
    page.append(el("h1", "History"), tabs, form, err);

    // The API's query: the filters, newest first, a page on from before.
    const q = new URLSearchParams();
    for (const f of filters[kind]) if (params.get(f.f)) q.set(f.f, params.get(f.f));
    if (kind === "signals") q.set("order", "desc");
    const csv = new URLSearchParams(q);
    csv.set("format", "csv"); csv.set("limit", "10000");
    q.set("limit", String(pageSize + 1));
    if (params.get("before")) q.set("before_id", params.get("before"));
    let list;
    try {
      const d = await this.api("GET", "/api/v1/" + kind + "?" + q.toString());
      list = kind === "signals" ? d.signals : d.items;
    } catch (e) {
      err.textContent = e.message;
      const input = inputs[e.field];
      if (input) input.setAttribute("aria-invalid", "true");
      return;
    }
    const more = list.length > pageSize;
    list = list.slice(0, pageSize);
    const table = el("table", null, "history");
    table.id = "history-results";
    const head = kind === "signals" ? ["Received", "Account", "Event", "Zone", "Category", "Handling", "Text"]
      : ["Opened", "Priority", "Title", "Account", "Site", "Status", "Claimed by", "Resolution"];
    const tr = el("tr");
    for (const h of head) tr.append(el("th", h));
    table.createTHead().append(tr);
    table.createTBody().append(...list.map(x => kind === "signals" ? signalRow(x) : incidentRow(x)));
    const pager = el("p", null, "pager");
    pager.append(el("span", list.length ? list.length + (more ? "+ " : " ") + kind + ", newest first" : "Nothing found.", "page-count"));
    const here = new URLSearchParams(params);
    if (params.get("before")) { here.delete("before"); pager.append(link("Newest", "#/history?" + here.toString())); }
    if (more) { here.set("before", String(list[list.length - 1].id)); pager.append(link("Older →", "#/history?" + here.toString())); }
    const dl = link("Download CSV", "/api/v1/" + kind + "?" + csv.toString());
    dl.id = "history-csv"; dl.setAttribute("download", kind + ".csv");
    pager.append(dl, el("small", "up to 10,000 rows, newest first", "muted"));
    page.append(pager, table);
  }
}

// localInput writes an RFC 3339 time for a datetime-local input, in this
// browser's time zone.
function localInput(t) {
  const d = new Date(t);
  if (isNaN(d)) return "";
  const p = n => String(n).padStart(2, "0");
  return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + "T" + p(d.getHours()) + ":" + p(d.getMinutes());
}

function signalRow(s) {
  return row([timeEl(s.received_at), s.receiver + "/" + s.account, (s.event_code ? s.event_code + " " : "") + (s.description || ""),
    s.zone ? s.zone + (s.zone_description ? " " + s.zone_description : "") : "", s.category, s.handling + (s.test ? " (on test)" : ""), s.text]);
}

function incidentRow(i) {
  const tr = row([timeEl(i.opened_at), el("span", i.priority, "pri p" + i.priority), i.title, i.receiver + "/" + i.account, i.site_name || "unknown",
    i.status, i.claimed_by_name || "", i.resolution_code]);
  tr.dataset.id = i.id;
  tr.addEventListener("click", () => { location.hash = "#/incident/" + i.id; });
  return tr;
}
