package httpapi

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/store"
	"go.uber.org/zap"
)

// portalCookie is the client portal's session cookie (apart from the
// console's: a browser may hold both).
const portalCookie = "alarmrx_portal"

type portalKey struct{}

func portalOf(r *http.Request) *store.PortalSession {
	s, _ := r.Context().Value(portalKey{}).(*store.PortalSession)
	return s
}

// portalRoutes registers the client portal: its API under /portal/api/
// (portal session cookie + CSRF header) and its pages under /portal/.
func (a *api) portalRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /portal/api/login", a.portalLogin)
	a.unsubscribeRoutes(mux)
	a.shareRoutes(mux)
	for _, rt := range a.portalAPI() {
		mux.Handle(rt.method+" "+rt.path, a.portalAuth(knownQuery(rt, rt.handler).ServeHTTP))
	}
	sub, err := fs.Sub(webFS, "web")
	if err != nil {
		panic(err)
	}
	files := http.FileServerFS(sub)
	mux.Handle("GET /portal/", consoleHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(r.URL.Path, "/portal/")
		if p == "" {
			p = "portal.html"
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + p
		files.ServeHTTP(w, r2)
	})))
}

// portalAPI is the portal's own API behind portalAuth.
func (a *api) portalAPI() []route {
	return []route{
		{"POST", "/portal/api/logout", a.portalLogout, nil},
		{"GET", "/portal/api/me", a.portalMe, nil},
		{"GET", "/portal/api/me/report", a.portalMyReport, nil},
		{"PUT", "/portal/api/me/report", a.portalSetMyReport, nil},
		{"GET", "/portal/api/sites", a.portalSites, nil},
		{"GET", "/portal/api/signals", a.portalSignals, siteQuery},
		{"GET", "/portal/api/events", a.portalEvents, nil},
		{"GET", "/portal/api/incidents", a.portalIncidents, siteQuery},
		{"GET", "/portal/api/incidents/{id}", withID(a.portalIncident), nil},
		{"GET", "/portal/api/signals/{id}", withID(a.portalSignal), nil},
		{"GET", "/portal/api/sites/{id}/call-list", withID(a.portalCallList), nil},
		{"POST", "/portal/api/sites/{id}/call-list", a.portalAddContact, nil},
		{"PUT", "/portal/api/call-list/{id}", a.portalEditContact, nil},
		{"DELETE", "/portal/api/call-list/{id}", withID(a.portalDeleteContact), nil},
		{"GET", "/portal/api/sites/{id}/zones", withID(a.portalZones), nil},
		{"PUT", "/portal/api/zones/{id}", a.portalEditZone, nil},
		{"PUT", "/portal/api/sites/{id}/notes", a.portalEditNotes, nil},
		{"GET", "/portal/api/accounts/{id}/schedule", withID(a.portalSchedule), nil},
		{"PUT", "/portal/api/accounts/{id}/schedule", withID(a.portalSetSchedule), nil},
		{"GET", "/portal/api/users", a.portalUsers, nil},
		{"POST", "/portal/api/users", a.portalCreateUser, nil},
		{"PUT", "/portal/api/users/{id}", a.portalUpdateUser, nil},
		{"PUT", "/portal/api/users/{id}/report", a.portalSetUserReport, nil},
		{"GET", "/portal/api/report-recipients", a.portalReportRecipients, nil},
		{"POST", "/portal/api/password", a.portalPassword, nil},
		{"POST", "/portal/api/accounts/{id}/tests", a.portalTestOn, nil},
		{"POST", "/portal/api/accounts/{id}/tests/off", a.portalTestOff, nil},
		{"GET", "/portal/api/accounts/{id}/test-results", withID(a.portalTestResults), rangeQuery},
		{"GET", "/portal/api/visits", a.portalVisits, []string{"since"}},
		{"POST", "/portal/api/visits", a.portalCreateVisit, nil},
		{"GET", "/portal/api/visits/{id}", withID(a.portalVisit), nil},
		{"POST", "/portal/api/visits/{id}/start", a.portalVisitStep("start"), nil},
		{"POST", "/portal/api/visits/{id}/end", a.portalVisitStep("end"), nil},
		{"POST", "/portal/api/visits/{id}/cancel", a.portalVisitStep("cancel"), nil},
		{"GET", "/portal/api/reports", a.portalReports, nil},
		{"PUT", "/portal/api/reports/{id}/annotation", a.portalAnnotateReport, nil},
		{"DELETE", "/portal/api/reports/{id}", withID(a.portalDeleteReport), nil},
		{"GET", "/portal/api/reports/{id}", withID(a.portalReport), reportQuery},
	}
}

