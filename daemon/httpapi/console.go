package httpapi

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/registry"
	"github.com/alarmrx/alarmrx/receiver"
	"github.com/alarmrx/alarmrx/store"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"
)

// ConsoleOptions configure the operator console and station logins.
type ConsoleOptions struct {
	SessionTTL time.Duration // default 12h
	// LoginAttempts failed logins per user name (from browsers without its
	// device cookie) and per device cookie, LoginAttemptsPerAddress per
	// address, within LoginWindow lock further attempts out (see
	// loginGuard). Defaults 5, 20 and 5m.
	LoginAttempts           int
	LoginAttemptsPerAddress int
	LoginWindow             time.Duration
	// DeviceCookieTTL is how long a browser stays trusted after a
	// successful login; default 30 days. DeviceKey signs the device
	// cookies (the station keeps it in its store); nil: a random key of
	// this process.
	DeviceCookieTTL time.Duration
	DeviceKey       []byte
	// SecureCookies marks the session cookie Secure even on plain HTTP
	// requests (it is always Secure on TLS requests).
	SecureCookies bool
	// AgeWarn and AgeCritical mark the age of unclaimed incidents in the
	// console.
	AgeWarn, AgeCritical time.Duration
	// Clock is how the console writes times: "24h" (the default) or "12h".
	Clock string
}

func (o *ConsoleOptions) setDefaults() {
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.LoginAttempts <= 0 {
		o.LoginAttempts = 5
	}
	if o.LoginAttemptsPerAddress <= 0 {
		o.LoginAttemptsPerAddress = 20
	}
	if o.DeviceCookieTTL <= 0 {
		o.DeviceCookieTTL = 30 * 24 * time.Hour
	}
	if o.LoginWindow <= 0 {
		o.LoginWindow = 5 * time.Minute
	}
	if o.AgeWarn <= 0 {
		o.AgeWarn = time.Minute
	}
	if o.AgeCritical <= o.AgeWarn {
		o.AgeCritical = 3 * o.AgeWarn
	}
	if o.Clock == "" {
		o.Clock = "24h"
	}
}

// sessionCookie is the name of the console's session cookie.
const sessionCookie = "alarmrx_session"

// operatorPaths may be used by any station user; everything else under
// /api/v1 needs an admin or the admin token. Operators read signals (the
// incident page shows them with their frames already) and note them.
var operatorPaths = []string{"/api/v1/queue", "/api/v1/incidents", "/api/v1/me", "/api/v1/logout", "/api/v1/dashboard",
	"/api/v1/signals", "/api/v1/instructions"}

// supervisorPaths need a supervisor (or an admin): switching disaster
// modes on and off, the frames as received (the console's live signal
// log, for commissioning panels) and the station's reports.
var supervisorPaths = append([]string{"/api/v1/disasters", "/api/v1/frames"}, reportPaths()...)

// supervisorRecordPaths, with the record routes (recordRoutes), are the
// console's record pages: supervisors keep the station's customers, sites,
// accounts, call lists and authorities, the accounts' open/close schedules,
// the holiday calendars and the action plans, put accounts on and off test
// and import files of records. Station users, portal users and portal
// identifiers stay with admins.
var supervisorRecordPaths = []string{"/api/v1/accounts/{id}/tests", "/api/v1/accounts/{id}/tests/off",
	"/api/v1/accounts/{id}/test-results", "/api/v1/accounts/import", "/api/v1/sites/import", "/api/v1/customers/import",
	"/api/v1/sites/{id}/systems", "/api/v1/accounts/{id}/unprogrammed-zones", "/api/v1/receivers",
	"/api/v1/accounts/{id}/schedule", "/api/v1/holidays", "/api/v1/holidays/{id}", "/api/v1/action-plans", "/api/v1/action-plans/{id}"}

type actorKey struct{}
type sessionKey struct{}

func actorOf(r *http.Request) store.Actor {
	a, _ := r.Context().Value(actorKey{}).(store.Actor)
	return a
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (a *api) session(r *http.Request) (*store.Session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, false
	}
	sess, err := a.opts.Station.SessionFor(r.Context(), c.Value)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			a.log.Warn("session lookup failed", zap.Error(err))
		}
		return nil, false
	}
	return sess, true
}

