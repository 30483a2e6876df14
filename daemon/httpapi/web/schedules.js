// The record pages' open/close schedules and holidays: an account's
// schedule on its page (the week's windows, temporary days, the grace on
// either side, each area's last opening or closing), and the holiday
// calendars, the station's and each customer's, on a page of their own and
// on the customer's. The server checks a schedule whole (windows of a day
// may not overlap, each closes after it opens) and names the field it
// refuses; the rows keep the API's names, so the error lands at its row.
// r is the Records page: its API client, forms, rows and field errors.
import { el, row, button, link, timeEl } from "./common.js";

const days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

// The fields of a week's window and of a temporary day, as Records.rows
// makes them. An area is the panel's partition; empty is the account's,
// which also holds for the areas with no windows of their own.
const windowFields = [
  { f: "area", label: "Area", size: 5, placeholder: "all" },
  { f: "day", label: "Day", kind: "select", options: days },
  { f: "opens", label: "Opens", size: 6, placeholder: "08:00" },
  { f: "closes", label: "Closes", size: 6, placeholder: "17:30" },
];
const dayFields = [
  { f: "area", label: "Area", size: 5, placeholder: "all" },
  { f: "date", label: "Date", kind: "date" },
  { f: "closed", label: "Closed all day", kind: "checkbox" },
  { f: "opens", label: "Opens", size: 6, placeholder: "09:00", unless: "closed" },
  { f: "closes", label: "Closes", size: 6, placeholder: "13:00", unless: "closed" },
];
const graceFields = [
  { f: "open_grace_minutes", label: "Open grace (minutes)", kind: "number", hint: "an opening this near a window's opening is on time; late to open after it" },
  { f: "close_grace_minutes", label: "Close grace (minutes)", kind: "number", hint: "late to close this long after a window closes" },
];

// A new window is the one above it on the next day, so that a week of
// equal days is made by adding rows.
function nextWindow(last) {
  if (!last) return { area: "", day: "monday", opens: "08:00", closes: "17:00" };
  return { ...last, day: days[(days.indexOf(last.day) + 1) % days.length] };
}

function nextDay(last) { return { area: last ? last.area : "", date: "", closed: true }; }

// scheduleSection shows an account's schedule, or that it has none, with
// the editor to make, change or delete it.
export async function scheduleSection(r, page, acct) {
  const box = el("section", null, "schedule");
  box.id = "schedule";
  page.append(box);
  let sch = null;
  try { sch = await r.api("GET", "/api/v1/accounts/" + acct.id + "/schedule"); } catch (e) {
    if (!/no schedule/.test(e.message)) { box.append(el("h2", "Schedule"), el("p", e.message, "error")); return; }
  }
  let zone = sch ? sch.time_zone : "";
  if (!sch) { try { zone = (await r.api("GET", "/api/v1/sites/" + acct.site_id)).time_zone || "UTC"; } catch (e) { zone = ""; } }
  await drawSchedule(r, box, acct, sch, zone, "");
}

async function drawSchedule(r, box, acct, sch, zone, said) {
  const h = el("h2", "Schedule");
  const about = el("p", null, "muted");
  about.id = "schedule-about";
  if (sch) about.append("Times are the site's" + (zone ? " (" + zone + ")" : "") + ". Changed by " + sch.updated_by.replace(/^station:/, "") + " ", timeEl(sch.updated_at), ".");
  else about.append("No schedule: this account's openings and closings are not checked against times. Add its windows and save to make one" +
    (zone ? " (times are the site's, " + zone + ")" : "") + ".");
  const states = el("ul", null, "schedule-states");
  for (const s of sch ? sch.states : []) {
    const li = el("li", (s.area ? "Area " + s.area + ": " : "") + (s.open ? "open" : "closed") + " since ");
    li.append(timeEl(s.since, zone));
    states.append(li);
  }
  const form = await r.form({ fields: graceFields }, sch || { open_grace_minutes: 15, close_grace_minutes: 15 });
  form.classList.add("schedule-form");
  const week = r.rows("windows", windowFields, sch ? sch.windows : [], nextWindow, { add: "+ add a window" });
  week.table.id = "schedule-windows";
  const temp = r.rows("days", dayFields, sch ? sch.days : [], nextDay, { add: "+ add a date" });
  temp.table.id = "schedule-days";
  const weekPart = el("div", null, "schedule-part");
  weekPart.append(el("h3", "Every week"), el("p", "Several windows a day for a lunch break; a site open overnight closes at 24:00 and opens " +
    "again at 00:00. Area: the panel's area (partition) a window is for, where it reports areas; empty for the whole account.", "muted"), week.box);
  const tempPart = el("div", null, "schedule-part");
  tempPart.append(el("h3", "Temporary dates"), el("p", "A date's windows replace the week's and any holiday's for the day, or it is closed all day.", "muted"), temp.box);
  const rules = el("p", null, "muted schedule-rules");
  rules.append("Holidays close the schedule all day: the station's calendar and its customer's (",
    link("Holidays", "#/records/holidays"), "). Late to open and late to close always raise an alarm; an early opening, an opening on a closed day " +
    "and a closing while open raise an alarm or are only logged, as the station's configuration says (supervision.schedules).");
  const err = el("p", "", "error");
  err.setAttribute("role", "alert");
  const saved = el("span", said, "saved");
  saved.setAttribute("role", "status");
  const save = el("button", sch ? "Save the schedule" : "Make the schedule");
  save.type = "submit"; save.id = "schedule-save";
  const actions = el("div", null, "form-actions");
  actions.append(save);
  if (sch) {
    const del = button("Delete the schedule", async () => {
      if (!del.dataset.armed) { del.dataset.armed = "1"; del.textContent = "Click again to delete"; return; }
      try {
        await r.api("DELETE", "/api/v1/accounts/" + acct.id + "/schedule");
        await drawSchedule(r, box, acct, null, zone, "Deleted.");
      } catch (e) { err.textContent = e.message; del.dataset.armed = ""; del.textContent = "Delete the schedule"; }
    }, "danger");
    del.id = "schedule-delete";
    actions.append(del);
  }
  actions.append(saved);
  form.append(weekPart, tempPart, rules, actions);
  form.addEventListener("submit", async ev => {
    ev.preventDefault();
    r.clearErrors(form, err, saved);
    // A closed date has no times; the rows leave them out.
    const grace = f => Number(form.querySelector("[data-field=" + f + "]").value || 0);
    const body = { open_grace_minutes: grace("open_grace_minutes"), close_grace_minutes: grace("close_grace_minutes"), windows: week.read(), days: temp.read() };
    try {
      const out = await r.api("PUT", "/api/v1/accounts/" + acct.id + "/schedule", body);
      await drawSchedule(r, box, acct, out, out.time_zone, "Saved.");
    } catch (e) { r.fieldError(form, err, e); }
  });
  box.replaceChildren(h, about, states, form, err);
}

