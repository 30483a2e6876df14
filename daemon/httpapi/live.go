package httpapi

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/store"
)

// Live are the options a configuration reload replaces while the server
// runs; every request reads the ones in force.
type Live struct {
	// AdminToken guards the API; "" disables bearer requests.
	AdminToken      string
	MaxTestDuration time.Duration
	Queue           store.QueueRules
	// AgeWarn, AgeCritical and Clock are the console's (ConsoleOptions').
	AgeWarn, AgeCritical time.Duration
	Clock                string
	// XML's senders and passkeys.
	XML XMLOptions
}

// LiveOf takes the reloadable options out of opts, with the console's
// defaults applied.
func LiveOf(opts Options) *Live {
	c := opts.Console
	c.setDefaults()
	return &Live{AdminToken: opts.AdminToken, MaxTestDuration: opts.MaxTestDuration, Queue: opts.Queue,
		AgeWarn: c.AgeWarn, AgeCritical: c.AgeCritical, Clock: c.Clock, XML: opts.XML}
}

// live returns the options in force.
func (a *api) live() *Live {
	if a.opts.Live != nil {
		return a.opts.Live()
	}
	return a.fixed
}

// reload is POST /-/reload: the configuration is read again and, when it
// is valid, applied (Options.Reload), as Prometheus does on its own
// /-/reload. Only the admin bearer token may ask; the answer says what
// changed (200), why nothing did (400), or what changed and what could not
// be applied (500).
func (a *api) reload(w http.ResponseWriter, r *http.Request) {
	token := a.live().AdminToken
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch {
	case token == "":
		writeError(w, http.StatusForbidden, "", "reloading over HTTP is disabled: set http.admin_token (or ALARMRX_HTTP_ADMIN_TOKEN)")
		return
	case !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1:
		w.Header().Set("WWW-Authenticate", `Bearer realm="alarmrx"`)
		writeError(w, http.StatusUnauthorized, "", "missing or wrong bearer token")
		return
	case a.opts.Reload == nil:
		writeError(w, http.StatusNotFound, "", "this server cannot reload its configuration")
		return
	}
	result, err := a.opts.Reload(r.Context())
	if err != nil && result == nil {
		writeError(w, http.StatusBadRequest, "", "configuration not reloaded, still running on the previous one: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		// It took effect in part: what changed, and what could not be
		// applied (in the result's error).
		w.WriteHeader(http.StatusInternalServerError)
	}
	_ = json.NewEncoder(w).Encode(result)
}
