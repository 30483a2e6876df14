package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/store"
	"go.uber.org/zap"
)

// maxBody caps a JSON request body; imports have their own cap.
const (
	maxBody       = 1 << 20
	maxImportBody = 64 << 20
)

// route is one management API endpoint. The table is what the mux serves
// and what the OpenAPI test compares with openapi.yaml.
type route struct {
	method, path string
	handler      http.HandlerFunc
	// query lists the query parameters the endpoint understands; any other
	// is refused with 400 naming it (knownQuery).
	query []string
}

// Query parameters shared by several endpoints.
var (
	pageQuery   = []string{"after_id", "limit"}
	rangeQuery  = []string{"from", "to"}
	importQuery = []string{"dry_run"}
	reportQuery = []string{"format", "download"}
	siteQuery   = []string{"site_id", "since"}
	listQuery   = []string{"account", "receiver", "since", "after_id", "before_id", "order", "limit"}
	signalQuery = append(slices.Clone(listQuery), "account_id", "site_id", "customer_id", "resolution", "test", "until", "code", "category", "zone", "q", "format")
	frameQuery  = append(slices.Clone(listQuery), "status")
)

// knownQuery answers 400, naming the parameter, a request with a query
// parameter the route does not understand, given twice, or malformed,
// instead of ignoring it: a filter the server drops silently returns what
// the caller did not ask for (every site's signals for ?site_id=1).
func knownQuery(rt route, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			writeError(w, http.StatusBadRequest, "", "the query string is malformed: "+err.Error())
			return
		}
		for name, vals := range q {
			switch {
			case !slices.Contains(rt.query, name):
				known := "it takes none"
				if len(rt.query) > 0 {
					known = "known: " + strings.Join(rt.query, ", ")
				}
				writeError(w, http.StatusBadRequest, name, fmt.Sprintf("unknown query parameter %s for %s %s; %s", name, rt.method, rt.path, known))
				return
			case len(vals) > 1:
				writeError(w, http.StatusBadRequest, name, "query parameter "+name+" given more than once")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// recordRoutes returns list/create/get/update/delete for one record kind.
func recordRoutes[T any](a *api, path string, recs Table[T]) []route {
	item := path + "/{id}"
	if a.recordPaths == nil {
		a.recordPaths = map[string]bool{}
	}
	a.recordPaths[path], a.recordPaths[item] = true, true
	return []route{
		{"GET", path, func(w http.ResponseWriter, r *http.Request) {
			opts, ok := a.listOptions(w, r, recs.Filters())
			if !ok {
				return
			}
			list, err := recs.List(r.Context(), opts)
			a.respondItems(w, list, err)
		}, append(recs.Filters(), append(slices.Clone(pageQuery), "q", "ids")...)},
		{"POST", path, func(w http.ResponseWriter, r *http.Request) {
			rec := new(T)
			if !decodeBody(w, r, rec) {
				return
			}
			err := recs.Create(r.Context(), rec)
			a.respond(w, http.StatusCreated, rec, err)
		}, nil},
		{"GET", item, withID(func(w http.ResponseWriter, r *http.Request, id int64) {
			rec, err := recs.Get(r.Context(), id)
			a.respond(w, http.StatusOK, rec, err)
		}), nil},
		{"PUT", item, func(w http.ResponseWriter, r *http.Request) {
			id, rec, ok := idAndBody[T](w, r)
			if !ok {
				return
			}
			err := recs.Update(r.Context(), id, rec)
			a.respond(w, http.StatusOK, rec, err)
		}, nil},
		{"DELETE", item, withID(func(w http.ResponseWriter, r *http.Request, id int64) {
			a.respondNoContent(w, recs.Delete(r.Context(), id))
		}), nil},
	}
}

// stationRoutes are the management endpoints over the station's records.
func (a *api) stationRoutes() []route {
	st := a.opts.Station
	var rs []route
	rs = append(rs, recordRoutes(a, "/api/v1/customers", a.opts.Tables.Customers)...)
	rs = append(rs, recordRoutes(a, "/api/v1/installers", a.opts.Tables.Installers)...)
	rs = append(rs, recordRoutes(a, "/api/v1/technicians", a.opts.Tables.Technicians)...)
	rs = append(rs, recordRoutes(a, "/api/v1/sites", a.opts.Tables.Sites)...)
	rs = append(rs, recordRoutes(a, "/api/v1/accounts", a.opts.Tables.Accounts)...)
	rs = append(rs, recordRoutes(a, "/api/v1/zones", a.opts.Tables.Zones)...)
	rs = append(rs, recordRoutes(a, "/api/v1/responding-parties", a.opts.Tables.RespondingParties)...)
	rs = append(rs, recordRoutes(a, "/api/v1/authorities", a.opts.Tables.Authorities)...)
	rs = append(rs, a.documentRoutes()...)
	rs = append(rs,
		route{"GET", "/api/v1/receivers", a.receivers, nil},
		route{"GET", "/api/v1/receivers/{receiver}/accounts/{number}", a.findAccount, nil},
		route{"POST", "/api/v1/accounts/import", a.importer(st.ImportAccounts), importQuery},
		route{"POST", "/api/v1/sites/import", a.importer(st.ImportSites), importQuery},
		route{"POST", "/api/v1/customers/import", a.importer(st.ImportCustomers), importQuery},
		route{"POST", "/api/v1/accounts/{id}/claim-signals", withID(a.claimSignals), []string{"since"}},
		route{"GET", "/api/v1/sites/{id}/systems", withID(a.siteSystems), nil},
		route{"GET", "/api/v1/accounts/{id}/unprogrammed-zones", withID(a.unprogrammedZones), nil},
		route{"GET", "/api/v1/accounts/{id}/tests", withID(a.testHistory), []string{"open", "from", "to"}},
		route{"POST", "/api/v1/accounts/{id}/tests", a.startTest, nil},
		route{"POST", "/api/v1/accounts/{id}/tests/off", a.endTests, nil},
		route{"GET", "/api/v1/accounts/{id}/test-results", withID(a.testResults), rangeQuery},
		route{"GET", "/api/v1/station-events", a.stationEvents, []string{"kind", "account_id", "since", "after_id", "limit"}},
		route{"GET", "/api/v1/reports", a.reports, []string{"customer_id", "limit"}},
		route{"GET", "/api/v1/portal-users", a.listPortalUsers, []string{"scope"}},
		route{"POST", "/api/v1/portal-users", a.createPortalUser, nil},
		route{"PUT", "/api/v1/portal-users/{id}", a.updatePortalUser, nil},
		route{"POST", "/api/v1/portal-users/{id}/emulate", withID(a.emulatePortalUser), nil},
		route{"GET", "/api/v1/reports/{id}", withID(a.report), reportQuery},
	)
	return rs
}

// reports lists the morning reports (customer_id filters).
func (a *api) reports(w http.ResponseWriter, r *http.Request) {
	p, ok := a.parseList(w, r)
	if !ok {
		return
	}
	customer, ok := queryID(w, r, "customer_id")
	if !ok {
		return
	}
	a.writeReports(w, r, customer, p.limit)
}

// writeReports answers a customer's reports (0: every customer).
func (a *api) writeReports(w http.ResponseWriter, r *http.Request, customer int64, limit int) {
	list, err := a.opts.Station.Reports(r.Context(), customer, limit)
	a.respondItems(w, list, err)
}

// report returns one morning report as the customer got it (writeReport).
func (a *api) report(w http.ResponseWriter, r *http.Request, id int64) {
	rep, err := a.opts.Station.Report(r.Context(), id)
	if err != nil {
		a.storeError(w, err)
		return
	}
	a.writeReport(w, r, rep)
}

func (a *api) receivers(w http.ResponseWriter, r *http.Request) {
	list, err := a.opts.Station.Receivers(r.Context())
	a.respondItems(w, list, err)
}

func (a *api) findAccount(w http.ResponseWriter, r *http.Request) {
	receiver, err := strconv.Atoi(r.PathValue("receiver"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "receiver", "receiver must be a number from 1 to 99")
		return
	}
	acct, err := a.opts.Station.FindAccount(r.Context(), receiver, r.PathValue("number"))
	a.respond(w, http.StatusOK, acct, err)
}

// importer answers a CSV import (accounts, sites or customers): all rows
// or none, every bad row reported (422), ?dry_run=true checks and counts
// without writing.
func (a *api) importer(run func(ctx context.Context, r io.Reader, dryRun bool) (*store.ImportReport, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		dry, ok := queryBool(w, r, "dry_run")
		if !ok {
			return
		}
		body := http.MaxBytesReader(w, r.Body, maxImportBody)
		report, err := run(r.Context(), body, dry)
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				writeError(w, http.StatusRequestEntityTooLarge, "", "the file is larger than 64 MiB; split it")
				return
			}
			a.storeError(w, err)
			return
		}
		status := http.StatusOK
		if len(report.Errors) > 0 {
			status = http.StatusUnprocessableEntity
		}
		writeJSON(w, status, report)
	}
}

