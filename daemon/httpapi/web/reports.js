// The console's reports (supervisors and admins), on screen and as CSV,
// HTML or PDF: how fast the station answered its incidents; the sites and
// customers with the most false alarms; the accounts not heard from; the
// on-test periods; what each operator did; a site's openings and closings.
import { $, el, row, link, timeEl, cells, pickedID } from "./common.js";
import { pickRecord } from "./records.js";

const spans = [["24h", "the last 24 hours"], ["7d", "the last 7 days"], ["30d", "the last 30 days"], ["365d", "the last 12 months"]];

// kinds: each report's title, what its range means, and how it is drawn.
const kinds = [
  { name: "response-times", title: "Response times", range: "Incidents opened in ", draw: "responseTimes" },
  { name: "false-alarms", title: "False alarms", range: "False alarms resolved in ", draw: "falseAlarms" },
  { name: "silent-accounts", title: "Not heard from", range: "Accounts silent through ", draw: "silentAccounts" },
  { name: "on-test", title: "On test", range: "Periods in force in ", draw: "onTest" },
  { name: "operator-activity", title: "Operator activity", range: "Steps taken in ", draw: "operatorActivity" },
  { name: "open-close", title: "Openings and closings", range: "Events in ", draw: "openClose", site: true },
];

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

// count writes n with its noun: "1 account", "3 accounts".
function count(n, one, many) { return n + " " + (n === 1 ? one : many); }

function summary(...parts) { const p = el("p", null, "muted"); p.append(...parts); return p; }

// truncated warns that a report holds only its first rows.
function truncated(d, page) { if (d.truncated) page.append(el("p", "Only the first 10,000 rows are shown: narrow the range.", "error")); }

export class Reports {
  constructor(api, labels) { this.api = api; this.labels = labels; this.view = $("view-reports"); }

  async route(hash) {
    const params = new URLSearchParams(hash.split("?")[1] || "");
    const span = spans.some(([v]) => v === params.get("from")) ? params.get("from") : "24h";
    const kind = kinds.find(k => k.name === params.get("report")) || kinds[0];
    const site = kind.site ? pickedID(params.get("site_id") || "") : 0;
    const address = (k, s, siteLabel) => "#/reports?report=" + k + "&from=" + s + (siteLabel ? "&site_id=" + encodeURIComponent(siteLabel) : "");
    const page = el("div");
    this.view.replaceChildren(page);
    const tabs = el("nav", null, "records-menu");
    for (const k of kinds) {
      const a = link(k.title, address(k.name, span));
      if (k === kind) a.className = "current";
      tabs.append(a, " ");
    }
    const form = el("form");
    form.id = "report-form";
    const pick = el("select");
    pick.id = "report-span"; pick.setAttribute("aria-label", kind.range.trim());
    for (const [v, t] of spans) { const o = el("option", t); o.value = v; pick.append(o); }
    pick.value = span;
    form.append(kind.range, pick, " ");
    let siteInput = null;
    if (kind.site) {
      siteInput = el("input");
      siteInput.id = "report-site"; siteInput.setAttribute("aria-label", "Site");
      siteInput.value = params.get("site_id") || "";
      const show = el("button", "Show");
      show.type = "submit";
      form.append(" at ", pickRecord(this.api, "sites", siteInput, "report-site-list"), siteInput, " ", show, " ");
    }
    const go = () => { location.hash = address(kind.name, pick.value, siteInput ? siteInput.value.trim() : ""); };
    pick.addEventListener("change", go);
    form.addEventListener("submit", ev => { ev.preventDefault(); go(); });
    const query = "from=" + encodeURIComponent(span) + (site ? "&site_id=" + site : "");
    // The files' times are in this browser's time zone, as on screen.
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
    const files = el("span", null, "downloads");
    for (const [format, label] of [["csv", "CSV"], ["html", "HTML"], ["pdf", "PDF"]]) {
      const a = link(label, "/api/v1/reports/" + kind.name + "?" + query + "&format=" + format + (format === "csv" ? "" : "&tz=" + encodeURIComponent(zone)));
      a.id = "report-" + format; a.setAttribute("download", kind.name + "." + format);
      files.append(a, " ");
    }
    if (!kind.site || site) form.append("Download ", files);
    const err = el("p", "", "error");
    err.setAttribute("role", "alert");
    page.append(el("h1", "Reports"), tabs, form, err);
    if (kind.site && !site) { page.append(el("p", "Pick a site to list its openings, closings and schedule exceptions.", "muted")); return; }
    let d;
    try { d = await this.api("GET", "/api/v1/reports/" + kind.name + "?" + query); } catch (e) { err.textContent = e.message; return; }
    this[kind.draw](page, d);
  }

  responseTimes(page, d) {
    const s = summary(count(d.incidents, "incident", "incidents") + " opened from ", timeEl(d.from), " to ", timeEl(d.to), ": " + d.unclaimed + " never claimed, " +
      d.undispatched + " not dispatched, " + d.unresolved + " not resolved. Each stage from receipt: median · 90th · 99th percentile.");
    const groupRow = name => g => row([name(g), g.incidents, g.claim_seconds.n, stage(g.claim_seconds), g.dispatch_seconds.n,
      stage(g.dispatch_seconds), g.resolve_seconds.n, stage(g.resolve_seconds), seconds(g.resolve_seconds.max)]);
    const head = first => [first, "Incidents", "Claimed", "to claim", "Dispatched", "to dispatch", "Resolved", "to resolve", "slowest to resolve"];
    const prio = g => { const x = el("span"); x.append(el("span", g.priority, "pri p" + g.priority), " " + this.labels(g.priority)); return x; };
    page.append(s, reportTable("report-by-priority", "By priority", head("Priority"), d.by_priority.map(groupRow(prio))),
      reportTable("report-by-operator", "By operator (the incidents each resolved)", head("Operator"),
        d.by_operator.map(groupRow(g => g.operator || "(the system)"))));
  }

