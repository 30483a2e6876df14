package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/internal/evidence"
	"github.com/alarmrx/alarmrx/internal/ratelog"
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/receiver"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

// Options configure the handler.
type Options struct {
	Logger   *zap.Logger         // required
	Gatherer prometheus.Gatherer // required: what /metrics exposes
	Store    Store               // required
	// AdminToken guards /api/. Empty disables the API (403) rather than
	// leaving it open.
	AdminToken string
	// Ready reports whether the daemon can take traffic: listeners bound and
	// the store answering. nil means always ready.
	Ready func(ctx context.Context) error
	// Trends keeps the dashboard's last hour of figures and the lines'
	// states; nil hides GET /api/v1/dashboard/trend.
	Trends *Trends
	// Connections lists open panel connections; nil hides the endpoint.
	Connections func() []receiver.ConnInfo
	// Cluster lists the nodes sharing the store and who holds each
	// singleton job's lease; nil hides the endpoint.
	Cluster func(ctx context.Context) (any, error)
	// Station serves the management API over the station's records; nil
	// leaves it out.
	Station Station
	// Tables are the record kinds the management API serves; each is
	// required with Station.
	Tables Tables
	// MaxTestDuration caps one on-test period (0: no cap).
	MaxTestDuration time.Duration
	// Queue are the operator-queue rules the steps obey.
	Queue store.QueueRules
	// Console configures logins and the console.
	Console ConsoleOptions
	// Done, when closed, ends the server-sent event streams (shutdown).
	Done <-chan struct{}
	// RaiseDuress raises the hold-up alarm of a duress passcode an operator
	// checked: the incident, whose passcode (the party's name) and who
	// checked it; nil raises none.
	RaiseDuress func(in store.Incident, party, operator string) error
	// XML enables POST /xml/v1/signals and /json/v1/signals when it has
	// senders.
	XML XMLOptions
	// Registerer takes the HTTP side's own metrics; nil keeps them private.
	Registerer prometheus.Registerer
	// Evidence bounds the failed logins kept in the audit log; nil keeps
	// all.
	Evidence *evidence.Quota
	// Live, when set, returns the reloadable options in force (AdminToken,
	// MaxTestDuration, Queue, the console's ages and clock, XML), which
	// then override the fields above; nil keeps those fixed.
	Live func() *Live
	// Reload, when set, reads the configuration again and applies it
	// (POST /-/reload); its result is the answer's JSON.
	Reload func(ctx context.Context) (any, error)
	Now    func() time.Time
}

type api struct {
	opts       Options
	log        *zap.Logger
	logins     *loginGuard
	deviceKey  []byte
	done       <-chan struct{}
	xmlRefused *prometheus.CounterVec
	// badInputLog limits the log lines of refused input (XML messages,
	// failed logins) to one per kind per 10 s.
	badInputLog *ratelog.Limiter
	// recordPaths are the record routes (recordRoutes): the store audits
	// their changes itself.
	recordPaths map[string]bool
	// fixed are the reloadable options when Options.Live is nil.
	fixed *Live
}

// New returns the daemon's HTTP handler.
func New(opts Options) (http.Handler, error) {
	if opts.Logger == nil || opts.Gatherer == nil || opts.Store == nil {
		return nil, errors.New("httpapi: Logger, Gatherer and Store are required")
	}
	if opts.Station != nil {
		if name := opts.Tables.missing(); name != "" {
			return nil, errors.New("httpapi: Tables." + name + " is required with Station")
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.Console.setDefaults()
	a := &api{opts: opts, fixed: LiveOf(opts), log: opts.Logger.Named("httpapi"), logins: newLoginGuard(), done: opts.Done,
		badInputLog: ratelog.New(10 * time.Second), deviceKey: opts.Console.DeviceKey}
	if len(a.deviceKey) == 0 {
		a.deviceKey = make([]byte, 32)
		if _, err := rand.Read(a.deviceKey); err != nil {
			return nil, err
		}
	}
	if opts.Registerer == nil {
		opts.Registerer = prometheus.NewRegistry()
	}
	a.xmlRefused = promauto.With(opts.Registerer).NewCounterVec(prometheus.CounterOpts{
		Name: "alarmrx_signal_messages_refused_total",
		Help: "XML/JSON signal messages refused before or by the pipeline, by result code (1 length, 2 invalid, 3 wrong content, 4 not authorised, 5 not treated, 7 missing data).",
	}, []string{"code"})
	for _, c := range []int{1, 2, 3, 4, 5, 7, 98} {
		a.xmlRefused.WithLabelValues(strconv.Itoa(c))
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{
		ErrorLog: zap.NewStdLog(a.log), EnableOpenMetrics: true,
	}))
	mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("OK\n"))
	})
	mux.HandleFunc("GET /-/ready", a.ready)
	mux.HandleFunc("GET /api/openapi.yaml", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(openAPI)
	})
	for _, rt := range a.routes() {
		mux.Handle(rt.method+" "+rt.path, a.auth(rt.path, knownQuery(rt, a.audited(rt))))
	}
	// Always served: a reload may add the first sender. Without one a
	// message is refused as from an unknown sender.
	mux.HandleFunc("POST /xml/v1/signals", a.xmlSignals)
	mux.HandleFunc("POST /json/v1/signals", a.xmlSignals)
	mux.HandleFunc("POST /-/reload", a.reload)
	if opts.Station != nil {
		mux.HandleFunc("POST /api/v1/login", a.login)
		a.console(mux)
		a.portalRoutes(mux)
	}
	return securityHeaders(mux), nil
}