func (a *api) claimSignals(w http.ResponseWriter, r *http.Request, id int64) {
	v := r.URL.Query().Get("since")
	if v == "" {
		writeError(w, http.StatusBadRequest, "since", "since is required: an RFC 3339 time or a duration such as 24h")
		return
	}
	since, err := parseSince(v, a.opts.Now())
	if err != nil {
		writeError(w, http.StatusBadRequest, "since", "since must be an RFC 3339 time or a duration such as 24h")
		return
	}
	c, err := a.opts.Station.ClaimSignals(r.Context(), id, since, actorOf(r))
	if err != nil {
		a.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"account_id": id, "since": since, "claimed": c.Signals, "incidents": c.Incidents})
}

// testRequest places an account on test: until or duration says when it
// ends; from defaults to now.
type testRequest struct {
	Scope        string         `json:"scope"`
	Zones        store.Strings  `json:"zones"`
	Categories   store.Strings  `json:"categories"`
	From         *time.Time     `json:"from"`
	Until        *time.Time     `json:"until"`
	Duration     store.Duration `json:"duration"`
	Reason       string         `json:"reason"`
	AuthorisedBy string         `json:"authorised_by"`
}

func (a *api) startTest(w http.ResponseWriter, r *http.Request) {
	id, req, ok := idAndBody[testRequest](w, r)
	if !ok {
		return
	}
	if req.Scope == "" {
		req.Scope = store.ScopeAccount
	}
	portalSigns(r, &req.AuthorisedBy)
	t := store.OnTest{AccountID: id, Scope: req.Scope, Zones: req.Zones, Categories: req.Categories,
		Reason: req.Reason, AuthorisedBy: req.AuthorisedBy}
	start := a.opts.Now()
	if req.From != nil {
		start = *req.From
	}
	t.StartsAt = start
	switch {
	case req.Until != nil && req.Duration != 0:
		writeError(w, http.StatusBadRequest, "until", "give until or duration, not both")
		return
	case req.Until != nil:
		t.EndsAt = *req.Until
	case req.Duration > 0:
		t.EndsAt = start.Add(time.Duration(req.Duration))
	}
	err := a.opts.Station.StartTest(r.Context(), &t, a.live().MaxTestDuration)
	a.respond(w, http.StatusCreated, t, err)
}