// portalAuth admits a request with a live portal session; changes need the
// session's CSRF token. Every change carries the portal user's name.
func (a *api) portalAuth(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(portalCookie)
		if err != nil {
			writeError(w, http.StatusUnauthorized, "", "log in to the portal")
			return
		}
		sess, err := a.opts.Station.PortalSessionFor(r.Context(), c.Value)
		if err != nil {
			writeError(w, http.StatusUnauthorized, "", "log in to the portal")
			return
		}
		if r.Method != http.MethodGet && !sess.CSRFMatches(r.Header.Get("X-CSRF-Token")) {
			writeError(w, http.StatusForbidden, "", "missing or wrong X-CSRF-Token")
			return
		}
		name := "portal:" + sess.User.Scope + "/" + sess.User.Username
		if sess.EmulatedBy != "" {
			name += " (as " + sess.EmulatedBy + ")"
		}
		ctx := context.WithValue(store.WithActorName(r.Context(), name), portalKey{}, sess)
		ctx = context.WithValue(ctx, actorKey{}, store.Actor{Name: name, RemoteAddr: remoteIP(r)})
		ctx = store.WithActor(ctx, store.Actor{Name: name, RemoteAddr: remoteIP(r)})
		next(w, r.WithContext(ctx))
	})
}

type portalLoginRequest struct {
	Identifier string `json:"identifier"`
	Username   string `json:"username"`
	Password   string `json:"password"`
}

func (a *api) portalLogin(w http.ResponseWriter, r *http.Request) {
	var req portalLoginRequest
	if !a.loginRequest(w, r, &req) {
		return
	}
	// Failures count per identifier as the store compares it: "+1 312 555
	// 0101" and "13125550101" are one client.
	ident := store.IdentifierKey(strings.TrimSpace(req.Identifier))
	if ident == "" {
		ident = strings.TrimSpace(req.Identifier)
	}
	user := "portal|" + ident + "|" + strings.ToLower(strings.TrimSpace(req.Username))
	a.guardedLogin(w, r, user, portalCookie, portalDeviceCookie, "wrong identifier, user name or password", func(ctx context.Context) (string, any, error) {
		token, sess, err := a.opts.Station.PortalLogin(ctx, req.Identifier, req.Username, req.Password, remoteIP(r), a.opts.Console.SessionTTL)
		if err != nil {
			return "", nil, err
		}
		return token, portalMeView(sess), nil
	})
}

// portalMeView is the session as the portal page reads it: scope is what
// it sees (the user's, or where station staff acting as the user opened
// it).
func portalMeView(sess *store.PortalSession) map[string]any {
	return map[string]any{"user": sess.User, "csrf_token": sess.CSRFToken, "emulated_by": sess.EmulatedBy, "scope": sess.Scope}
}

func (a *api) portalLogout(w http.ResponseWriter, r *http.Request) {
	a.endSession(w, r, portalCookie, func(token string) error {
		return a.opts.Station.PortalLogout(r.Context(), token)
	})
}

func (a *api) portalMe(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, portalMeView(portalOf(r)))
}

// portalSite is a site as its clients see it.
type portalSite struct {
	store.Site
	Accounts      []portalAccount `json:"accounts"`
	OnTest        []store.OnTest  `json:"on_test"`
	OpenIncidents int             `json:"open_incidents"`
}

// portalAccount is an account with its system type's label, which the
// client's pages show.
type portalAccount struct {
	store.Account
	SystemLabel string `json:"system_label"`
}

// scopeSites is the session's sites; siteIn checks one of them.
func (a *api) scopeSites(r *http.Request) ([]store.Site, error) {
	return a.opts.Station.PortalSites(r.Context(), portalOf(r).Scope)
}

