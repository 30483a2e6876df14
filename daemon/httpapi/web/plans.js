// The record pages' action plans: what an operator is to do, step by
// step, for the incidents a plan applies to (the station's, a site's or an
// account's; any event, a category or one code). The server keeps few
// plans and lists them whole: the built-in ones, the configuration file's
// and those made here; only these can be changed here, the others are
// shown read only and may be copied to a new plan. The most specific plan
// applies to an incident. r is the Records page: its API client, forms,
// rows and field errors.
import { el, row, button, link, timeEl, pickedID } from "./common.js";

// The step kinds, as the store has them, in the words of the console.
const stepKinds = [
  ["call_list", "Call the call list"], ["call_premises", "Call the premises"], ["call", "Call one person"],
  ["verify_passcode", "Verify the passcode"], ["dispatch", "Dispatch an authority"], ["email", "Notify by e-mail"],
  ["wait", "Wait"], ["text", "Instruction (free text)"],
];
const kindText = Object.fromEntries(stepKinds);

const categories = [["fire", "fire"], ["holdup", "hold-up"], ["medical", "medical"], ["burglary", "burglary"], ["alarm", "other alarm"],
  ["trouble", "trouble"], ["tamper", "tamper"], ["schedule", "schedule exception"], ["openclose", "opening/closing"], ["test", "test"],
  ["info", "information"], ["unknown", "unknown code"]];

// The plan's own fields. A field with when is shown while the field it
// names has that value, and is sent as the API's field as (the site or
// account picked is scope_id; the category or code is value).
const planFields = [
  { f: "name", label: "Name", hint: "as operators see it on the incident page" },
  { f: "scope", label: "Applies to", kind: "select", options: [["station", "every account of the station"], ["site", "one site"], ["account", "one account"]] },
  { f: "scope_site", as: "scope_id", when: ["scope", "site"], label: "Site", kind: "ref", ref: "sites" },
  { f: "scope_account", as: "scope_id", when: ["scope", "account"], label: "Account", kind: "ref", ref: "accounts" },
  { f: "match", label: "For", kind: "select", options: [["any", "any event"], ["category", "a category of events"], ["code", "one event code"]] },
  { f: "category", as: "value", when: ["match", "category"], label: "Category", kind: "select", options: categories },
  { f: "code", as: "value", when: ["match", "code"], label: "Code", hint: "such as SIA/BA or CID/130" },
];

// The fields of a step: the kind's own in the details cell, a note on any.
function stepFields(parties) {
  return [
    { f: "kind", label: "Step", kind: "select", options: stepKinds },
    { f: "authority", label: "Authority", kind: "select", options: ["police", "fire", "medical", "guard"], kinds: ["dispatch"], detail: true },
    { f: "party_id", label: "Who", kind: "select", num: true, options: () => parties.options, kinds: ["call"], detail: true },
    { f: "minutes", label: "Minutes", kind: "number", kinds: ["wait"], detail: true },
    { f: "email", label: "Address", kind: "email", kinds: ["email"], detail: true },
    { f: "text", label: "Note, or the instruction", size: 36, placeholder: "such as: ask for the manager" },
  ];
}

function scopeText(p, names) {
  if (p.scope === "station") return "the station";
  return names[p.scope + ":" + p.scope_id] || p.scope + " #" + p.scope_id;
}

function eventText(p) {
  if (p.match === "any") return "any event";
  if (p.match === "category") return (categories.find(c => c[0] === p.value) || [, p.value])[1];
  return p.value;
}

function stepText(s, names) {
  switch (s.kind) {
    case "call": return "call " + (names["party:" + s.party_id] || "#" + s.party_id);
    case "dispatch": return "dispatch " + s.authority;
    case "email": return "e-mail " + s.email;
    case "wait": return "wait " + s.minutes + " min";
    case "text": return "“" + s.text + "”";
  }
  return (kindText[s.kind] || s.kind).toLowerCase();
}

const sources = { default: "built in", config: "configuration file", api: "made here" };

// planHash is where a plan's page is: a stored plan by its id, a built-in
// or configured one (which have none) by its source and match.
function planHash(p) {
  if (p.id) return "#/records/action-plans/" + p.id;
  return "#/records/action-plans/" + p.source + "?match=" + p.match + "&value=" + encodeURIComponent(p.value);
}

// scopeNames reads the names of the sites and accounts the plans apply to,
// and of the people their steps call.
async function scopeNames(r, plans) {
  const out = {};
  const called = plans.flatMap(p => p.steps.filter(s => s.kind === "call").map(s => s.party_id));
  for (const [scope, kind] of [["site", "sites"], ["account", "accounts"], ["party", "responding-parties"]]) {
    const ids = [...new Set(scope === "party" ? called : plans.filter(p => p.scope === scope).map(p => p.scope_id))];
    for (let i = 0; i < ids.length; i += 200) {
      const part = ids.slice(i, i + 200);
      const d = await r.api("GET", "/api/v1/" + kind + "?limit=" + part.length + "&ids=" + part.join(","));
      for (const x of d.items) out[scope + ":" + x.id] = scope === "account" ? x.receiver + "/" + x.number : x.name;
    }
  }
  return out;
}

