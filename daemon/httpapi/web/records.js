// The console's record pages: customers (a tree), sites, accounts with
// their zones and schedules, call lists, authorities, installers,
// technicians, holidays and action plans, for supervisors and admins.
// Every list of records pages and searches on the server (?q=,
// ?after_id=), so 10,000 sites read as fast as 10. Forms are made
// from the field lists below and send the record as read back, changed
// where the form changes it, so fields a page does not show stay as they
// are; the API's validation message is shown at the field it names.
import { $, el, row, fill, button, link, timeEl, pickedID } from "./common.js";
import { scheduleSection, holidaysPage, holidaySection } from "./schedules.js";
import { plansPage, planSection } from "./plans.js";

const pageSize = 50;

// A field: f is the JSON name; kind is text (the default), number, email,
// date, textarea, select (options: values, or [value, text] pairs), ref
// (the id of a record of the kind named, picked by searching), list
// (comma-separated strings) or secret (write-only: empty keeps what is
// stored). A kind's schedule, plans and holidays add those sections to its
// records' pages.
const kinds = {
  customers: {
    title: "Customers", one: "customer", name: r => r.name,
    cols: [["Customer", r => r.name], ["Identifier", r => r.identifier], ["Billing e-mail", r => r.billing_email], ["Time zone", r => r.time_zone]],
    fields: [
      { f: "name", label: "Name", required: true },
      { f: "parent_id", label: "Above it", kind: "ref", ref: "customers", hint: "the region or HQ this customer belongs to; empty at the top of a tree" },
      { f: "billing_name", label: "Billing name" }, { f: "billing_email", label: "Billing e-mail", kind: "email" },
      { f: "billing_phone", label: "Billing phone" },
      { f: "time_zone", label: "Time zone", hint: "IANA, such as Europe/Berlin; empty: its first site's" },
      { f: "identifier", label: "Portal identifier", hint: "empty: a random one" },
      { f: "notes", label: "Notes", kind: "textarea" },
    ],
    children: [{ kind: "customers", by: "parent_id", title: "Customers below it" }, { kind: "sites", by: "customer_id", title: "Sites" }],
    holidays: true,
  },
  sites: {
    title: "Sites", one: "site", name: r => r.name, refs: { customer_id: "customers" },
    cols: [["Site", r => r.name], ["Customer", (r, names) => names.customer_id[r.customer_id] || "#" + r.customer_id], ["Address", r => r.address],
      ["Identifier", r => r.identifier], ["Time zone", r => r.time_zone]],
    fields: [
      { f: "name", label: "Name", required: true },
      { f: "customer_id", label: "Customer", kind: "ref", ref: "customers", required: true },
      { f: "installer_id", label: "Installer", kind: "ref", ref: "installers" },
      { f: "address", label: "Address" },
      { f: "time_zone", label: "Time zone", hint: "IANA, such as America/Chicago; empty: UTC" },
      { f: "identifier", label: "Identifier", hint: "the site's main phone number; empty: a random one" },
      { f: "notes", label: "Notes", kind: "textarea" },
    ],
    children: [{ kind: "accounts", by: "site_id", title: "Accounts", test: true },
      { kind: "responding-parties", by: "site_id", title: "Call list" }, { kind: "authorities", by: "site_id", title: "Authorities" }],
    plans: "site",
  },
  accounts: {
    title: "Accounts", one: "account", name: r => r.receiver + "/" + r.number, refs: { site_id: "sites" },
    cols: [["Account", r => r.receiver + "/" + r.number], ["Site", (r, names) => names.site_id[r.site_id] || "#" + r.site_id],
      ["System", r => r.system_type], ["Key", r => r.has_dc09_key ? "AES" : ""]],
    fields: [
      { f: "receiver", label: "Receiver", kind: "number", required: true },
      { f: "number", label: "Account number", required: true, hint: "as the panel sends it" },
      { f: "site_id", label: "Site", kind: "ref", ref: "sites", required: true },
      { f: "system_type", label: "System", kind: "select", options: ["intrusion", "fire", "cctv", "access_control", "elevator", "iot", "other", "building_management", "telemetry", "scada"] },
      { f: "installer_id", label: "Installer", kind: "ref", ref: "installers" },
      { f: "technician_id", label: "Technician", kind: "ref", ref: "technicians" },
      { f: "dc09_key", label: "DC-09 AES key", kind: "secret", hint: "write-only: empty keeps the stored key" },
      { f: "dc09_key_format", label: "Key format", kind: "select", options: ["", "hex", "ascii"] },
      { f: "supervision_interval", label: "Supervision interval", kind: "duration", hint: "such as 25h; empty: the receiver's" },
      { f: "test_interval", label: "Test interval", kind: "duration", hint: "such as 24h; empty: none" },
      { f: "notes", label: "Notes", kind: "textarea" },
    ],
    children: [{ kind: "zones", by: "account_id", title: "Zones" }],
    onTest: true, schedule: true, plans: "account",
  },
  zones: {
    title: "Zones", one: "zone", name: r => r.number + " " + r.description, refs: { account_id: "accounts" },
    cols: [["Zone", r => r.number], ["Description", r => r.description], ["Type", r => r.type]],
    fields: [
      { f: "account_id", label: "Account", kind: "ref", ref: "accounts", required: true },
      { f: "number", label: "Zone", required: true, hint: "as the panel reports it; kept without leading zeros (017 is 17), as signals are matched" },
      { f: "description", label: "Description" }, { f: "type", label: "Type", hint: "such as entry/exit, 24h, fire" },
    ],
  },
  "responding-parties": {
    title: "Call lists", one: "call list entry", name: r => r.name, refs: { site_id: "sites" },
    cols: [["#", r => r.position], ["Name", r => r.name], ["Role", r => r.role], ["Phones", r => (r.phones || []).join(", ")],
      ["Passcode", r => r.has_passcode ? "set" : ""]],
    fields: [
      { f: "site_id", label: "Site", kind: "ref", ref: "sites", required: true },
      { f: "position", label: "Position", kind: "number", hint: "1 is called first" },
      { f: "name", label: "Name", required: true }, { f: "role", label: "Role", hint: "keyholder, contact, guard…" },
      { f: "phones", label: "Phones", kind: "list", hint: "separated by commas, in the order to call" },
      { f: "passcode", label: "Passcode", kind: "secret", hint: "write-only: empty keeps the stored one" },
      { f: "duress_passcode", label: "Duress passcode", kind: "secret", hint: "write-only" },
    ],
  },
  authorities: {
    title: "Authorities", one: "authority", name: r => r.name, refs: { site_id: "sites" },
    cols: [["Kind", r => r.kind], ["Name", r => r.name], ["Phones", r => (r.phones || []).join(", ")]],
    fields: [
      { f: "site_id", label: "Site", kind: "ref", ref: "sites", required: true },
      { f: "kind", label: "Kind", kind: "select", options: ["police", "fire", "medical", "guard"] },
      { f: "name", label: "Name", required: true }, { f: "phones", label: "Phones", kind: "list" },
    ],
  },
  installers: {
    title: "Installers", one: "installer", name: r => r.name,
    cols: [["Installer", r => r.name], ["Identifier", r => r.identifier], ["Phone", r => r.phone], ["E-mail", r => r.email]],
    fields: [
      { f: "name", label: "Name", required: true }, { f: "phone", label: "Phone" }, { f: "email", label: "E-mail", kind: "email" },
      { f: "identifier", label: "Portal identifier", hint: "empty: a random one" },
    ],
    children: [{ kind: "technicians", by: "installer_id", title: "Technicians" }, { kind: "sites", by: "installer_id", title: "Sites it installed" }],
  },
  technicians: {
    title: "Technicians", one: "technician", name: r => r.name, refs: { installer_id: "installers" },
    cols: [["Technician", r => r.name], ["Installer", (r, names) => names.installer_id[r.installer_id] || "#" + r.installer_id], ["Phone", r => r.phone]],
    fields: [
      { f: "installer_id", label: "Installer", kind: "ref", ref: "installers", required: true },
      { f: "name", label: "Name", required: true }, { f: "phone", label: "Phone" }, { f: "email", label: "E-mail", kind: "email" },
    ],
  },
};

