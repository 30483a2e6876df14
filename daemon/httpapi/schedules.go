package httpapi

import (
	"context"
	"io"
	"net/http"

	"github.com/alarmrx/alarmrx/store"
)

// Open/close schedules and holiday calendars: station staff set them here
// (supervisors and admins, as the console's record pages), and a client's account manager, or office staff with the
// schedules right, the schedules of its own systems in the portal; the
// store checks and audits each change.

// Schedules is what the API needs of schedules and holidays.
type Schedules interface {
	Schedule(ctx context.Context, accountID int64) (*store.Schedule, error)
	SetSchedule(ctx context.Context, sch *store.Schedule, by store.Actor) error
	DeleteSchedule(ctx context.Context, accountID int64, by store.Actor) error
	Holidays(ctx context.Context, customerID int64) ([]store.Holiday, error)
	CreateHoliday(ctx context.Context, h *store.Holiday, by store.Actor) error
	DeleteHoliday(ctx context.Context, id int64, by store.Actor) error
	ImportSchedules(ctx context.Context, r io.Reader, dryRun bool) (*store.ImportReport, error)
}

// creates answers 201 with the record a store call made of the JSON body
// (the store sets its id and stamps).
func creates[T any](a *api, create func(ctx context.Context, v *T, by store.Actor) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var v T
		if !decodeBody(w, r, &v) {
			return
		}
		err := create(r.Context(), &v, actorOf(r))
		a.respond(w, http.StatusCreated, &v, err)
	}
}

// deletes answers 204 once a store call removed the record of the {id}
// path value.
func deletes(a *api, remove func(ctx context.Context, id int64, by store.Actor) error) http.HandlerFunc {
	return withID(func(w http.ResponseWriter, r *http.Request, id int64) {
		a.respondNoContent(w, remove(r.Context(), id, actorOf(r)))
	})
}

func (a *api) scheduleRoutes() []route {
	return []route{
		{"GET", "/api/v1/accounts/{id}/schedule", withID(a.getSchedule), nil},
		{"PUT", "/api/v1/accounts/{id}/schedule", withID(a.putSchedule), nil},
		{"DELETE", "/api/v1/accounts/{id}/schedule", deletes(a, a.opts.Station.DeleteSchedule), nil},
		{"GET", "/api/v1/holidays", a.listHolidays, []string{"customer_id"}},
		{"POST", "/api/v1/holidays", creates(a, a.opts.Station.CreateHoliday), nil},
		{"DELETE", "/api/v1/holidays/{id}", deletes(a, a.opts.Station.DeleteHoliday), nil},
		{"POST", "/api/v1/schedules/import", a.importer(a.opts.Station.ImportSchedules), importQuery},
	}
}

func (a *api) getSchedule(w http.ResponseWriter, r *http.Request, id int64) {
	sch, err := a.opts.Station.Schedule(r.Context(), id)
	a.respond(w, http.StatusOK, sch, err)
}

func (a *api) putSchedule(w http.ResponseWriter, r *http.Request, id int64) {
	var req store.Schedule
	if !decodeBody(w, r, &req) {
		return
	}
	a.writeSchedule(w, r, id, &req)
}

// portalSchedule is an account's schedule, for a portal user whose scope
// holds the account.
func (a *api) portalSchedule(w http.ResponseWriter, r *http.Request, id int64) {
	if a.accountInScope(w, r, id) {
		a.getSchedule(w, r, id)
	}
}

// portalSetSchedule sets the schedule of an account in scope, with the
// schedules right; audited as the portal user.
func (a *api) portalSetSchedule(w http.ResponseWriter, r *http.Request, id int64) {
	var req store.Schedule
	if !decodeBody(w, r, &req) || !may(w, r, store.RightSchedules) || !a.accountInScope(w, r, id) {
		return
	}
	a.writeSchedule(w, r, id, &req)
}

func (a *api) writeSchedule(w http.ResponseWriter, r *http.Request, id int64, sch *store.Schedule) {
	// The read-only fields of a GET's answer may be sent back; they are
	// ignored.
	if sch.AccountID != 0 && sch.AccountID != id {
		writeError(w, http.StatusBadRequest, "account_id", "account_id is the path's, or left out")
		return
	}
	sch.AccountID = id
	err := a.opts.Station.SetSchedule(r.Context(), sch, actorOf(r))
	a.respond(w, http.StatusOK, sch, err)
}

