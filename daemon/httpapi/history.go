package httpapi

import (
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/store"
)

// The history search: GET /api/v1/signals and /api/v1/incidents take its
// filters, newest first with order=desc (signals) and before_id, and
// ?format=csv answers the page as a CSV file for a spreadsheet.

// incidentQuery are the incident list's parameters.
var incidentQuery = []string{"status", "account_id", "site_id", "customer_id", "priority", "operator", "resolution", "q",
	"since", "until", "after_id", "before_id", "limit", "format"}

// incidents lists incidents, newest first, by the history's filters.
func (a *api) incidents(w http.ResponseWriter, r *http.Request) {
	p, ok := a.parseList(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	f := store.IncidentFilter{Since: p.since, Until: p.until, AfterID: p.afterID, BeforeID: p.beforeID, Limit: p.limit,
		Operator: strings.TrimSpace(q.Get("operator")), Resolution: strings.TrimSpace(q.Get("resolution")), Text: p.text}
	if f.Status, ok = queryOneOf(w, r, "status", store.IncidentOpen, store.IncidentResolved); !ok {
		return
	}
	for _, id := range []struct {
		name string
		to   *int64
	}{{"account_id", &f.AccountID}, {"site_id", &f.SiteID}, {"customer_id", &f.CustomerID}} {
		if *id.to, ok = queryID(w, r, id.name); !ok {
			return
		}
	}
	if v := q.Get("priority"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 9 {
			writeError(w, http.StatusBadRequest, "priority", "priority must be a number from 1 (fire) to 9")
			return
		}
		f.Priority = n
	}
	list, err := a.opts.Station.Incidents(r.Context(), f)
	if err == nil && p.csv {
		writeIncidentsCSV(w, list)
		return
	}
	a.respondItems(w, list, err)
}

// spreadsheetSafe keeps a cell from being read as a formula: text a panel
// or a caller sent that starts with = + - @ (or a tab or return) is
// prefixed with ' (OWASP "CSV injection").
func spreadsheetSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func csvTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func csvID(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}

// writeCSV answers rows as a CSV file to download, name.csv.
func writeCSV(w http.ResponseWriter, name string, header []string, rows [][]string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write(header)
	for _, r := range rows {
		for i := range r {
			r[i] = spreadsheetSafe(r[i])
		}
		_ = cw.Write(r)
	}
	cw.Flush()
}

func writeSignalsCSV(w http.ResponseWriter, sigs []store.Signal) {
	rows := make([][]string, len(sigs))
	for i, s := range sigs {
		rows[i] = []string{strconv.FormatInt(s.ID, 10), csvTime(&s.ReceivedAt), strconv.Itoa(s.Receiver), s.Account,
			s.Protocol, s.EventCode, string(s.Qualifier), s.Zone, s.ZoneDescription, s.Partition, s.User, s.Description,
			s.Category, strconv.Itoa(s.Priority), s.Text, s.Handling, s.Resolution, csvID(s.SiteID), strconv.FormatBool(s.Test), s.Listener}
	}
	writeCSV(w, "signals", []string{"id", "received_at", "receiver", "account", "protocol", "code", "qualifier", "zone",
		"zone_description", "partition", "user", "description", "category", "priority", "text", "handling", "resolution",
		"site_id", "test", "listener"}, rows)
}

func writeIncidentsCSV(w http.ResponseWriter, list []store.Incident) {
	rows := make([][]string, len(list))
	for i, in := range list {
		rows[i] = []string{strconv.FormatInt(in.ID, 10), csvTime(&in.OpenedAt), csvTime(in.FirstClaimedAt), csvTime(in.ResolvedAt),
			strconv.Itoa(in.Priority), in.Title, strconv.Itoa(in.Receiver), in.Account, in.SiteName, in.Status,
			strconv.Itoa(in.SignalCount), in.ClaimedByName, in.ResolutionCode}
	}
	writeCSV(w, "incidents", []string{"id", "opened_at", "first_claimed_at", "resolved_at", "priority", "title", "receiver",
		"account", "site", "status", "signals", "claimed_by", "resolution"}, rows)
}

// responseTimes answers the response-time report of the incidents opened
// in from..to (default: the last 24 hours), as JSON or, with format=csv,
// one row per priority and per operator.
func (a *api) responseTimes(w http.ResponseWriter, r *http.Request) {
	rep, ok := reportOf(a, w, r, a.opts.Station.ResponseTimes)
	if !ok {
		return
	}
	cell := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', 1, 64)
	}
	var rows [][]string
	for _, groups := range [][]store.ResponseGroup{rep.ByPriority, rep.ByOperator} {
		for _, g := range groups {
			by, key := "priority", strconv.Itoa(g.Priority)
			if g.Priority == 0 {
				by, key = "operator", g.Operator
			}
			row := []string{by, key, strconv.Itoa(g.Incidents)}
			for _, p := range []store.Percentiles{g.Claim, g.Dispatch, g.Resolve} {
				row = append(row, strconv.Itoa(p.N), cell(p.P50), cell(p.P90), cell(p.P99), cell(p.Max))
			}
			rows = append(rows, row)
		}
	}
	header := []string{"by", "group", "incidents"}
	for _, stage := range []string{"claim", "dispatch", "resolve"} {
		header = append(header, stage+"_n", stage+"_p50_s", stage+"_p90_s", stage+"_p99_s", stage+"_max_s")
	}
	writeCSV(w, "response-times", header, rows)
}

// falseAlarmsReport answers the sites and customers ranked by their false
// alarms resolved in from..to (default the last 24 hours), or with
// format=csv one row per site.
func (a *api) falseAlarmsReport(w http.ResponseWriter, r *http.Request) {
	rep, ok := reportOf(a, w, r, a.opts.Station.FalseAlarmsReport)
	if !ok {
		return
	}
	rows := make([][]string, len(rep.Sites))
	for i, s := range rep.Sites {
		rows[i] = []string{strconv.FormatInt(s.SiteID, 10), s.Site, strconv.FormatInt(s.CustomerID, 10), s.Customer, strconv.Itoa(s.Count)}
	}
	writeCSV(w, "false-alarms", []string{"site_id", "site", "customer_id", "customer", "false_alarms"}, rows)
}

// reportOf runs a station report over the request's from..to. It answers
// the JSON, or the error, itself; with format=csv it returns the report
// for the caller to write as CSV (ok).
func reportOf[R any](a *api, w http.ResponseWriter, r *http.Request, run func(ctx context.Context, from, to time.Time) (*R, error)) (*R, bool) {
	from, to, ok := a.dateRange(w, r)
	if !ok {
		return nil, false
	}
	format, ok := queryOneOf(w, r, "format", "json", "csv")
	if !ok {
		return nil, false
	}
	rep, err := run(r.Context(), from, to)
	if err != nil || format != "csv" {
		a.respond(w, http.StatusOK, rep, err)
		return nil, false
	}
	return rep, true
}