// queueRoutes are the operator endpoints.
func (a *api) queueRoutes() []route {
	return []route{
		{"POST", "/api/v1/logout", a.logout, nil},
		{"GET", "/api/v1/me", a.me, nil},
		{"GET", "/api/v1/queue", a.queue, nil},
		{"GET", "/api/v1/queue/events", a.queueEvents, nil},
		{"GET", "/api/v1/incidents", a.incidents, incidentQuery},
		{"GET", "/api/v1/incidents/{id}", withID(a.incident), nil},
		{"POST", "/api/v1/incidents/{id}/steps", a.step, nil},
		{"GET", "/api/v1/dashboard", a.dashboard, nil},
		{"GET", "/api/v1/users", a.users, nil},
		{"POST", "/api/v1/users", a.createUser, nil},
		{"PUT", "/api/v1/users/{id}", a.updateUser, nil},
		{"GET", "/api/v1/audit", a.audit, pageQuery},
	}
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (a *api) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if !a.loginRequest(w, r, &req) {
		return
	}
	user := "console|" + strings.ToLower(strings.TrimSpace(req.Username))
	a.guardedLogin(w, r, user, sessionCookie, consoleDeviceCookie, "wrong user name or password", func(ctx context.Context) (string, any, error) {
		token, sess, err := a.opts.Station.Login(ctx, req.Username, req.Password, remoteIP(r), a.opts.Console.SessionTTL)
		if err != nil {
			return "", nil, err
		}
		return token, a.meView(sess), nil
	})
}

// setCookie sets a session cookie (console or portal); an empty token
// clears it. MaxAge, not Expires: the browser's clock need not agree with
// ours.
func (a *api) setCookie(w http.ResponseWriter, r *http.Request, name, token string) {
	age := int(a.opts.Console.SessionTTL.Seconds())
	if token == "" {
		age = -1
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: token, Path: "/", MaxAge: age, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: a.opts.Console.SecureCookies || r.TLS != nil})
}

func (a *api) meView(sess *store.Session) map[string]any {
	return map[string]any{"user": sess.User, "csrf_token": sess.CSRFToken, "expires_at": sess.ExpiresAt, "console": a.consoleSettings()}
}

// protocolTitle names a protocol label for people: the registry's title,
// and the signals the station raises itself (schedules, supervision,
// duress) as such.
func protocolTitle(protocol string) string {
	if protocol == receiver.SyntheticProtocol {
		return "raised by the station"
	}
	return registry.Title(protocol)
}

// priorityLabels say what each priority 1–9 is by default: the label of
// the first category at it (fire 1 … opening/closing 9), for the
// console's tab title and alerts.
var priorityLabels = func() []string {
	labels := make([]string, 10)
	for _, c := range protocols.Categories() {
		if p := c.DefaultPriority(); c != protocols.CategoryUnknown && labels[p] == "" {
			labels[p] = c.Label()
		}
	}
	return labels[1:]
}()

// consoleSettings are what the console draws with: the station's clock
// (24h or 12h) and what each priority is.
func (a *api) consoleSettings() map[string]any {
	return map[string]any{"clock": a.live().Clock, "priority_labels": priorityLabels}
}

func (a *api) logout(w http.ResponseWriter, r *http.Request) {
	a.endSession(w, r, sessionCookie, func(token string) error {
		return a.opts.Station.Logout(r.Context(), token, actorOf(r))
	})
}

// endSession ends the session of the cookie name in the store (end), so a
// copied cookie stops working too, and clears the cookie.
func (a *api) endSession(w http.ResponseWriter, r *http.Request, name string, end func(token string) error) {
	if c, err := r.Cookie(name); err == nil {
		if err := end(c.Value); err != nil {
			a.storeError(w, err)
			return
		}
	}
	a.setCookie(w, r, name, "")
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) me(w http.ResponseWriter, r *http.Request) {
	sess, ok := r.Context().Value(sessionKey{}).(*store.Session)
	if !ok {
		writeJSON(w, http.StatusOK, map[string]any{"user": map[string]any{"username": "api", "role": store.RoleAdmin}})
		return
	}
	writeJSON(w, http.StatusOK, a.meView(sess))
}