func (a *api) listHolidays(w http.ResponseWriter, r *http.Request) {
	customer := int64(-1)
	if r.URL.Query().Get("customer_id") == "0" {
		customer = 0
	} else if id, ok := queryID(w, r, "customer_id"); !ok {
		return
	} else if id > 0 {
		customer = id
	}
	list, err := a.opts.Station.Holidays(r.Context(), customer)
	a.respondItems(w, list, err)
}

// Plans is what the API needs of action plans.
type Plans interface {
	ActionPlans(ctx context.Context) ([]store.ActionPlan, error)
	CreateActionPlan(ctx context.Context, p *store.ActionPlan, by store.Actor) error
	UpdateActionPlan(ctx context.Context, id int64, p *store.ActionPlan, by store.Actor) error
	DeleteActionPlan(ctx context.Context, id int64, by store.Actor) error
	IncidentPlan(ctx context.Context, id int64) (*store.IncidentPlan, error)
}

func (a *api) planRoutes() []route {
	return []route{
		{"GET", "/api/v1/action-plans", a.listPlans, nil},
		{"POST", "/api/v1/action-plans", creates(a, a.opts.Station.CreateActionPlan), nil},
		{"PUT", "/api/v1/action-plans/{id}", withID(a.updatePlan), nil},
		{"DELETE", "/api/v1/action-plans/{id}", deletes(a, a.opts.Station.DeleteActionPlan), nil},
	}
}

func (a *api) listPlans(w http.ResponseWriter, r *http.Request) {
	list, err := a.opts.Station.ActionPlans(r.Context())
	a.respondItems(w, list, err)
}

func (a *api) updatePlan(w http.ResponseWriter, r *http.Request, id int64) {
	var p store.ActionPlan
	if !decodeBody(w, r, &p) {
		return
	}
	err := a.opts.Station.UpdateActionPlan(r.Context(), id, &p, actorOf(r))
	a.respond(w, http.StatusOK, &p, err)
}

// Instructions is what the API needs of temporary instructions.
type Instructions interface {
	CreateInstruction(ctx context.Context, in *store.Instruction, by store.Actor) error
	DeleteInstruction(ctx context.Context, id int64, by store.Actor) error
	Instructions(ctx context.Context, siteID, accountID int64) ([]store.Instruction, error)
}

// Temporary instructions: any station user adds one (a caller tells the
// operator), as the queue's steps are.
func (a *api) instructionRoutes() []route {
	return []route{
		{"GET", "/api/v1/instructions", a.listInstructions, []string{"site_id", "account_id"}},
		{"POST", "/api/v1/instructions", creates(a, a.opts.Station.CreateInstruction), nil},
		{"DELETE", "/api/v1/instructions/{id}", deletes(a, a.opts.Station.DeleteInstruction), nil},
	}
}

func (a *api) listInstructions(w http.ResponseWriter, r *http.Request) {
	site, ok := queryID(w, r, "site_id")
	if !ok {
		return
	}
	acct, ok := queryID(w, r, "account_id")
	if !ok {
		return
	}
	if (site == 0) == (acct == 0) {
		writeError(w, http.StatusBadRequest, "site_id", "give site_id or account_id")
		return
	}
	list, err := a.opts.Station.Instructions(r.Context(), site, acct)
	a.respondItems(w, list, err)
}

// Disasters is what the API needs of disaster modes.
type Disasters interface {
	StartDisaster(ctx context.Context, d *store.Disaster, by store.Actor) error
	EndDisaster(ctx context.Context, id int64, by store.Actor) error
	Disasters(ctx context.Context) ([]store.Disaster, error)
}

// Disaster modes: supervisors switch them (supervisorPaths).
func (a *api) disasterRoutes() []route {
	return []route{
		{"GET", "/api/v1/disasters", a.listDisasters, nil},
		{"POST", "/api/v1/disasters", creates(a, a.opts.Station.StartDisaster), nil},
		{"DELETE", "/api/v1/disasters/{id}", deletes(a, a.opts.Station.EndDisaster), nil},
	}
}

func (a *api) listDisasters(w http.ResponseWriter, r *http.Request) {
	list, err := a.opts.Station.Disasters(r.Context())
	a.respondItems(w, list, err)
}

