package report

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/alarmrx/alarmrx/internal/fence"
	smtpmail "github.com/alarmrx/alarmrx/internal/mail"
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
	"go.uber.org/zap"
)

// SMTP configures the mail server.
type SMTP = smtpmail.Server

// Options configure the reporter.
type Options struct {
	Store       Store     // required
	Customers   Customers // required: whom a pass goes through
	SMTP        SMTP
	SendAt      string // "07:00", the customer's local time
	WindowStart string // "18:00": the night runs from this time the day before to SendAt
	PortalURL   string // base of the links, e.g. https://portal.example
	Logger      *zap.Logger
	Now         func() time.Time
	// Scheduled are the station reports mailed on a schedule, written by
	// Render.
	Scheduled []Scheduled
	Render    Render
	// ShareDays is how long each incident's Incident Share link opens it
	// (report.share_days); 0 leaves the links out.
	ShareDays int
}

// Reporter writes and sends the reports.
type Reporter struct {
	opts Options
	log  *zap.Logger
}

// New returns a reporter.
func New(o Options) *Reporter {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SMTP.Timeout <= 0 {
		o.SMTP.Timeout = 30 * time.Second
	}
	o.PortalURL = strings.TrimRight(o.PortalURL, "/")
	return &Reporter{opts: o, log: o.Logger.Named("report")}
}