  // falseAlarms draws the sites and customers with the most false alarms.
  falseAlarms(page, d) {
    const s = summary("Incidents resolved from ", timeEl(d.from), " to ", timeEl(d.to), " as " + (d.codes.length ? d.codes.join(", ") : "(no false alarm code is set: queue.false_alarm_codes)") +
      (d.threshold ? "; a site reaching " + d.threshold + " within 12 months raises a station event." : "."));
    const site = x => row([link(x.site, "#/records/sites/" + x.site_id), x.customer, x.count]);
    page.append(s,
      reportTable("report-sites", "Sites", ["Site", "Customer", "False alarms"], d.sites.map(site)),
      reportTable("report-customers", "Customers (their own sites)", ["Customer", "Sites with false alarms", "False alarms"],
        d.customers.map(c => row([c.customer, c.sites, c.count]))));
  }

  // silentAccounts draws the accounts not heard from, never heard first.
  silentAccounts(page, d) {
    const now = new Date(d.to).getTime();
    const state = a => {
      const why = [];
      if (a.failed_to_communicate) why.push("failed to communicate");
      if (a.failed_to_test) why.push("failed to test");
      if (!a.last_signal_at) why.push("never heard");
      else if (!why.length) why.push("silent " + seconds((now - new Date(a.last_signal_at).getTime()) / 1000));
      if (a.on_test) why.push("on test");
      return why.join(", ");
    };
    const every = s => s ? "every " + seconds(s) : "";
    page.append(summary(count(d.accounts.length, "account", "accounts") + " sent no signal since ", timeEl(d.from),
      ", or are held by supervision as failed to communicate or to test."));
    truncated(d, page);
    page.append(reportTable("report-silent", "Accounts", ["Account", "Site", "Customer", "Last signal", "State", "Check-in", "Test"],
      d.accounts.map(a => {
        const tr = row([link(a.receiver + "/" + a.account, "#/records/accounts/" + a.account_id), link(a.site, "#/records/sites/" + a.site_id),
          a.customer, a.last_signal_at ? timeEl(a.last_signal_at) : "never", state(a), every(a.interval_seconds), every(a.test_interval_seconds)]);
        if (a.failed_to_communicate || a.failed_to_test) tr.className = "failed";
        return tr;
      })));
  }

  // onTest draws the on-test periods, newest first.
  onTest(page, d) {
    const scope = p => p.scope === "zones" ? "zones " + p.zones.join(", ") : p.scope === "categories" ? "categories " + p.categories.join(", ") : "the whole account";
    page.append(summary(count(d.periods.length, "on-test period", "on-test periods") + " in force from ", timeEl(d.from), " to ", timeEl(d.to), "."));
    truncated(d, page);
    page.append(reportTable("report-on-test", "Periods", ["Account", "Site", "On test", "From", "Until", "Ended", "Reason", "Authorised by", "Test signals"],
      d.periods.map(p => row([link(p.receiver + "/" + p.account, "#/records/accounts/" + p.account_id), p.site, scope(p), timeEl(p.starts_at),
        timeEl(p.ends_at), p.ended_at ? cells(timeEl(p.ended_at), p.end_reason ? " (" + p.end_reason + ")" : "") : "in force", p.reason,
        p.authorised_by, p.signals]))));
  }

  // operatorActivity draws what each station user did.
  operatorActivity(page, d) {
    const n = (o, ...actions) => actions.reduce((sum, a) => sum + (o.actions[a] || 0), 0);
    page.append(summary("What each station user did from ", timeEl(d.from), " to ", timeEl(d.to), ": the incidents they took steps on, their steps by kind and their log-ins."),
      reportTable("report-operators", "Operators", ["Operator", "Name", "Incidents", "Claims", "Notes", "Calls", "Dispatches", "Holds", "Resolved",
        "All steps", "Log-ins", "First", "Last"],
      d.operators.map(o => row([o.operator, o.full_name, o.incidents, n(o, "claimed", "taken_over"), n(o, "note"), n(o, "called"),
        n(o, "dispatched"), n(o, "held"), n(o, "resolved"), o.steps, o.logins, o.first_at ? timeEl(o.first_at) : "", o.last_at ? timeEl(o.last_at) : ""]))));
  }

  // openClose draws a site's openings and closings in the site's time.
  openClose(page, d) {
    const zone = d.time_zone || "";
    page.append(summary(count(d.events.length, "opening, closing or schedule exception", "openings, closings and schedule exceptions") + " at ", link(d.site, "#/records/sites/" + d.site_id),
      " from ", timeEl(d.from, zone), " to ", timeEl(d.to, zone), zone ? " (the site's time, " + zone + ")." : "."));
    truncated(d, page);
    page.append(reportTable("report-open-close", "Events", ["Time", "Account", "Area", "Event", "User", "Handled"],
      d.events.map(e => {
        const tr = row([timeEl(e.at, zone), e.receiver + "/" + e.account, e.area, e.what, e.user, e.test ? "on test" : e.incident ? "incident" : "logged"]);
        if (e.exception) tr.className = "exception";
        return tr;
      })));
  }
}