// The pages of the records menu that are no kind of paged record: the
// holiday calendars and the action plans are few, and read whole.
const pages = {
  holidays: { title: "Holidays", draw: holidaysPage },
  "action-plans": { title: "Action plans", draw: plansPage },
};

// The kinds and pages in the records menu, in its order.
const menu = ["customers", "sites", "accounts", "responding-parties", "authorities", "installers", "technicians", "holidays", "action-plans"];

// pickRecord makes input pick a record of a kind: as one types, the
// records the server finds are offered as "#12 Acme Stores". It returns
// the suggestions' datalist, to put beside the input.
export function pickRecord(api, kind, input, id) {
  const list = el("datalist");
  list.id = id;
  input.setAttribute("list", id);
  input.placeholder = "search, or #id";
  let timer = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const text = input.value.trim();
    if (!text || /^#?\d+(\s|$)/.test(text)) return;
    timer = setTimeout(async () => {
      let d;
      try { d = await api("GET", "/api/v1/" + kind + "?limit=20&q=" + encodeURIComponent(text)); } catch (e) { return; }
      list.replaceChildren(...d.items.map(r => { const o = el("option"); o.value = "#" + r.id + " " + kinds[kind].name(r); return o; }));
    }, 200);
  });
  return list;
}

// fieldNames are the name of an API's field and of what it is part of:
// steps[0].party_id, steps[0], steps.
function fieldNames(field) {
  const out = [];
  for (let f = field || ""; f; f = f.replace(/(\.\w+|\[\d+\])$/, "")) {
    out.push(f);
    if (!/(\.\w+|\[\d+\])$/.test(f)) break;
  }
  return out;
}