// Directory is what the API needs of the authority directory.
type Directory interface {
	SaveDirectoryAuthority(ctx context.Context, a *store.DirectoryAuthority, by store.Actor) error
	DeleteDirectoryAuthority(ctx context.Context, id int64, by store.Actor) error
	DirectoryAuthorities(ctx context.Context, postalCode, kind string) ([]store.DirectoryAuthority, error)
	AssignDirectoryAuthority(ctx context.Context, id, siteID int64) (*store.Authority, error)
}

func (a *api) directoryRoutes() []route {
	return []route{
		{"GET", "/api/v1/authority-directory", a.listDirectory, []string{"postal_code", "kind"}},
		{"POST", "/api/v1/authority-directory", a.saveDirectory(false), nil},
		{"PUT", "/api/v1/authority-directory/{id}", a.saveDirectory(true), nil},
		{"DELETE", "/api/v1/authority-directory/{id}", deletes(a, a.opts.Station.DeleteDirectoryAuthority), nil},
		{"POST", "/api/v1/authority-directory/{id}/assign", withID(a.assignDirectory), nil},
	}
}

func (a *api) listDirectory(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	list, err := a.opts.Station.DirectoryAuthorities(r.Context(), q.Get("postal_code"), q.Get("kind"))
	a.respondItems(w, list, err)
}

func (a *api) saveDirectory(update bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var d store.DirectoryAuthority
		var id int64
		if update {
			var ok bool
			if id, ok = pathID(w, r); !ok {
				return
			}
		}
		if !decodeBody(w, r, &d) {
			return
		}
		d.ID = id
		status := http.StatusCreated
		if update {
			status = http.StatusOK
		}
		err := a.opts.Station.SaveDirectoryAuthority(r.Context(), &d, actorOf(r))
		a.respond(w, status, &d, err)
	}
}

func (a *api) assignDirectory(w http.ResponseWriter, r *http.Request, id int64) {
	var body struct {
		SiteID int64 `json:"site_id"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	auth, err := a.opts.Station.AssignDirectoryAuthority(r.Context(), id, body.SiteID)
	a.respond(w, http.StatusCreated, auth, err)
}

// FalseAlarms is what the API needs of false alarm counts and permits.
type FalseAlarms interface {
	FalseAlarms(ctx context.Context, siteID, accountID, customerID int64) (*store.FalseAlarmCount, error)
	SetPermit(ctx context.Context, p *store.Permit, by store.Actor) error
	SitePermit(ctx context.Context, siteID int64) (*store.Permit, error)
}

func (a *api) falseAlarmRoutes() []route {
	return []route{
		{"GET", "/api/v1/false-alarms", a.falseAlarms, []string{"site_id", "account_id", "customer_id"}},
		{"GET", "/api/v1/sites/{id}/permit", withID(a.getPermit), nil},
		{"PUT", "/api/v1/sites/{id}/permit", withID(a.putPermit), nil},
	}
}

func (a *api) falseAlarms(w http.ResponseWriter, r *http.Request) {
	var ids [3]int64
	given := 0
	for i, name := range []string{"site_id", "account_id", "customer_id"} {
		id, ok := queryID(w, r, name)
		if !ok {
			return
		}
		if id != 0 {
			ids[i] = id
			given++
		}
	}
	if given != 1 {
		writeError(w, http.StatusBadRequest, "site_id", "give one of site_id, account_id and customer_id")
		return
	}
	c, err := a.opts.Station.FalseAlarms(r.Context(), ids[0], ids[1], ids[2])
	a.respond(w, http.StatusOK, c, err)
}

func (a *api) getPermit(w http.ResponseWriter, r *http.Request, id int64) {
	p, err := a.opts.Station.SitePermit(r.Context(), id)
	if err == nil && p == nil {
		writeError(w, http.StatusNotFound, "", "the site has no alarm permit on file")
		return
	}
	a.respond(w, http.StatusOK, p, err)
}

func (a *api) putPermit(w http.ResponseWriter, r *http.Request, id int64) {
	var p store.Permit
	if !decodeBody(w, r, &p) {
		return
	}
	p.SiteID = id
	err := a.opts.Station.SetPermit(r.Context(), &p, actorOf(r))
	a.respond(w, http.StatusOK, &p, err)
}
