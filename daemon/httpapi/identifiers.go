package httpapi

import (
	"net/http"
	"strings"

	"github.com/alarmrx/alarmrx/store"
)

// Identifiers (design.md §9): station staff read a client's identifier to a
// client who lost it, give it another or a new random one (audited with
// before and after), and find the record an identifier names.

func (a *api) identifierRoutes() []route {
	rs := []route{
		{"GET", "/api/v1/clients", a.lookupClient, []string{"identifier"}},
		{"GET", "/api/v1/portal-users/{id}/scopes", withID(a.portalUserScopes), nil},
	}
	for _, kind := range store.ClientKinds {
		path := "/api/v1/" + kind + "s/{id}/identifier"
		rs = append(rs,
			route{"GET", path, a.clientIdentifier(kind), nil},
			route{"PUT", path, a.setIdentifier(kind), nil},
			route{"POST", path + "/regenerate", a.regenerateIdentifier(kind), nil})
	}
	return rs
}

// identifierAudited are the identifier routes that write their own audit
// entries (with the identifier before and after).
func identifierAudited(path string) bool {
	return strings.HasSuffix(path, "/{id}/identifier") || strings.HasSuffix(path, "/{id}/identifier/regenerate")
}

// lookupClient answers which site, customer or installer an identifier
// names (as a portal log-in compares it).
func (a *api) lookupClient(w http.ResponseWriter, r *http.Request) {
	ident := r.URL.Query().Get("identifier")
	if strings.TrimSpace(ident) == "" {
		writeError(w, http.StatusBadRequest, "identifier", "identifier is required")
		return
	}
	c, err := a.opts.Station.LookupIdentifier(r.Context(), ident)
	a.respond(w, http.StatusOK, c, err)
}

func (a *api) clientIdentifier(kind string) http.HandlerFunc {
	return withID(func(w http.ResponseWriter, r *http.Request, id int64) {
		c, err := a.opts.Station.ClientIdentifier(r.Context(), kind, id)
		a.respond(w, http.StatusOK, c, err)
	})
}

type identifierRequest struct {
	Identifier string `json:"identifier"`
}

func (a *api) setIdentifier(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, req, ok := idAndBody[identifierRequest](w, r)
		if !ok {
			return
		}
		c, err := a.opts.Station.SetIdentifier(r.Context(), kind, id, req.Identifier, actorOf(r))
		a.respond(w, http.StatusOK, c, err)
	}
}

func (a *api) regenerateIdentifier(kind string) http.HandlerFunc {
	return withID(func(w http.ResponseWriter, r *http.Request, id int64) {
		c, err := a.opts.Station.RegenerateIdentifier(r.Context(), kind, id, actorOf(r))
		a.respond(w, http.StatusOK, c, err)
	})
}

// portalUserScopes lists what station staff acting as a portal user may
// open its portal at: its own scope first, then the customers and sites
// within it.
func (a *api) portalUserScopes(w http.ResponseWriter, r *http.Request, id int64) {
	u, err := a.opts.Station.PortalUser(r.Context(), id)
	if err != nil {
		a.storeError(w, err)
		return
	}
	list, err := a.opts.Station.PortalScopes(r.Context(), u)
	a.respondItems(w, list, err)
}