function planTable(list, names) {
  const t = el("table", null, "records");
  t.dataset.kind = "action-plans";
  t.createTHead().append(row(["Plan", "Applies to", "For", "Steps", "Source"]));
  t.createTBody().append(...list.map(p => {
    const tr = row([p.name || "(no name)", scopeText(p, names), eventText(p), p.steps.map(s => stepText(s, names)).join(" → "), sources[p.source] || p.source]);
    tr.dataset.id = p.id;
    tr.dataset.source = p.source;
    tr.addEventListener("click", () => { location.hash = planHash(p); });
    return tr;
  }));
  return t;
}

// planSection lists the plans of a site or an account on its page.
export async function planSection(r, page, scope, id) {
  const d = await r.api("GET", "/api/v1/action-plans");
  const list = d.items.filter(p => p.scope === scope && p.scope_id === id);
  const h = el("h2", "Action plans ");
  h.append(link("+ add", "#/records/action-plans/new?scope=" + scope + "&scope_id=" + id));
  const box = el("section", null, "children");
  box.dataset.kind = "action-plans";
  box.append(h, list.length ? planTable(list, await scopeNames(r, list)) : el("p", "None: the station's plans apply.", "muted"));
  page.append(box);
}

// plansPage is the list of every plan, or one plan's page.
export async function plansPage(r, page, id, params) {
  if (id) return planPage(r, page, id, params);
  const h1 = el("h1", "Action plans");
  const bar = el("p", null, "record-search");
  bar.append(link("New action plan", "#/records/action-plans/new"));
  page.append(h1, el("p", "The plan of an incident is the most specific that applies to it: an account's over a site's over the station's; " +
    "then one for its event code over one for its category over one for any event; then a plan made here over the configuration file's over a built-in one.", "muted"), bar);
  let list;
  try { list = (await r.api("GET", "/api/v1/action-plans")).items; } catch (e) { page.append(el("p", e.message, "error")); return; }
  page.append(planTable(list, await scopeNames(r, list)));
}

