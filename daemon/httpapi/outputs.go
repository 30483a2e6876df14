package httpapi

import "net/http"

// undeliverable lists the signals an output settled as undeliverable (no
// record of its format carries them), with the reason and when, in outbox
// order; after_id and limit page through them.
func (a *api) undeliverable(w http.ResponseWriter, r *http.Request) {
	p, ok := a.parseList(w, r)
	if !ok {
		return
	}
	items, err := a.opts.Station.UndeliverableOutbox(r.Context(), r.PathValue("name"), p.afterID, p.limit)
	a.respondItems(w, items, err)
}
