// The client portal: a small single-page client of /portal/api. Everything
// shown is written as text, never as HTML.
import { $, row, link, button, mediaLinks as media, client, fmtTime } from "./common.js";

const state = { csrf: "", user: null, site: 0 };
const api = client(() => state.csrf, () => show("login"));
function when(t) { return fmtTime(t); }
// The rights an account manager may give office staff (store.PortalRights).
const rights = { "call_list": "call list", "call_list.delete": "remove from call list", "zones": "zone descriptions", "notes": "site notes",
  "reports": "annotate reports", "reports.delete": "delete reports", "schedules": "open/close schedules" };
function may(right) { return clientManager() || (state.user.rights || []).includes(right); }
// A site's or customer's account manager changes everything in its scope;
// an installer's schedules its technicians' visits.
function clientManager() { return state.user.kind === "manager" && !state.user.scope.startsWith("installer:"); }
function installerManager() { return state.user.kind === "manager" && state.user.scope.startsWith("installer:"); }

function show(view) {
  for (const v of ["login", "sites", "site", "event", "visit"]) $("view-" + v).hidden = v !== view;
  $("nav").hidden = view === "login";
}

async function route() {
  if (!state.user) {
    try {
      const me = await api("GET", "/portal/api/me");
      state.user = me.user; state.csrf = me.csrf_token;
      $("whoami").textContent = me.user.username + " (" + me.user.kind + ")" + (me.emulated_by ? " — as " + me.emulated_by : "") +
        (me.scope && me.scope !== me.user.scope ? ", at " + me.scope : "");
    } catch (e) { return; }
  }
  clearInterval(state.timer);
  if (state.live) { state.live.close(); state.live = null; }
  const ev = location.hash.match(/^#\/(incident|signal)\/(\d+)$/);
  if (ev) { show("event"); return loadEvent(ev[1], ev[2]); }
  const vm = location.hash.match(/^#\/visit\/(\d+)$/);
  if (vm) {
    // The visit's page streams its site's signals as they arrive.
    state.visit = Number(vm[1]); state.visitSite = 0; show("visit");
    watch(id => id === state.visitSite, loadVisit);
    return loadVisit();
  }
  const m = location.hash.match(/^#\/site\/(\d+)$/);
  if (m) {
    state.site = Number(m[1]); state.notesDirty = false; show("site");
    // Technicians watch a site's signals come in while they test it: the
    // page reloads when the daemon says a signal of this site was stored or
    // an operator acted on its incident, and every 30 s besides.
    watch(id => id === state.site, loadSite);
    return loadSite();
  }
  show("sites");
  // The sites' status (on test, open incidents) and the visits follow the
  // same events.
  state.visitForm = false;
  watch(() => true, async () => { await loadSites(); await loadVisits(); });
  await loadSites();
  await loadVisits();
  await loadReports();
  await loadMyReport();
  $("staff-section").hidden = !clientManager();
  // Morning reports are a customer's: a site's staff get none.
  $("staff-report-email").hidden = !state.user.scope.startsWith("customer:");
  if (clientManager()) await loadStaff();
}

// watch reloads the page shown when the live stream tells of a site it
// cares about, on a resync, and every 30 s.
function watch(cares, reload) {
  const again = () => reload().catch(() => {});
  state.live = new EventSource("/portal/api/events");
  for (const kind of ["signal", "incident", "test", "note", "visit"]) {
    state.live.addEventListener(kind, ev => { if (cares(JSON.parse(ev.data).site_id)) again(); });
  }
  state.live.addEventListener("resync", again);
  state.timer = setInterval(again, 30000);
}

async function loadSites() {
  const d = await api("GET", "/portal/api/sites");
  state.sites = d.items;
  $("sites").tBodies[0].replaceChildren(...d.items.map(s => {
    const status = (s.on_test.length ? "ON TEST until " + when(s.on_test[0].ends_at) : "in service") +
      (s.open_incidents ? ", " + s.open_incidents + " open incident(s)" : "");
    const tr = row([link(s.name, "#/site/" + s.id), s.address, s.identifier, s.accounts.map(a => a.number + " " + a.system_label).join(", "), status]);
    tr.dataset.id = s.id;
    return tr;
  }));
}

// loadStaff lists the account manager's office staff, their rights and
// whether each receives the morning report.
async function loadStaff() {
  const [d, rcpt] = await Promise.all([api("GET", "/portal/api/users"), api("GET", "/portal/api/report-recipients")]);
  const reportTo = {};
  for (const r of rcpt.items) if (r.kind === "portal_user") reportTo[r.id] = r.email;
  const staffAction = async (path, body) => {
    $("staff-error").textContent = "";
    try { await api("PUT", path, body); await loadStaff(); } catch (e) { $("staff-error").textContent = e.message; }
  };
  $("staff").tBodies[0].replaceChildren(...d.items.filter(u => u.kind === "staff").map(u => {
    const report = document.createElement("span");
    report.textContent = reportTo[u.id] || "no";
    if (reportTo[u.id]) {
      report.append(" ", button("Stop report", () => staffAction("/portal/api/users/" + u.id + "/report", { report: false })));
    }
    const tr = row([u.username + (u.disabled ? " (disabled)" : ""), u.full_name, (u.rights || []).map(r => rights[r] || r).join(", ") || "nothing (read only)",
      report, u.created_by, button(u.disabled ? "Enable" : "Disable", () => staffAction("/portal/api/users/" + u.id, { disabled: !u.disabled }))]);
    tr.dataset.user = u.username;
    return tr;
  }));
}

// loadReports lists the stored morning reports, who wrote and who last
// changed each, its annotation, and what the user's rights allow: annotate
// (a mailed report cannot change; a note on it can) and delete.
async function loadReports() {
  const reps = await api("GET", "/portal/api/reports");
  const act = async (method, path, body) => {
    $("reports-error").textContent = "";
    try { await api(method, path, body); await loadReports(); } catch (e) { $("reports-error").textContent = e.message; }
  };
  $("reports").replaceChildren(...reps.items.map(r => {
    const li = document.createElement("li");
    li.dataset.report = r.id;
    li.appendChild(link(r.night + ": " + r.subject, "/portal/api/reports/" + r.id));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(link("download", "/portal/api/reports/" + r.id + "?download=1"));
    const by = document.createElement("small");
    by.className = "report-by";
    by.textContent = " — written by " + r.created_by + (r.updated_by !== r.created_by ? ", last changed by " + r.updated_by + " " + when(r.updated_at) : "");
    li.appendChild(by);
    if (r.annotation) {
      const note = document.createElement("p");
      note.className = "annotation";
      note.textContent = "Note: " + r.annotation;
      li.appendChild(note);
    }
    if (may("reports")) {
      const f = document.createElement("form");
      f.className = "annotate-form";
      const t = document.createElement("input");
      t.className = "annotation-text"; t.placeholder = "Note on this report"; t.value = r.annotation || "";
      const b = document.createElement("button");
      b.type = "submit"; b.className = "annotate"; b.textContent = "Save note";
      f.append(t, b);
      f.addEventListener("submit", ev => { ev.preventDefault(); act("PUT", "/portal/api/reports/" + r.id + "/annotation", { annotation: t.value }); });
      li.appendChild(f);
    }
    if (may("reports.delete")) {
      // Two clicks: the first asks, the second deletes.
      const del = button("Delete", () => {
        if (del.dataset.armed) return act("DELETE", "/portal/api/reports/" + r.id);
        del.dataset.armed = "1"; del.textContent = "Really delete this report?";
      });
      del.className = "delete-report";
      li.appendChild(del);
    }
    return li;
  }));
}

// loadMyReport shows whether the user receives the morning report, for
// users of a customer (site and installer users get none).
async function loadMyReport() {
  const m = await api("GET", "/portal/api/me/report");
  $("report-me").hidden = !m.available;
  $("report-on").checked = m.report;
  if (m.email) $("report-email").value = m.email;
  $("report-status").textContent = m.report ? "You receive the morning report at " + m.email + "." : "You do not receive the morning report.";
}

// loadEvent shows one incident or signal: where the morning report links.
async function loadEvent(kind, id) {
  const d = await api("GET", "/portal/api/" + kind + "s/" + id);
  const dl = $("event");
  dl.replaceChildren();
  const add = (k, v) => { if (v) { const dt = document.createElement("dt"); dt.textContent = k; const dd = document.createElement("dd"); dd.textContent = v; dl.append(dt, dd); } };
  if (kind === "incident") {
    $("event-title").textContent = d.title;
    add("Opened", when(d.opened_at)); add("Status", d.status + (d.resolution_code ? " (" + d.resolution_code + ")" : ""));
    add("Account", d.account); add("Signals", d.signal_count);
    $("event-log").tBodies[0].replaceChildren(...d.actions.map(a => row([when(a.at), a.user_name,
      a.action + (a.detail && a.detail.note ? ": " + a.detail.note : "")])));
  } else {
    $("event-title").textContent = d.description || (d.format + " " + d.event_code);
    add("Received", when(d.received_at)); add("Account", d.account);
    add("Zone", d.zone + (d.zone_description ? " " + d.zone_description : "")); add("User", d.user); add("Text", d.text);
    $("event-log").tBodies[0].replaceChildren(...(d.notes || []).map(n => row([when(n.at), n.user_name, "note: " + n.note])));
  }
}

async function loadSite() {
  const id = state.site;
  const sites = await api("GET", "/portal/api/sites");
  const s = sites.items.find(x => x.id === id);
  if (!s) { $("site-error").textContent = "no such site"; return; }
  $("site-name").textContent = s.name;
  $("site-status").textContent = s.on_test.length ? "On test until " + when(s.on_test[0].ends_at) + " (" + s.on_test[0].reason + ")" : "In service";
  const incs = await api("GET", "/portal/api/incidents?site_id=" + id + "&since=720h");
  $("incidents").tBodies[0].replaceChildren(...incs.items.map(i => row([when(i.opened_at), i.title, i.status + (i.resolution_code ? " (" + i.resolution_code + ")" : ""),
    i.actions.filter(a => a.detail && a.detail.note).map(a => a.user_name + ": " + a.detail.note).join(" · ")])));
  const sigs = await api("GET", "/portal/api/signals?site_id=" + id + "&since=168h");
  $("signals").tBodies[0].replaceChildren(...sigs.signals.map(g => row([when(g.received_at), g.description,
    g.zone + (g.zone_description ? " " + g.zone_description : ""), media(g.modifiers), g.test ? "test" : "",
    (g.notes || []).map(n => n.user_name + ": " + n.note).join(" · ")])));
  const testRows = [];
  for (const t of s.on_test) {
    const acct = s.accounts.find(a => a.id === t.account_id);
    const res = await api("GET", "/portal/api/accounts/" + t.account_id + "/test-results?from=24h");
    testRows.push(row([acct ? acct.number : t.account_id, t.scope, when(t.ends_at), t.reason, t.authorised_by,
      res.signals.map(g => g.event_code + (g.zone ? " zone " + g.zone : "")).join(", ") || "none yet",
      tester() ? button("End test", () => siteAction("POST", "/portal/api/accounts/" + t.account_id + "/tests/off", { test_id: t.id })) : ""]));
  }
  $("tests").tBodies[0].replaceChildren(...testRows);
  // Technicians and account managers put a system on test from here.
  $("test-form").hidden = !tester() || !s.accounts.length;
  const chosen = $("test-account").value;
  $("test-account").replaceChildren(...s.accounts.map(a => { const o = document.createElement("option"); o.value = a.id; o.textContent = a.number + " " + a.system_label; return o; }));
  if (chosen) $("test-account").value = chosen;
  // Notes: editable with the notes right; unsaved edits survive the refresh.
  if (!state.notesDirty) $("site-notes").value = s.notes || "";
  $("site-notes").readOnly = !may("notes");
  $("notes-save").hidden = !may("notes");
  $("notes-by").textContent = "last changed by " + s.updated_by;
  await loadSchedules(s);
  const cl = await api("GET", "/portal/api/sites/" + id + "/call-list");
  $("call-list").tBodies[0].replaceChildren(...cl.items.map(p => row([p.position, p.name, p.role, (p.phones || []).join(", "), p.updated_by,
    may("call_list.delete") ? button("Remove", () => removeContact(p)) : ""])));
  $("contact-form").hidden = !may("call_list");
}

// Schedules: each system's week (area "" only: the account's; windows of
// the panel's own areas are kept as they are when the week is saved).
const weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
function ranges(ws) { return ws.map(w => w.opens + "-" + w.closes).join(", "); }
function dayWindows(sch, day) { return sch.windows.filter(w => w.area === "" && w.day === day); }
function weekText(sch) {
  return weekdays.filter(d => dayWindows(sch, d).length).map(d => d.slice(0, 3) + " " + ranges(dayWindows(sch, d))).join("; ") || "closed every day";
}
function daysText(sch) { return sch.days.map(d => d.date + " " + (d.closed ? "closed" : d.opens + "-" + d.closes)).join("\n"); }

async function loadSchedules(s) {
  state.schedules = {};
  const rows = [];
  for (const a of s.accounts) {
    let sch = null;
    try { sch = await api("GET", "/portal/api/accounts/" + a.id + "/schedule"); } catch (e) { if (!/no schedule/.test(e.message)) throw e; }
    state.schedules[a.id] = sch;
    rows.push(row([a.number + " " + a.system_label, sch ? weekText(sch) : "no schedule", sch ? daysText(sch).replaceAll("\n", "; ") : "",
      sch ? sch.open_grace_minutes + " / " + sch.close_grace_minutes + " min" : "",
      sch ? sch.states.map(x => (x.area ? "area " + x.area + " " : "") + (x.open ? "open" : "closed") + " since " + when(x.since)).join(", ") : "",
      sch ? sch.updated_by + ", " + when(sch.updated_at) : ""]));
  }
  $("schedules").tBodies[0].replaceChildren(...rows);
  $("schedule-form").hidden = !may("schedules") || !s.accounts.length;
  const chosen = $("schedule-account").value;
  $("schedule-account").replaceChildren(...s.accounts.map(a => { const o = document.createElement("option"); o.value = a.id; o.textContent = a.number + " " + a.system_label; return o; }));
  if (chosen) $("schedule-account").value = chosen;
  if (!state.scheduleDirty) fillScheduleForm();
}

// fillScheduleForm shows the chosen system's schedule in the editor.
function fillScheduleForm() {
  const sch = state.schedules[Number($("schedule-account").value)];
  $("schedule-week").tBodies[0].replaceChildren(...weekdays.map(d => {
    const input = document.createElement("input");
    input.id = "schedule-" + d; input.size = 28; input.placeholder = "closed";
    input.value = sch ? ranges(dayWindows(sch, d)) : "";
    input.addEventListener("input", () => { state.scheduleDirty = true; });
    return row([d[0].toUpperCase() + d.slice(1), input]);
  }));
  $("schedule-zone").textContent = sch ? " (" + sch.time_zone + ")" : "";
  $("schedule-open-grace").value = sch ? sch.open_grace_minutes : 15;
  $("schedule-close-grace").value = sch ? sch.close_grace_minutes : 15;
  $("schedule-days").value = sch ? daysText(sch) : "";
}

// saveSchedule sends the editor's week and days; the server checks them
// and names the field that is wrong.
async function saveSchedule(ev) {
  ev.preventDefault();
  $("schedule-error").textContent = "";
  for (const i of $("schedule-week").querySelectorAll("input")) i.removeAttribute("aria-invalid");
  const id = Number($("schedule-account").value);
  const old = state.schedules[id];
  const windows = old ? old.windows.filter(w => w.area !== "") : [];
  for (const d of weekdays) {
    for (const part of $("schedule-" + d).value.split(",").map(x => x.trim()).filter(x => x)) {
      const [opens, closes] = part.split("-").map(x => x.trim());
      windows.push({ area: "", day: d, opens: opens || "", closes: closes || "" });
    }
  }
  const days = $("schedule-days").value.split("\n").map(x => x.trim()).filter(x => x).map(line => {
    const [date, rest] = [line.slice(0, line.indexOf(" ") < 0 ? line.length : line.indexOf(" ")), line.slice(line.indexOf(" ") + 1).trim()];
    if (rest === "closed" || rest === date) return { area: "", date, closed: true };
    const [opens, closes] = rest.split("-").map(x => x.trim());
    return { area: "", date, opens: opens || "", closes: closes || "" };
  });
  try {
    await api("PUT", "/portal/api/accounts/" + id + "/schedule", { open_grace_minutes: Number($("schedule-open-grace").value),
      close_grace_minutes: Number($("schedule-close-grace").value), windows, days: (old ? old.days.filter(d => d.area !== "") : []).concat(days) });
    state.scheduleDirty = false;
    await loadSite();
  } catch (e) {
    // The field the server names is marked: a weekday's window at its day.
    const m = /^windows\[(\d+)\]/.exec(e.field);
    const w = m && windows[Number(m[1])];
    if (w && w.area === "") {
      $("schedule-" + w.day).setAttribute("aria-invalid", "true");
      $("schedule-" + w.day).focus();
      $("schedule-error").textContent = w.day[0].toUpperCase() + w.day.slice(1) + ": " + e.message.replace(/^windows\[\d+\]\.\w+: /, "");
      return;
    }
    $("schedule-error").textContent = e.message;
  }
}

// loadVisits lists the technician visits the user sees: a technician its
// own, with start and end; an installer's manager its technicians', with
// end, cancel and a form to schedule one; a client those at its sites.
async function loadVisits() {
  const d = await api("GET", "/portal/api/visits");
  const items = d.items.sort((a, b) => new Date(a.from) - new Date(b.from));
  $("visits").tBodies[0].replaceChildren(...items.map(v => {
    const actions = document.createElement("span");
    actions.append(...visitButtons(v, loadVisits));
    const tr = row([link(when(v.from) + " – " + when(v.until), "#/visit/" + v.id), v.site_name, systems(v), v.purpose,
      v.technician_name || v.technician, visitStatus(v), actions]);
    tr.dataset.id = v.id;
    return tr;
  }));
  $("visits-section").hidden = !items.length && !installerManager() && state.user.kind !== "technician";
  $("visit-form").hidden = !installerManager();
  if (installerManager() && !state.visitForm) await fillVisitForm();
}

function systems(v) { return v.systems.map(x => x.number + " " + x.system_label).join(", "); }

function visitStatus(v) {
  if (v.status === "ended" && v.end_reason === "expired") return v.started_at ? "ended (its window ran out)" : "not started (its window ran out)";
  return v.status === "open" ? "OPEN: systems on test" : v.status;
}

// visitButtons are the steps the user may take: the visit's technician
// starts and ends it; the installer's manager ends or cancels it.
function visitButtons(v, reload) {
  const mine = state.user.kind === "technician" && v.technician_user_id === state.user.id;
  const out = [];
  const add = (text, step, cls) => { const b = button(text, () => visitStep(v, step, reload)); b.className = cls; out.push(b); };
  if (v.status === "scheduled" && mine) add("Start visit", "start", "visit-start");
  if (v.status === "open" && (mine || installerManager())) add("End visit", "end", "visit-end");
  if (v.status === "scheduled" && installerManager()) add("Cancel", "cancel", "visit-cancel");
  return out;
}

// visitStep starts, ends or cancels a visit; a started visit opens its
// page, where the site's signals come in.
async function visitStep(v, step, reload) {
  for (const e of ["visit-error", "visit-page-error"]) $(e).textContent = "";
  try {
    await api("POST", "/portal/api/visits/" + v.id + "/" + step);
    if (step === "start" && location.hash !== "#/visit/" + v.id) { location.hash = "#/visit/" + v.id; return; }
    await reload();
  } catch (e) { $(location.hash.startsWith("#/visit/") ? "visit-page-error" : "visit-error").textContent = e.message; }
}

// fillVisitForm offers the installer's sites, their systems and its
// technicians; once per visit of the page, so a refresh keeps the input.
async function fillVisitForm() {
  state.visitForm = true;
  const opt = (value, text) => { const o = document.createElement("option"); o.value = value; o.textContent = text; return o; };
  $("visit-site").replaceChildren(...state.sites.map(s => opt(s.id, s.name)));
  const users = await api("GET", "/portal/api/users");
  $("visit-technician").replaceChildren(...users.items.filter(u => u.kind === "technician" && !u.disabled).map(u => opt(u.id, u.full_name || u.username)));
  const local = d => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  const now = new Date();
  $("visit-from").value = local(now); $("visit-until").value = local(new Date(now.getTime() + 2 * 3600000));
  visitSystems();
}

function visitSystems() {
  const site = (state.sites || []).find(s => String(s.id) === $("visit-site").value);
  $("visit-systems").replaceChildren(...(site ? site.accounts : []).map(a => {
    const l = document.createElement("label");
    const c = document.createElement("input");
    c.type = "checkbox"; c.value = a.id; c.checked = true;
    l.append(c, " " + a.number + " " + a.system_label + " ");
    return l;
  }));
}

async function scheduleVisit(ev) {
  ev.preventDefault();
  $("visit-error").textContent = "";
  try {
    await api("POST", "/portal/api/visits", { site_id: Number($("visit-site").value), technician_user_id: Number($("visit-technician").value),
      account_ids: [...$("visit-systems").querySelectorAll("input:checked")].map(c => Number(c.value)),
      from: new Date($("visit-from").value).toISOString(), until: new Date($("visit-until").value).toISOString(),
      purpose: $("visit-purpose").value, notes: $("visit-notes").value });
    $("visit-notes").value = "";
    await loadVisits();
  } catch (e) { $("visit-error").textContent = e.message; }
}

// loadVisit shows one visit and, once it has started, the site's signals
// since, each marked as a test result or live.
async function loadVisit() {
  const v = await api("GET", "/portal/api/visits/" + state.visit);
  state.visitSite = v.site_id;
  $("visit-title").textContent = "Visit " + v.id + ": " + v.purpose + " at " + v.site_name;
  const dl = $("visit");
  dl.replaceChildren();
  const add = (k, val) => { if (val) { const dt = document.createElement("dt"); dt.textContent = k; const dd = document.createElement("dd"); dd.textContent = val; dl.append(dt, dd); } };
  add("Window", when(v.from) + " – " + when(v.until)); add("Systems", systems(v)); add("Technician", v.technician_name || v.technician);
  add("Status", visitStatus(v)); add("Notes", v.notes); add("Scheduled by", v.created_by);
  add("Started", v.started_at ? when(v.started_at) + " by " + v.started_by : ""); add("Ended", v.ended_at ? when(v.ended_at) + " by " + v.ended_by : "");
  $("visit-actions").replaceChildren(...visitButtons(v, loadVisit));
  $("visit-live").textContent = v.status === "open" ? "Its systems are on test: their signals are test results, shown as they arrive." :
    v.started_at ? "" : "The site's signals show here once the visit has started.";
  if (!v.started_at) { $("visit-signals").tBodies[0].replaceChildren(); return; }
  const sigs = await api("GET", "/portal/api/signals?site_id=" + v.site_id + "&since=" + encodeURIComponent(v.started_at));
  const end = v.ended_at ? new Date(v.ended_at) : null;
  $("visit-signals").tBodies[0].replaceChildren(...sigs.signals.filter(g => !end || new Date(g.received_at) <= end).reverse().map(g =>
    row([when(g.received_at), g.account, g.description || g.event_code, g.zone + (g.zone_description ? " " + g.zone_description : ""), g.test ? "test" : "LIVE"])));
}

function tester() { return state.user.kind === "technician" || state.user.kind === "manager"; }

// siteAction changes something of the site and shows the page again.
async function siteAction(method, path, body) {
  $("site-error").textContent = "";
  try {
    await api(method, path, body);
    await loadSite();
  } catch (e) { $("site-error").textContent = e.message; }
}

function removeContact(p) { return siteAction("DELETE", "/portal/api/call-list/" + p.id); }

function startTest(ev) {
  ev.preventDefault();
  return siteAction("POST", "/portal/api/accounts/" + $("test-account").value + "/tests",
    { duration: $("test-duration").value, reason: $("test-reason").value }).then(() => { $("test-reason").value = ""; });
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", async ev => {
    ev.preventDefault();
    $("login-error").textContent = "";
    const resp = await fetch("/portal/api/login", { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ identifier: $("identifier").value, username: $("username").value, password: $("password").value }) });
    const data = await resp.json();
    if (!resp.ok) { $("login-error").textContent = data.error; return; }
    state.user = data.user; state.csrf = data.csrf_token;
    $("whoami").textContent = data.user.username + " (" + data.user.kind + ")";
    $("password").value = "";
    route(); // to the page asked for: a morning report's link survives the log-in
  });
  $("logout").addEventListener("click", async () => {
    try { await api("POST", "/portal/api/logout"); } catch (e) {}
    clearInterval(state.timer);
    if (state.live) { state.live.close(); state.live = null; }
    state.user = null;
    // Nothing of this user stays in the page for the next one.
    for (const tb of document.querySelectorAll("tbody")) tb.replaceChildren();
    $("reports").replaceChildren(); $("site-notes").value = ""; $("event").replaceChildren(); $("visit").replaceChildren();
    $("report-email").value = ""; $("report-on").checked = false; $("report-status").textContent = "";
    history.replaceState(null, "", "#/");
    show("login");
  });
  $("contact-form").addEventListener("submit", async ev => {
    ev.preventDefault();
    $("site-error").textContent = "";
    try {
      await api("POST", "/portal/api/sites/" + state.site + "/call-list", { position: Number($("contact-position").value),
        name: $("contact-name").value, phones: $("contact-phone").value ? [$("contact-phone").value] : [] });
      $("contact-name").value = ""; $("contact-phone").value = "";
      await loadSite();
    } catch (e) { $("site-error").textContent = e.message; }
  });
  $("site-notes").addEventListener("input", () => { state.notesDirty = true; });
  $("test-form").addEventListener("submit", startTest);
  $("schedule-form").addEventListener("submit", saveSchedule);
  $("schedule-account").addEventListener("change", () => { state.scheduleDirty = false; fillScheduleForm(); });
  for (const id of ["schedule-open-grace", "schedule-close-grace", "schedule-days"]) $(id).addEventListener("input", () => { state.scheduleDirty = true; });
  $("visit-form").addEventListener("submit", scheduleVisit);
  $("visit-site").addEventListener("change", visitSystems);
  $("notes-form").addEventListener("submit", async ev => {
    ev.preventDefault();
    $("site-error").textContent = "";
    try {
      await api("PUT", "/portal/api/sites/" + state.site + "/notes", { notes: $("site-notes").value });
      state.notesDirty = false;
      await loadSite();
    } catch (e) { $("site-error").textContent = e.message; }
  });
  for (const [right, label] of Object.entries(rights)) {
    const l = document.createElement("label");
    const c = document.createElement("input");
    c.type = "checkbox"; c.value = right; c.name = "right";
    l.append(c, " " + label);
    $("staff-rights").appendChild(l);
  }
  $("staff-form").addEventListener("submit", async ev => {
    ev.preventDefault();
    $("staff-error").textContent = "";
    try {
      const u = await api("POST", "/portal/api/users", { username: $("staff-username").value, full_name: $("staff-fullname").value,
        password: $("staff-password").value, rights: [...$("staff-rights").querySelectorAll("input:checked")].map(c => c.value) });
      // The new staff user receives the morning report at the address given.
      if ($("staff-report-email").value) await api("PUT", "/portal/api/users/" + u.id + "/report", { report: true, email: $("staff-report-email").value });
      $("staff-username").value = ""; $("staff-fullname").value = ""; $("staff-password").value = ""; $("staff-report-email").value = "";
      for (const c of $("staff-rights").querySelectorAll("input")) c.checked = false;
      await loadStaff();
    } catch (e) { $("staff-error").textContent = e.message; }
  });
  $("report-form").addEventListener("submit", async ev => {
    ev.preventDefault();
    $("report-status").textContent = "";
    try {
      await api("PUT", "/portal/api/me/report", { report: $("report-on").checked, email: $("report-email").value });
      await loadMyReport();
      if (state.user.kind === "manager") await loadStaff();
    } catch (e) { $("report-status").textContent = e.message; }
  });
  $("password-form").addEventListener("submit", async ev => {
    ev.preventDefault();
    $("password-result").textContent = "";
    try {
      await api("POST", "/portal/api/password", { current_password: $("password-current").value, new_password: $("password-new").value });
      $("password-result").textContent = "Password changed.";
    } catch (e) { $("password-result").textContent = e.message; }
    $("password-current").value = ""; $("password-new").value = "";
  });
  window.addEventListener("hashchange", route);
  route();
});
