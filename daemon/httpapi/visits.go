package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/store"
)

// Technician visits: the station schedules them (/api/v1/visits), and so
// does an installer's account manager in the portal; the technician starts
// and ends them in the portal, which puts the visit's systems on test for
// its window and takes them off.

// visitQuery are the filters of GET /api/v1/visits.
var visitQuery = []string{"site_id", "technician_user_id", "status", "since", "after_id", "limit"}

func (a *api) visitRoutes() []route {
	st := a.opts.Station
	return []route{
		{"GET", "/api/v1/visits", a.listVisits, visitQuery},
		{"POST", "/api/v1/visits", a.createVisit, nil},
		{"GET", "/api/v1/visits/{id}", withID(a.getVisit), nil},
		{"POST", "/api/v1/visits/{id}/start", a.visitStep(st.StartVisit), nil},
		{"POST", "/api/v1/visits/{id}/end", a.visitStep(st.EndVisit), nil},
		{"POST", "/api/v1/visits/{id}/cancel", a.visitStep(st.CancelVisit), nil},
	}
}

// visitRequest schedules a visit; from defaults to now.
type visitRequest struct {
	SiteID           int64     `json:"site_id"`
	AccountIDs       []int64   `json:"account_ids"`
	TechnicianUserID int64     `json:"technician_user_id"`
	From             time.Time `json:"from"`
	Until            time.Time `json:"until"`
	Purpose          string    `json:"purpose"`
	Notes            string    `json:"notes"`
}

func (req *visitRequest) visit() *store.Visit {
	return &store.Visit{SiteID: req.SiteID, AccountIDs: req.AccountIDs, TechnicianUserID: req.TechnicianUserID, From: req.From,
		Until: req.Until, Purpose: req.Purpose, Notes: req.Notes}
}

func (a *api) createVisit(w http.ResponseWriter, r *http.Request) {
	var req visitRequest
	if !decodeBody(w, r, &req) {
		return
	}
	a.writeNewVisit(w, r, &req)
}

// writeNewVisit schedules the visit req asks for and answers it.
func (a *api) writeNewVisit(w http.ResponseWriter, r *http.Request, req *visitRequest) {
	v := req.visit()
	err := a.opts.Station.CreateVisit(r.Context(), v, a.live().MaxTestDuration, actorOf(r))
	a.respond(w, http.StatusCreated, v, err)
}

func (a *api) listVisits(w http.ResponseWriter, r *http.Request) {
	p, ok := a.parseList(w, r)
	if !ok {
		return
	}
	f := store.VisitFilter{Since: p.since, AfterID: p.afterID, Limit: p.limit}
	if f.Status, ok = queryOneOf(w, r, "status", store.VisitScheduled, store.VisitOpen, store.VisitEnded, store.VisitCancelled); !ok {
		return
	}
	if f.SiteID, ok = queryID(w, r, "site_id"); !ok {
		return
	}
	if f.TechnicianUserID, ok = queryID(w, r, "technician_user_id"); !ok {
		return
	}
	a.writeVisits(w, r, f)
}

func (a *api) writeVisits(w http.ResponseWriter, r *http.Request, f store.VisitFilter) {
	list, err := a.opts.Station.Visits(r.Context(), f)
	a.respondItems(w, list, err)
}

func (a *api) getVisit(w http.ResponseWriter, r *http.Request, id int64) {
	v, err := a.opts.Station.Visit(r.Context(), id)
	a.respond(w, http.StatusOK, v, err)
}

// visitStep answers a start, end or cancel with the visit as it is after.
func (a *api) visitStep(step func(ctx context.Context, id int64, by store.Actor) (*store.Visit, error)) http.HandlerFunc {
	return withID(func(w http.ResponseWriter, r *http.Request, id int64) {
		v, err := step(r.Context(), id, actorOf(r))
		a.respond(w, http.StatusOK, v, err)
	})
}

// installerManager reports whether the session is an installer's account
// manager's: who schedules, ends and cancels its technicians' visits.
func installerManager(sess *store.PortalSession) (int64, bool) {
	kind, id, err := store.ParseScope(sess.User.Scope)
	return id, err == nil && kind == "installer" && sess.User.Kind == store.PortalManager
}

// portalVisitFilter selects the visits a portal session sees: a
// technician its own; an installer's manager those of the installer's
// technicians; a client's users those at their sites.
func (a *api) portalVisitFilter(r *http.Request) (store.VisitFilter, error) {
	sess := portalOf(r)
	if sess.User.Kind == store.PortalTechnician {
		return store.VisitFilter{TechnicianUserID: sess.User.ID}, nil
	}
	if inst, ok := installerManager(sess); ok {
		return store.VisitFilter{InstallerID: inst}, nil
	}
	sites, err := a.scopeSites(r)
	if err != nil {
		return store.VisitFilter{}, err
	}
	f := store.VisitFilter{SiteIDs: []int64{}}
	for _, s := range sites {
		f.SiteIDs = append(f.SiteIDs, s.ID)
	}
	return f, nil
}

