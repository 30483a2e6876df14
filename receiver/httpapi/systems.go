package httpapi

import (
	"net/http"
)

// siteSystems lists a site's systems with the installer (the system's
// own, else the site's) and technician of each.
func (a *api) siteSystems(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if _, err := a.opts.Station.Sites.Get(r.Context(), id); err != nil {
		a.storeError(w, err)
		return
	}
	list, err := a.opts.Station.SiteSystems(r.Context(), id)
	if err != nil {
		a.storeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": list})
}
