// The console's reports (supervisors and admins), on screen and as CSV:
// how fast the station answered its incidents, receipt → claim →
// dispatch → resolve, per priority and per operator; and the sites and
// customers with the most false alarms.
import { $, el, row, link, timeEl } from "./common.js";

const spans = [["24h", "the last 24 hours"], ["7d", "the last 7 days"], ["30d", "the last 30 days"], ["365d", "the last 12 months"]];
const kinds = [["response-times", "Response times"], ["false-alarms", "False alarms"]];

// seconds writes a duration for a person: 42 s, 3 min 5 s, 1 h 2 min.
function seconds(v) {
  if (v == null) return "—";
  v = Math.round(v);
  if (v < 60) return v + " s";
  if (v < 3600) return Math.floor(v / 60) + " min " + (v % 60 ? v % 60 + " s" : "");
  return Math.floor(v / 3600) + " h " + Math.floor(v % 3600 / 60) + " min";
}

function stage(p) { return p.n ? seconds(p.p50) + " · " + seconds(p.p90) + " · " + seconds(p.p99) : "—"; }

// reportTable is a report's section: its title, and a table of its rows
// under head, or "None.".
function reportTable(id, title, head, rows) {
  const box = el("section");
  box.id = id;
  const t = el("table", null, "report");
  const tr = el("tr");
  for (const h of head) tr.append(el("th", h));
  t.createTHead().append(tr);
  t.createTBody().append(...rows);
  box.append(el("h2", title), rows.length ? t : el("p", "None.", "muted"));
  return box;
}

export class Reports {
  constructor(api, labels) { this.api = api; this.labels = labels; this.view = $("view-reports"); }

  async route(hash) {
    const params = new URLSearchParams(hash.split("?")[1] || "");
    const span = spans.some(([v]) => v === params.get("from")) ? params.get("from") : "24h";
    const kind = params.get("report") === "false-alarms" ? "false-alarms" : "response-times";
    const page = el("div");
    this.view.replaceChildren(page);
    const tabs = el("nav", null, "records-menu");
    for (const [k, t] of kinds) {
      const a = link(t, "#/reports?report=" + k + "&from=" + span);
      if (k === kind) a.className = "current";
      tabs.append(a, " ");
    }
    const form = el("form");
    const pick = el("select");
    pick.id = "report-span"; pick.setAttribute("aria-label", "Incidents opened in");
    for (const [v, t] of spans) { const o = el("option", t); o.value = v; pick.append(o); }
    pick.value = span;
    pick.addEventListener("change", () => { location.hash = "#/reports?report=" + kind + "&from=" + pick.value; });
    const query = "from=" + encodeURIComponent(span);
    const csv = link("Download CSV", "/api/v1/reports/" + kind + "?" + query + "&format=csv");
    csv.id = "report-csv"; csv.setAttribute("download", kind + ".csv");
    form.append(kind === "false-alarms" ? "False alarms resolved in " : "Incidents opened in ", pick, " ", csv);
    const err = el("p", "", "error");
    err.setAttribute("role", "alert");
    page.append(el("h1", "Reports"), tabs, form, err);
    let d;
    try { d = await this.api("GET", "/api/v1/reports/" + kind + "?" + query); } catch (e) { err.textContent = e.message; return; }
    if (kind === "false-alarms") return this.falseAlarms(page, d);
    const summary = el("p", null, "muted");
    summary.append(d.incidents + " incidents opened from ", timeEl(d.from), " to ", timeEl(d.to), ": " + d.unclaimed + " never claimed, " +
      d.undispatched + " not dispatched, " + d.unresolved + " not resolved. Each stage from receipt: median · 90th · 99th percentile.");
    const groupRow = name => g => row([name(g), g.incidents, g.claim_seconds.n, stage(g.claim_seconds), g.dispatch_seconds.n,
      stage(g.dispatch_seconds), g.resolve_seconds.n, stage(g.resolve_seconds), seconds(g.resolve_seconds.max)]);
    const head = first => [first, "Incidents", "Claimed", "to claim", "Dispatched", "to dispatch", "Resolved", "to resolve", "slowest to resolve"];
    const prio = g => { const s = el("span"); s.append(el("span", g.priority, "pri p" + g.priority), " " + this.labels(g.priority)); return s; };
    const byPrio = reportTable("report-by-priority", "By priority", head("Priority"), d.by_priority.map(groupRow(prio)));
    const byOp = reportTable("report-by-operator", "By operator (the incidents each resolved)", head("Operator"),
      d.by_operator.map(groupRow(g => g.operator || "(the system)")));
    page.append(summary, byPrio, byOp);
  }

  // falseAlarms draws the sites and customers with the most false alarms.
  falseAlarms(page, d) {
    const summary = el("p", null, "muted");
    summary.append("Incidents resolved from ", timeEl(d.from), " to ", timeEl(d.to), " as " + (d.codes.length ? d.codes.join(", ") : "(no false alarm code is set: queue.false_alarm_codes)") +
      (d.threshold ? "; a site reaching " + d.threshold + " within 12 months raises a station event." : "."));
    const site = s => row([link(s.site, "#/records/sites/" + s.site_id), s.customer, s.count]);
    page.append(summary,
      reportTable("report-sites", "Sites", ["Site", "Customer", "False alarms"], d.sites.map(site)),
      reportTable("report-customers", "Customers (their own sites)", ["Customer", "Sites with false alarms", "False alarms"],
        d.customers.map(c => row([c.customer, c.sites, c.count]))));
  }
}