type endTestRequest struct {
	By     string `json:"by"`
	TestID int64  `json:"test_id"`
}

func (a *api) endTests(w http.ResponseWriter, r *http.Request) {
	id, req, ok := idAndBody[endTestRequest](w, r)
	if !ok {
		return
	}
	portalSigns(r, &req.By)
	ended, err := a.opts.Station.EndTests(r.Context(), id, req.TestID, req.By)
	a.respond(w, http.StatusOK, map[string]any{"ended": ended}, err)
}

// dateRange reads from and to (RFC 3339; to defaults to now, from to a day
// before to).
func (a *api) dateRange(w http.ResponseWriter, r *http.Request) (from, to time.Time, ok bool) {
	q := r.URL.Query()
	to = a.opts.Now()
	if v := q.Get("to"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "to", "to must be an RFC 3339 time")
			return from, to, false
		}
		to = t
	}
	from = to.Add(-24 * time.Hour)
	if v := q.Get("from"); v != "" {
		t, err := parseSince(v, a.opts.Now())
		if err != nil {
			writeError(w, http.StatusBadRequest, "from", "from must be an RFC 3339 time or a duration such as 7d")
			return from, to, false
		}
		from = t
	}
	if !from.Before(to) {
		writeError(w, http.StatusBadRequest, "from", "from must lie before to")
		return from, to, false
	}
	return from, to, true
}