func (a *api) queue(w http.ResponseWriter, r *http.Request) {
	now := a.opts.Now()
	q, held, err := a.opts.Station.Queue(r.Context(), now)
	a.respond(w, http.StatusOK, map[string]any{
		"now": now, "queue": q, "held": held,
		"age_warn_seconds": a.live().AgeWarn.Seconds(), "age_critical_seconds": a.live().AgeCritical.Seconds(),
		"claim_timeout_seconds": a.live().Queue.ClaimTimeout.Seconds(),
	}, err)
}

// queueEvents streams queue changes as server-sent events: one "queue"
// event per changed incident.
func (a *api) queueEvents(w http.ResponseWriter, r *http.Request) {
	events, cancel := a.opts.Station.SubscribeQueue()
	defer cancel()
	serveEvents(a, w, r, events, func(e store.QueueEvent) string {
		b, _ := json.Marshal(e)
		return "event: queue\ndata: " + string(b) + "\n\n"
	})
}

// serveEvents writes events as server-sent events (frame renders one, ""
// skips it), with a comment every 15 s to keep proxies and the connection
// alive. Each write has its own deadline, so the server's write timeout
// does not cut the stream; it ends with the request or the server.
func serveEvents[T any](a *api, w http.ResponseWriter, r *http.Request, events <-chan T, frame func(T) string) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	write := func(s string) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := w.Write([]byte(s)); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write("retry: 2000\n: connected\n\n") {
		return
	}
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-a.done:
			return
		case e := <-events:
			if f := frame(e); f != "" && !write(f) {
				return
			}
		case <-ping.C:
			if !write(": ping\n\n") {
				return
			}
		}
	}
}

// incidentDetail is everything an operator needs on one page.
type incidentDetail struct {
	Incident          store.Incident          `json:"incident"`
	Account           *store.Account          `json:"account"`
	Site              *store.Site             `json:"site"`
	Customer          *store.Customer         `json:"customer"`
	Systems           []store.System          `json:"systems"`
	Zones             []store.Zone            `json:"zones"`
	RespondingParties []store.RespondingParty `json:"responding_parties"`
	Authorities       []store.Authority       `json:"authorities"`
	Signals           []incidentSignal        `json:"signals"`
	Actions           []store.IncidentAction  `json:"actions"`
	ResolutionCodes   []string                `json:"resolution_codes"`
	// UnprogrammedZones are the zones the account's signals name that have
	// no zone record (the console offers to add them).
	UnprogrammedZones []store.UnprogrammedZone `json:"unprogrammed_zones"`
	// Plan is the action plan that applies, with each step's state.
	Plan *store.IncidentPlan `json:"plan"`
	// Instructions are the temporary instructions in force for the site
	// or the account, shown above the plan.
	Instructions []store.Instruction `json:"instructions"`
	// FalseAlarms are the site's false alarms of the last 12 months, and
	// Permit its alarm permit (null: none on file).
	FalseAlarms *store.FalseAlarmCount `json:"false_alarms"`
	Permit      *store.Permit          `json:"permit"`
	// OnTest are the test periods in force for the site's accounts, with
	// the zones or categories they cover: what the operator must know of a
	// site under a technician's hands.
	OnTest []siteTest `json:"on_test"`
}

// siteTest is a test period in force, of one of the site's accounts.
type siteTest struct {
	testView
	Receiver int    `json:"receiver"`
	Account  string `json:"account"`
}

