package httpapi

import (
	"net/http"
	"slices"
	"strings"
)

// Most endpoints end the same way: one store call, then either its error
// (storeError) or its result. The endings live here so that every
// endpoint maps a store error to the same status and body.

// respond answers v as JSON with status, or err as storeError does. v is
// not looked at when err is set.
func (a *api) respond(w http.ResponseWriter, status int, v any, err error) {
	if err != nil {
		a.storeError(w, err)
		return
	}
	writeJSON(w, status, v)
}

// respondItems answers a list as {"items": list}, the shape of every list
// endpoint without paging metadata.
func (a *api) respondItems(w http.ResponseWriter, list any, err error) {
	a.respond(w, http.StatusOK, map[string]any{"items": list}, err)
}

// respondNoContent answers 204 with no body, or err.
func (a *api) respondNoContent(w http.ResponseWriter, err error) {
	if err != nil {
		a.storeError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// withID adapts a handler of the record the {id} path value names: a bad
// id is answered 400 (pathID) before h runs.
func withID(h func(w http.ResponseWriter, r *http.Request, id int64)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if id, ok := pathID(w, r); ok {
			h(w, r, id)
		}
	}
}

// The actor auth put in the request's context is who the store records
// for a change; these check or fill it in where the endpoint's rule needs
// a particular kind of actor.

// stationUser refuses (403) a request made without a station user's
// session: the admin token is no one an incident's or signal's log can
// name. what says what needs the user.
func stationUser(w http.ResponseWriter, r *http.Request, what string) bool {
	if actorOf(r).ID == 0 {
		writeError(w, http.StatusForbidden, "", what+": log in at /api/v1/login")
		return false
	}
	return true
}

// portalSigns sets *by to the portal user's name when a portal session
// makes the request: a portal user acts as itself, never as someone it
// names.
func portalSigns(r *http.Request, by *string) {
	if portalOf(r) != nil {
		*by = actorOf(r).Name
	}
}

// queryOneOf reads an optional query parameter that must be one of vals
// ("" when absent), answering 400 with the choices for any other value.
func queryOneOf(w http.ResponseWriter, r *http.Request, name string, vals ...string) (string, bool) {
	v := r.URL.Query().Get(name)
	if v == "" || slices.Contains(vals, v) {
		return v, true
	}
	last := len(vals) - 1
	writeError(w, http.StatusBadRequest, name, name+" must be "+strings.Join(vals[:last], ", ")+" or "+vals[last])
	return "", false
}

// queryBool reads an optional true or false query parameter; absent is
// false.
func queryBool(w http.ResponseWriter, r *http.Request, name string) (bool, bool) {
	v, ok := queryOneOf(w, r, name, "true", "false")
	return v == "true", ok
}
