// The alarmrx operator console: a small single-page client of /api/v1.
// Everything shown comes from the API and is written as text, never as
// HTML, so nothing a panel sends can run in an operator's browser.
import { $, el, row, fill, cells, mediaLinks, client, setClock, fmtTime, timeEl } from "./common.js";
import { Alerts } from "./alerts.js";
import { Records } from "./records.js";
import { History } from "./history.js";
import { drawTrend } from "./graphs.js";
import { Reports } from "./reports.js";

const state = { csrf: "", user: null, view: "", incidentId: 0, accountId: 0, queue: null, dashPrev: null, timers: [], selected: 0, zone: "" };
const api = client(() => state.csrf, () => showLogin());
const alerts = new Alerts("alarmrx console");
let records = null, historyPage = null, reportsPage = null;

function pri(p) { return el("span", p, "pri p" + p); }

function fmtAge(seconds) {
  seconds = Math.max(0, Math.floor(seconds));
  const h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
  return (h ? h + "h " : "") + (h || m ? m + "m " : "") + s + "s";
}

function show(view) {
  for (const v of ["login", "queue", "incident", "dashboard", "clients", "signals", "log", "records", "history", "reports"]) $("view-" + v).hidden = v !== view;
  $("nav").hidden = view === "login";
  state.view = view;
}

function showLogin() {
  show("login");
  $("username").focus();
}

