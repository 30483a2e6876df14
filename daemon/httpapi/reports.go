package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/internal/tabular"
	"github.com/alarmrx/alarmrx/store"
)

// The station's reports [issue: "reports stations send"]: each is read
// from the store once and answered as JSON (the console draws it), or
// written as a tabular.Doc in CSV, HTML or PDF, to download or, through
// WriteReport, to mail on a schedule.

// StationReports is what the reports read of the store.
type StationReports interface {
	ResponseTimes(ctx context.Context, from, to time.Time) (*store.ResponseTimes, error)
	FalseAlarmsReport(ctx context.Context, from, to time.Time) (*store.FalseAlarmReport, error)
	SilentAccounts(ctx context.Context, from, to time.Time) (*store.SilentReport, error)
	OnTestHistory(ctx context.Context, from, to time.Time) (*store.OnTestReport, error)
	OperatorActivity(ctx context.Context, from, to time.Time) (*store.OperatorActivityReport, error)
	OpenCloseHistory(ctx context.Context, siteID int64, from, to time.Time) (*store.OpenCloseReport, error)
}

// ReportRequest is one report to write.
type ReportRequest struct {
	Kind     string
	From, To time.Time
	SiteID   int64          // the open/close report's site
	Zone     *time.Location // the times of HTML and PDF (nil: UTC); CSV is in UTC
	Clock    string         // "12h" or "24h" (the default)
	Made     time.Time      // when it is written (the API's clock)
}

// reportKind is one report: its route's last segment, its title, and how
// it is read and written.
type reportKind struct {
	name, title string
	params      []string // query parameters beside from, to, format and tz
	build       func(ctx context.Context, st StationReports, rq ReportRequest) (answer any, doc tabular.Doc, err error)
}

// reportKinds are the station's reports, in the console's order.
var reportKinds = []reportKind{
	{name: "response-times", title: "Response times", build: responseTimesDoc},
	{name: "false-alarms", title: "False alarms", build: falseAlarmsDoc},
	{name: "silent-accounts", title: "Accounts not heard from", build: silentAccountsDoc},
	{name: "on-test", title: "On-test history", build: onTestDoc},
	{name: "operator-activity", title: "Operator activity", build: operatorActivityDoc},
	{name: "open-close", title: "Openings and closings", params: []string{"site_id"}, build: openCloseDoc},
}

// ReportNames are the reports' names, for the config's scheduled mail.
func ReportNames() []string {
	out := make([]string, len(reportKinds))
	for i, k := range reportKinds {
		out[i] = k.name
	}
	return out
}

func reportPaths() []string {
	out := make([]string, len(reportKinds))
	for i, k := range reportKinds {
		out[i] = "/api/v1/reports/" + k.name
	}
	return out
}

func findReport(name string) (reportKind, bool) {
	for _, k := range reportKinds {
		if k.name == name {
			return k, true
		}
	}
	return reportKind{}, false
}

// WriteReport writes one report in format (csv, html or pdf) to w and
// returns its title and file name ("false-alarms-2026-12-01.pdf").
func WriteReport(ctx context.Context, st StationReports, rq ReportRequest, format string, w io.Writer) (title, file string, err error) {
	k, ok := findReport(rq.Kind)
	if !ok {
		return "", "", fmt.Errorf("httpapi: no report %q", rq.Kind)
	}
	if _, ok := tabular.Formats[format]; !ok {
		return "", "", fmt.Errorf("httpapi: no report format %q", format)
	}
	_, doc, err := k.build(ctx, st, rq)
	if err != nil {
		return "", "", err
	}
	if rq.Zone == nil {
		rq.Zone = time.UTC
	}
	return doc.Title, k.name + "-" + rq.To.In(rq.Zone).Format("2006-01-02") + "." + format, doc.Write(w, format)
}

func (a *api) reportRoutes() []route {
	var rs []route
	for _, k := range reportKinds {
		rs = append(rs, route{"GET", "/api/v1/reports/" + k.name, a.stationReport(k), append([]string{"from", "to", "format", "tz"}, k.params...)})
	}
	return rs
}

