package httpapi

import (
	"context"
	"errors"
	htmltemplate "html/template"
	"net/http"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/store"
	"go.uber.org/zap"
)

// Incident Share [seeds: the morning report's "Incident Share"]: each
// incident in a morning report carries a link, signed by the station and
// expiring after report.share_days, that opens that one incident,
// read-only, without a log-in: what happened, when, what the operators
// did and the video links. Whoever holds the link sees the page, so it
// shows what the report already says and no more: no raw frames, no
// decrypted data, no passcodes, no contacts' phone numbers.

// Share is what the share page needs of the store.
type Share interface {
	SharedIncident(ctx context.Context, token string) (incidentID int64, expires time.Time, err error)
}

// maxShareToken bounds the token read from the address.
const maxShareToken = 200

func (a *api) shareRoutes(mux *http.ServeMux) {
	mux.Handle("GET /portal/share", consoleHeaders(http.HandlerFunc(a.sharedIncident)))
}

type shareEvent struct {
	At     time.Time
	What   string
	Zone   string
	Media  []shareMedia
	Closed bool // a restore
}

type shareMedia struct{ Name, URL string }

type sharePage struct {
	Bad, Expired bool
	Incident     *store.Incident
	Site         string
	Zone         *time.Location
	Log          []store.IncidentAction
	Events       []shareEvent
	Until        time.Time
}

func (a *api) sharedIncident(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	page := sharePage{Zone: time.UTC}
	status := http.StatusOK
	id, until, err := a.opts.Station.SharedIncident(r.Context(), token)
	if len(token) > maxShareToken {
		err = store.ErrBadLink
	}
	switch {
	case errors.Is(err, store.ErrBadLink):
		page.Bad, status = true, http.StatusBadRequest
	case errors.Is(err, store.ErrLinkExpired):
		page.Expired, status = true, http.StatusGone
	case err != nil:
		a.storeError(w, err)
		return
	default:
		if err := a.fillSharePage(r.Context(), &page, id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				page.Bad, status = true, http.StatusNotFound // deleted by retention since
			} else {
				a.storeError(w, err)
				return
			}
		}
		page.Until = until
		a.log.Info("incident share link opened", zap.Int64("incident", id), zap.String("remote", remoteIP(r)))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the token stays out of the video sites' logs
	w.WriteHeader(status)
	_ = sharePageTmpl.Execute(w, page)
}

// fillSharePage reads the incident, its site's name and time zone, the
// operators' steps in words, and its signals with their media links.
func (a *api) fillSharePage(ctx context.Context, page *sharePage, id int64) error {
	in, err := a.opts.Station.Incident(ctx, id)
	if err != nil {
		return err
	}
	page.Incident, page.Site = in, in.SiteName
	if in.SiteID != nil {
		if site, err := a.opts.Tables.Sites.Get(ctx, *in.SiteID); err == nil {
			if loc, err := time.LoadLocation(site.TimeZone); err == nil {
				page.Zone = loc
			}
		}
	}
	actions, err := a.opts.Station.IncidentActions(ctx, id)
	if err != nil {
		return err
	}
	for _, x := range actions {
		if x.Words() != "" {
			page.Log = append(page.Log, x)
		}
	}
	ids, _, err := a.opts.Station.IncidentSignalIDs(ctx, id)
	if err != nil || len(ids) == 0 {
		return err
	}
	sigs, err := a.opts.Station.Signals(ctx, store.SignalFilter{IDs: ids, Limit: store.MaxListLimit})
	if err != nil {
		return err
	}
	for _, sg := range sigs {
		ev := shareEvent{At: sg.ReceivedAt, What: sg.EventText(), Closed: sg.Qualifier == "restore"}
		if sg.Zone != "" {
			ev.Zone = strings.TrimSpace(sg.Zone + " " + sg.ZoneDescription)
		}
		for _, m := range sg.Modifiers {
			if name, ok := strings.CutPrefix(m.Name, "media_"); ok && (strings.HasPrefix(m.Value, "https://") || strings.HasPrefix(m.Value, "http://")) {
				ev.Media = append(ev.Media, shareMedia{name, m.Value})
			}
		}
		page.Events = append(page.Events, ev)
	}
	return nil
}

var sharePageTmpl = htmltemplate.Must(htmltemplate.New("share").Funcs(htmltemplate.FuncMap{
	"at": func(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02 15:04:05 MST") },
	"on": func(t *time.Time, loc *time.Location) string {
		if t == nil {
			return ""
		}
		return t.In(loc).Format("2006-01-02 15:04 MST")
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>Shared incident</title><link rel="stylesheet" href="/portal/style.css"></head>
<body><header><strong>alarmrx</strong> · shared incident</header><main id="shared-incident">
{{if .Bad}}<p id="share-result" class="error">This link is not valid: it was changed or cut short, or the incident is no longer kept. Ask the monitoring station for a new one.</p>
{{else if .Expired}}<p id="share-result" class="error">This link has expired. Ask the monitoring station for a new one.</p>
{{else}}{{$z := .Zone}}{{with .Incident}}
<h1>{{.Title}}</h1>
<dl>
<dt>Site</dt><dd id="share-site">{{$.Site}}</dd>
<dt>Priority</dt><dd>{{.Priority}}</dd>
<dt>Opened</dt><dd>{{at .OpenedAt $z}}</dd>
{{if .ResolvedAt}}<dt>Resolved</dt><dd>{{on .ResolvedAt $z}}{{if .ResolutionCode}}: {{.ResolutionCode}}{{end}}</dd>{{else}}<dt>Status</dt><dd>{{.Status}}</dd>{{end}}
</dl>{{end}}
<h2>What our operators did</h2>
{{if .Log}}<table id="share-log"><tbody>{{range .Log}}<tr><td>{{at .At $z}}</td><td>{{.Words}}</td></tr>
{{end}}</tbody></table>{{else}}<p>No calls or dispatches were logged.</p>{{end}}
<h2>Signals</h2>
<table id="share-signals"><tbody>{{range .Events}}<tr><td>{{at .At $z}}</td><td>{{.What}}{{if .Closed}} (restored){{end}}</td><td>{{.Zone}}</td>
<td>{{range .Media}}<a class="media" href="{{.URL}}" target="_blank" rel="noopener noreferrer">{{.Name}}</a> {{end}}</td></tr>
{{end}}</tbody></table>
<p class="muted">This page was shared by the monitoring station; the link works until {{at .Until $z}}.</p>
{{end}}</main></body></html>
`))