async function route() {
  for (const t of state.timers) clearInterval(t);
  state.timers = [];
  if (!state.user) {
    try {
      signedIn(await api("GET", "/api/v1/me"));
    } catch (e) { return; }
  }
  const hash = location.hash || "#/queue";
  const m = hash.match(/^#\/incident\/(\d+)$/);
  if (m) { state.incidentId = Number(m[1]); show("incident"); return loadIncident(true); }
  if (hash === "#/clients") { show("clients"); return loadClients(); }
  if (hash.startsWith("#/reports")) {
    show("reports");
    if (!reportsPage) reportsPage = new Reports(api, p => alerts.label(p));
    return reportsPage.route(hash);
  }
  if (hash.startsWith("#/history")) {
    show("history");
    if (!historyPage) historyPage = new History(api);
    return historyPage.route(hash);
  }
  if (hash.startsWith("#/records")) {
    show("records");
    if (!records) records = new Records(api, () => state.csrf);
    return records.route(hash);
  }
  if (hash === "#/signals") { show("signals"); return loadSignals(); }
  if (hash === "#/log") { show("log"); startLog(); state.timers.push(setInterval(tailLog, 1000)); return; }
  if (hash === "#/dashboard") {
    show("dashboard");
    loadDashboard().then(loadTrend);
    state.timers.push(setInterval(loadDashboard, 2000), setInterval(loadTrend, 10000));
    return;
  }
  show("queue");
  await loadQueue();
}

// signedIn takes the session (from /me or the login) and the station's
// console settings.
function signedIn(me) {
  state.user = me.user; state.csrf = me.csrf_token || "";
  $("whoami").textContent = state.user.username + " (" + state.user.role + ")";
  $("nav-clients").hidden = state.user.role !== "admin";
  $("nav-log").hidden = state.user.role === "operator";
  $("nav-records").hidden = state.user.role === "operator";
  $("nav-reports").hidden = state.user.role === "operator";
  if (me.console) { setClock(me.console.clock); alerts.setLabels(me.console.priority_labels); }
  connectEvents();
  if (!state.ageTimer) state.ageTimer = setInterval(renderAges, 1000);
}

// loadQueue reads the queue on every change, whichever page is open: the
// title and the sound follow it everywhere. Changes that come while a read
// is under way are read once more after it.
let queueLoading = null, queueAgain = false;
function loadQueue() {
  if (queueLoading) { queueAgain = true; return queueLoading; }
  queueLoading = (async () => {
    try {
      do {
        queueAgain = false;
        state.queue = await api("GET", "/api/v1/queue");
        alerts.update(state.queue.queue);
        drawQueue();
      } while (queueAgain);
    } finally { queueLoading = null; }
  })();
  return queueLoading;
}

// drawQueue draws the queue: each row in its priority's colour (fire red,
// hold-up and medical their own, troubles muted), its age in a badge.
function drawQueue() {
  const q = state.queue;
  $("queue-count").textContent = q.queue.length + " open, " + q.held.length + " on hold";
  if (state.selected && !q.queue.some(i => i.id === state.selected)) state.selected = 0;
  fill($("queue-table").tBodies[0], q.queue.map(i => {
    const title = el("span", i.title);
    if (i.escalated_at && !i.claimed_by) title.append(" ", el("b", "unattended: supervisors told", "escalated"));
    const tr = row([pri(i.priority), el("span", "", "age"), title, i.receiver + "/" + i.account, i.site_name || "unknown",
      i.signal_count + (i.restored ? " (restored)" : ""), i.claimed_by_name || "—"]);
    tr.className = "prio prio-" + i.priority + (i.claimed_by ? " claimed" : "") + (i.id === state.selected ? " selected" : "");
    tr.title = alerts.label(i.priority);
    tr.dataset.id = i.id;
    tr.dataset.opened = i.opened_at;
    tr.dataset.claimed = i.claimed_by ? "1" : "";
    tr.addEventListener("click", () => { location.hash = "#/incident/" + i.id; });
    return tr;
  }));
  fill($("held-table").tBodies[0], q.held.map(i => {
    const tr = row([pri(i.priority), timeEl(i.held_until), i.title, i.receiver + "/" + i.account, i.site_name || "unknown", i.signal_count,
      i.claimed_by_name || "—"]);
    tr.className = "prio prio-" + i.priority + " held";
    tr.dataset.id = i.id;
    tr.addEventListener("click", () => { location.hash = "#/incident/" + i.id; });
    return tr;
  }));
  renderAges();
  // Supervisors see the incidents left unattended past their priority's
  // time above the queue, and a browser notification when they allowed it.
  const late = q.queue.filter(i => i.escalated_at && !i.claimed_by);
  const supervisor = state.user && (state.user.role === "supervisor" || state.user.role === "admin");
  $("escalations").hidden = !supervisor || late.length === 0;
  $("escalations").textContent = late.length ? late.length + " unattended past their priority's time: " +
    late.map(i => "#" + i.id + " " + i.title + " (priority " + i.priority + ")").join("; ") : "";
  if (supervisor && window.Notification && Notification.permission === "granted") {
    state.notified = state.notified || {};
    for (const i of late) {
      if (!state.notified[i.id]) { state.notified[i.id] = true; new Notification("Unattended incident #" + i.id, { body: i.title }); }
    }
  }
}

// renderAges ages the queue every second in each row's badge: amber after
// age_warn, red after age_critical while nobody has claimed the incident.
// The row keeps its priority's colour.
function renderAges() {
  const q = state.queue;
  if (!q || state.view !== "queue") return;
  const now = Date.now();
  for (const tr of $("queue-table").tBodies[0].rows) {
    const age = (now - new Date(tr.dataset.opened).getTime()) / 1000;
    const badge = tr.cells[1].firstChild;
    badge.textContent = fmtAge(age);
    const unclaimed = !tr.dataset.claimed;
    badge.className = "age" + (unclaimed && age >= q.age_critical_seconds ? " age-critical"
      : unclaimed && age >= q.age_warn_seconds ? " age-warn" : "");
  }
}

// loadIncident draws an incident. Opening it only shows it: the Claim
// button, or the first step an operator takes on it (a note, a call…),
// claims it, so that a supervisor looking around takes nothing.
async function loadIncident(opening) {
  const id = state.incidentId;
  if (opening) {
    // A new incident page starts with empty forms.
    for (const f of ["note-text", "resolve-note", "call-contact", "dispatch-to", "dispatch-case", "cancel-to", "cancel-reason", "notify-to", "hold-priority", "zone-number", "zone-description", "zone-type"]) $(f).value = "";
    state.planStep = null;
    $("zone-form").hidden = true;
    $("incident-error").textContent = "";
  }
  const d = await api("GET", "/api/v1/incidents/" + id);
  if (id !== state.incidentId) return; // another incident was opened meanwhile
  state.incident = d.incident;
  const i = d.incident;
  // Times are the site's (unknown accounts: this browser's), UTC on hover.
  const zone = state.zone = d.site ? d.site.time_zone : "";
  $("incident-priority").textContent = i.priority;
  $("incident-priority").className = "pri p" + i.priority;
  $("incident-priority").title = alerts.label(i.priority);
  $("incident-title").textContent = i.title;
  $("incident-status").textContent = i.status + (i.held_until ? " (on hold until " + fmtTime(i.held_until, zone) + ")" : "");
  $("incident-claim").textContent = i.claimed_by_name ? "claimed by " + i.claimed_by_name : "unclaimed";
  $("incident-opened").replaceChildren(timeEl(i.opened_at, zone));
  const mine = state.user && i.claimed_by_name === state.user.username;
  const open = i.status === "open";
  $("claim").hidden = !open || !!i.claimed_by_name;
  $("take-over").hidden = !open || !i.claimed_by_name || mine;
  $("release").hidden = !open || !mine;
  for (const f of ["note-form", "call-form", "dispatch-form", "cancel-form", "notify-form", "hold-form", "resolve-form"]) $(f).hidden = i.status !== "open";

  const site = $("site");
  site.replaceChildren();
  const add = (k, v) => { if (v) { site.appendChild(el("dt", k)); site.appendChild(el("dd", v)); } };
  if (d.site) {
    add("Site", d.site.name); add("Address", d.site.address); add("Time zone", d.site.time_zone);
    add("Identifier", d.site.identifier); add("Notes", d.site.notes);
  } else {
    add("Site", "unknown account " + i.receiver + "/" + i.account);
  }
  if (d.customer) add("Customer", d.customer.name);
  // The alarm permit many cities require, and the false alarms a city
  // counts against it.
  if (d.permit) {
    const days = Math.floor((new Date(d.permit.expires + "T23:59:59") - Date.now()) / 86400e3);
    add("Alarm permit", d.permit.number + ", expires " + d.permit.expires + (days < 0 ? " (EXPIRED)" : days <= 30 ? " (in " + days + " days)" : ""));
  } else if (d.site) {
    add("Alarm permit", "none on file");
  }
  if (d.false_alarms) add("False alarms (12 months)", d.false_alarms.count + (d.false_alarms.threshold ? " of " + d.false_alarms.threshold : ""));
  if (d.account) add("Account", d.account.receiver + "/" + d.account.number + " (" + d.account.system_type + ")");

  // Each system of the site with who installed it (its own installer, or
  // the site's) and the technician who looks after it.
  const who = p => p ? p.name + (p.phone ? " " + p.phone : "") : "—";
  fill($("systems").tBodies[0], (d.systems || []).map(x => row([x.receiver + "/" + x.number, x.system_label,
    who(x.installer) + (x.installer_from === "site" ? " (site's installer)" : ""), who(x.technician)])));
  fill($("call-list").tBodies[0], d.responding_parties.map(p => row([p.position, p.name, p.role, (p.phones || []).join(", ")])));
  fill($("authorities").tBodies[0], d.authorities.map(a => row([a.kind, a.name, (a.phones || []).join(", ")])));
  fill($("zones").tBodies[0], d.zones.map(z => row([z.number, z.description, z.type])));
  // Zones the account's signals name that are not programmed; an admin
  // adds one with its number filled in.
  state.accountId = d.account ? d.account.id : 0;
  const admin = state.user && state.user.role === "admin";
  const unprogrammed = d.unprogrammed_zones || [];
  $("unprogrammed-zones").hidden = unprogrammed.length === 0;
  if (unprogrammed.length === 0) $("zone-form").hidden = true;
  fill($("unprogrammed").tBodies[0], unprogrammed.map(z => {
    let add = admin ? "" : "an admin adds it";
    if (admin && state.accountId) {
      add = el("button", "Add zone", "add-zone");
      add.type = "button";
      add.dataset.zone = z.zone;
      add.addEventListener("click", () => {
        $("zone-number").value = z.zone;
        $("zone-form").hidden = false;
        $("zone-description").focus();
      });
    }
    return row([z.zone, timeEl(z.first_signal_at, zone), timeEl(z.last_signal_at, zone), z.signals, add]);
  }));
  $("contacts").replaceChildren(...d.responding_parties.map(p => { const o = el("option"); o.value = p.name; return o; }));
  // A passcode is checked against a call-list entry that has one; the
  // server compares it and never sends one back.
  const withCode = d.responding_parties.filter(p => p.has_passcode);
  $("passcode-form").hidden = withCode.length === 0;
  const parties = $("passcode-party");
  if (parties.options.length !== withCode.length) {
    parties.replaceChildren(...withCode.map(p => { const o = el("option", p.name); o.value = p.id; return o; }));
  }
  // Dispatch goes to an authority (police, fire, medical, guard) or to a
  // guard or patrol company on the call list.
  const sendable = [...d.authorities.map(a => a.kind + ": " + a.name),
    ...d.responding_parties.filter(p => p.role === "guard").map(p => "guard: " + p.name)];
  $("agencies").replaceChildren(...sendable.map(v => { const o = el("option"); o.value = v; return o; }));

  showPlan(d);
  // Temporary instructions, above the plan: the site's and the account's.
  // A site under a technician's hands: which accounts, zones or
  // categories are on test, until when, and why.
  const tests = d.on_test || [];
  $("incident-on-test").hidden = tests.length === 0;
  $("incident-on-test").replaceChildren(...tests.map(t => {
    const p = el("p");
    p.append(el("b", "ON TEST", "on-test-flag"), " " + t.receiver + "/" + t.account + ": " +
      (t.scope === "zones" ? "zones " + (t.zones || []).join(", ") : t.scope === "categories" ? (t.categories || []).join(", ") + " signals" : "the whole account") +
      " until ", timeEl(t.ends_at, zone), t.reason ? " — " + t.reason : "", t.authorised_by ? " (asked by " + t.authorised_by + ")" : "");
    return p;
  }));
  $("instructions").replaceChildren(...(d.instructions || []).map(x => {
    const li = el("li", x.text, "instruction");
    li.append(" ", el("small", "until " + fmtTime(x.until, zone) + " · " + x.created_by));
    return li;
  }));
  $("instruction-form").hidden = i.status !== "open" || !d.site;
  state.incidentSite = d.site ? d.site.id : 0;

  const siteZone = zone;
  fill($("signals").tBodies[0], d.signals.map(s => {
    const raw = el("div", s.raw || s.raw_hex, "raw");
    raw.title = s.raw_hex;
    const zone = s.zone ? s.zone + (s.zone_description ? " " + s.zone_description : "") : "";
    // Media links (clip, live, snapshot, portal) sent with XML signals.
    const desc = s.description + (s.text ? " — " + s.text : "") + (s.test ? " (on test)" : "");
    const tr = row([timeEl(s.received_at, siteZone), s.format + " " + s.event_code + " " + s.qualifier, desc, zone, s.role, mediaLinks(s.modifiers), raw]);
    // An encrypted frame's raw bytes say nothing: its data block as
    // decrypted goes beside them.
    if (s.encrypted) {
      const dec = el("div", "AES-encrypted frame; decrypted: ", "decoded");
      dec.append(el("code", s.data_block || (s.format + " " + s.event_code + (s.zone ? " zone " + s.zone : "")), "data-block"));
      tr.cells[6].prepend(dec);
    }
    return tr;
  }));
  fill($("actions").tBodies[0], d.actions.map(a => row([timeEl(a.at, zone), actionWords(a, zone)])));
  const codes = $("resolve-code");
  if (codes.options.length !== d.resolution_codes.length) {
    codes.replaceChildren(...d.resolution_codes.map(c => { const o = el("option", c); o.value = c; return o; }));
  }
}

// actionWords writes an action log entry as a sentence: "ann called Maria
// Keyholder: reached", "alarmrx escalated the incident to the
// supervisors". What the detail holds is the store's; an action this
// console does not know is written with its name and fields.
const callResults = { reached: "reached", no_answer: "no answer", voicemail: "left a voicemail", wrong_number: "wrong number", cancelled: "cancelled" };
const passcodeResults = { passed: "correct", failed: "WRONG", duress: "DURESS" };
function actionWords(a, zone) {
  const d = a.detail || {};
  const who = a.user_name === "system" ? "alarmrx" : a.user_name;
  const plan = d.plan_step ? " (plan step " + d.plan_step + ")" : "";
  const note = d.note ? ": " + d.note : "";
  const min = ns => Math.round(ns / 6e10);
  const said = {
    opened: () => "opened the incident" + (d.code ? " on " + d.code : "") + (d.zone ? ", zone " + d.zone : "") + (d.priority ? ", priority " + d.priority : ""),
    claimed: () => d.from ? "claimed it from " + d.from : "claimed the incident",
    taken_over: () => "took the incident over" + (d.from ? " from " + d.from : ""),
    released: () => "released the incident",
    claim_lapsed: () => (d.user || "the operator") + "'s claim lapsed: nothing done for the claim timeout",
    held: () => "put the incident on hold until " + fmtTime(d.until, zone) + (d.priority ? ", priority " + d.priority : "") + note,
    hold_expired: () => "brought the incident back from hold",
    note: () => "noted: " + (d.note || ""),
    called: () => "called " + d.contact + (d.result ? ": " + (callResults[d.result] || d.result) : "") + plan + note,
    dispatched: () => "dispatched " + d.contact + (d.case_number ? ", case " + d.case_number : "") + plan + note,
    dispatch_cancelled: () => "called off " + d.contact + (d.case_number ? ", case " + d.case_number : "") + note,
    notified: () => "e-mailed " + d.contact + plan + note,
    passcode_checked: () => "checked " + d.contact + "'s passcode: " + (passcodeResults[d.result] || d.result) + plan,
    resolved: () => "resolved the incident as " + String(d.code || "").replaceAll("_", " ") +
      (d.open_steps && d.open_steps.length ? ", with steps left open (" + d.open_steps.join("; ") + ")" : "") + note,
    escalated: () => "escalated the incident to the supervisors: unclaimed " + min(d.unclaimed_for) + " min, past priority " + d.priority + "'s " + min(d.threshold) + " min",
    priority_raised: () => "raised the priority from " + d.from + " to " + d.to + (d.code ? " on " + d.code : ""),
    runaway: () => "marked a runaway: " + (d.code || "") + (d.zone ? " zone " + d.zone : "") + " keeps repeating",
    again: () => "heard the signal again" + (d.remote_addr ? " from " + d.remote_addr : ""),
    restored: () => "saw it restored: " + Object.values(d).join(", "),
    failed_again: () => "saw it fail again: " + Object.values(d).join(", "),
  }[a.action];
  if (said) return who + " " + said();
  const rest = Object.entries(d).map(([k, v]) => k.replaceAll("_", " ") + " " + (typeof v === "object" ? JSON.stringify(v) : v)).join(", ");
  return who + " " + a.action.replaceAll("_", " ") + (rest ? ": " + rest : "");
}

// The action plan: each step with its state. "Log" on a step to do fills
// the form that logs it, and the entry is logged for that step.
const planActions = { call_list: "called", call_premises: "called", call: "called", dispatch: "dispatched",
  verify_passcode: "passcode_check", email: "notified" };
const stepStates = { pending: "to do", in_progress: "in progress", done: "done", expired: "over", info: "" };
function showPlan(d) {
  const plan = d.plan || { plan: null, steps: [] };
  $("plan-name").textContent = plan.plan ? plan.plan.name || plan.plan.match + " " + plan.plan.value : "none";
  $("plan-steps").replaceChildren(...plan.steps.map(s => {
    const li = el("li", null, "step-" + s.state);
    li.dataset.position = s.position;
    let what = stepStates[s.state];
    if (s.progress) what += (what ? ": " : "") + s.progress;
    if (s.done_by) what += " by " + s.done_by;
    if (s.done_at && s.state === "done") what += " at " + fmtTime(s.done_at, state.zone);
    li.append(el("span", s.label, "label"), " ", el("span", what, "state"));
    const action = planActions[s.step.kind];
    if (action && (s.state === "pending" || s.state === "in_progress") && d.incident.status === "open") {
      const b = el("button", "Log", "plan-log");
      b.type = "button";
      b.addEventListener("click", () => pickStep(s, action, d));
      li.append(" ", b);
    }
    if (state.planStep && state.planStep.position === s.position) li.classList.add("chosen");
    return li;
  }));
}

function pickStep(s, action, d) {
  state.planStep = { position: s.position, action };
  for (const li of $("plan-steps").children) li.classList.toggle("chosen", Number(li.dataset.position) === s.position);
  if (action === "called") {
    const party = d.responding_parties.find(p => p.id === s.step.party_id);
    $("call-contact").value = s.step.kind === "call_premises" ? "Premises" : party ? party.name : "";
    $("call-contact").focus();
  } else if (action === "dispatched") {
    const a = d.authorities.find(x => x.kind === s.step.authority);
    $("dispatch-to").value = a ? a.kind + ": " + a.name : s.step.authority;
    $("dispatch-to").focus();
  } else if (action === "notified") {
    $("notify-to").value = s.step.email;
    $("notify-to").focus();
  } else {
    $("passcode-given").focus();
  }
}

// forStep adds the plan step chosen with "Log" to a step of its action.
function forStep(body) {
  if (state.planStep && state.planStep.action === body.action) body.plan_step = state.planStep.position;
  state.planStep = null;
  return body;
}

async function step(body) {
  $("incident-error").textContent = "";
  try {
    const out = await api("POST", "/api/v1/incidents/" + state.incidentId + "/steps", body);
    await loadIncident();
    return out;
  } catch (e) {
    $("incident-error").textContent = e.message;
    return null;
  }
}

// loadClients shows customers, sites and installers with the identifiers
// their portal users log in with, and lets an admin act as a portal user.
async function loadClients() {
  const [cs, ss, is, us] = await Promise.all([
    api("GET", "/api/v1/customers?limit=10000"), api("GET", "/api/v1/sites?limit=10000"),
    api("GET", "/api/v1/installers?limit=10000"), api("GET", "/api/v1/portal-users")]);
  const name = {};
  for (const c of cs.items) name[c.id] = c.name;
  const f = $("client-filter").value.toLowerCase();
  const keep = (...xs) => !f || xs.some(x => String(x || "").toLowerCase().includes(f));
  fill($("clients-customers").tBodies[0], cs.items.filter(c => keep(c.name, c.identifier))
    .map(c => row([c.name, c.parent_id ? name[c.parent_id] : "", c.identifier, c.report_email,
      cells(regenerateButton("customer", c), contactsButton(c))])));
  fill($("clients-sites").tBodies[0], ss.items.filter(s => keep(s.name, s.identifier))
    .map(s => row([s.name, name[s.customer_id], s.identifier, s.address, regenerateButton("site", s)])));
  fill($("clients-installers").tBodies[0], is.items.filter(i => keep(i.name, i.identifier))
    .map(i => row([i.name, i.identifier, i.phone, regenerateButton("installer", i)])));
  fill($("clients-users").tBodies[0], us.items.filter(u => keep(u.username, u.scope)).map(u =>
    row([u.username, u.kind, u.scope, (u.rights || []).join(", "), actAs(u)])));
  const scopes = [...cs.items.map(c => ["customer:" + c.id, "Customer: " + c.name]),
    ...ss.items.map(s => ["site:" + s.id, "Site: " + s.name]), ...is.items.map(i => ["installer:" + i.id, "Installer: " + i.name])];
  const chosen = $("pu-scope").value;
  $("pu-scope").replaceChildren(...scopes.map(([v, label]) => { const o = el("option", label); o.value = v; return o; }));
  if (chosen) $("pu-scope").value = chosen;
}

// contactsButton opens a customer's contacts: roles (billing, HQ viewer…)
// and who receives the morning report, each at their own address.
function contactsButton(c) {
  const b = el("button", "Contacts", "contacts");
  b.type = "button";
  b.addEventListener("click", () => { state.contactsOf = c; loadContacts().catch(e => { $("clients-error").textContent = e.message; }); });
  return b;
}

async function loadContacts() {
  const c = state.contactsOf;
  if (!c) return;
  const [list, rec] = await Promise.all([api("GET", "/api/v1/customer-contacts?customer_id=" + c.id + "&limit=10000"),
    api("GET", "/api/v1/customers/" + c.id + "/report-recipients")]);
  $("contacts-panel").hidden = false;
  $("contacts-title").textContent = "Contacts of " + c.name;
  fill($("customer-contacts").tBodies[0], list.items.map(ct => {
    const mark = el("input"); mark.type = "checkbox"; mark.checked = ct.report; mark.className = "report-mark";
    mark.setAttribute("aria-label", "morning report for " + ct.name);
    mark.addEventListener("change", async () => {
      try { await api("PUT", "/api/v1/customer-contacts/" + ct.id, { ...ct, report: mark.checked }); await loadContacts(); }
      catch (e) { $("clients-error").textContent = e.message; mark.checked = !mark.checked; }
    });
    const del = el("button", "Remove", "contact-remove"); del.type = "button";
    del.addEventListener("click", async () => {
      try { await api("DELETE", "/api/v1/customer-contacts/" + ct.id); await loadContacts(); }
      catch (e) { $("clients-error").textContent = e.message; }
    });
    return row([ct.name, (ct.roles || []).join(", "), ct.email, ct.phone, mark, del]);
  }));
  const to = (rec.items || []).map(r => r.email).join(", ");
  $("contacts-recipients").textContent = rec.fallback ? "No recipient is marked: the report goes to report_email (" + (c.report_email || "none") + ")."
    : "The morning report goes to: " + to + ".";
}

async function addContact(ev) {
  ev.preventDefault();
  $("clients-error").textContent = "";
  const c = state.contactsOf;
  try {
    await api("POST", "/api/v1/customer-contacts", { customer_id: c.id, name: $("ct-name").value, email: $("ct-email").value,
      phone: $("ct-phone").value, roles: $("ct-role").value ? [$("ct-role").value] : [], report: $("ct-report").checked });
    for (const f of ["ct-name", "ct-email", "ct-phone"]) $(f).value = "";
    $("ct-report").checked = false;
    await loadContacts();
  } catch (e) { $("clients-error").textContent = e.message; }
}

// regenerateButton gives a client a new random identifier on a second
// click (its portal users must then be told the new one); audited.
function regenerateButton(kind, rec) {
  const b = el("button", "New identifier", "regenerate");
  b.type = "button";
  b.addEventListener("click", async () => {
    $("clients-error").textContent = "";
    if (!b.dataset.armed) {
      b.dataset.armed = "1"; b.textContent = "Confirm: new identifier for " + rec.name;
      setTimeout(() => { delete b.dataset.armed; b.textContent = "New identifier"; }, 5000);
      return;
    }
    try {
      await api("POST", "/api/v1/" + kind + "s/" + rec.id + "/identifier/regenerate");
      await loadClients();
    } catch (e) { $("clients-error").textContent = e.message; }
  });
  return b;
}

// actAs opens the portal as a portal user. Where the user's scope holds
// several records with their own identifiers (a customer's tree, an
// installer's sites), it first asks which one the portal opens at.
function actAs(u) {
  const cell = el("span");
  const b = el("button", "Act as", "act-as");
  b.type = "button";
  b.addEventListener("click", async () => {
    $("clients-error").textContent = "";
    try {
      const sc = await api("GET", "/api/v1/portal-users/" + u.id + "/scopes");
      if (sc.items.length < 2) return emulate(u, "");
      const sel = el("select", null, "act-at");
      sel.setAttribute("aria-label", "Open the portal at");
      for (const c of sc.items) { const o = el("option", c.kind + ": " + c.name + " (" + c.identifier + ")"); o.value = c.identifier; sel.appendChild(o); }
      const go = el("button", "Open the portal", "act-open");
      go.type = "button";
      go.addEventListener("click", () => emulate(u, sel.value));
      cell.replaceChildren(sel, go);
    } catch (e) { $("clients-error").textContent = e.message; }
  });
  cell.appendChild(b);
  return cell;
}

async function emulate(u, identifier) {
  try {
    await api("POST", "/api/v1/portal-users/" + u.id + "/emulate", identifier ? { identifier } : undefined);
    window.open("/portal/", "_blank", "noopener");
  } catch (e) { $("clients-error").textContent = e.message; }
}

// createPortalUser makes the account manager of a customer, site or
// installer, or a technician of an installer.
async function createPortalUser(ev) {
  ev.preventDefault();
  $("clients-error").textContent = "";
  const scope = $("pu-scope").value;
  try {
    await api("POST", "/api/v1/portal-users", { scope, kind: $("pu-kind").value || (scope.startsWith("installer:") ? "technician" : "manager"),
      username: $("pu-username").value, full_name: $("pu-fullname").value, password: $("pu-password").value });
    $("pu-username").value = ""; $("pu-fullname").value = ""; $("pu-password").value = "";
    await loadClients();
  } catch (e) { $("clients-error").textContent = e.message; }
}

// loadSignals lists the newest signals; those in no incident (logged
// openings, closings, tests) take an operator's note, with who and when.
async function loadSignals() {
  $("signals-error").textContent = "";
  const account = $("signals-account").value.trim();
  const d = await api("GET", "/api/v1/signals?order=desc&limit=500" + (account ? "&account=" + encodeURIComponent(account) : ""));
  const logged = h => h === "logged" || h === "test";
  const list = d.signals.filter(s => !$("signals-logged").checked || logged(s.handling));
  fill($("signal-list").tBodies[0], list.map(s => {
    const zone = s.zone ? s.zone + (s.zone_description ? " " + s.zone_description : "") : "";
    const notes = el("ul", null, "notes");
    for (const n of s.notes || []) notes.appendChild(el("li", n.user_name + " " + fmtTime(n.at) + ": " + n.note));
    let act = "";
    if (logged(s.handling)) {
      act = el("form", null, "note-form");
      const input = el("input");
      input.placeholder = "Note"; input.required = true; input.className = "note-text";
      const b = el("button", "Add note");
      b.type = "submit"; b.className = "note-add";
      act.append(input, b);
      act.addEventListener("submit", async ev => {
        ev.preventDefault();
        $("signals-error").textContent = "";
        try {
          await api("POST", "/api/v1/signals/" + s.id + "/notes", { note: input.value });
          await loadSignals();
        } catch (e) { $("signals-error").textContent = e.message; }
      });
    }
    const tr = row([timeEl(s.received_at), s.receiver + "/" + s.account, s.description || (s.format + " " + s.event_code), zone,
      s.handling + (s.test ? " (on test)" : ""), notes, act]);
    tr.dataset.signal = s.id;
    return tr;
  }));
}

async function loadDashboard() {
  const d = await api("GET", "/api/v1/dashboard");
  const prev = state.dashPrev;
  const dt = prev ? (new Date(d.at) - new Date(prev.at)) / 1000 : 0;
  const rate = (cur, old) => (prev && dt > 0 ? Math.max(0, (cur - (old || 0)) / dt) : 0);
  const sum = o => Object.values(o || {}).reduce((a, b) => a + b, 0);
  const tiles = [];
  for (const [proto, n] of Object.entries(d.signals_by_protocol)) {
    tiles.push([((d.protocol_titles || {})[proto] || proto) + ": signals/s", rate(n, prev && prev.signals_by_protocol[proto]).toFixed(1)]);
  }
  tiles.push(["ACKs/s", rate(d.replies_by_kind.ack || 0, prev && prev.replies_by_kind.ack).toFixed(1)]);
  tiles.push(["NAKs total", d.replies_by_kind.nak || 0]);
  tiles.push(["ACK latency p50 / p99 ms", d.ack_latency_p50_ms.toFixed(1) + " / " + d.ack_latency_p99_ms.toFixed(1)]);
  tiles.push(["receipt→queue p99 ms", d.visible_p99_ms.toFixed(1)]);
  tiles.push(["open incidents", sum(d.queue_by_priority)]);
  tiles.push(["unknown accounts", d.unknown_accounts]);
  tiles.push(["connections", d.connections]);
  tiles.push(["supervision failures", d.supervision_failures === null ? "—" : d.supervision_failures]);
  tiles.push(["runaways", d.runaways]);
  tiles.push(["store", d.store_up === 1 ? "up" : "FAILING"]);
  // A disaster mode groups a storm's signals: say so, and where.
  const where = m => m.scope === "station" ? "station" : m.scope === "receiver" ? "receiver " + m.receiver : "receiver " + m.receiver + " line " + m.line;
  tiles.push(["disaster mode", (d.disaster_modes || []).length ? "ON: " + d.disaster_modes.map(m => where(m) + (m.auto ? " (auto)" : "")).join(", ") : "off"]);
  $("tiles").replaceChildren(...tiles.map(([k, v]) => {
    const t = el("div", null, "tile");
    t.appendChild(el("b", v));
    t.appendChild(el("span", k));
    return t;
  }));
  fill($("dash-queue").tBodies[0], Object.entries(d.queue_by_priority).sort((a, b) => a[0] - b[0]).map(([p, n]) => row([pri(p), n])));
  state.dashPrev = d;
}

// loadTrend draws the last hour's graphs and the lines' states.
async function loadTrend() {
  const d = await api("GET", "/api/v1/dashboard/trend");
  drawTrend(d, (state.dashPrev && state.dashPrev.protocol_titles) || {}, $("graphs"), $("dash-lines").tBodies[0]);
}

// The live signal log: the newest frames, then every frame after them
// once a second, kept to the last 500; shown by listener and result here,
// by account at the server.
const logKeep = 500;
const log = { frames: [], after: 0, started: false, account: "", paused: false, busy: false };
function startLog() {
  log.frames = []; log.after = 0; log.started = false; log.account = $("log-account").value.trim();
  tailLog();
}
async function tailLog() {
  if (log.busy || log.paused || state.view !== "log") return;
  log.busy = true;
  try {
    const acct = log.account ? "&account=" + encodeURIComponent(log.account) : "";
    const d = log.started
      ? await api("GET", "/api/v1/frames?order=asc&limit=500&after_id=" + log.after + acct)
      : await api("GET", "/api/v1/frames?order=desc&limit=200" + acct);
    const got = log.started ? d.frames.reverse() : d.frames;
    log.started = true;
    if (got.length) log.after = Math.max(log.after, ...got.map(f => f.id));
    log.frames = got.concat(log.frames).slice(0, logKeep);
    $("log-error").textContent = "";
    drawLog();
  } catch (e) { $("log-error").textContent = e.message; }
  finally { log.busy = false; }
}
function drawLog() {
  const listener = $("log-listener").value, rejected = $("log-rejected").checked;
  const names = [...new Set(log.frames.map(f => f.listener))].sort();
  const sel = $("log-listener");
  if ([...sel.options].slice(1).map(o => o.value).join("|") !== names.join("|")) {
    sel.replaceChildren(sel.options[0], ...names.map(n => { const o = el("option", n); o.value = n; return o; }));
    sel.value = names.includes(listener) ? listener : "";
  }
  const shown = log.frames.filter(f => (!listener || f.listener === listener) && (!rejected || f.status === "rejected"));
  $("log-count").textContent = shown.length + " of the last " + log.frames.length;
  fill($("log").tBodies[0], shown.map(f => {
    const raw = el("div", f.raw || f.raw_hex, "raw");
    raw.title = f.raw_hex;
    const result = f.status === "rejected" ? "rejected: " + String(f.reason || "").replaceAll("_", " ") : f.status;
    const tr = row([timeEl(f.received_at), f.listener + " (" + f.transport + ")", f.remote_addr, f.account,
      [f.protocol, f.kind, f.encrypted ? "AES" : "", f.sequence ? "seq " + f.sequence : ""].filter(Boolean).join(" "), result, raw]);
    tr.className = "frame-" + f.status;
    return tr;
  }));
}

let events = null;
function connectEvents() {
  if (events) return;
  events = new EventSource("/api/v1/queue/events");
  events.onopen = () => $("live").classList.add("on");
  events.onerror = () => $("live").classList.remove("on");
  events.addEventListener("queue", ev => {
    const e = JSON.parse(ev.data);
    loadQueue().catch(() => {});
    if (state.view === "incident" && (e.incident_id === state.incidentId || e.action === "resync")) loadIncident().catch(() => {});
  });
}

// Keys, ignored while typing in a field: on the queue j/↓ and k/↑ move
// the selection, Enter opens it, c claims it; on an incident c claims,
// n writes a note, r resolves, j opens the next waiting incident, Esc goes
// back to the queue; ? shows the keys.
function onKey(ev) {
  if (ev.ctrlKey || ev.metaKey || ev.altKey || !state.user || state.view === "login") return;
  const t = ev.target;
  if (t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName))) {
    if (ev.key === "Escape") t.blur();
    return;
  }
  const k = ev.key;
  if (k === "?") { $("keys").hidden = !$("keys").hidden; ev.preventDefault(); return; }
  if (state.view === "queue") {
    const rows = state.queue ? state.queue.queue : [];
    const at = rows.findIndex(i => i.id === state.selected);
    if (k === "j" || k === "ArrowDown" || k === "k" || k === "ArrowUp") {
      if (!rows.length) return;
      const down = k === "j" || k === "ArrowDown";
      const next = at < 0 ? 0 : Math.max(0, Math.min(rows.length - 1, at + (down ? 1 : -1)));
      state.selected = rows[next].id;
      drawQueue();
      const tr = $("queue-table").querySelector("tr.selected");
      if (tr) tr.scrollIntoView({ block: "nearest" });
    } else if (k === "Enter" && at >= 0) {
      location.hash = "#/incident/" + state.selected;
    } else if (k === "c" && at >= 0) {
      api("POST", "/api/v1/incidents/" + state.selected + "/steps", { action: "claim" }).then(() => loadQueue()).catch(e => { $("queue-error").textContent = e.message; });
    } else return;
    ev.preventDefault();
  } else if (state.view === "incident") {
    const open = state.incident && state.incident.status === "open";
    if (k === "c" && open && !$("claim").hidden) step({ action: "claim" });
    else if (k === "n" && open) $("note-text").focus();
    else if (k === "r" && open) $("resolve-code").focus();
    else if (k === "j") nextIncident();
    else if (k === "Escape") location.hash = "#/queue";
    else return;
    ev.preventDefault();
  }
}