// siteTests are the test periods in force for a site's accounts.
func (a *api) siteTests(ctx context.Context, siteID int64) ([]siteTest, error) {
	accts, err := a.opts.Tables.Accounts.List(ctx, store.ListOptions{Where: map[string]any{"site_id": siteID}, Limit: store.MaxListLimit})
	if err != nil {
		return nil, err
	}
	out := []siteTest{}
	now := a.opts.Now()
	for _, acct := range accts {
		open, err := a.opts.Station.OpenTests(ctx, acct.ID)
		if err != nil {
			return nil, err
		}
		for _, t := range open {
			if t.Active(now) {
				out = append(out, siteTest{testView: testView{OnTest: t, Active: true}, Receiver: acct.Receiver, Account: acct.Number})
			}
		}
	}
	return out, nil
}

type incidentSignal struct {
	store.Signal
	Role string `json:"role"`
}

func (a *api) incident(w http.ResponseWriter, r *http.Request, id int64) {
	st := a.opts.Station
	ctx := r.Context()
	in, err := st.Incident(ctx, id)
	if err != nil {
		a.storeError(w, err)
		return
	}
	d := incidentDetail{Incident: *in, Systems: []store.System{}, Zones: []store.Zone{},
		UnprogrammedZones: []store.UnprogrammedZone{}, RespondingParties: []store.RespondingParty{},
		Authorities: []store.Authority{}, ResolutionCodes: append([]string{}, a.live().Queue.ResolutionCodes...)}
	if in.AccountID != nil {
		if d.Account, err = a.opts.Tables.Accounts.Get(ctx, *in.AccountID); err == nil {
			d.Zones, err = a.opts.Tables.Zones.List(ctx, store.ListOptions{Where: map[string]any{"account_id": *in.AccountID}, Limit: store.MaxListLimit})
		}
		if err == nil {
			d.UnprogrammedZones, err = st.UnprogrammedZones(ctx, *in.AccountID)
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			a.storeError(w, err)
			return
		}
	}
	if in.SiteID != nil {
		site := map[string]any{"site_id": *in.SiteID}
		if d.Site, err = a.opts.Tables.Sites.Get(ctx, *in.SiteID); err == nil {
			d.Customer, _ = a.opts.Tables.Customers.Get(ctx, d.Site.CustomerID)
			d.RespondingParties, err = a.opts.Tables.RespondingParties.List(ctx, store.ListOptions{Where: site, Limit: store.MaxListLimit})
			if err == nil {
				d.Authorities, err = a.opts.Tables.Authorities.List(ctx, store.ListOptions{Where: site, Limit: store.MaxListLimit})
			}
			if err == nil {
				d.Systems, err = st.SiteSystems(ctx, *in.SiteID)
			}
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			a.storeError(w, err)
			return
		}
		sort.SliceStable(d.RespondingParties, func(i, j int) bool { return d.RespondingParties[i].Position < d.RespondingParties[j].Position })
	}
	ids, roles, err := st.IncidentSignalIDs(ctx, id)
	if err == nil && len(ids) > 0 {
		var sigs []store.Signal
		sigs, err = st.Signals(ctx, store.SignalFilter{IDs: ids, Limit: store.MaxListLimit})
		for _, s := range sigs {
			d.Signals = append(d.Signals, incidentSignal{Signal: s, Role: roles[s.ID]})
		}
	}
	if err == nil {
		d.Actions, err = st.IncidentActions(ctx, id)
	}
	if err == nil {
		d.Plan, err = st.IncidentPlan(ctx, id)
	}
	if err == nil && in.SiteID != nil {
		if d.FalseAlarms, err = st.FalseAlarms(ctx, *in.SiteID, 0, 0); err == nil {
			d.Permit, err = st.SitePermit(ctx, *in.SiteID)
		}
	}
	d.OnTest = []siteTest{}
	if err == nil && in.SiteID != nil {
		d.OnTest, err = a.siteTests(ctx, *in.SiteID)
	}
	d.Instructions = []store.Instruction{}
	if err == nil && in.AccountID != nil {
		d.Instructions, err = st.Instructions(ctx, 0, *in.AccountID)
	} else if err == nil && in.SiteID != nil {
		d.Instructions, err = st.Instructions(ctx, *in.SiteID, 0)
	}
	if err != nil {
		a.storeError(w, err)
		return
	}
	if d.Signals == nil {
		d.Signals = []incidentSignal{}
	}
	writeJSON(w, http.StatusOK, d)
}