// stationReport answers a report over from..to (default: the last 24
// hours) as JSON or, with format, as a file to download; tz names the
// time zone of an HTML or PDF file's times.
func (a *api) stationReport(k reportKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		from, to, ok := a.dateRange(w, r)
		if !ok {
			return
		}
		format, ok := queryOneOf(w, r, "format", "json", "csv", "html", "pdf")
		if !ok {
			return
		}
		rq := ReportRequest{Kind: k.name, From: from, To: to, Zone: time.UTC, Clock: a.live().Clock, Made: a.opts.Now()}
		if tz := r.URL.Query().Get("tz"); tz != "" {
			loc, err := time.LoadLocation(tz)
			if err != nil || tz == "Local" {
				writeError(w, http.StatusBadRequest, "tz", "tz must be an IANA time zone such as Europe/Berlin")
				return
			}
			rq.Zone = loc
		}
		if k.name == "open-close" {
			id, ok := queryID(w, r, "site_id")
			if !ok {
				return
			}
			if id == 0 {
				writeError(w, http.StatusBadRequest, "site_id", "site_id is required: the report is one site's")
				return
			}
			rq.SiteID = id
		}
		if format == "" || format == "json" {
			answer, _, err := k.build(r.Context(), a.opts.Station, rq)
			a.respond(w, http.StatusOK, answer, err)
			return
		}
		// Written whole before the first byte: an error is still a JSON
		// answer with its status, never half a file.
		var body bytes.Buffer
		_, file, err := WriteReport(r.Context(), a.opts.Station, rq, format, &body)
		if err != nil {
			a.storeError(w, err)
			return
		}
		w.Header().Set("Content-Type", tabular.Formats[format])
		w.Header().Set("Content-Disposition", `attachment; filename="`+file+`"`)
		_, _ = w.Write(body.Bytes())
	}
}

// times writes a report's times for people, in its zone and clock.
type times struct {
	zone  *time.Location
	clock string
}

func timesOf(rq ReportRequest) times {
	if rq.Zone == nil {
		rq.Zone = time.UTC
	}
	return times{rq.Zone, rq.Clock}
}

func (t times) at(v time.Time) string {
	if v.IsZero() {
		return ""
	}
	if t.clock == "12h" {
		return v.In(t.zone).Format("2006-01-02 3:04 PM")
	}
	return v.In(t.zone).Format("2006-01-02 15:04")
}

func (t times) ptr(v *time.Time) string {
	if v == nil {
		return ""
	}
	return t.at(*v)
}

// span says the report's range: "from 2026-11-30 09:00 to 2026-12-01
// 09:00 (Europe/Berlin)".
func (t times) span(from, to time.Time) string {
	return "from " + t.at(from) + " to " + t.at(to) + " (" + t.zone.String() + ")"
}

// duration writes seconds for a person: 42 s, 3 min 5 s, 1 h 2 min.
func duration(v *float64) string {
	if v == nil {
		return "—"
	}
	s := int64(math.Round(*v))
	switch {
	case s < 60:
		return strconv.FormatInt(s, 10) + " s"
	case s < 3600:
		out := strconv.FormatInt(s/60, 10) + " min"
		if s%60 != 0 {
			out += " " + strconv.FormatInt(s%60, 10) + " s"
		}
		return out
	}
	return strconv.FormatInt(s/3600, 10) + " h " + strconv.FormatInt(s%3600/60, 10) + " min"
}

// count writes n with its noun: "1 account", "3 accounts".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func i64(n int64) string     { return strconv.FormatInt(n, 10) }
func boolText(b bool) string { return strconv.FormatBool(b) }
func secondsCell(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', 1, 64)
}