// selectOf is a select of options: values, or [value, text] pairs.
function selectOf(options) {
  const s = el("select");
  for (const o of options) {
    const [v, t] = Array.isArray(o) ? o : [o, o || "(none)"];
    const opt = el("option", t);
    opt.value = v;
    s.append(opt);
  }
  return s;
}

function optionValue(o) { return Array.isArray(o) ? o[0] : o; }

// cellInput is the input of a field of a row (Records.rows) holding v; a
// select's options may be a function (a call list read as the page goes),
// and a value it does not offer is kept as one more.
function cellInput(f, v) {
  let input;
  if (f.kind === "select") {
    const options = typeof f.options === "function" ? f.options() : f.options;
    input = selectOf(options);
    if (v != null && v !== "" && !options.some(o => String(optionValue(o)) === String(v))) input.append(selectOf([[v, "#" + v]]).firstChild);
    input.value = v == null ? optionValue(options[0]) : v;
  } else {
    input = el("input");
    input.type = { number: "number", date: "date", checkbox: "checkbox", email: "email" }[f.kind] || "text";
    if (f.kind === "checkbox") input.checked = !!v; else input.value = v == null ? "" : v;
    if (f.size) input.size = f.size;
    if (f.placeholder) input.placeholder = f.placeholder;
  }
  input.dataset.key = f.f;
  input.setAttribute("aria-label", f.label);
  return input;
}

export class Records {
  constructor(api, csrf) { this.api = api; this.csrf = csrf; this.view = $("view-records"); }

