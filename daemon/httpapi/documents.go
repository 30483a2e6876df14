package httpapi

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/http"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/store"
	"go.uber.org/zap"
)

// This file serves what the client's documents and the morning report's
// recipients need: customers' contacts, operators' notes on logged
// signals, who receives the report (and the signed unsubscribe link that
// stops it without a log-in), and office staff's rights over stored
// reports.

func init() {
	// These write their own audit entries in the store.
	for _, p := range []string{"/api/v1/signals/{id}/notes", "/api/v1/portal-users/{id}/report"} {
		selfAudited[p] = true
	}
}

// documentRoutes are the station's endpoints of this file.
func (a *api) documentRoutes() []route {
	st := a.opts.Station
	rs := recordRoutes(a, "/api/v1/customer-contacts", a.opts.Tables.CustomerContacts)
	return append(rs,
		route{"POST", "/api/v1/customer-contacts/import", a.importer(st.ImportContacts), importQuery},
		route{"GET", "/api/v1/customers/{id}/report-recipients", withID(a.reportRecipients), nil},
		route{"PUT", "/api/v1/portal-users/{id}/report", a.stationPortalReport, nil},
		route{"GET", "/api/v1/signals/{id}/notes", withID(a.signalNotes), nil},
		route{"POST", "/api/v1/signals/{id}/notes", a.addSignalNote, nil},
		route{"GET", "/api/v1/reports/{id}/deliveries", withID(a.reportDeliveries), nil},
	)
}

// reportRecipients says where a customer's morning report goes now:
// marked contacts and portal users, or (fallback) its report_email.
func (a *api) reportRecipients(w http.ResponseWriter, r *http.Request, customer int64) {
	list, err := a.opts.Station.ReportRecipients(r.Context(), customer)
	if err != nil {
		a.storeError(w, err)
		return
	}
	fallback := len(list) > 0 && list[0].Kind == store.RecipientReportEmail
	writeJSON(w, http.StatusOK, map[string]any{"items": list, "fallback": fallback})
}

// reportSetting is a change to whether a portal user receives the morning
// report, and where.
type reportSetting struct {
	Report bool   `json:"report"`
	Email  string `json:"email"`
}

func (a *api) stationPortalReport(w http.ResponseWriter, r *http.Request) {
	id, req, ok := idAndBody[reportSetting](w, r)
	if !ok {
		return
	}
	p, err := a.opts.Station.SetPortalReport(r.Context(), id, req.Report, req.Email, actorOf(r))
	a.respond(w, http.StatusOK, p, err)
}

