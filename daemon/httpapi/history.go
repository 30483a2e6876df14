package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/internal/tabular"
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
	w.Header().Set("Content-Type", tabular.Formats["csv"])
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	_ = tabular.WriteCSV(w, header, rows)
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