// testHistory lists on-test periods: open ones with ?open=true, else those
// overlapping the date range.
func (a *api) testHistory(w http.ResponseWriter, r *http.Request, id int64) {
	if _, err := a.opts.Tables.Accounts.Get(r.Context(), id); err != nil {
		a.storeError(w, err)
		return
	}
	var list []store.OnTest
	var err error
	if r.URL.Query().Get("open") == "true" {
		list, err = a.opts.Station.OpenTests(r.Context(), id)
	} else {
		from, to, ok := a.dateRange(w, r)
		if !ok {
			return
		}
		list, err = a.opts.Station.TestHistory(r.Context(), id, from, to)
	}
	if err != nil {
		a.storeError(w, err)
		return
	}
	now := a.opts.Now()
	out := make([]testView, len(list))
	for i := range list {
		out[i] = testView{OnTest: list[i], Active: list[i].Active(now)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

type testView struct {
	store.OnTest
	Active bool `json:"active"`
}

// testResults lists the signals received in on-test scopes in the range.
func (a *api) testResults(w http.ResponseWriter, r *http.Request, id int64) {
	from, to, ok := a.dateRange(w, r)
	if !ok {
		return
	}
	if _, err := a.opts.Tables.Accounts.Get(r.Context(), id); err != nil {
		a.storeError(w, err)
		return
	}
	if sigs, ok := a.testSignals(w, r, id, from, to); ok {
		writeJSON(w, http.StatusOK, map[string]any{"from": from, "to": to, "signals": sigs})
	}
}

// testSignals reads an account's test results in [from, to), answering a
// store error itself.
func (a *api) testSignals(w http.ResponseWriter, r *http.Request, id int64, from, to time.Time) ([]store.Signal, bool) {
	sigs, err := a.opts.Station.Signals(r.Context(), store.SignalFilter{
		AccountID: id, TestOnly: true, Since: from, Until: to, Limit: store.MaxListLimit,
	})
	if err != nil {
		a.storeError(w, err)
		return nil, false
	}
	return sigs, true
}

func (a *api) stationEvents(w http.ResponseWriter, r *http.Request) {
	p, ok := a.parseList(w, r)
	if !ok {
		return
	}
	f := store.StationEventFilter{Kind: r.URL.Query().Get("kind"), Since: p.since, AfterID: p.afterID, Limit: p.limit}
	if f.AccountID, ok = queryID(w, r, "account_id"); !ok {
		return
	}
	evs, err := a.opts.Station.StationEvents(r.Context(), f)
	a.respondItems(w, evs, err)
}

// listOptions reads the record filters, after_id and limit.
func (a *api) listOptions(w http.ResponseWriter, r *http.Request, filters []string) (store.ListOptions, bool) {
	q := r.URL.Query()
	o := store.ListOptions{Where: map[string]any{}}
	for key, vals := range q {
		switch key {
		case "q": // its length is the store's to check (records.MaxSearch)
			o.Search = vals[0]
			continue
		case "ids":
			for _, v := range strings.Split(vals[0], ",") {
				n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				if err != nil || n < 1 {
					writeError(w, http.StatusBadRequest, key, "ids is a list of at most "+strconv.Itoa(store.MaxListIDs)+" positive ids separated by commas")
					return o, false
				}
				o.IDs = append(o.IDs, n)
			}
			continue
		case "after_id", "limit":
			n, err := strconv.ParseInt(vals[0], 10, 64)
			if err != nil || n < 0 || (key == "limit" && (n < 1 || n > store.MaxListLimit)) {
				writeError(w, http.StatusBadRequest, key, key+" must be a positive integer (limit at most "+strconv.Itoa(store.MaxListLimit)+")")
				return o, false
			}
			if key == "limit" {
				o.Limit = int(n)
			} else {
				o.AfterID = n
			}
			continue
		}
		known := false
		for _, f := range filters {
			known = known || f == key
		}
		if !known {
			writeError(w, http.StatusBadRequest, key, "unknown filter; known: "+strings.Join(append(filters, "after_id", "limit"), ", "))
			return o, false
		}
		o.Where[key] = vals[0]
	}
	return o, true
}

// queryID reads an optional positive id from the query; 0 when absent.
func queryID(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		writeError(w, http.StatusBadRequest, name, name+" must be a positive integer")
		return 0, false
	}
	return n, true
}

func pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		writeError(w, http.StatusBadRequest, "id", "id must be a positive integer")
		return 0, false
	}
	return id, true
}