func responseTimesDoc(ctx context.Context, st StationReports, rq ReportRequest) (any, tabular.Doc, error) {
	rep, err := st.ResponseTimes(ctx, rq.From, rq.To)
	if err != nil {
		return nil, tabular.Doc{}, err
	}
	t := timesOf(rq)
	doc := tabular.Doc{Title: "Response times", Made: rq.Made.In(t.zone), Lines: []string{
		fmt.Sprintf("%s opened %s: %d never claimed, %d not dispatched, %d not resolved.",
			count(rep.Incidents, "incident", "incidents"), t.span(rep.From, rep.To), rep.Unclaimed, rep.Undispatched, rep.Unresolved),
		"Each stage from receipt: median · 90th · 99th percentile."}}
	head := func(first string) []string {
		return []string{first, "Incidents", "Claimed", "to claim", "Dispatched", "to dispatch", "Resolved", "to resolve", "slowest to resolve"}
	}
	stage := func(p store.Percentiles) string {
		if p.N == 0 {
			return "—"
		}
		return duration(p.P50) + " · " + duration(p.P90) + " · " + duration(p.P99)
	}
	row := func(name string, g store.ResponseGroup) []string {
		return []string{name, strconv.Itoa(g.Incidents), strconv.Itoa(g.Claim.N), stage(g.Claim), strconv.Itoa(g.Dispatch.N), stage(g.Dispatch),
			strconv.Itoa(g.Resolve.N), stage(g.Resolve), duration(g.Resolve.Max)}
	}
	byPrio := tabular.Section{Title: "By priority", Header: head("Priority")}
	for _, g := range rep.ByPriority {
		byPrio.Rows = append(byPrio.Rows, row(strconv.Itoa(g.Priority)+" "+priorityLabel(g.Priority), g))
	}
	byOp := tabular.Section{Title: "By operator (the incidents each resolved)", Header: head("Operator")}
	for _, g := range rep.ByOperator {
		byOp.Rows = append(byOp.Rows, row(cmpOr(g.Operator, "(the system)"), g))
	}
	// The spreadsheet's table: one row per priority and per operator,
	// each stage's count and percentiles in seconds.
	csv := tabular.Section{Header: []string{"by", "group", "incidents"}}
	for _, stage := range []string{"claim", "dispatch", "resolve"} {
		csv.Header = append(csv.Header, stage+"_n", stage+"_p50_s", stage+"_p90_s", stage+"_p99_s", stage+"_max_s")
	}
	for _, groups := range [][]store.ResponseGroup{rep.ByPriority, rep.ByOperator} {
		for _, g := range groups {
			by, key := "priority", strconv.Itoa(g.Priority)
			if g.Priority == 0 {
				by, key = "operator", g.Operator
			}
			r := []string{by, key, strconv.Itoa(g.Incidents)}
			for _, p := range []store.Percentiles{g.Claim, g.Dispatch, g.Resolve} {
				r = append(r, strconv.Itoa(p.N), secondsCell(p.P50), secondsCell(p.P90), secondsCell(p.P99), secondsCell(p.Max))
			}
			csv.Rows = append(csv.Rows, r)
		}
	}
	doc.Sections = []tabular.Section{byPrio, byOp}
	doc.CSV = &csv
	return rep, doc, nil
}

func falseAlarmsDoc(ctx context.Context, st StationReports, rq ReportRequest) (any, tabular.Doc, error) {
	rep, err := st.FalseAlarmsReport(ctx, rq.From, rq.To)
	if err != nil {
		return nil, tabular.Doc{}, err
	}
	t := timesOf(rq)
	codes := strings.Join(rep.Codes, ", ")
	if codes == "" {
		codes = "(no false alarm code is set: queue.false_alarm_codes)"
	}
	doc := tabular.Doc{Title: "False alarms", Made: rq.Made.In(t.zone),
		Lines: []string{"Incidents resolved " + t.span(rep.From, rep.To) + " as " + codes + "."}}
	if rep.Threshold > 0 {
		doc.Lines = append(doc.Lines, fmt.Sprintf("A site reaching %d within 12 months raises a station event.", rep.Threshold))
	}
	sites := tabular.Section{Title: "Sites", Header: []string{"Site", "Customer", "False alarms"}}
	csv := tabular.Section{Header: []string{"site_id", "site", "customer_id", "customer", "false_alarms"}}
	for _, s := range rep.Sites {
		sites.Rows = append(sites.Rows, []string{s.Site, s.Customer, strconv.Itoa(s.Count)})
		csv.Rows = append(csv.Rows, []string{i64(s.SiteID), s.Site, i64(s.CustomerID), s.Customer, strconv.Itoa(s.Count)})
	}
	customers := tabular.Section{Title: "Customers (their own sites)", Header: []string{"Customer", "Sites with false alarms", "False alarms"}}
	for _, c := range rep.Customers {
		customers.Rows = append(customers.Rows, []string{c.Customer, strconv.Itoa(c.Sites), strconv.Itoa(c.Count)})
	}
	doc.Sections, doc.CSV = []tabular.Section{sites, customers}, &csv
	return rep, doc, nil
}

// silentState says why an account is in the not-heard-from report.
func silentState(x store.SilentAccount, now time.Time) string {
	var why []string
	if x.FailedToCommunicate {
		why = append(why, "failed to communicate")
	}
	if x.FailedToTest {
		why = append(why, "failed to test")
	}
	switch {
	case x.LastSignal == nil:
		why = append(why, "never heard")
	case !x.FailedToCommunicate && !x.FailedToTest:
		why = append(why, "silent "+duration(ptrFloat(now.Sub(*x.LastSignal).Seconds())))
	}
	if x.OnTest {
		why = append(why, "on test")
	}
	return strings.Join(why, ", ")
}

func ptrFloat(v float64) *float64 { return &v }

// every writes a supervision interval: "every 1 h".
func every(seconds int64) string {
	if seconds <= 0 {
		return ""
	}
	return "every " + duration(ptrFloat(float64(seconds)))
}