// Run checks every minute which customers are due and sends their
// reports, and which scheduled reports are, until ctx ends.
func (r *Reporter) Run(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if n, err := r.RunOnce(ctx); err != nil {
			r.log.Warn("morning reports: a pass failed; retrying", zap.Error(err))
		} else if n > 0 {
			r.log.Info("morning reports sent", zap.Int("reports", n))
		}
		if _, err := r.RunScheduled(ctx); err != nil {
			r.log.Warn("scheduled reports: a pass failed; retrying", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce writes and sends the reports due now; it returns how many were
// sent. A report already sent is never sent again; one whose sending
// failed is sent again on the next pass, to the recipients it did not
// reach only. A customer without recipients (ReportRecipients) gets no
// report.
func (r *Reporter) RunOnce(ctx context.Context) (int, error) {
	customers, err := r.opts.Customers.List(ctx, store.ListOptions{Limit: store.MaxListLimit})
	if err != nil {
		return 0, err
	}
	sent := 0
	var errs []error
	for _, c := range customers {
		to, err := r.opts.Store.ReportRecipients(ctx, c.ID)
		if err != nil {
			errs = append(errs, fmt.Errorf("customer %d: %w", c.ID, err))
			continue
		}
		if len(to) == 0 {
			continue
		}
		ok, err := r.customer(ctx, c, to)
		if err != nil {
			errs = append(errs, fmt.Errorf("customer %d: %w", c.ID, err))
		}
		if ok {
			sent++
		}
	}
	return sent, errors.Join(errs...)
}

// customerZone is where the customer's morning is: its own time zone, or
// that of its first site, or UTC.
func customerZone(c store.Customer, sites []store.Site) *time.Location {
	zone := c.TimeZone
	if zone == "" && len(sites) > 0 {
		zone = sites[0].TimeZone
	}
	if l, err := time.LoadLocation(zone); err == nil {
		return l
	}
	return time.UTC
}

// customer sends one customer's report if it is due.
func (r *Reporter) customer(ctx context.Context, c store.Customer, to []store.ReportRecipient) (bool, error) {
	sites, err := r.opts.Store.ScopeSites(ctx, c.ID)
	if err != nil {
		return false, err
	}
	now := r.opts.Now().In(customerZone(c, sites))
	sendAt, err := clock(now, r.opts.SendAt)
	if err != nil {
		return false, err
	}
	if now.Before(sendAt) {
		return false, nil
	}
	night := sendAt.Format("2006-01-02")
	rep, err := r.opts.Store.ReportFor(ctx, c.ID, night)
	if errors.Is(err, store.ErrNotFound) {
		start, err := clock(sendAt.AddDate(0, 0, -1), r.opts.WindowStart)
		if err != nil {
			return false, err
		}
		built, ok, err := r.Build(ctx, c, sites, start, sendAt)
		if err != nil || !ok {
			return false, err // !ok: nothing of the customer was monitored that night
		}
		built.Night = night
		addrs := make([]string, len(to))
		for i, rc := range to {
			addrs[i] = rc.Email
		}
		built.Recipients = strings.Join(addrs, ", ")
		if rep, _, err = r.opts.Store.SaveReport(ctx, built, to); err != nil {
			return false, err
		}
	} else if err != nil {
		return false, err
	}
	if rep.SentAt != nil || rep.DeletedAt != nil {
		return false, nil // sent, or deleted by its client before it went out
	}
	pending, err := r.opts.Store.PendingDeliveries(ctx, rep)
	if err != nil {
		return false, err
	}
	var errs []error
	for _, d := range pending {
		// Claimed first, under the job's lease (checked by the database in
		// the claim's transaction): a node that takes the job over after
		// this one stopped mid-mail finds the claim and mails that
		// recipient no second time.
		claim, err := r.opts.Store.ClaimDelivery(ctx, d.ID)
		if err != nil {
			return false, err
		}
		if claim == 0 {
			continue // sent, or claimed by another sender
		}
		sendErr := r.send(ctx, rep, d)
		if errors.Is(sendErr, fence.ErrLost) {
			// Not mailed: the lease went before the send. The job's next
			// holder mails it.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			err := r.opts.Store.ReleaseDelivery(rctx, d.ID, claim)
			cancel()
			if err != nil {
				// Not sent, yet it will show unconfirmed and stay unsent.
				r.log.Warn("report delivery left claimed: its recipient shows unconfirmed and is not mailed",
					zap.Int64("delivery", d.ID), zap.String("to", d.Recipient.Email), zap.Error(err))
			}
			return false, errors.Join(sendErr, err)
		}
		if err := r.opts.Store.MarkDelivery(ctx, d.ID, sendErr); err != nil {
			return false, err
		}
		if sendErr != nil {
			errs = append(errs, fmt.Errorf("to %s: %w", d.Recipient.Email, sendErr))
		}
	}
	sendErr := errors.Join(errs...)
	if err := r.opts.Store.MarkReport(ctx, rep.ID, sendErr); err != nil {
		return false, err
	}
	if sendErr != nil {
		return false, fmt.Errorf("sending the report of %s: %w", night, sendErr)
	}
	return true, nil
}

// clock returns day's date at "HH:MM" in day's location.
func clock(day time.Time, hhmm string) (time.Time, error) {
	t, err := time.Parse("15:04", hhmm)
	if err != nil {
		return time.Time{}, fmt.Errorf("report: time %q is not HH:MM", hhmm)
	}
	return time.Date(day.Year(), day.Month(), day.Day(), t.Hour(), t.Minute(), 0, 0, day.Location()), nil
}

// Data is what the templates get.
type Data struct {
	Customer  store.Customer
	From, To  time.Time
	PortalURL string
	Sites     []SiteData
	// Totals are the night's signals by category, most urgent first.
	Totals    []Total
	Signals   int
	Incidents int
}

// Total is the number of signals of one category.
type Total struct {
	Label string // "Opening/closing"
	Count int
}

// SiteData is one site's night.
type SiteData struct {
	Site  store.Site
	Quiet bool
	// Since is when the site's first account was added, when that was
	// during the night: it was watched from then on only.
	Since     time.Time
	Incidents []IncidentData
	Events    []EventData
}

// IncidentData is an incident escalated above a normal event.
type IncidentData struct {
	Incident store.Incident
	// Log is what the operators did, in order: notes, calls, dispatches
	// and their cancellations, notifications, passcode checks, the
	// resolution (store.IncidentAction.Words).
	Log  []LogLine
	Link string
	// Media are the video and image links its signals carried.
	Media []Media
	// Share is its Incident Share link: it opens the incident without a
	// log-in until ShareUntil ("" when report.share_days is 0).
	Share      string
	ShareUntil time.Time
}

// LogLine is one step of an incident's call and dispatch log.
type LogLine struct {
	At   time.Time
	Text string
}

// Media is one video or image link of a signal: clip, live, snapshot…
type Media struct {
	Name, URL string
}

// mediaOf lists a signal's media links [the media_* modifiers]: only
// http(s) addresses are kept at ingest, and only those are linked.
func mediaOf(sg store.Signal) []Media {
	var out []Media
	for _, m := range sg.Modifiers {
		if name, ok := strings.CutPrefix(m.Name, "media_"); ok && (strings.HasPrefix(m.Value, "https://") || strings.HasPrefix(m.Value, "http://")) {
			out = append(out, Media{Name: name, URL: m.Value})
		}
	}
	return out
}

// EventData is one normal event (openings, closings, tests…); its
// operators' notes are Signal.Notes.
type EventData struct {
	Signal store.Signal
	What   string // "Opened by user 3", or the event's description
	Zone   string // "017 Front door", "" when none
	Test   bool   // received while the account was on test
	Link   string
	Media  []Media
}

// Build writes a customer's report for [from, to). Only sites that were
// monitored (had an account) are in it: a site whose first account came
// during the night is in it from then on ("monitored since"), and only if
// something happened; with no site left there is no report (ok false):
// a customer is never told "all quiet" for a night it was not watched.
func (r *Reporter) Build(ctx context.Context, c store.Customer, sites []store.Site, from, to time.Time) (rep *store.Report, ok bool, err error) {
	d := Data{Customer: c, From: from, To: to, PortalURL: r.opts.PortalURL}
	totals := map[protocols.Category]int{}
	for _, site := range sites {
		first, monitored, err := r.opts.Store.FirstAccountAt(ctx, site.ID)
		if err != nil {
			return nil, false, err
		}
		if !monitored || !first.Before(to) {
			continue // nothing was watched there this night
		}
		sd := SiteData{Site: site}
		if first.After(from) {
			sd.Since = first
		}
		sigs, err := r.opts.Store.SiteActivity(ctx, site.ID, from, to)
		if err != nil {
			return nil, false, err
		}
		incs, err := r.opts.Store.SiteIncidents(ctx, site.ID, from, to)
		if err != nil {
			return nil, false, err
		}
		byID := make(map[int64]store.Signal, len(sigs))
		for _, sg := range sigs {
			byID[sg.ID] = sg
		}
		for _, in := range incs {
			id, err := r.incident(ctx, in, byID)
			if err != nil {
				return nil, false, err
			}
			sd.Incidents = append(sd.Incidents, id)
		}
		for _, sg := range sigs {
			cat, _ := protocols.ParseCategory(sg.Category)
			totals[cat]++
			if sg.Handling == store.HandlingLog || sg.Handling == store.HandlingTest {
				sd.Events = append(sd.Events, EventData{Signal: sg, What: sg.EventText(), Zone: zoneText(sg),
					Test: sg.Test || sg.Handling == store.HandlingTest, Media: mediaOf(sg),
					Link: r.opts.PortalURL + "/portal/#/signal/" + strconv.FormatInt(sg.ID, 10)})
			}
		}
		sd.Quiet = len(sigs) == 0 && len(incs) == 0
		if sd.Quiet && !sd.Since.IsZero() {
			// Watched for part of the night only, and nothing came: "all
			// quiet, we were watching" would claim the whole night.
			continue
		}
		d.Signals += len(sigs)
		d.Incidents += len(incs)
		d.Sites = append(d.Sites, sd)
	}
	if len(d.Sites) == 0 {
		return nil, false, nil
	}
	for _, cat := range protocols.Categories() {
		if n := totals[cat]; n > 0 {
			d.Totals = append(d.Totals, Total{Label: cat.Label(), Count: n})
		}
	}
	var html, text bytes.Buffer
	if err := htmlTmpl.Execute(&html, d); err != nil {
		return nil, false, err
	}
	if err := textTmpl.Execute(&text, d); err != nil {
		return nil, false, err
	}
	subject := fmt.Sprintf("Night report %s – %s: %s, %s", to.Format("2006-01-02"), c.Name,
		plural(d.Signals, "signal", "signals"), plural(d.Incidents, "incident", "incidents"))
	if d.Signals == 0 && d.Incidents == 0 {
		subject = fmt.Sprintf("Night report %s – %s: all quiet, we were watching", to.Format("2006-01-02"), c.Name)
	}
	return &store.Report{CustomerID: c.ID, From: from, To: to, Subject: subject,
		HTML: html.String(), Text: text.String()}, true, nil
}

// incident is one incident of the report: its call and dispatch log,
// the media links of its signals of the night (sigs by id), and its
// Incident Share link.
func (r *Reporter) incident(ctx context.Context, in store.Incident, sigs map[int64]store.Signal) (IncidentData, error) {
	id := IncidentData{Incident: in, Link: r.opts.PortalURL + "/portal/#/incident/" + strconv.FormatInt(in.ID, 10)}
	actions, err := r.opts.Store.IncidentActions(ctx, in.ID)
	if err != nil {
		return id, err
	}
	for _, a := range actions {
		if text := a.Words(); text != "" {
			id.Log = append(id.Log, LogLine{At: a.At, Text: text})
		}
	}
	ids, _, err := r.opts.Store.IncidentSignalIDs(ctx, in.ID)
	if err != nil {
		return id, err
	}
	for _, sid := range ids {
		id.Media = append(id.Media, mediaOf(sigs[sid])...)
	}
	if r.opts.ShareDays > 0 {
		id.ShareUntil = r.opts.Now().Add(time.Duration(r.opts.ShareDays) * 24 * time.Hour).UTC()
		token, err := r.opts.Store.ShareToken(ctx, in.ID, id.ShareUntil)
		if err != nil {
			return id, err
		}
		id.Share = r.opts.PortalURL + "/portal/share?token=" + url.QueryEscape(token)
	}
	return id, nil
}

// plural writes a count with its noun: "1 signal", "3 signals".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// zoneText is a signal's zone with its description: "017 Front door".
func zoneText(sg store.Signal) string {
	if sg.Zone == "" || sg.Category == protocols.CategoryOpenClose.String() {
		return ""
	}
	return strings.TrimSpace(sg.Zone + " " + sg.ZoneDescription)
}

//go:embed templates
var templates embed.FS

var funcs = map[string]any{
	"at":     func(t time.Time, loc *time.Location) string { return t.In(loc).Format("15:04") },
	"when":   func(t time.Time) string { return t.Format("Mon 2 Jan 15:04 MST") },
	"plural": plural,
	"loc": func(s store.Site) *time.Location {
		if l, err := time.LoadLocation(s.TimeZone); err == nil {
			return l
		}
		return time.UTC
	},
}

var (
	htmlTmpl = htmltemplate.Must(htmltemplate.New("report.html").Funcs(funcs).ParseFS(templates, "templates/report.html"))
	textTmpl = texttemplate.Must(texttemplate.New("report.txt").Funcs(funcs).ParseFS(templates, "templates/report.txt"))
)

// send mails a report to one recipient as multipart/alternative (plain
// text and HTML), with the recipient's own unsubscribe link in the body
// and in the List-Unsubscribe header [RFC 2369], which mail programs offer
// as one click [RFC 8058].
func (r *Reporter) send(ctx context.Context, rep *store.Report, d store.ReportDelivery) error {
	cfg := r.opts.SMTP
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return fmt.Errorf("report: from address %q: %w", cfg.From, err)
	}
	to, err := mail.ParseAddress(d.Recipient.Email)
	if err != nil {
		return fmt.Errorf("report: recipient %q: %w", d.Recipient.Email, err)
	}
	token, err := r.opts.Store.UnsubscribeToken(ctx, rep.CustomerID, d.Recipient)
	if err != nil {
		return err
	}
	link := r.opts.PortalURL + "/portal/unsubscribe?token=" + url.QueryEscape(token)
	msg, err := compose(from.String(), to.Address, rep, d, link)
	if err != nil {
		return err
	}
	if err := fence.Check(ctx); err != nil {
		return err // another node mails the reports now
	}
	return smtpmail.Send(cfg, from.Address, []string{to.Address}, msg)
}

// unsubscribeHTML is the line each mailed copy of a report ends with.
var unsubscribeHTML = htmltemplate.Must(htmltemplate.New("unsubscribe").Parse(
	`<p style="color: #6b7685; font-size: 12px">This report went to {{.To}}. <a href="{{.Link}}">Unsubscribe</a> to stop receiving it.</p>`))

func compose(from, to string, rep *store.Report, d store.ReportDelivery, link string) ([]byte, error) {
	var foot bytes.Buffer
	if err := unsubscribeHTML.Execute(&foot, map[string]string{"To": to, "Link": link}); err != nil {
		return nil, err
	}
	html := rep.HTML
	if i := strings.LastIndex(html, "</body>"); i >= 0 {
		html = html[:i] + foot.String() + "\n" + html[i:]
	} else {
		html += foot.String()
	}
	text := rep.Text + "\n--\nThis report went to " + to + ". To stop receiving it, open:\n" + link + "\n"
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for _, part := range []struct{ ctype, content string }{{"text/plain; charset=utf-8", text}, {"text/html; charset=utf-8", html}} {
		pw, err := w.CreatePart(textproto.MIMEHeader{"Content-Type": {part.ctype}, "Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write([]byte(part.content)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	var msg bytes.Buffer
	fmt.Fprintf(&msg, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <report-%d-%s-%d@alarmrx>\r\nMIME-Version: 1.0\r\n",
		from, to, mimeWord(rep.Subject), time.Now().UTC().Format(time.RFC1123Z), rep.CustomerID, rep.Night, d.ID)
	fmt.Fprintf(&msg, "List-Unsubscribe: <%s>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", link)
	fmt.Fprintf(&msg, "Content-Type: multipart/alternative; boundary=%q\r\n\r\n", w.Boundary())
	msg.Write(body.Bytes())
	return msg.Bytes(), nil
}

// mimeWord encodes a header value that may hold non-ASCII text (RFC 2047).
func mimeWord(s string) string { return mime.QEncoding.Encode("utf-8", s) }