  // route draws #/records/…: a list, a record, a new record or the import.
  async route(hash) {
    const [path, query] = hash.replace(/^#\/records\/?/, "").split("?");
    const params = new URLSearchParams(query || "");
    const [kind, id] = path.split("/");
    // Each page draws into its own element: a page still reading when the
    // next is opened draws into one no longer shown.
    const page = el("div");
    this.view.replaceChildren(this.menu(kind), page);
    if (kind === "import") return this.importPage(page);
    if (pages[kind]) return pages[kind].draw(this, page, id, params);
    const k = kinds[kind || "sites"];
    if (!k) { page.append(el("p", "No such record page.", "error")); return; }
    if (id === "new") return this.recordPage(page, kind || "sites", null, params);
    if (id) return this.recordPage(page, kind, Number(id), params);
    return this.listPage(page, kind || "sites", params);
  }

  menu(current) {
    const nav = el("nav", null, "records-menu");
    for (const k of menu) {
      const a = link((kinds[k] || pages[k]).title, "#/records/" + k);
      if (k === (current || "sites")) a.className = "current";
      nav.append(a, " ");
    }
    const imp = link("Import a file", "#/records/import");
    if (current === "import") imp.className = "current";
    nav.append(imp);
    return nav;
  }

  // names reads the names of the records a page refers to, one request
  // per kind referred to (?ids=).
  async names(k, list) {
    const out = {};
    for (const [field, ref] of Object.entries(k.refs || {})) {
      out[field] = {};
      const ids = [...new Set(list.map(r => r[field]).filter(Boolean))];
      if (!ids.length) continue;
      const d = await this.api("GET", "/api/v1/" + ref + "?limit=" + ids.length + "&ids=" + ids.join(","));
      for (const r of d.items) out[field][r.id] = kinds[ref].name(r);
    }
    return out;
  }

  table(kind, list, names, indent) {
    const k = kinds[kind];
    const t = el("table", null, "records");
    t.dataset.kind = kind;
    const head = el("tr");
    for (const [h] of k.cols) head.append(el("th", h));
    t.createTHead().append(head);
    const body = t.createTBody();
    body.append(...list.map(r => this.recordRow(kind, r, names, indent || 0)));
    return t;
  }

  recordRow(kind, r, names, depth) {
    const k = kinds[kind];
    const tr = row(k.cols.map(([, f]) => f(r, names)));
    tr.dataset.id = r.id;
    tr.addEventListener("click", () => { location.hash = "#/records/" + kind + "/" + r.id; });
    if (depth) tr.cells[0].style.paddingLeft = (0.5 + depth * 1.5) + "em";
    return tr;
  }

  // listPage lists a kind a page at a time, newest last, searched on the
  // server. Customers without a search are their tree: the top customers,
  // each opening onto the ones below it.
  async listPage(page, kind, params) {
    const k = kinds[kind];
    const q = params.get("q") || "";
    const after = Number(params.get("after") || 0);
    const pages = (params.get("back") || "").split(",").filter(Boolean);
    const h1 = el("h1", k.title);
    const search = el("form", null, "record-search");
    const input = el("input");
    input.type = "search"; input.value = q; input.id = "record-q"; input.placeholder = "Search " + k.title.toLowerCase();
    input.setAttribute("aria-label", "Search");
    search.append(input, el("button", "Search"), link("New " + k.one, "#/records/" + kind + "/new"));
    search.addEventListener("submit", ev => {
      ev.preventDefault();
      location.hash = "#/records/" + kind + (input.value.trim() ? "?q=" + encodeURIComponent(input.value.trim()) : "");
    });
    const err = el("p", "", "error");
    err.setAttribute("role", "alert");
    page.append(h1, search, err);
    const tree = kind === "customers" && !q;
    let url = "/api/v1/" + kind + "?limit=" + (pageSize + 1) + (after ? "&after_id=" + after : "");
    if (q) url += "&q=" + encodeURIComponent(q);
    if (tree) url += "&parent_id=none";
    let list;
    try { list = (await this.api("GET", url)).items; } catch (e) { err.textContent = e.message; return; }
    const more = list.length > pageSize;
    list = list.slice(0, pageSize);
    const names = await this.names(k, list);
    const t = this.table(kind, list, names);
    if (tree) for (const tr of [...t.tBodies[0].rows]) this.treeToggle(tr, 0);
    const nav = el("p", null, "pager");
    const base = "#/records/" + kind + "?" + (q ? "q=" + encodeURIComponent(q) + "&" : "");
    nav.append(el("span", list.length ? "Page " + (pages.length + 1) + ": " + list.length + (list.length === 1 ? " record" : " records") +
      (q ? " found" : "") : (q ? "Nothing found." : "None yet."), "page-count"), " ");
    if (pages.length) {
      const prev = pages.slice(0, -1);
      nav.append(link("← Previous", base + "after=" + pages[pages.length - 1] + (prev.length ? "&back=" + prev.join(",") : "")), " ");
    }
    if (more) nav.append(link("Next →", base + "after=" + list[list.length - 1].id + "&back=" + [...pages, after].join(",")));
    page.append(t, nav);
    if (tree) page.append(el("p", "The top of each customer's tree: ▸ opens the customers below it. A search lists every customer it finds.", "muted"));
  }

  // treeToggle gives a customer's row the ▸ that opens the customers
  // below it, read when opened.
  treeToggle(tr, depth) {
    const id = Number(tr.dataset.id);
    const b = button("▸", async ev => {
      ev.stopPropagation();
      if (b.dataset.open) {
        for (const r of [...tr.parentNode.rows]) if (r.dataset.parent && r.dataset.path.split("/").includes(String(id))) r.remove();
        b.dataset.open = ""; b.textContent = "▸";
        return;
      }
      const d = await this.api("GET", "/api/v1/customers?limit=500&parent_id=" + id);
      b.dataset.open = "1"; b.textContent = "▾";
      if (!d.items.length) { b.textContent = "·"; b.disabled = true; b.title = "no customers below it"; return; }
      let at = tr;
      for (const c of d.items) {
        const child = this.recordRow("customers", c, {}, depth + 1);
        child.dataset.parent = String(id);
        child.dataset.path = (tr.dataset.path ? tr.dataset.path + "/" : "") + id;
        this.treeToggle(child, depth + 1);
        at.after(child);
        at = child;
      }
    }, "tree-toggle");
    b.setAttribute("aria-label", "customers below");
    tr.cells[0].prepend(b, " ");
  }

  // recordPage shows one record's form, its delete button, what belongs
  // to it and, for an account, its tests.
  async recordPage(page, kind, id, params) {
    const k = kinds[kind];
    let rec = {};
    const err = el("p", "", "error");
    err.setAttribute("role", "alert");
    if (id) {
      try { rec = await this.api("GET", "/api/v1/" + kind + "/" + id); } catch (e) { page.append(err); err.textContent = e.message; return; }
    } else {
      for (const f of k.fields) if (params.get(f.f)) rec[f.f] = f.kind === "ref" || f.kind === "number" ? Number(params.get(f.f)) : params.get(f.f);
    }
    page.append(el("h1", id ? k.one[0].toUpperCase() + k.one.slice(1) + ": " + k.name(rec) : "New " + k.one));
    const form = await this.form(k, rec);
    const save = el("button", id ? "Save" : "Create");
    save.type = "submit"; save.id = "record-save";
    form.append(save);
    if (id) {
      const del = button("Delete", async () => {
        if (!del.dataset.armed) { del.dataset.armed = "1"; del.textContent = "Click again to delete"; return; }
        try {
          await this.api("DELETE", "/api/v1/" + kind + "/" + id);
          location.hash = "#/records/" + kind;
        } catch (e) { err.textContent = e.message; del.dataset.armed = ""; del.textContent = "Delete"; }
      }, "danger");
      del.id = "record-delete";
      form.append(del);
      form.append(el("span", "changed " + (rec.updated_by ? "by " + rec.updated_by.replace(/^station:/, "") + " " : ""), "muted"), timeEl(rec.updated_at));
    }
    const saved = el("p", "", "saved");
    saved.setAttribute("role", "status");
    form.addEventListener("submit", async ev => {
      ev.preventDefault();
      this.clearErrors(form, err, saved);
      let body;
      try { body = this.body(k, rec, form); } catch (e) { return this.fieldError(form, err, e); }
      try {
        const out = await this.api(id ? "PUT" : "POST", "/api/v1/" + kind + (id ? "/" + id : ""), body);
        if (!id) { location.hash = "#/records/" + kind + "/" + out.id; return; }
        rec = out;
        saved.textContent = "Saved.";
      } catch (e) { this.fieldError(form, err, e); }
    });
    page.append(form, err, saved);
    if (!id) return;
    if (k.onTest) await this.testPanel(page, [rec], true);
    if (k.schedule) await scheduleSection(this, page, rec);
    for (const c of k.children || []) await this.childSection(page, c, id);
    if (k.plans) await planSection(this, page, k.plans, id);
    if (k.holidays) await holidaySection(this, page, rec);
  }

  // fieldError shows the API's message at the field it names: at that very
  // input (windows[2].closes) where the form has one, else at the field it
  // is part of (phones[1] is the phones field, steps[0] the steps); above
  // the form when it names none shown.
  fieldError(form, err, e) {
    const input = fieldNames(e.field).map(n => form.querySelector("[data-field=\"" + CSS.escape(n) + "\"]")).find(Boolean);
    if (input) {
      input.setAttribute("aria-invalid", "true");
      const at = input.closest(".field, .edit-row")?.querySelector(".field-error");
      if (at) at.textContent = e.message.replace(e.field + ": ", "");
      input.focus();
    }
    err.textContent = e.message;
  }

  // clearErrors takes the marks of the last refusal off a form.
  clearErrors(form, err, saved) {
    err.textContent = "";
    if (saved) saved.textContent = "";
    for (const e of form.querySelectorAll(".field-error")) e.textContent = "";
    for (const e of form.querySelectorAll("[aria-invalid]")) e.removeAttribute("aria-invalid");
  }

  // form makes the inputs of a kind's fields, filled from rec.
  async form(k, rec) {
    const form = el("form", null, "record-form");
    for (const f of k.fields) {
      const wrap = el("label", null, "field");
      wrap.append(el("span", f.label + (f.required ? " *" : ""), "field-label"));
      let input;
      if (f.kind === "textarea") {
        input = el("textarea"); input.rows = 3; input.value = rec[f.f] || "";
      } else if (f.kind === "select") {
        input = selectOf(f.options);
        input.value = rec[f.f] == null ? optionValue(f.options[0]) : rec[f.f];
      } else {
        input = el("input");
        input.type = { number: "number", email: "email", date: "date", secret: "password" }[f.kind] || "text";
        if (f.kind === "secret") { input.autocomplete = "new-password"; input.placeholder = this.hasSecret(rec, f.f) ? "set (unchanged)" : "not set"; }
        else if (f.kind === "list") input.value = (rec[f.f] || []).join(", ");
        else if (f.kind === "ref") wrap.append(await this.refInput(input, f, rec[f.f]));
        else if (f.kind === "duration") input.value = rec[f.f] && rec[f.f] !== "0s" ? rec[f.f] : "";
        else input.value = rec[f.f] == null ? "" : rec[f.f];
      }
      input.dataset.field = f.f;
      input.name = f.f;
      if (f.required && f.kind !== "ref") input.required = true;
      wrap.append(input, el("span", "", "field-error"));
      if (f.hint) wrap.append(el("small", f.hint, "muted"));
      form.append(wrap);
    }
    return form;
  }

  hasSecret(rec, f) { return f === "dc09_key" ? rec.has_dc09_key : f === "passcode" ? rec.has_passcode : rec.has_duress_passcode; }

  // refInput picks a record of another kind by searching it as one types:
  // "#12 Acme Stores", or a bare id. It returns the input's suggestions.
  async refInput(input, f, id) {
    const list = pickRecord(this.api, f.ref, input, "ref-" + f.f);
    if (id) {
      try { input.value = "#" + id + " " + kinds[f.ref].name(await this.api("GET", "/api/v1/" + f.ref + "/" + id)); } catch (e) { input.value = "#" + id; }
    }
    return list;
  }

  // body is the record to send: rec as read, with the form's values.
  body(k, rec, form) {
    const out = { ...rec };
    for (const key of ["id", "created_at", "updated_at", "created_by", "updated_by"]) delete out[key];
    for (const f of k.fields) {
      const v = form.querySelector("[data-field='" + f.f + "']").value;
      if (f.kind === "secret") { if (v) out[f.f] = v; else delete out[f.f]; continue; }
      if (f.kind === "list") { out[f.f] = v.split(",").map(s => s.trim()).filter(Boolean); continue; }
      if (f.kind === "number") { out[f.f] = v === "" ? 0 : Number(v); continue; }
      if (f.kind === "duration") { out[f.f] = v.trim() || "0s"; continue; }
      if (f.kind === "ref") {
        if (!v.trim()) { if (f.required) throw Object.assign(new Error(f.label + " is required: search for it and pick one"), { field: f.f }); out[f.f] = null; continue; }
        const picked = pickedID(v);
        if (!picked) throw Object.assign(new Error(f.label + ": pick one from the list, or give #id"), { field: f.f });
        out[f.f] = picked;
        continue;
      }
      out[f.f] = v;
    }
    return out;
  }

  // rows edits a list of the API's items (a schedule's windows, a plan's
  // steps) as the rows of a table, an input for each of fields, made as a
  // record form's are: a field with kinds is shown only on the rows whose
  // kind is one of them, one with unless is off on the rows that tick the
  // checkbox it names, and the fields marked detail share one cell. Each
  // input's data-field is the API's name of it (windows[2].closes),
  // numbered anew as rows are added, removed and moved, so that the API's
  // error lands at its row. blank(last) is what a new row starts as; move
  // gives the rows ↑ and ↓. It returns the list's element and read(), the
  // items as the rows have them.
  rows(name, fields, items, blank, opts = {}) {
    const box = el("div", null, "field edit-list");
    const error = el("span", "", "field-error");
    const t = el("table", null, "edit-rows");
    t.dataset.field = name; t.tabIndex = -1;
    const detail = fields.findIndex(f => f.detail);
    const head = el("tr");
    if (opts.move) head.append(el("th", "#"));
    fields.forEach((f, i) => { if (!f.detail) head.append(el("th", f.label)); else if (i === detail) head.append(el("th", opts.detail || "Details")); });
    if (!opts.readOnly) head.append(el("th"));
    head.append(el("th"));
    t.createTHead().append(head);
    const body = t.createTBody();
    const applies = (f, tr) => (!f.kinds || f.kinds.includes(tr.querySelector("[data-key=kind]").value)) &&
      (!f.unless || !tr.querySelector("[data-key=" + f.unless + "]").checked);
    const refresh = tr => {
      for (const f of fields) {
        const input = tr.querySelector("[data-key=" + f.f + "]");
        if (f.kinds) input.closest("label").hidden = !applies(f, tr);
        // A closed date shows no times rather than greyed ones.
        if (f.unless) input.hidden = !applies(f, tr);
      }
    };
    const renumber = () => [...body.rows].forEach((tr, i) => {
      for (const input of tr.querySelectorAll("[data-key]")) input.dataset.field = name + "[" + i + "]." + input.dataset.key;
      if (opts.move) tr.cells[0].textContent = (i + 1) + ".";
      if (opts.move && !opts.readOnly) {
        tr.querySelector(".move-up").disabled = i === 0;
        tr.querySelector(".move-down").disabled = i === body.rows.length - 1;
      }
    });
    const read = () => [...body.rows].map(tr => {
      const item = {};
      for (const f of fields) {
        if (!applies(f, tr)) continue;
        const input = tr.querySelector("[data-key=" + f.f + "]");
        item[f.f] = f.kind === "checkbox" ? input.checked : f.kind === "number" || f.num ? (input.value === "" ? 0 : Number(input.value)) : input.value.trim();
      }
      return item;
    });
    const rowOf = item => {
      const tr = el("tr", null, "edit-row");
      if (opts.move) tr.append(el("td", "", "position"));
      let details = null;
      for (const f of fields) {
        const input = cellInput(f, item[f.f]);
        input.disabled = !!opts.readOnly;
        input.addEventListener("change", () => refresh(tr));
        if (!f.detail) { const td = el("td"); td.append(input); tr.append(td); continue; }
        if (!details) { details = el("td", null, "details"); tr.append(details); }
        const label = el("label", null, "inline");
        label.append(el("span", f.label + " ", "muted"), input);
        details.append(label);
      }
      if (!opts.readOnly) {
        const td = el("td", null, "row-actions");
        if (opts.move) {
          const up = button("↑", () => { if (tr.previousElementSibling) tr.previousElementSibling.before(tr); renumber(); }, "move-up");
          const down = button("↓", () => { if (tr.nextElementSibling) tr.nextElementSibling.after(tr); renumber(); }, "move-down");
          up.setAttribute("aria-label", "move up"); down.setAttribute("aria-label", "move down");
          td.append(up, down);
        }
        const remove = button("✕", () => { tr.remove(); renumber(); }, "remove-row");
        remove.setAttribute("aria-label", "remove"); remove.title = "remove";
        td.append(remove);
        tr.append(td);
      }
      const td = el("td");
      td.append(el("span", "", "field-error"));
      tr.append(td);
      refresh(tr);
      return tr;
    };
    body.append(...items.map(rowOf));
    renumber();
    // The list's own error (a plan has 1 to 30 steps) comes first: fieldError
    // shows an error at the first of its box.
    box.append(error, t);
    if (!opts.readOnly) {
      const add = button(opts.add || "+ add", () => {
        const last = body.rows.length ? read()[body.rows.length - 1] : null;
        const tr = rowOf(blank(last));
        body.append(tr);
        renumber();
        tr.querySelector("[data-key]").focus();
      }, "add-row");
      add.dataset.adds = name;
      box.append(add);
    }
    return { box, table: t, read };
  }

  // childSection lists what belongs to a record (a site's accounts and
  // call list…), with a link to add one and, for accounts, their tests.
  async childSection(page, c, id) {
    const k = kinds[c.kind];
    const d = await this.api("GET", "/api/v1/" + c.kind + "?limit=" + (pageSize + 1) + "&" + c.by + "=" + id);
    const list = d.items.slice(0, pageSize);
    const h = el("h2", c.title + " ");
    h.append(link("+ add", "#/records/" + c.kind + "/new?" + c.by + "=" + id));
    const section = el("section", null, "children");
    section.dataset.kind = c.kind;
    section.append(h, list.length ? this.table(c.kind, list, await this.names(k, list)) : el("p", "None.", "muted"));
    if (d.items.length > pageSize) section.append(el("p", "The first " + pageSize + " are shown.", "muted"));
    page.append(section);
    if (c.test && list.length) await this.testPanel(page, list, false);
  }

  // testPanel puts accounts on test and takes them off: one account on
  // its page, or every account of a site on the site's page.
  async testPanel(page, accounts, single) {
    const box = el("section", null, "on-test");
    box.append(el("h2", single ? "On test" : "On test (every account of the site)"));
    const status = el("ul", null, "test-status");
    const draw = async () => {
      const items = [];
      for (const a of accounts) {
        const d = await this.api("GET", "/api/v1/accounts/" + a.id + "/tests?open=true");
        const active = d.items.filter(t => t.active);
        const li = el("li", (single ? "" : a.receiver + "/" + a.number + ": "));
        if (!active.length) li.append("not on test");
        for (const t of active) {
          li.append(el("b", "ON TEST", "on-test-flag"), " " + (t.scope === "zones" ? "zones " + (t.zones || []).join(", ") : t.scope === "categories" ? (t.categories || []).join(", ") : "the whole account") + " until ",
            timeEl(t.ends_at), t.reason ? " — " + t.reason : "", t.authorised_by ? " (" + t.authorised_by + ")" : "");
        }
        items.push(li);
      }
      status.replaceChildren(...items);
    };
    const form = el("form", null, "test-form");
    const dur = el("select");
    dur.id = "test-duration"; dur.setAttribute("aria-label", "For");
    for (const [v, t] of [["1h", "1 hour"], ["2h", "2 hours"], ["4h", "4 hours"], ["8h", "8 hours"], ["24h", "24 hours"]]) { const o = el("option", t); o.value = v; dur.append(o); }
    const reason = el("input");
    reason.id = "test-reason"; reason.placeholder = "Reason (technician, work order…)"; reason.required = true; reason.setAttribute("aria-label", "Reason");
    const who = el("input");
    who.id = "test-authorised-by"; who.placeholder = "Asked by (technician, customer)"; who.required = true; who.setAttribute("aria-label", "Asked by");
    const err = el("span", "", "error");
    const on = el("button", single ? "Put on test" : "Put all on test");
    on.type = "submit"; on.id = "test-on";
    const off = button(single ? "Take off test" : "Take all off test", async () => {
      err.textContent = "";
      if (!who.value.trim()) { err.textContent = "Say who asked to take it off test."; who.focus(); return; }
      try { for (const a of accounts) await this.api("POST", "/api/v1/accounts/" + a.id + "/tests/off", { by: who.value }); } catch (e) { err.textContent = e.message; }
      await draw();
    });
    off.id = "test-off";
    form.append("for", dur, reason, who, on, off, err);
    form.addEventListener("submit", async ev => {
      ev.preventDefault();
      err.textContent = "";
      try { for (const a of accounts) await this.api("POST", "/api/v1/accounts/" + a.id + "/tests", { duration: dur.value, reason: reason.value, authorised_by: who.value }); } catch (e) { err.textContent = e.message; }
      await draw();
    });
    box.append(status, form);
    page.append(box);
    await draw();
  }

  // importPage sends a CSV file of accounts, sites or customers: first a
  // dry run, then the import, all rows or none. The bar shows the upload;
  // the table every row the store refused, by line.
  importPage(page) {
    const form = el("form", null, "import-form");
    const kind = el("select");
    kind.id = "import-kind"; kind.setAttribute("aria-label", "Records");
    for (const [v, t] of [["accounts", "Accounts"], ["sites", "Sites"], ["customers", "Customers"]]) { const o = el("option", t); o.value = v; kind.append(o); }
    const file = el("input");
    file.type = "file"; file.accept = ".csv,text/csv"; file.id = "import-file"; file.required = true; file.setAttribute("aria-label", "CSV file");
    const check = el("button", "Check the file");
    check.type = "submit"; check.id = "import-check";
    const run = button("Import", () => send(false));
    run.id = "import-run"; run.disabled = true;
    const bar = el("progress");
    bar.id = "import-progress"; bar.max = 1; bar.value = 0; bar.hidden = true;
    const status = el("p", "", "import-status");
    status.id = "import-status"; status.setAttribute("role", "status");
    const errors = el("table", null, "import-errors");
    errors.id = "import-errors"; errors.hidden = true;
    errors.createTHead().append(row(["Line", "Field", "Error"]));
    errors.createTBody();
    form.append(kind, file, check, run);
    const send = dry => {
      const f = file.files[0];
      if (!f) return;
      run.disabled = true; check.disabled = true; errors.hidden = true; bar.hidden = false; bar.value = 0;
      status.textContent = (dry ? "Checking " : "Importing ") + f.name + "…";
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/v1/" + kind.value + "/import" + (dry ? "?dry_run=true" : ""));
      xhr.setRequestHeader("Content-Type", "text/csv");
      xhr.setRequestHeader("X-CSRF-Token", this.csrf());
      xhr.upload.onprogress = e => { if (e.lengthComputable) bar.value = e.loaded / e.total; };
      xhr.upload.onload = () => { bar.removeAttribute("value"); status.textContent = (dry ? "Checking " : "Importing ") + f.name + ": the store is reading the rows…"; };
      xhr.onerror = () => { check.disabled = false; bar.hidden = true; status.textContent = "The upload failed; try again."; };
      xhr.onload = () => {
        check.disabled = false; bar.hidden = true;
        let d = {};
        try { d = JSON.parse(xhr.responseText || "{}"); } catch (e) { d = { error: xhr.statusText }; }
        if (xhr.status === 200) {
          status.textContent = (dry ? "The file is good: " : "Imported: ") + d.rows + " rows, " + d.created + " new, " + d.updated + " changed, " + d.unchanged + " unchanged" +
            (dry ? ". Nothing is written until you import it." : ".");
          run.disabled = !dry;
        } else if (xhr.status === 422) {
          status.textContent = d.errors.length + " of " + d.rows + " rows cannot be imported; nothing was written. Mend them and check the file again.";
          fill(errors.tBodies[0], d.errors.map(e => row([e.line, e.field || "", e.error])));
          errors.hidden = false;
        } else status.textContent = d.error || xhr.statusText;
      };
      xhr.send(f);
    };
    form.addEventListener("submit", ev => { ev.preventDefault(); send(true); });
    kind.addEventListener("change", () => { run.disabled = true; });
    file.addEventListener("change", () => { run.disabled = true; status.textContent = ""; errors.hidden = true; });
    page.append(el("h1", "Import a file"), el("p", "A CSV file with a header row, with the columns the README's import section lists (examples in testdata/import): rows that name an existing record change it. The file is checked first; nothing is written until every row is good.", "muted"),
      form, bar, status, errors);
  }
}
