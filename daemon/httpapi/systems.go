package httpapi

import (
	"net/http"
)

// siteSystems lists a site's systems with the installer (the system's
// own, else the site's) and technician of each.
func (a *api) siteSystems(w http.ResponseWriter, r *http.Request, id int64) {
	if _, err := a.opts.Tables.Sites.Get(r.Context(), id); err != nil {
		a.storeError(w, err)
		return
	}
	list, err := a.opts.Station.SiteSystems(r.Context(), id)
	a.respondItems(w, list, err)
}

// unprogrammedZones lists the zones an account's signals name that have
// no zone record, with their first and last signal and count; adding the
// zone (POST /api/v1/zones) takes it off the list.
func (a *api) unprogrammedZones(w http.ResponseWriter, r *http.Request, id int64) {
	list, err := a.opts.Station.UnprogrammedZones(r.Context(), id)
	a.respond(w, http.StatusOK, map[string]any{"account_id": id, "items": list}, err)
}