// idAndBody reads the {id} path value and a JSON body, answering 400 for
// either.
func idAndBody[T any](w http.ResponseWriter, r *http.Request) (int64, *T, bool) {
	id, ok := pathID(w, r)
	if !ok {
		return 0, nil, false
	}
	v := new(T)
	if !decodeBody(w, r, v) {
		return 0, nil, false
	}
	return id, v, true
}

// decodeBody reads one JSON object, refusing unknown fields and wrong
// types with the field named.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("one JSON object expected")
	}
	if err == nil {
		return true
	}
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &te):
		writeError(w, http.StatusBadRequest, te.Field, fmt.Sprintf("%s must be %s", te.Field, jsonKind(te.Type.Kind().String())))
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		writeError(w, http.StatusBadRequest, "", "the body is not a JSON object")
	case errors.As(err, &mbe):
		writeError(w, http.StatusRequestEntityTooLarge, "", "the body is larger than 1 MiB")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		writeError(w, http.StatusBadRequest, field, "unknown field "+field)
	default:
		// Field-level errors from UnmarshalJSON (durations) land here.
		writeError(w, http.StatusBadRequest, "", err.Error())
	}
	return false
}

func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"), strings.HasPrefix(k, "float"):
		return "a number"
	case k == "string":
		return "text"
	case k == "bool":
		return "true or false"
	case k == "slice":
		return "a list"
	}
	return "an object"
}

// storeError answers a store error with its status: 400 with the field for
// invalid input, 404, 409 naming what is in the way, 503 while the store
// fails.
func (a *api) storeError(w http.ResponseWriter, err error) {
	var fe *store.FieldError
	var ce *store.ConflictError
	switch {
	case errors.As(err, &fe):
		writeError(w, http.StatusBadRequest, fe.Field, fe.Error())
	case errors.As(err, &ce):
		writeError(w, http.StatusConflict, ce.Field, ce.Msg)
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "", strings.TrimPrefix(err.Error(), "store: "))
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, store.ErrClosed), errors.Is(err, context.DeadlineExceeded):
		a.log.Warn("store unavailable", zap.Error(err))
		writeError(w, http.StatusServiceUnavailable, "", "the store is unavailable; retry later")
	default:
		a.log.Error("store error", zap.Error(err))
		writeError(w, http.StatusInternalServerError, "", "store error")
	}
}