func (a *api) step(w http.ResponseWriter, r *http.Request) {
	id, step, ok := idAndBody[store.Step](w, r)
	if !ok || !stationUser(w, r, "queue steps are taken by station users") {
		return
	}
	out, err := a.opts.Station.Act(r.Context(), id, actorOf(r), *step, a.live().Queue)
	var held *store.ClaimHeldError
	if errors.As(err, &held) {
		writeError(w, http.StatusConflict, "", held.Error())
		return
	}
	if err != nil {
		a.storeError(w, err)
		return
	}
	// A duress passcode raises a hold-up alarm at once; the caller hears
	// nothing of it. If it cannot be stored, the operator is told to raise
	// one by hand.
	alarm := ""
	if out.Passcode == store.PasscodeDuress && a.opts.RaiseDuress != nil {
		alarm = "raised"
		if err := a.opts.RaiseDuress(out.Incident, out.Party, actorOf(r).Name); err != nil {
			a.log.Error("duress alarm not stored: the operator was told", zap.Int64("incident", id), zap.Error(err))
			alarm = "failed"
		}
	}
	// A passcode check answers its result beside the incident (never the
	// passcode, which the action log does not hold either).
	writeJSON(w, http.StatusOK, struct {
		store.Incident
		PasscodeResult string `json:"passcode_result,omitempty"`
		DuressAlarm    string `json:"duress_alarm,omitempty"`
	}{out.Incident, out.Passcode, alarm})
}

type createUserRequest struct {
	store.User
	Password string `json:"password"`
}

func (a *api) users(w http.ResponseWriter, r *http.Request) {
	list, err := a.opts.Station.Users(r.Context())
	a.respondItems(w, list, err)
}

func (a *api) createUser(w http.ResponseWriter, r *http.Request) {
	var req createUserRequest
	if !decodeBody(w, r, &req) {
		return
	}
	u := req.User
	err := a.opts.Station.CreateUser(r.Context(), &u, req.Password, actorOf(r))
	a.respond(w, http.StatusCreated, u, err)
}

func (a *api) updateUser(w http.ResponseWriter, r *http.Request) {
	id, change, ok := idAndBody[store.UserChange](w, r)
	if !ok {
		return
	}
	u, err := a.opts.Station.UpdateUser(r.Context(), id, *change, actorOf(r))
	a.respond(w, http.StatusOK, u, err)
}

func (a *api) audit(w http.ResponseWriter, r *http.Request) {
	p, ok := a.parseList(w, r)
	if !ok {
		return
	}
	list, err := a.opts.Station.Audit(r.Context(), p.afterID, p.limit)
	a.respondItems(w, list, err)
}