func silentAccountsDoc(ctx context.Context, st StationReports, rq ReportRequest) (any, tabular.Doc, error) {
	rep, err := st.SilentAccounts(ctx, rq.From, rq.To)
	if err != nil {
		return nil, tabular.Doc{}, err
	}
	t := timesOf(rq)
	doc := tabular.Doc{Title: "Accounts not heard from", Made: rq.Made.In(t.zone), Lines: []string{
		fmt.Sprintf("%s sent no signal since %s, or are held by supervision as failed to communicate or to test (as of %s).",
			count(len(rep.Accounts), "account", "accounts"), t.at(rep.From), t.at(rep.To))}}
	if rep.Truncated {
		doc.Lines = append(doc.Lines, "Only the first accounts are listed: narrow the range.")
	}
	sec := tabular.Section{Title: "Accounts", Header: []string{"Receiver", "Account", "Site", "Customer", "Last signal", "State",
		"Check-in", "Test"}}
	csv := tabular.Section{Header: []string{"account_id", "receiver", "account", "site_id", "site", "customer", "last_signal_at",
		"failed_to_communicate", "failed_to_test", "on_test", "interval_s", "test_interval_s"}}
	for _, x := range rep.Accounts {
		last := t.ptr(x.LastSignal)
		if last == "" {
			last = "never"
		}
		sec.Rows = append(sec.Rows, []string{strconv.Itoa(x.Receiver), x.Account, x.Site, x.Customer, last, silentState(x, rep.To),
			every(x.IntervalSeconds), every(x.TestIntervalSeconds)})
		csv.Rows = append(csv.Rows, []string{i64(x.AccountID), strconv.Itoa(x.Receiver), x.Account, i64(x.SiteID), x.Site, x.Customer,
			csvTime(x.LastSignal), boolText(x.FailedToCommunicate), boolText(x.FailedToTest), boolText(x.OnTest),
			i64(x.IntervalSeconds), i64(x.TestIntervalSeconds)})
	}
	doc.Sections, doc.CSV = []tabular.Section{sec}, &csv
	return rep, doc, nil
}

func onTestDoc(ctx context.Context, st StationReports, rq ReportRequest) (any, tabular.Doc, error) {
	rep, err := st.OnTestHistory(ctx, rq.From, rq.To)
	if err != nil {
		return nil, tabular.Doc{}, err
	}
	t := timesOf(rq)
	doc := tabular.Doc{Title: "On-test history", Made: rq.Made.In(t.zone),
		Lines: []string{count(len(rep.Periods), "on-test period", "on-test periods") + " in force " + t.span(rep.From, rep.To) + "."}}
	if rep.Truncated {
		doc.Lines = append(doc.Lines, "Only the newest periods are listed: narrow the range.")
	}
	sec := tabular.Section{Title: "Periods", Header: []string{"Account", "Site", "Customer", "On test", "From", "Until", "Ended",
		"Reason", "Authorised by", "Test signals"}}
	csv := tabular.Section{Header: []string{"id", "account_id", "receiver", "account", "site_id", "site", "customer", "scope", "zones",
		"categories", "starts_at", "ends_at", "ended_at", "end_reason", "reason", "authorised_by", "signals"}}
	for _, p := range rep.Periods {
		ended := t.ptr(p.EndedAt)
		if ended != "" && p.EndReason != "" {
			ended += " (" + p.EndReason + ")"
		}
		sec.Rows = append(sec.Rows, []string{strconv.Itoa(p.Receiver) + "/" + p.Account, p.Site, p.Customer, p.ScopeText(), t.at(p.StartsAt),
			t.at(p.EndsAt), ended, p.Reason, p.AuthorisedBy, strconv.Itoa(p.Signals)})
		csv.Rows = append(csv.Rows, []string{i64(p.ID), i64(p.AccountID), strconv.Itoa(p.Receiver), p.Account, i64(p.SiteID), p.Site, p.Customer,
			p.Scope, strings.Join(p.Zones, " "), strings.Join(p.Categories, " "), csvTime(&p.StartsAt), csvTime(&p.EndsAt),
			csvTime(p.EndedAt), p.EndReason, p.Reason, p.AuthorisedBy, strconv.Itoa(p.Signals)})
	}
	doc.Sections, doc.CSV = []tabular.Section{sec}, &csv
	return rep, doc, nil
}