func (a *api) siteIn(w http.ResponseWriter, r *http.Request, id int64) bool {
	sites, err := a.scopeSites(r)
	if err != nil {
		a.storeError(w, err)
		return false
	}
	for _, s := range sites {
		if s.ID == id {
			return true
		}
	}
	// Out of scope reads as absent: no hint that the record exists.
	writeError(w, http.StatusNotFound, "", "no such site")
	return false
}

func (a *api) portalSites(w http.ResponseWriter, r *http.Request) {
	sites, err := a.scopeSites(r)
	if err != nil {
		a.storeError(w, err)
		return
	}
	st := a.opts.Station
	out := []portalSite{}
	for _, s := range sites {
		ps := portalSite{Site: s, OnTest: []store.OnTest{}}
		accts, err := a.opts.Tables.Accounts.List(r.Context(), store.ListOptions{Where: map[string]any{"site_id": s.ID}, Limit: store.MaxListLimit})
		if err != nil {
			a.storeError(w, err)
			return
		}
		ps.Accounts = make([]portalAccount, len(accts))
		for i, acct := range accts {
			ps.Accounts[i] = portalAccount{Account: acct, SystemLabel: store.SystemLabel(acct.SystemType)}
			tests, err := st.OpenTests(r.Context(), acct.ID)
			if err != nil {
				a.storeError(w, err)
				return
			}
			ps.OnTest = append(ps.OnTest, tests...)
		}
		incs, err := st.SiteIncidents(r.Context(), s.ID, time.Unix(0, 0), a.opts.Now().Add(time.Hour))
		if err != nil {
			a.storeError(w, err)
			return
		}
		for _, in := range incs {
			if in.Status == store.IncidentOpen {
				ps.OpenIncidents++
			}
		}
		out = append(out, ps)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// siteQuery reads site_id (required, in scope) and since (default 24h).
func (a *api) siteQuery(w http.ResponseWriter, r *http.Request) (int64, time.Time, bool) {
	id, ok := queryID(w, r, "site_id")
	if !ok {
		return 0, time.Time{}, false
	}
	if id == 0 {
		writeError(w, http.StatusBadRequest, "site_id", "site_id is required")
		return 0, time.Time{}, false
	}
	since := a.opts.Now().Add(-24 * time.Hour)
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := parseSince(v, a.opts.Now())
		if err != nil {
			writeError(w, http.StatusBadRequest, "since", "since must be an RFC 3339 time or a duration such as 24h")
			return 0, time.Time{}, false
		}
		since = t
	}
	return id, since, a.siteIn(w, r, id)
}

func (a *api) portalSignals(w http.ResponseWriter, r *http.Request) {
	id, since, ok := a.siteQuery(w, r)
	if !ok {
		return
	}
	sigs, err := a.opts.Station.SiteActivity(r.Context(), id, since, a.opts.Now().Add(time.Minute))
	a.respond(w, http.StatusOK, map[string]any{"signals": portalSignals(sigs)}, err)
}

// portalSignal is a signal as its clients see it: without the frame it came
// in. The stored frame (raw, raw_hex) is the station's evidence. Even
// redacted it may hold what is no client's business: a secret in a
// spelling no redactor knows, a secret in a protocol added later, the cut
// short copy of a frame that did not parse. So the portal shows no raw
// frame of any protocol, whatever the frame carried; the decoded fields say
// what happened. The station API (/api/v1) keeps the redacted frame.
type portalSignal struct {
	store.Signal
	// Raw and RawHex shadow the embedded fields of the same JSON names
	// (encoding/json takes the shallower field) and are always empty.
	Raw    string `json:"raw,omitempty"`
	RawHex string `json:"raw_hex,omitempty"`
	// DataBlock, an encrypted frame's decrypted content, is the frame too.
	DataBlock string `json:"data_block,omitempty"`
}

// portalSignals drops the frames of sigs.
func portalSignals(sigs []store.Signal) []portalSignal {
	out := make([]portalSignal, len(sigs))
	for i, sg := range sigs {
		sg.Raw, sg.RawHex, sg.DataBlock = "", "", ""
		out[i] = portalSignal{Signal: sg}
	}
	return out
}

// portalActions is an action log as a client sees it: a passcode check
// names whom it checked, not its result, for a duress passcode must not
// show (whoever holds the client's phone may be the threat).
func portalActions(acts []store.IncidentAction) []store.IncidentAction {
	for i := range acts {
		if acts[i].Action == "passcode_checked" {
			var d map[string]any
			if json.Unmarshal(acts[i].Detail, &d) == nil {
				delete(d, "result")
				acts[i].Detail, _ = json.Marshal(d)
			}
		}
	}
	return acts
}

// portalIncident is an incident with its operator notes.
type portalIncident struct {
	store.Incident
	Actions []store.IncidentAction `json:"actions"`
}

// portalEvents streams a "signal" event whenever a signal of one of the
// session's sites is stored, so a technician watching a site sees its
// signals arrive as they are acknowledged, an "incident" event when an
// operator acts on one of its incidents (a note, a resolution), and a
// "test" event when one of its accounts goes on or off test. Sites are
// those in scope when the stream opened; a "resync" says events were
// missed.
func (a *api) portalEvents(w http.ResponseWriter, r *http.Request) {
	sites, err := a.scopeSites(r)
	if err != nil {
		a.storeError(w, err)
		return
	}
	in := make(map[int64]bool, len(sites))
	for _, s := range sites {
		in[s.ID] = true
	}
	events, cancel := a.opts.Station.SubscribeSites()
	defer cancel()
	serveEvents(a, w, r, events, func(e store.SiteEvent) string {
		switch {
		case e.SiteID == 0:
			return "event: resync\ndata: {}\n\n"
		case in[e.SiteID]:
			return "event: " + e.Kind + "\ndata: {\"site_id\":" + strconv.FormatInt(e.SiteID, 10) + "}\n\n"
		}
		return ""
	})
}

func (a *api) portalIncidents(w http.ResponseWriter, r *http.Request) {
	id, since, ok := a.siteQuery(w, r)
	if !ok {
		return
	}
	incs, err := a.opts.Station.SiteIncidents(r.Context(), id, since, a.opts.Now().Add(time.Minute))
	if err != nil {
		a.storeError(w, err)
		return
	}
	out := []portalIncident{}
	for _, in := range incs {
		acts, err := a.opts.Station.IncidentActions(r.Context(), in.ID)
		if err != nil {
			a.storeError(w, err)
			return
		}
		out = append(out, portalIncident{Incident: in, Actions: portalActions(acts)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// portalIncident is one incident of the scope with its action log (what
// the morning report links to).
func (a *api) portalIncident(w http.ResponseWriter, r *http.Request, id int64) {
	in, err := a.opts.Station.Incident(r.Context(), id)
	if err != nil {
		a.storeError(w, err)
		return
	}
	if in.SiteID == nil || !a.siteIn(w, r, *in.SiteID) {
		if in.SiteID == nil {
			writeError(w, http.StatusNotFound, "", "no such incident")
		}
		return
	}
	acts, err := a.opts.Station.IncidentActions(r.Context(), id)
	a.respond(w, http.StatusOK, portalIncident{Incident: *in, Actions: portalActions(acts)}, err)
}

// portalSignal is one signal of the scope.
func (a *api) portalSignal(w http.ResponseWriter, r *http.Request, id int64) {
	sigs, err := a.opts.Station.Signals(r.Context(), store.SignalFilter{IDs: []int64{id}, Limit: 1})
	if err != nil {
		a.storeError(w, err)
		return
	}
	if len(sigs) == 0 || sigs[0].SiteID == nil {
		writeError(w, http.StatusNotFound, "", "no such signal")
		return
	}
	if !a.siteIn(w, r, *sigs[0].SiteID) {
		return
	}
	writeJSON(w, http.StatusOK, portalSignals(sigs[:1])[0])
}

func (a *api) portalCallList(w http.ResponseWriter, r *http.Request, id int64) {
	if !a.siteIn(w, r, id) {
		return
	}
	list, err := a.opts.Tables.RespondingParties.List(r.Context(), store.ListOptions{Where: map[string]any{"site_id": id}, Limit: store.MaxListLimit})
	a.respondItems(w, list, err)
}

// may refuses a change the portal user has no right to.
func may(w http.ResponseWriter, r *http.Request, right string) bool {
	if !portalOf(r).User.May(right) {
		writeError(w, http.StatusForbidden, "", "your account manager has not given you the right to change this ("+right+")")
		return false
	}
	return true
}

// manager refuses what only the scope's account manager does; what says
// what that is.
func manager(w http.ResponseWriter, r *http.Request, what string) bool {
	if portalOf(r).User.Kind != store.PortalManager {
		writeError(w, http.StatusForbidden, "", "only the account manager "+what)
		return false
	}
	return true
}

func (a *api) portalAddContact(w http.ResponseWriter, r *http.Request) {
	id, rp, ok := idAndBody[store.RespondingParty](w, r)
	if !ok || !may(w, r, store.RightCallList) || !a.siteIn(w, r, id) {
		return
	}
	rp.SiteID = id
	err := a.opts.Tables.RespondingParties.Create(r.Context(), rp)
	a.respond(w, http.StatusCreated, rp, err)
}

// contactInScope loads a call-list entry of the session's scope.
func (a *api) contactInScope(w http.ResponseWriter, r *http.Request, id int64) (*store.RespondingParty, bool) {
	old, err := a.opts.Tables.RespondingParties.Get(r.Context(), id)
	if err != nil {
		a.storeError(w, err)
		return nil, false
	}
	return old, a.siteIn(w, r, old.SiteID)
}

func (a *api) portalEditContact(w http.ResponseWriter, r *http.Request) {
	id, rp, ok := idAndBody[store.RespondingParty](w, r)
	if !ok || !may(w, r, store.RightCallList) {
		return
	}
	old, ok := a.contactInScope(w, r, id)
	if !ok {
		return
	}
	rp.SiteID = old.SiteID // a contact cannot be moved out of the scope
	err := a.opts.Tables.RespondingParties.Update(r.Context(), id, rp)
	a.respond(w, http.StatusOK, rp, err)
}

func (a *api) portalDeleteContact(w http.ResponseWriter, r *http.Request, id int64) {
	if !may(w, r, store.RightCallListDelete) {
		return
	}
	if _, ok := a.contactInScope(w, r, id); !ok {
		return
	}
	a.respondNoContent(w, a.opts.Tables.RespondingParties.Delete(r.Context(), id))
}

// portalZones lists the zones of a site's accounts.
func (a *api) portalZones(w http.ResponseWriter, r *http.Request, id int64) {
	if !a.siteIn(w, r, id) {
		return
	}
	accts, err := a.opts.Tables.Accounts.List(r.Context(), store.ListOptions{Where: map[string]any{"site_id": id}, Limit: store.MaxListLimit})
	if err != nil {
		a.storeError(w, err)
		return
	}
	out := []store.Zone{}
	for _, acct := range accts {
		zs, err := a.opts.Tables.Zones.List(r.Context(), store.ListOptions{Where: map[string]any{"account_id": acct.ID}, Limit: store.MaxListLimit})
		if err != nil {
			a.storeError(w, err)
			return
		}
		out = append(out, zs...)
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
}

// zoneEdit is a portal change to a zone: a field left out stays as it is.
type zoneEdit struct {
	Description *string `json:"description"`
	Type        *string `json:"type"`
}

// portalEditZone changes a zone's description and/or type (right "zones"),
// the number and account staying as the station set them; a field the
// request leaves out keeps its value (an edit of the description does not
// wipe the type).
func (a *api) portalEditZone(w http.ResponseWriter, r *http.Request) {
	id, edit, ok := idAndBody[zoneEdit](w, r)
	if !ok || !may(w, r, store.RightZones) {
		return
	}
	z, err := a.opts.Tables.Zones.Get(r.Context(), id)
	if err != nil {
		a.storeError(w, err)
		return
	}
	if !a.accountInScope(w, r, z.AccountID) {
		return
	}
	if edit.Description != nil {
		z.Description = *edit.Description
	}
	if edit.Type != nil {
		z.Type = *edit.Type
	}
	err = a.opts.Tables.Zones.Update(r.Context(), id, z)
	a.respond(w, http.StatusOK, z, err)
}

type notesEdit struct {
	Notes string `json:"notes"`
}

// portalEditNotes changes a site's notes (right "notes"); everything else
// about the site stays as the station set it.
func (a *api) portalEditNotes(w http.ResponseWriter, r *http.Request) {
	id, edit, ok := idAndBody[notesEdit](w, r)
	if !ok || !may(w, r, store.RightNotes) || !a.siteIn(w, r, id) {
		return
	}
	site, err := a.opts.Tables.Sites.Get(r.Context(), id)
	if err != nil {
		a.storeError(w, err)
		return
	}
	site.Notes = edit.Notes
	err = a.opts.Tables.Sites.Update(r.Context(), id, site)
	a.respond(w, http.StatusOK, site, err)
}

func (a *api) portalUsers(w http.ResponseWriter, r *http.Request) {
	list, err := a.opts.Station.PortalUsers(r.Context(), portalOf(r).Scope)
	a.respondItems(w, list, err)
}

type portalUserRequest struct {
	Username string        `json:"username"`
	FullName string        `json:"full_name"`
	Password string        `json:"password"`
	Rights   store.Strings `json:"rights"`
}

// portalCreateUser: an account manager creates office staff in its own
// scope and decides what they may change.
func (a *api) portalCreateUser(w http.ResponseWriter, r *http.Request) {
	if !manager(w, r, "creates office staff") {
		return
	}
	sess := portalOf(r)
	var req portalUserRequest
	if !decodeBody(w, r, &req) {
		return
	}
	u := &store.PortalUser{Scope: sess.Scope, Kind: store.PortalStaff, Username: req.Username, FullName: req.FullName, Rights: req.Rights}
	err := a.opts.Station.CreatePortalUser(r.Context(), u, req.Password, actorOf(r))
	a.respond(w, http.StatusCreated, u, err)
}

// portalUpdateUser: the account manager changes an office staff user of
// its scope (rights, name, disabled, a new password).
func (a *api) portalUpdateUser(w http.ResponseWriter, r *http.Request) {
	id, ch, ok := idAndBody[store.PortalUserChange](w, r)
	if !ok || !manager(w, r, "changes office staff") {
		return
	}
	sess := portalOf(r)
	u, err := a.opts.Station.PortalUser(r.Context(), id)
	if err == nil && (u.Scope != sess.Scope || u.Kind != store.PortalStaff) {
		err = store.ErrNotFound // another scope's users, and managers, are not the manager's to change
	}
	if err != nil {
		a.storeError(w, err)
		return
	}
	u, err = a.opts.Station.UpdatePortalUser(r.Context(), id, *ch, "", actorOf(r))
	a.respond(w, http.StatusOK, u, err)
}

type passwordChange struct {
	Current string `json:"current_password"`
	New     string `json:"new_password"`
}

// portalPassword lets a portal user change its own password; its other
// sessions end. Not while the station acts as the user.
func (a *api) portalPassword(w http.ResponseWriter, r *http.Request) {
	var req passwordChange
	if !decodeBody(w, r, &req) {
		return
	}
	sess := portalOf(r)
	if sess.EmulatedBy != "" {
		writeError(w, http.StatusForbidden, "", "the station cannot change a client's password by acting as the client")
		return
	}
	ok, err := a.opts.Station.CheckPortalPassword(r.Context(), sess.User.ID, req.Current)
	if err != nil {
		a.storeError(w, err)
		return
	}
	if !ok {
		writeError(w, http.StatusBadRequest, "current_password", "is not your password")
		return
	}
	c, _ := r.Cookie(portalCookie) // present: portalAuth admitted the request by it
	_, err = a.opts.Station.UpdatePortalUser(r.Context(), sess.User.ID, store.PortalUserChange{Password: &req.New}, c.Value, actorOf(r))
	a.respondNoContent(w, err)
}

// accountInScope loads an account of the session's sites.
func (a *api) accountInScope(w http.ResponseWriter, r *http.Request, id int64) bool {
	acct, err := a.opts.Tables.Accounts.Get(r.Context(), id)
	if err != nil {
		a.storeError(w, err)
		return false
	}
	return a.siteIn(w, r, acct.SiteID)
}

// The on-test endpoints are the station's own, behind the portal's scope:
// technicians and managers put their systems on test and off.
func (a *api) portalTestOn(w http.ResponseWriter, r *http.Request) {
	if a.portalTester(w, r) {
		a.startTest(w, r)
	}
}

func (a *api) portalTestOff(w http.ResponseWriter, r *http.Request) {
	if a.portalTester(w, r) {
		a.endTests(w, r)
	}
}

// portalTestResults is the station's test results (testResults) of an
// account in scope, without the frames (portalSignal).
func (a *api) portalTestResults(w http.ResponseWriter, r *http.Request, id int64) {
	if !a.accountInScope(w, r, id) {
		return
	}
	from, to, ok := a.dateRange(w, r)
	if !ok {
		return
	}
	if sigs, ok := a.testSignals(w, r, id, from, to); ok {
		writeJSON(w, http.StatusOK, map[string]any{"from": from, "to": to, "signals": portalSignals(sigs)})
	}
}

func (a *api) portalTester(w http.ResponseWriter, r *http.Request) bool {
	if k := portalOf(r).User.Kind; k != store.PortalTechnician && k != store.PortalManager {
		writeError(w, http.StatusForbidden, "", "only technicians and account managers put systems on test")
		return false
	}
	id, ok := pathID(w, r)
	return ok && a.accountInScope(w, r, id)
}

// portalReports lists the customer's stored reports, without the deleted
// ones.
func (a *api) portalReports(w http.ResponseWriter, r *http.Request) {
	kind, cid, err := store.ParseScope(portalOf(r).Scope)
	if err != nil || kind != "customer" {
		writeJSON(w, http.StatusOK, map[string]any{"items": []store.Report{}})
		return
	}
	list, err := a.opts.Station.KeptReports(r.Context(), cid, 100)
	a.respondItems(w, list, err)
}

func (a *api) portalReport(w http.ResponseWriter, r *http.Request, id int64) {
	if rep, ok := a.portalReportInScope(w, r, id); ok {
		a.writeReport(w, r, rep)
	}
}

// Station side: account managers and technicians are created by station
// staff, who may also act as one (emulate; audited).

type stationPortalUserRequest struct {
	store.PortalUser
	Password string `json:"password"`
}

func (a *api) createPortalUser(w http.ResponseWriter, r *http.Request) {
	var req stationPortalUserRequest
	if !decodeBody(w, r, &req) {
		return
	}
	u := req.PortalUser
	if u.Kind == store.PortalStaff {
		writeError(w, http.StatusBadRequest, "kind", "office staff are created by their account manager in the portal")
		return
	}
	err := a.opts.Station.CreatePortalUser(r.Context(), &u, req.Password, actorOf(r))
	a.respond(w, http.StatusCreated, u, err)
}

// updatePortalUser: station staff reset a portal user's password, disable
// or enable it, or change its name or rights.
func (a *api) updatePortalUser(w http.ResponseWriter, r *http.Request) {
	id, ch, ok := idAndBody[store.PortalUserChange](w, r)
	if !ok {
		return
	}
	u, err := a.opts.Station.UpdatePortalUser(r.Context(), id, *ch, "", actorOf(r))
	a.respond(w, http.StatusOK, u, err)
}

func (a *api) listPortalUsers(w http.ResponseWriter, r *http.Request) {
	list, err := a.opts.Station.PortalUsers(r.Context(), r.URL.Query().Get("scope"))
	a.respondItems(w, list, err)
}

// emulatePortalUser opens the portal as a portal user, at its own scope or,
// with {"identifier": …} (optional), at the site or customer within it
// that the identifier names.
func (a *api) emulatePortalUser(w http.ResponseWriter, r *http.Request, id int64) {
	var req struct {
		Identifier string `json:"identifier"`
	}
	if !decodeOptionalBody(w, r, &req) {
		return
	}
	token, sess, err := a.opts.Station.EmulatePortalUserAt(r.Context(), id, req.Identifier, actorOf(r), a.opts.Console.SessionTTL)
	if err != nil {
		a.storeError(w, err)
		return
	}
	a.log.Info("station user acts as a portal user", zap.String("by", actorOf(r).Name), zap.Int64("portal_user", id),
		zap.String("scope", sess.Scope))
	a.setCookie(w, r, portalCookie, token)
	writeJSON(w, http.StatusOK, portalMeView(sess))
}