// dashboard returns the operators' dashboard figures, read from the same
// registry /metrics exposes; the console turns counters into rates.
func (a *api) dashboard(w http.ResponseWriter, r *http.Request) {
	mfs, err := a.opts.Gatherer.Gather()
	if err != nil {
		a.log.Warn("dashboard: gather", zap.Error(err))
	}
	byName := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		byName[mf.GetName()] = mf
	}
	sumBy := func(name, label string) map[string]float64 { return labelSums(byName[name], label) }
	// The store is up while every one of its databases (the journal's and
	// the store's) is: the least of their gauges, not their sum.
	storeUp := 0.0
	if mf := byName["alarmrx_store_up"]; mf != nil && len(mf.GetMetric()) > 0 {
		storeUp = 1
		for _, m := range mf.GetMetric() {
			storeUp = min(storeUp, m.GetGauge().GetValue())
		}
	}
	// Supervision arrives with its own metric; until a daemon exports it,
	// the figure is null rather than a reassuring 0.
	var supervision any
	if byName["alarmrx_supervision_failures_total"] != nil {
		supervision = sumBy("alarmrx_supervision_failures_total", "")["all"]
	}
	// The disaster modes on: an operator must see that the storm's
	// signals are grouped, not queued one by one.
	disasters, err := a.opts.Station.Disasters(r.Context())
	if err != nil {
		a.log.Warn("dashboard: disaster modes", zap.Error(err))
		disasters = []store.Disaster{}
	}
	byProtocol := sumBy("alarmrx_signals_received_total", "protocol")
	titles := map[string]string{}
	for p := range byProtocol {
		titles[p] = protocolTitle(p)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"at":                   a.opts.Now(),
		"disaster_modes":       disasters,
		"signals_by_protocol":  byProtocol,
		"protocol_titles":      titles,
		"replies_by_kind":      sumBy("alarmrx_replies_sent_total", "kind"),
		"rejected_by_reason":   sumBy("alarmrx_frames_rejected_total", "reason"),
		"queue_by_priority":    sumBy("alarmrx_queue_incidents", "priority"),
		"unknown_accounts":     sumBy("alarmrx_unknown_account_events_total", "")["all"],
		"connections":          sumBy("alarmrx_connections_active", "")["all"],
		"runaways":             sumBy("alarmrx_runaways_total", "")["all"],
		"supervision_failures": supervision,
		"store_up":             storeUp,
		"ack_latency_p99_ms":   histogramQuantile(byName["alarmrx_frame_handling_seconds"], 0.99) * 1000,
		"ack_latency_p50_ms":   histogramQuantile(byName["alarmrx_frame_handling_seconds"], 0.50) * 1000,
		"visible_p99_ms":       histogramQuantile(byName["alarmrx_queue_visible_seconds"], 0.99) * 1000,
	})
}

// histogramQuantile estimates a quantile over every series of a histogram
// family since start, interpolating within the bucket as Prometheus's
// histogram_quantile does. 0 when there are no observations.
func histogramQuantile(mf *dto.MetricFamily, q float64) float64 {
	bounds, cum, total := histogramBuckets(mf)
	return bucketQuantile(bounds, cum, total, q)
}

// histogramBuckets sums a histogram family's series: the buckets' upper
// bounds in order, their cumulative counts and the observations' count.
func histogramBuckets(mf *dto.MetricFamily) (bounds, cum []float64, total float64) {
	if mf == nil {
		return nil, nil, 0
	}
	byBound := map[float64]float64{}
	for _, m := range mf.GetMetric() {
		h := m.GetHistogram()
		if h == nil {
			continue
		}
		total += float64(h.GetSampleCount())
		for _, b := range h.GetBucket() {
			byBound[b.GetUpperBound()] += float64(b.GetCumulativeCount())
		}
	}
	bounds = make([]float64, 0, len(byBound))
	for b := range byBound {
		bounds = append(bounds, b)
	}
	sort.Float64s(bounds)
	cum = make([]float64, len(bounds))
	for i, b := range bounds {
		cum[i] = byBound[b]
	}
	return bounds, cum, total
}

// bucketQuantile interpolates a quantile within cumulative bucket counts
// of total observations; 0 when there are none.
func bucketQuantile(bounds, cum []float64, total, q float64) float64 {
	if total <= 0 {
		return 0
	}
	rank := q * total
	prevBound, prevCount := 0.0, 0.0
	for i, b := range bounds {
		if c := cum[i]; c >= rank {
			if c == prevCount {
				return b
			}
			return prevBound + (b-prevBound)*(rank-prevCount)/(c-prevCount)
		}
		prevBound, prevCount = b, cum[i]
	}
	return prevBound
}

//go:embed web
var webFS embed.FS

// console serves the operator console: static pages embedded in the binary,
// which talk to /api/v1 with the session cookie.
func (a *api) console(mux *http.ServeMux) {
	sub, err := fs.Sub(webFS, "web")
	if err != nil {
		panic(fmt.Sprintf("httpapi: embedded console: %v", err))
	}
	files := http.FileServerFS(sub)
	mux.Handle("GET /console/", http.StripPrefix("/console/", consoleHeaders(files)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/", http.StatusFound)
	})
}

// consoleHeaders adds a strict content security policy: the console loads
// only its own scripts and styles and talks only to its own origin.
func consoleHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; "+
			"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		next.ServeHTTP(w, r)
	})
}