// holidaySection is a customer's own calendar on its page.
export async function holidaySection(r, page, cust) {
  const box = el("section", null, "children holidays");
  box.dataset.kind = "holidays";
  box.append(el("h2", "Holidays"), el("p", "Closed dates of this customer's sites and of the customers below it, besides the station's (" , "muted"));
  box.lastChild.append(link("every calendar", "#/records/holidays"), ").");
  page.append(box);
  await holidayList(r, box, cust.id);
}

// holidaysPage lists every calendar's holidays, the station's first on a
// date, and adds one to the station's calendar or a customer's.
export async function holidaysPage(r, page) {
  page.append(el("h1", "Holidays"), el("p", "A holiday closes every schedule of its calendar all day, unless an account's temporary date says " +
    "otherwise. The station's calendar holds for every account; a customer's for its sites and those of the customers below it.", "muted"));
  await holidayList(r, page, 0);
}

// holidayList draws the holidays of one customer (customerID), or of
// every calendar (0), with the form that adds one.
async function holidayList(r, box, customerID) {
  const fields = [
    { f: "date", label: "Date", kind: "date", required: true },
    { f: "name", label: "Holiday", required: true, hint: "such as Christmas Day" },
  ];
  if (!customerID) fields.push({ f: "customer_id", label: "Calendar", kind: "ref", ref: "customers", hint: "a customer's; empty: the station's" });
  const k = { fields };
  const form = await r.form(k, {});
  form.classList.add("holiday-form");
  const add = el("button", "Add the holiday");
  add.type = "submit"; add.id = "holiday-add";
  form.append(add);
  const err = el("p", "", "error");
  err.setAttribute("role", "alert");
  const t = el("table", null, "records");
  t.id = "holidays";
  t.createTHead().append(row(customerID ? ["Date", "Holiday", "Added by", ""] : ["Date", "Holiday", "Calendar", "Added by", ""]));
  const tbody = t.createTBody();
  const draw = async () => {
    let list;
    try { list = (await r.api("GET", "/api/v1/holidays" + (customerID ? "?customer_id=" + customerID : ""))).items; } catch (e) { err.textContent = e.message; return; }
    const names = await customerNames(r, list);
    tbody.replaceChildren(...list.map(h => {
      const del = button("Delete", async () => {
        if (!del.dataset.armed) { del.dataset.armed = "1"; del.textContent = "Click again to delete"; return; }
        try { await r.api("DELETE", "/api/v1/holidays/" + h.id); await draw(); } catch (e) { err.textContent = e.message; del.dataset.armed = ""; del.textContent = "Delete"; }
      }, "danger");
      const calendar = h.customer_id ? link(names[h.customer_id] || "#" + h.customer_id, "#/records/customers/" + h.customer_id) : "the station's";
      const tr = row(customerID ? [h.date, h.name, h.created_by.replace(/^station:/, ""), del] : [h.date, h.name, calendar, h.created_by.replace(/^station:/, ""), del]);
      tr.dataset.id = h.id;
      return tr;
    }));
    if (!list.length) tbody.append(row([customerID ? "None." : "None yet."]));
  };
  form.addEventListener("submit", async ev => {
    ev.preventDefault();
    r.clearErrors(form, err);
    let body;
    try { body = r.body(k, {}, form); } catch (e) { return r.fieldError(form, err, e); }
    body.customer_id = customerID || body.customer_id || 0;
    try {
      await r.api("POST", "/api/v1/holidays", body);
      for (const f of ["date", "name"]) form.querySelector("[data-field=" + f + "]").value = "";
      await draw();
    } catch (e) { r.fieldError(form, err, e); }
  });
  box.append(form, err, t);
  await draw();
}

// customerNames reads the names of the customers whose calendars a list
// holds, a page of ids at a time.
async function customerNames(r, list) {
  const ids = [...new Set(list.map(h => h.customer_id).filter(Boolean))];
  const out = {};
  for (let i = 0; i < ids.length; i += 200) {
    const part = ids.slice(i, i + 200);
    const d = await r.api("GET", "/api/v1/customers?limit=" + part.length + "&ids=" + part.join(","));
    for (const c of d.items) out[c.id] = c.name;
  }
  return out;
}