// routes is every /api/v1 endpoint this handler serves; openapi.yaml
// documents exactly these (a test holds them together).
func (a *api) routes() []route {
	rs := []route{
		{"GET", "/api/v1/signals", a.signals, signalQuery},
		{"GET", "/api/v1/frames", a.frames, frameQuery},
		{"GET", "/api/v1/polls", a.polls, []string{"account", "receiver", "limit"}},
	}
	if a.opts.Connections != nil {
		rs = append(rs, route{"GET", "/api/v1/connections", a.connections, nil})
	}
	if a.opts.Cluster != nil {
		rs = append(rs, route{"GET", "/api/v1/cluster", a.cluster, nil})
	}
	if a.opts.Trends != nil {
		rs = append(rs, route{"GET", "/api/v1/dashboard/trend", a.trend, nil})
	}
	if a.opts.Station != nil {
		rs = append(rs, a.stationRoutes()...)
		rs = append(rs, a.visitRoutes()...)
		rs = append(rs, a.identifierRoutes()...)
		rs = append(rs, a.queueRoutes()...)
		rs = append(rs, a.scheduleRoutes()...)
		rs = append(rs, a.planRoutes()...)
		rs = append(rs, a.instructionRoutes()...)
		rs = append(rs, a.disasterRoutes()...)
		rs = append(rs, a.directoryRoutes()...)
		rs = append(rs, a.falseAlarmRoutes()...)
		rs = append(rs, a.reportRoutes()...)
		rs = append(rs, route{"GET", "/api/v1/outputs/{name}/undeliverable", a.undeliverable, pageQuery})
	}
	return rs
}

//go:embed openapi.yaml
var openAPI []byte

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

func (a *api) ready(w http.ResponseWriter, r *http.Request) {
	if a.opts.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := a.opts.Ready(ctx); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("OK\n"))
}