// nextIncident opens the most urgent incident nobody has claimed, other
// than this one.
function nextIncident() {
  const next = (state.queue ? state.queue.queue : []).find(i => !i.claimed_by && i.id !== state.incidentId);
  if (next) location.hash = "#/incident/" + next.id;
}

// The dark theme, for night shifts: the browser's preference until the
// operator picks one, which this browser keeps.
function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  $("theme").textContent = theme === "dark" ? "Light theme" : "Dark theme";
}
function initialTheme() {
  const kept = localStorage.getItem("alarmrx.theme");
  if (kept === "dark" || kept === "light") return kept;
  return window.matchMedia && matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function soundButton() {
  $("sound").textContent = alerts.armed ? "Sound on" : "Turn sound on";
  $("sound").classList.toggle("on", alerts.armed);
  $("sound").setAttribute("aria-pressed", String(alerts.armed));
}

function notifyButton() {
  const p = window.Notification ? Notification.permission : "denied";
  $("notify").hidden = !window.Notification || p === "granted";
  $("notify").textContent = p === "denied" ? "Notifications blocked" : "Turn notifications on";
  $("notify").disabled = p === "denied";
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", async ev => {
    ev.preventDefault();
    $("login-error").textContent = "";
    try {
      const me = await fetch("/api/v1/login", {
        method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username: $("username").value, password: $("password").value }),
      });
      const data = await me.json();
      if (!me.ok) throw new Error(data.error);
      signedIn(data);
      $("password").value = "";
      if (!location.hash || location.hash === "#/login") location.hash = "#/queue"; else route();
    } catch (e) {
      $("login-error").textContent = e.message;
    }
  });
  $("logout").addEventListener("click", async () => {
    try { await api("POST", "/api/v1/logout"); } catch (e) { /* logged out anyway */ }
    state.user = null;
    if (events) { events.close(); events = null; }
    alerts.update([]);
    showLogin();
  });
  applyTheme(initialTheme());
  $("theme").addEventListener("click", () => {
    const theme = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
    localStorage.setItem("alarmrx.theme", theme);
    applyTheme(theme);
  });
  soundButton();
  $("sound").addEventListener("click", () => { if (alerts.armed) alerts.disarm(); else alerts.arm(); soundButton(); });
  notifyButton();
  $("notify").addEventListener("click", () => Notification.requestPermission().then(notifyButton));
  document.addEventListener("keydown", onKey);
  $("log-filter").addEventListener("submit", ev => { ev.preventDefault(); startLog(); });
  $("log-account").addEventListener("change", startLog);
  $("log-listener").addEventListener("change", drawLog);
  $("log-rejected").addEventListener("change", drawLog);
  $("log-pause").addEventListener("click", () => {
    log.paused = !log.paused;
    $("log-pause").textContent = log.paused ? "Resume" : "Pause";
    $("log-pause").setAttribute("aria-pressed", String(log.paused));
  });
  $("claim").addEventListener("click", () => step({ action: "claim" }));
  $("take-over").addEventListener("click", () => step({ action: "take_over" }));
  $("release").addEventListener("click", () => step({ action: "release" }));
  $("note-form").addEventListener("submit", ev => { ev.preventDefault(); step({ action: "note", note: $("note-text").value }).then(() => { $("note-text").value = ""; }); });
  $("call-form").addEventListener("submit", ev => { ev.preventDefault(); step(forStep({ action: "called", contact: $("call-contact").value, result: $("call-result").value })); });
  $("dispatch-form").addEventListener("submit", ev => {
    ev.preventDefault();
    step(forStep({ action: "dispatched", contact: $("dispatch-to").value, case_number: $("dispatch-case").value })).then(() => { $("dispatch-case").value = ""; });
  });
  $("cancel-form").addEventListener("submit", ev => {
    ev.preventDefault();
    step({ action: "dispatch_cancelled", contact: $("cancel-to").value, note: $("cancel-reason").value }).then(() => { $("cancel-reason").value = ""; });
  });
  $("instruction-form").addEventListener("submit", async ev => {
    ev.preventDefault();
    $("incident-error").textContent = "";
    try {
      // Until the end of the day chosen, in this browser's time.
      const until = new Date($("instruction-until").value + "T23:59:59");
      const body = { text: $("instruction-text").value, until: until.toISOString() };
      if (state.accountId) body.account_id = state.accountId; else body.site_id = state.incidentSite;
      await api("POST", "/api/v1/instructions", body);
      $("instruction-text").value = ""; $("instruction-until").value = "";
      await loadIncident();
    } catch (e) { $("incident-error").textContent = e.message; }
  });
  $("notify-form").addEventListener("submit", ev => { ev.preventDefault(); step(forStep({ action: "notified", contact: $("notify-to").value })).then(() => { $("notify-to").value = ""; }); });
  $("passcode-form").addEventListener("submit", async ev => {
    ev.preventDefault();
    const given = $("passcode-given");
    $("passcode-result").textContent = "";
    const out = await step(forStep({ action: "passcode_check", party_id: Number($("passcode-party").value), passcode: given.value }));
    given.value = "";
    // Duress: answer the caller as if the code were right; the hold-up
    // alarm is raised on its own.
    if (out) $("passcode-result").textContent = { passed: "Passcode correct", failed: "Passcode WRONG",
      duress: out.duress_alarm === "failed" ? "DURESS code: the hold-up alarm could NOT be stored, raise one now. Do not tell the caller."
        : "DURESS code: hold-up alarm raised. Do not tell the caller." }[out.passcode_result] || "";
  });
  $("hold-form").addEventListener("submit", ev => {
    ev.preventDefault();
    const body = { action: "hold", hold_for: Number($("hold-minutes").value) * 60 };
    if ($("hold-priority").value) body.new_priority = Number($("hold-priority").value);
    step(body);
  });
  $("resolve-form").addEventListener("submit", ev => { ev.preventDefault(); step({ action: "resolve", code: $("resolve-code").value, note: $("resolve-note").value }); });
  $("zone-form").addEventListener("submit", async ev => {
    ev.preventDefault();
    $("incident-error").textContent = "";
    try {
      await api("POST", "/api/v1/zones", { account_id: state.accountId, number: $("zone-number").value,
        description: $("zone-description").value, type: $("zone-type").value });
      for (const f of ["zone-number", "zone-description", "zone-type"]) $(f).value = "";
      $("zone-form").hidden = true;
      await loadIncident();
    } catch (e) { $("incident-error").textContent = e.message; }
  });
  $("client-filter").addEventListener("input", () => loadClients().catch(() => {}));
  $("portal-user-form").addEventListener("submit", createPortalUser);
  $("contact-add").addEventListener("submit", addContact);
  $("signals-filter").addEventListener("submit", ev => { ev.preventDefault(); loadSignals().catch(e => { $("signals-error").textContent = e.message; }); });
  window.addEventListener("hashchange", route);
  route();
});