// operatorSteps are the operator-activity report's columns of steps, each
// the incident actions it counts.
var operatorSteps = []struct {
	column  string
	actions []string
}{
	{"Claims", []string{"claimed", "taken_over"}},
	{"Notes", []string{"note"}},
	{"Calls", []string{"called"}},
	{"Dispatches", []string{"dispatched"}},
	{"Holds", []string{"held"}},
	{"Resolved", []string{"resolved"}},
}

func operatorActivityDoc(ctx context.Context, st StationReports, rq ReportRequest) (any, tabular.Doc, error) {
	rep, err := st.OperatorActivity(ctx, rq.From, rq.To)
	if err != nil {
		return nil, tabular.Doc{}, err
	}
	t := timesOf(rq)
	doc := tabular.Doc{Title: "Operator activity", Made: rq.Made.In(t.zone),
		Lines: []string{"What each station user did " + t.span(rep.From, rep.To) + ": the incidents they took steps on, " +
			"their steps by kind, and their log-ins."}}
	sec := tabular.Section{Title: "Operators", Header: []string{"Operator", "Name", "Incidents"}}
	csv := tabular.Section{Header: []string{"user_id", "operator", "full_name", "incidents"}}
	for _, s := range operatorSteps {
		sec.Header = append(sec.Header, s.column)
		csv.Header = append(csv.Header, strings.ToLower(s.column))
	}
	sec.Header = append(sec.Header, "All steps", "Log-ins", "First", "Last")
	csv.Header = append(csv.Header, "steps", "logins", "first_at", "last_at")
	for _, o := range rep.Operators {
		r := []string{o.Operator, o.FullName, strconv.Itoa(o.Incidents)}
		c := []string{i64(o.UserID), o.Operator, o.FullName, strconv.Itoa(o.Incidents)}
		for _, s := range operatorSteps {
			n := 0
			for _, a := range s.actions {
				n += o.Actions[a]
			}
			r, c = append(r, strconv.Itoa(n)), append(c, strconv.Itoa(n))
		}
		sec.Rows = append(sec.Rows, append(r, strconv.Itoa(o.Steps), strconv.Itoa(o.Logins), t.ptr(o.First), t.ptr(o.Last)))
		csv.Rows = append(csv.Rows, append(c, strconv.Itoa(o.Steps), strconv.Itoa(o.Logins), csvTime(o.First), csvTime(o.Last)))
	}
	doc.Sections, doc.CSV = []tabular.Section{sec}, &csv
	return rep, doc, nil
}

func openCloseDoc(ctx context.Context, st StationReports, rq ReportRequest) (any, tabular.Doc, error) {
	rep, err := st.OpenCloseHistory(ctx, rq.SiteID, rq.From, rq.To)
	if err != nil {
		return nil, tabular.Doc{}, err
	}
	// A site's openings are read in its own time: 08:02 is when the
	// shop opened, wherever the station is.
	t := timesOf(rq)
	if loc, err := time.LoadLocation(rep.TimeZone); err == nil && rep.TimeZone != "" {
		t.zone = loc
	}
	doc := tabular.Doc{Title: "Openings and closings – " + rep.Site, Made: rq.Made.In(t.zone),
		Lines: []string{count(len(rep.Events), "opening, closing or schedule exception", "openings, closings and schedule exceptions") +
			" " + t.span(rep.From, rep.To) + "."}}
	if rep.Truncated {
		doc.Lines = append(doc.Lines, "Only the newest events are listed: narrow the range.")
	}
	sec := tabular.Section{Title: "Events", Header: []string{"Time", "Account", "Area", "Event", "User", "Handled"}}
	csv := tabular.Section{Header: []string{"signal_id", "at", "receiver", "account", "area", "code", "event", "user",
		"exception", "test", "incident"}}
	for _, e := range rep.Events {
		handled := "logged"
		switch {
		case e.Test:
			handled = "on test"
		case e.Incident:
			handled = "incident"
		}
		sec.Rows = append(sec.Rows, []string{t.at(e.At), strconv.Itoa(e.Receiver) + "/" + e.Account, e.Area, e.What, e.User, handled})
		csv.Rows = append(csv.Rows, []string{i64(e.SignalID), csvTime(&e.At), strconv.Itoa(e.Receiver), e.Account, e.Area, e.Code, e.What,
			e.User, boolText(e.Exception), boolText(e.Test), boolText(e.Incident)})
	}
	doc.Sections, doc.CSV = []tabular.Section{sec}, &csv
	return rep, doc, nil
}

// priorityLabel is a priority's name: its categories' (priorityLabels).
func priorityLabel(p int) string {
	if p < 1 || p > len(priorityLabels) {
		return ""
	}
	return priorityLabels[p-1]
}

func cmpOr(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}