// planPage shows a plan: a form for one made here (or a new one, from a
// site's or account's page, or copied from another plan), or the same
// form read only, with where it comes from.
async function planPage(r, page, id, params) {
  const err = el("p", "", "error");
  err.setAttribute("role", "alert");
  let list;
  try { list = (await r.api("GET", "/api/v1/action-plans")).items; } catch (e) { page.append(err); err.textContent = e.message; return; }
  const find = (source, match, value) => list.find(p => p.source === source && p.match === match && p.value === value);
  let plan, readOnly = false;
  if (id === "new") {
    const from = params.get("copy") ? find(params.get("copy"), params.get("match"), params.get("value") || "") : null;
    plan = from ? { ...from, id: 0, source: "api", name: from.name + " (copy)" } :
      { scope: params.get("scope") || "station", scope_id: Number(params.get("scope_id") || 0), match: "category", value: "burglary", name: "",
        steps: [{ kind: "call_premises" }, { kind: "call_list" }] };
  } else if (/^\d+$/.test(id)) {
    plan = list.find(p => p.id === Number(id));
  } else {
    plan = find(id, params.get("match"), params.get("value") || "");
    readOnly = true;
  }
  if (!plan) { page.append(el("h1", "Action plan"), el("p", "No such action plan.", "error")); return; }
  page.append(el("h1", plan.id ? "Action plan: " + (plan.name || "(no name)") : readOnly ? "Action plan: " + plan.name + " (" + sources[plan.source] + ")" : "New action plan"));
  if (readOnly) page.append(sourceNote(plan));
  const view = { ...plan, scope_site: plan.scope === "site" ? plan.scope_id : null, scope_account: plan.scope === "account" ? plan.scope_id : null,
    category: plan.match === "category" ? plan.value : "burglary", code: plan.match === "code" ? plan.value : "" };
  const form = await r.form({ fields: planFields }, view);
  form.classList.add("plan-form");
  // A call step names one person of the plan's site's call list: read
  // anew when the plan is given another site or account.
  const parties = { options: [["", "(pick the site first)"]], names: {} };
  const steps = r.rows("steps", stepFields(parties), plan.steps, last => ({ kind: last && last.kind === "wait" ? "call_list" : "wait", minutes: 5 }),
    { move: true, add: "+ add a step", readOnly, detail: "Details" });
  steps.table.id = "plan-steps-edit";
  const stepsPart = el("div", null, "plan-steps");
  stepsPart.append(el("h3", "Steps, in order"), steps.box);
  form.append(stepsPart);
  const shown = () => {
    for (const f of planFields.filter(f => f.when)) {
      const input = form.querySelector("[name=" + f.f + "]");
      const on = form.querySelector("[name=" + f.when[0] + "]").value === f.when[1];
      input.closest("label").hidden = !on;
      input.dataset.field = on ? f.as : f.f;
    }
  };
  const loadParties = async () => {
    const scope = form.querySelector("[name=scope]").value;
    let site = 0;
    try {
      if (scope === "site") site = pickedID(form.querySelector("[name=scope_site]").value);
      if (scope === "account") { const a = pickedID(form.querySelector("[name=scope_account]").value); if (a) site = (await r.api("GET", "/api/v1/accounts/" + a)).site_id; }
      const d = site ? await r.api("GET", "/api/v1/responding-parties?limit=100&site_id=" + site) : { items: [] };
      parties.options = [["", site ? (d.items.length ? "(pick one)" : "(the site's call list is empty)") : "(pick the site first)"],
        ...d.items.map(p => [p.id, p.position + ". " + p.name])];
    } catch (e) { return; }
    for (const s of steps.table.querySelectorAll("select[data-key=party_id]")) {
      const v = s.value;
      s.replaceChildren(...parties.options.map(([value, text]) => { const o = el("option", text); o.value = value; return o; }));
      if (parties.options.some(o => String(o[0]) === v)) s.value = v;
    }
  };
  for (const name of ["scope", "match"]) form.querySelector("[name=" + name + "]").addEventListener("change", () => { shown(); loadParties(); });
  for (const name of ["scope_site", "scope_account"]) form.querySelector("[name=" + name + "]").addEventListener("change", loadParties);
  shown();
  await loadParties();
  const saved = el("span", "", "saved");
  saved.setAttribute("role", "status");
  const actions = el("div", null, "form-actions");
  form.append(actions);
  if (readOnly) {
    for (const input of form.querySelectorAll("input, select, textarea")) { input.disabled = true; input.placeholder = ""; }
    const copy = button("Copy to a new plan", () => {
      location.hash = "#/records/action-plans/new?copy=" + plan.source + "&match=" + plan.match + "&value=" + encodeURIComponent(plan.value);
    });
    copy.id = "plan-copy";
    actions.append(copy);
    page.append(form);
    return;
  }
  const save = el("button", plan.id ? "Save" : "Create");
  save.type = "submit"; save.id = "plan-save";
  actions.append(save);
  if (plan.id) {
    const del = button("Delete", async () => {
      if (!del.dataset.armed) { del.dataset.armed = "1"; del.textContent = "Click again to delete"; return; }
      try {
        await r.api("DELETE", "/api/v1/action-plans/" + plan.id);
        location.hash = "#/records/action-plans";
      } catch (e) { err.textContent = e.message; del.dataset.armed = ""; del.textContent = "Delete"; }
    }, "danger");
    del.id = "plan-delete";
    const changed = el("span", "changed by " + (plan.updated_by || "").replace(/^station:/, "") + " ", "muted");
    changed.append(timeEl(plan.updated_at));
    actions.append(del, changed);
  }
  actions.append(saved);
  form.addEventListener("submit", async ev => {
    ev.preventDefault();
    r.clearErrors(form, err, saved);
    let body;
    try { body = planBody(form, steps.read()); } catch (e) { return r.fieldError(form, err, e); }
    try {
      const out = await r.api(plan.id ? "PUT" : "POST", "/api/v1/action-plans" + (plan.id ? "/" + plan.id : ""), body);
      if (!plan.id) { location.hash = "#/records/action-plans/" + out.id; return; }
      saved.textContent = "Saved.";
    } catch (e) { r.fieldError(form, err, e); }
  });
  page.append(form, err);
}

// sourceNote says where a read-only plan comes from, and how to change
// what operators do.
function sourceNote(p) {
  const note = el("p", null, "readonly-note");
  note.id = "plan-source-note";
  note.textContent = p.source === "config" ?
    "From the station's configuration file (queue.action_plans): it is changed there, not here. A plan made here for the same event replaces it." :
    "Built into alarmrx: the default for " + eventText(p) + ", read only. It applies where no plan of the configuration file or made here is " +
    "more specific; to change what operators do, copy it to a new plan and change that.";
  return note;
}

// planBody is the plan to send: the shown fields under the API's names,
// and the steps as the rows have them.
function planBody(form, steps) {
  const out = { steps };
  for (const f of planFields) {
    const input = form.querySelector("[name=" + f.f + "]");
    if (f.when && form.querySelector("[name=" + f.when[0] + "]").value !== f.when[1]) continue;
    let v = input.value.trim();
    if (f.kind === "ref") {
      v = v ? pickedID(v) : 0;
      if (!v) throw Object.assign(new Error(f.label + ": pick one from the list, or give #id"), { field: f.as });
    }
    out[f.as || f.f] = v;
  }
  if (out.scope === "station") out.scope_id = 0;
  if (out.match === "any") out.value = "";
  return out;
}