// auth admits a request with the admin bearer token (acting as an admin
// named "api") or with a station user's session cookie, whose role must
// reach the route's (operator routes: the queue; everything else: admin).
// Unsafe methods with a session need the session's CSRF token in the
// X-CSRF-Token header. The token is compared in constant time and never
// logged or echoed.
func (a *api) auth(path string, next http.Handler) http.Handler {
	need := store.RoleAdmin
	for _, p := range operatorPaths {
		if path == p || strings.HasPrefix(path, p+"/") {
			need = store.RoleOperator
		}
	}
	for _, p := range supervisorPaths {
		if path == p || strings.HasPrefix(path, p+"/") {
			need = store.RoleSupervisor
		}
	}
	if a.recordPaths[path] || slices.Contains(supervisorRecordPaths, path) {
		need = store.RoleSupervisor
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := r.Header.Get("Authorization"); h != "" || a.opts.Station == nil {
			token := a.live().AdminToken
			if token == "" {
				writeError(w, http.StatusForbidden, "", "the API is disabled: set http.admin_token (or ALARMRX_HTTP_ADMIN_TOKEN)")
				return
			}
			got, ok := strings.CutPrefix(h, "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="alarmrx"`)
				writeError(w, http.StatusUnauthorized, "", "missing or wrong bearer token")
				return
			}
			actor := store.Actor{Name: "api", Role: store.RoleAdmin, RemoteAddr: remoteIP(r)}
			ctx := store.WithActorName(context.WithValue(r.Context(), actorKey{}, actor), "station:api")
			ctx = store.WithActor(ctx, actor)
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		sess, ok := a.session(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="alarmrx"`)
			writeError(w, http.StatusUnauthorized, "", "log in, or send the bearer token")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !sess.CSRFMatches(r.Header.Get("X-CSRF-Token")) {
			writeError(w, http.StatusForbidden, "", "missing or wrong X-CSRF-Token")
			return
		}
		if !store.RoleAtLeast(sess.User.Role, need) {
			writeError(w, http.StatusForbidden, "", "this needs the "+need+" role")
			return
		}
		actor := store.Actor{ID: sess.User.ID, Name: sess.User.Username, Role: sess.User.Role, RemoteAddr: remoteIP(r)}
		ctx := context.WithValue(r.Context(), actorKey{}, actor)
		ctx = context.WithValue(ctx, sessionKey{}, sess)
		ctx = store.WithActorName(ctx, "station:"+actor.Name)
		ctx = store.WithActor(ctx, actor)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// selfAudited routes write their own, richer audit entries in the store.
var selfAudited = map[string]bool{
	"/api/v1/incidents/{id}/steps": true, "/api/v1/users": true, "/api/v1/users/{id}": true, "/api/v1/logout": true,
	"/api/v1/visits": true, "/api/v1/visits/{id}/start": true, "/api/v1/visits/{id}/end": true, "/api/v1/visits/{id}/cancel": true,
	"/api/v1/portal-users": true, "/api/v1/portal-users/{id}": true,
	"/api/v1/accounts/{id}/schedule": true, "/api/v1/holidays": true, "/api/v1/holidays/{id}": true, "/api/v1/schedules/import": true,
	"/api/v1/action-plans": true, "/api/v1/action-plans/{id}": true, "/api/v1/instructions": true, "/api/v1/instructions/{id}": true,
	"/api/v1/disasters": true, "/api/v1/disasters/{id}": true, "/api/v1/authority-directory": true,
	"/api/v1/authority-directory/{id}": true, "/api/v1/sites/{id}/permit": true,
}

// audited records every successful change made through the API (method,
// route, the record's path, who) in the audit log [issue 6: an audit log
// of every change made through the API]. Bodies are not recorded: they
// may hold keys and passcodes. The record routes are left to the store,
// which writes each change with the record's fields before and after.
func (a *api) audited(rt route) http.Handler {
	if rt.method == http.MethodGet || a.opts.Station == nil || selfAudited[rt.path] || a.recordPaths[rt.path] || identifierAudited(rt.path) {
		return rt.handler
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		rt.handler(sw, r)
		if sw.status/100 != 2 {
			return
		}
		action := "api " + rt.method + " " + rt.path
		if err := a.opts.Station.RecordAudit(r.Context(), actorOf(r), action, r.URL.Path, nil); err != nil {
			a.log.Error("audit entry not written", zap.String("action", action), zap.Error(err))
		}
	})
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// listParams are the filters shared by the list endpoints.
type listParams struct {
	account  string
	receiver int
	since    time.Time
	until    time.Time // exclusive
	text     string    // q: the history's words
	csv      bool      // format=csv
	afterID  int64
	beforeID int64
	desc     bool // order=desc: newest first
	limit    int
}

func (a *api) parseList(w http.ResponseWriter, r *http.Request) (listParams, bool) {
	q := r.URL.Query()
	var p listParams
	p.account = strings.ToUpper(strings.TrimSpace(q.Get("account")))
	if v := q.Get("receiver"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 99 {
			writeError(w, http.StatusBadRequest, "receiver", "receiver must be a number from 1 to 99")
			return p, false
		}
		p.receiver = n
	}
	for _, c := range []struct {
		name string
		to   *time.Time
	}{{"since", &p.since}, {"until", &p.until}} {
		if v := q.Get(c.name); v != "" {
			t, err := parseSince(v, a.opts.Now())
			if err != nil {
				writeError(w, http.StatusBadRequest, c.name, c.name+" must be an RFC 3339 time or a duration such as 15m (that long ago)")
				return p, false
			}
			*c.to = t
		}
	}
	// The history's words and the CSV download (routes that take neither
	// have refused them already: knownQuery).
	if p.text = q.Get("q"); len(p.text) > store.MaxSearch {
		writeError(w, http.StatusBadRequest, "q", "q is longer than "+strconv.Itoa(store.MaxSearch)+" characters")
		return p, false
	}
	switch q.Get("format") {
	case "", "json":
	case "csv":
		p.csv = true
	default:
		writeError(w, http.StatusBadRequest, "format", "format must be json (the default) or csv")
		return p, false
	}
	for _, c := range []struct {
		name string
		to   *int64
	}{{"after_id", &p.afterID}, {"before_id", &p.beforeID}} {
		if v := q.Get(c.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				writeError(w, http.StatusBadRequest, c.name, c.name+" must be a non-negative integer")
				return p, false
			}
			*c.to = n
		}
	}
	switch q.Get("order") {
	case "", "asc":
	case "desc":
		p.desc = true
	default:
		writeError(w, http.StatusBadRequest, "order", "order must be asc (oldest first, the default) or desc (newest first)")
		return p, false
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxListLimit {
			writeError(w, http.StatusBadRequest, "limit", "limit must be a number from 1 to "+strconv.Itoa(store.MaxListLimit))
			return p, false
		}
		p.limit = n
	}
	return p, true
}

// parseSince accepts an RFC 3339 time or a duration back from now.
func parseSince(v string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	// Days, as reports are asked for: 7d, 30d.
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 3660 {
			return time.Time{}, errors.New("bad since")
		}
		return now.AddDate(0, 0, -n), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return time.Time{}, errors.New("bad since")
	}
	return now.Add(-d), nil
}

func (a *api) signals(w http.ResponseWriter, r *http.Request) {
	p, ok := a.parseList(w, r)
	if !ok {
		return
	}
	f := store.SignalFilter{
		Account: p.account, Receiver: p.receiver, Since: p.since, Until: p.until, AfterID: p.afterID, BeforeID: p.beforeID, Desc: p.desc, Limit: p.limit,
	}
	q := r.URL.Query()
	f.Code, f.Zone, f.Text = q.Get("code"), q.Get("zone"), p.text
	if v := q.Get("category"); v != "" {
		if _, known := protocols.ParseCategory(v); !known {
			writeError(w, http.StatusBadRequest, "category", "category must be one of "+strings.Join(protocols.CategoryNames(), ", "))
			return
		}
		f.Category = v
	}
	if f.AccountID, ok = queryID(w, r, "account_id"); !ok {
		return
	}
	if f.SiteID, ok = queryID(w, r, "site_id"); !ok {
		return
	}
	if f.CustomerID, ok = queryID(w, r, "customer_id"); !ok {
		return
	}
	if f.Resolution, ok = queryOneOf(w, r, "resolution", store.ResolutionResolved, store.ResolutionUnknown, store.ResolutionClaimed); !ok {
		return
	}
	if f.TestOnly, ok = queryBool(w, r, "test"); !ok {
		return
	}
	sigs, err := a.opts.Store.Signals(r.Context(), f)
	var fe *store.FieldError
	switch {
	case errors.As(err, &fe):
		writeError(w, http.StatusBadRequest, fe.Field, fe.Error())
	case err == nil && p.csv:
		writeSignalsCSV(w, sigs)
	default:
		a.respondList(w, "signals", sigs, err)
	}
}

func (a *api) frames(w http.ResponseWriter, r *http.Request) {
	p, ok := a.parseList(w, r)
	if !ok {
		return
	}
	status, ok := queryOneOf(w, r, "status", store.StatusAccepted, store.StatusRejected)
	if !ok {
		return
	}
	frames, err := a.opts.Store.Frames(r.Context(), store.FrameFilter{
		Account: p.account, Receiver: p.receiver, Status: status, Since: p.since, AfterID: p.afterID, BeforeID: p.beforeID,
		Desc: p.desc, Limit: p.limit,
	})
	a.respondList(w, "frames", frames, err)
}

func (a *api) polls(w http.ResponseWriter, r *http.Request) {
	p, ok := a.parseList(w, r)
	if !ok {
		return
	}
	polls, err := a.opts.Store.PollEvidence(r.Context(), store.PollFilter{Account: p.account, Receiver: p.receiver, Limit: p.limit})
	a.respondList(w, "polls", polls, err)
}

// respondList answers {name: list} read through Options.Store. Unlike
// the station endpoints (storeError), any error of it is logged and
// answered 500.
func (a *api) respondList(w http.ResponseWriter, name string, list any, err error) {
	if err != nil {
		a.log.Error("list "+name, zap.Error(err))
		writeError(w, http.StatusInternalServerError, "", "store error")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{name: list})
}

func (a *api) connections(w http.ResponseWriter, _ *http.Request) {
	conns := a.opts.Connections()
	if conns == nil {
		conns = []receiver.ConnInfo{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"connections": conns})
}

func (a *api) cluster(w http.ResponseWriter, r *http.Request) {
	c, err := a.opts.Cluster(r.Context())
	if err != nil {
		a.log.Warn("cluster state unreadable", zap.Error(err))
		writeError(w, http.StatusServiceUnavailable, "", "cluster state unreadable")
		return
	}
	writeJSON(w, http.StatusOK, c)
}

type apiError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

func writeError(w http.ResponseWriter, status int, field, msg string) {
	writeJSON(w, status, apiError{Error: msg, Field: field})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