func (a *api) signalNotes(w http.ResponseWriter, r *http.Request, id int64) {
	sigs, err := a.opts.Station.Signals(r.Context(), store.SignalFilter{IDs: []int64{id}, Limit: 1})
	if err != nil {
		a.storeError(w, err)
		return
	}
	if len(sigs) == 0 {
		writeError(w, http.StatusNotFound, "", fmt.Sprintf("not found: signal %d", id))
		return
	}
	notes := sigs[0].Notes
	if notes == nil {
		notes = []store.SignalNote{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": notes})
}

type noteRequest struct {
	Note string `json:"note"`
}

// addSignalNote attaches an operator's note to a signal in no incident
// (an opening, a closing, a test): a station user's session only, as the
// steps of an incident.
func (a *api) addSignalNote(w http.ResponseWriter, r *http.Request) {
	id, req, ok := idAndBody[noteRequest](w, r)
	if !ok || !stationUser(w, r, "notes are written by station users") {
		return
	}
	n, err := a.opts.Station.AddSignalNote(r.Context(), id, actorOf(r), req.Note)
	a.respond(w, http.StatusCreated, n, err)
}

func (a *api) reportDeliveries(w http.ResponseWriter, r *http.Request, id int64) {
	if _, err := a.opts.Station.Report(r.Context(), id); err != nil {
		a.storeError(w, err)
		return
	}
	list, err := a.opts.Station.ReportDeliveries(r.Context(), id)
	a.respondItems(w, list, err)
}

// writeReport answers one stored report as its customer got it: HTML, or
// the plain text with ?format=text; ?download=1 offers it as a file. An
// annotation comes first, marked as added after the report was mailed; a
// deleted report answers 410 saying who deleted it.
func (a *api) writeReport(w http.ResponseWriter, r *http.Request, rep *store.Report) {
	if rep.DeletedAt != nil {
		writeError(w, http.StatusGone, "", fmt.Sprintf("report %d (%s) was deleted by %s at %s", rep.ID, rep.Night, rep.DeletedBy,
			rep.DeletedAt.UTC().Format(time.RFC3339)))
		return
	}
	body, ctype, ext := rep.HTML, "text/html; charset=utf-8", "html"
	text := r.URL.Query().Get("format") == "text"
	if text {
		body, ctype, ext = rep.Text, "text/plain; charset=utf-8", "txt"
	}
	if rep.Annotation != "" {
		body = annotated(body, rep, text)
	}
	if r.URL.Query().Get("download") != "" {
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="report-%d-%s.%s"`, rep.CustomerID, rep.Night, ext))
	}
	// The report is our own HTML; still, no script runs in it.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.Header().Set("Content-Type", ctype)
	_, _ = w.Write([]byte(body))
}

var annotationHTML = htmltemplate.Must(htmltemplate.New("annotation").Parse(
	`<div style="border: 1px solid #c8a000; background: #fff8dc; padding: 8px; margin: 8px 0; white-space: pre-wrap">` +
		`<strong>Note added by {{.By}} on {{.At}}, after the report was mailed:</strong>` + "\n" + `{{.Text}}</div>`))

// annotated puts a report's annotation before its content: in the HTML
// right after the body tag, in the text as its first lines.
func annotated(body string, rep *store.Report, text bool) string {
	at := rep.UpdatedAt.UTC().Format("2006-01-02 15:04 MST")
	if text {
		return "Note added by " + rep.UpdatedBy + " on " + at + ", after the report was mailed:\n" + rep.Annotation + "\n\n" + body
	}
	var b strings.Builder
	if err := annotationHTML.Execute(&b, map[string]string{"By": rep.UpdatedBy, "At": at, "Text": rep.Annotation}); err != nil {
		return body
	}
	i := strings.Index(body, "<body")
	if i < 0 {
		return b.String() + body
	}
	end := strings.IndexByte(body[i:], '>')
	if end < 0 {
		return b.String() + body
	}
	i += end + 1
	return body[:i] + "\n" + b.String() + body[i:]
}

// Portal side.

// portalReportInScope loads a report of the session's customer; any other
// answers 404.
func (a *api) portalReportInScope(w http.ResponseWriter, r *http.Request, id int64) (*store.Report, bool) {
	rep, err := a.opts.Station.Report(r.Context(), id)
	if err == nil && portalOf(r).Scope != store.ScopeOf("customer", rep.CustomerID) {
		err = store.ErrNotFound
	}
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusNotFound, "", "no such report")
		} else {
			a.storeError(w, err)
		}
		return nil, false
	}
	return rep, true
}

type annotationRequest struct {
	Annotation string `json:"annotation"`
}

// portalAnnotateReport sets a report's annotation (right "reports"): a
// mailed report cannot be changed, a note on it can.
func (a *api) portalAnnotateReport(w http.ResponseWriter, r *http.Request) {
	id, req, ok := idAndBody[annotationRequest](w, r)
	if !ok || !may(w, r, store.RightReports) {
		return
	}
	if _, ok := a.portalReportInScope(w, r, id); !ok {
		return
	}
	rep, err := a.opts.Station.AnnotateReport(r.Context(), id, req.Annotation, actorOf(r))
	a.respond(w, http.StatusOK, rep, err)
}

// portalDeleteReport deletes a stored report (right "reports.delete").
func (a *api) portalDeleteReport(w http.ResponseWriter, r *http.Request, id int64) {
	if !may(w, r, store.RightReportsDelete) {
		return
	}
	if _, ok := a.portalReportInScope(w, r, id); !ok {
		return
	}
	a.respondNoContent(w, a.opts.Station.DeleteReport(r.Context(), id, actorOf(r)))
}

// portalReportView is a portal user's own morning report setting;
// Available is false for users of a site or installer, who get none.
type portalReportView struct {
	store.PortalReport
	Available bool `json:"available"`
}

func (a *api) portalMyReport(w http.ResponseWriter, r *http.Request) {
	u := portalOf(r).User
	p, err := a.opts.Station.PortalReportOf(r.Context(), u.ID)
	if err != nil {
		a.storeError(w, err)
		return
	}
	kind, _, _ := store.ParseScope(u.Scope)
	writeJSON(w, http.StatusOK, portalReportView{PortalReport: *p, Available: kind == "customer"})
}

// portalSetMyReport: a portal user of a customer marks itself as a
// recipient of the morning report at its own address, or unmarks itself.
func (a *api) portalSetMyReport(w http.ResponseWriter, r *http.Request) {
	var req reportSetting
	if !decodeBody(w, r, &req) {
		return
	}
	p, err := a.opts.Station.SetPortalReport(r.Context(), portalOf(r).User.ID, req.Report, req.Email, actorOf(r))
	if err != nil {
		a.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, portalReportView{PortalReport: *p, Available: true})
}

// portalSetUserReport: the account manager marks an office staff user of
// its scope as a recipient, or unmarks it.
func (a *api) portalSetUserReport(w http.ResponseWriter, r *http.Request) {
	id, req, ok := idAndBody[reportSetting](w, r)
	if !ok || !manager(w, r, "decides who else receives the morning report") {
		return
	}
	sess := portalOf(r)
	u, err := a.opts.Station.PortalUser(r.Context(), id)
	if err == nil && u.Scope != sess.Scope {
		err = store.ErrNotFound
	}
	if err != nil {
		a.storeError(w, err)
		return
	}
	p, err := a.opts.Station.SetPortalReport(r.Context(), id, req.Report, req.Email, actorOf(r))
	a.respond(w, http.StatusOK, p, err)
}

// portalReportRecipients lists, for the account manager, where the
// customer's morning report goes now.
func (a *api) portalReportRecipients(w http.ResponseWriter, r *http.Request) {
	if !manager(w, r, "sees who receives the morning report") {
		return
	}
	kind, cid, err := store.ParseScope(portalOf(r).Scope)
	if err != nil || kind != "customer" {
		writeJSON(w, http.StatusOK, map[string]any{"items": []store.ReportRecipient{}, "fallback": false})
		return
	}
	a.reportRecipients(w, r, cid)
}

// The unsubscribe link of a report mail works without a log-in: its token
// is signed by the station (store.UnsubscribeToken). GET shows what the
// link would stop and a button; only POST unsubscribes, so that a mail
// scanner fetching the link unsubscribes nobody. A mail program's one-click
// unsubscribe [RFC 8058] POSTs to the same address.

const maxUnsubscribeBody = 4 << 10

var unsubscribePage = htmltemplate.Must(htmltemplate.New("unsubscribe").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Morning report: unsubscribe</title><link rel="stylesheet" href="/portal/style.css"></head>
<body><header><strong>alarmrx portal</strong></header><main>
<h1>Morning report</h1>
{{if .Bad}}<p id="unsubscribe-result" class="error">This unsubscribe link is not valid: it was changed or cut short. Use the link of a report mail as it came, or ask the monitoring station to stop the report.</p>
{{else if .Done}}<p id="unsubscribe-result">{{.Email}} will no longer receive the morning report of {{.Customer}}.</p>
{{else if not .Subscribed}}<p id="unsubscribe-result">{{.Email}} does not receive the morning report of {{.Customer}}.</p>
{{else}}<p>Stop sending the morning report of {{.Customer}} to {{.Email}}?</p>
<form method="post" action="/portal/unsubscribe"><input type="hidden" name="token" value="{{.Token}}"><button id="unsubscribe" type="submit">Unsubscribe</button></form>
{{end}}</main></body></html>
`))

type unsubscribeData struct {
	Bad, Done, Subscribed  bool
	Email, Customer, Token string
}

func (a *api) unsubscribeRoutes(mux *http.ServeMux) {
	mux.Handle("GET /portal/unsubscribe", consoleHeaders(http.HandlerFunc(a.unsubscribeForm)))
	mux.Handle("POST /portal/unsubscribe", consoleHeaders(http.HandlerFunc(a.unsubscribe)))
}

func (a *api) unsubscribeForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	u, err := a.opts.Station.CheckUnsubscribe(r.Context(), token)
	a.unsubscribeAnswer(w, token, u, err, false)
}

// unsubscribe reads the token from the form (the page's button) or the
// query (a mail program's one-click POST to the List-Unsubscribe address).
func (a *api) unsubscribe(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUnsubscribeBody)
	if err := r.ParseForm(); err != nil {
		a.unsubscribeAnswer(w, "", nil, store.ErrBadLink, true)
		return
	}
	token := r.PostForm.Get("token")
	if token == "" {
		token = r.URL.Query().Get("token")
	}
	u, err := a.opts.Station.Unsubscribe(r.Context(), token, remoteIP(r))
	if err == nil {
		a.log.Info("morning report unsubscribed by link", zap.Int64("customer", u.CustomerID), zap.String("kind", u.Recipient.Kind),
			zap.Bool("was_subscribed", u.Subscribed))
	}
	a.unsubscribeAnswer(w, token, u, err, true)
}

func (a *api) unsubscribeAnswer(w http.ResponseWriter, token string, u *store.Unsubscription, err error, done bool) {
	d := unsubscribeData{Token: token}
	status := http.StatusOK
	switch {
	case errors.Is(err, store.ErrBadLink):
		d.Bad, status = true, http.StatusBadRequest
	case err != nil:
		a.storeError(w, err)
		return
	default:
		d.Email, d.Customer, d.Subscribed, d.Done = u.Recipient.Email, u.CustomerName, u.Subscribed, done
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = unsubscribePage.Execute(w, d)
}