// portalVisits lists the visits the session sees whose window ends at or
// after since (default a week back), upcoming ones included.
func (a *api) portalVisits(w http.ResponseWriter, r *http.Request) {
	f, err := a.portalVisitFilter(r)
	if err != nil {
		a.storeError(w, err)
		return
	}
	f.Since, f.Limit = a.opts.Now().Add(-7*24*time.Hour), store.MaxListLimit
	if v := r.URL.Query().Get("since"); v != "" {
		if f.Since, err = parseSince(v, a.opts.Now()); err != nil {
			writeError(w, http.StatusBadRequest, "since", "since must be an RFC 3339 time or a duration such as 168h")
			return
		}
	}
	a.writeVisits(w, r, f)
}

// portalVisitInScope loads a visit the session sees; any other is 404.
func (a *api) portalVisitInScope(w http.ResponseWriter, r *http.Request, id int64) (*store.Visit, bool) {
	v, err := a.opts.Station.Visit(r.Context(), id)
	if err != nil {
		a.storeError(w, err)
		return nil, false
	}
	f, err := a.portalVisitFilter(r)
	if err != nil {
		a.storeError(w, err)
		return nil, false
	}
	seen := (f.TechnicianUserID != 0 && v.TechnicianUserID == f.TechnicianUserID) || (f.SiteIDs != nil && slices.Contains(f.SiteIDs, v.SiteID))
	if f.InstallerID != 0 {
		tech, err := a.opts.Station.PortalUser(r.Context(), v.TechnicianUserID)
		if err != nil {
			a.storeError(w, err)
			return nil, false
		}
		seen = tech.Scope == store.ScopeOf("installer", f.InstallerID)
	}
	if !seen {
		writeError(w, http.StatusNotFound, "", "no such visit")
		return nil, false
	}
	return v, true
}

func (a *api) portalVisit(w http.ResponseWriter, r *http.Request, id int64) {
	if v, ok := a.portalVisitInScope(w, r, id); ok {
		writeJSON(w, http.StatusOK, v)
	}
}

// portalCreateVisit: an installer's account manager schedules one of its
// technicians at one of its sites.
func (a *api) portalCreateVisit(w http.ResponseWriter, r *http.Request) {
	sess := portalOf(r)
	if _, ok := installerManager(sess); !ok {
		writeError(w, http.StatusForbidden, "", "only an installer's account manager schedules its technicians' visits")
		return
	}
	var req visitRequest
	if !decodeBody(w, r, &req) || !a.siteIn(w, r, req.SiteID) {
		return
	}
	tech, err := a.opts.Station.PortalUser(r.Context(), req.TechnicianUserID)
	if err == nil && (tech.Scope != sess.User.Scope || tech.Kind != store.PortalTechnician) {
		err = errors.New("not ours")
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "technician_user_id", "portal user is not one of your technicians")
		return
	}
	a.writeNewVisit(w, r, &req)
}

// portalVisitStep: the visit's technician starts it (its systems go on
// test on the technician's authority) and ends it; the installer's
// account manager may end it too, and cancels it.
func (a *api) portalVisitStep(step string) http.HandlerFunc {
	return withID(func(w http.ResponseWriter, r *http.Request, id int64) {
		v, ok := a.portalVisitInScope(w, r, id)
		if !ok {
			return
		}
		sess := portalOf(r)
		_, manager := installerManager(sess)
		technician := sess.User.Kind == store.PortalTechnician && v.TechnicianUserID == sess.User.ID
		st := a.opts.Station
		var do func(ctx context.Context, id int64, by store.Actor) (*store.Visit, error)
		switch {
		case step == "start" && technician:
			do = st.StartVisit
		case step == "end" && (technician || manager):
			do = st.EndVisit
		case step == "cancel" && manager:
			do = st.CancelVisit
		default:
			who := map[string]string{"start": "the visit's technician", "end": "the visit's technician or the installer's account manager",
				"cancel": "the installer's account manager"}[step]
			writeError(w, http.StatusForbidden, "", "only "+who+" may "+step+" a visit")
			return
		}
		after, err := do(r.Context(), id, actorOf(r))
		a.respond(w, http.StatusOK, after, err)
	})
}

// decodeOptionalBody is decodeBody for a body that may be left out.
func decodeOptionalBody(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		writeError(w, http.StatusRequestEntityTooLarge, "", "the body is larger than 1 MiB")
		return false
	case err != nil:
		writeError(w, http.StatusBadRequest, "", "the body could not be read")
		return false
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return true
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return decodeBody(w, r, v)
}
