package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/internal/tabular"
	"go.uber.org/zap/zaptest"
)

// TestScheduledPeriods: the newest period that ended, in calendar days of
// the schedule's zone: a day across the end of summer time is 25 hours, a
// week ends on its weekday, a month is the calendar month before; a period
// that ended over a day ago is not sent.
func TestScheduledPeriods(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, berlin) }
	for _, c := range []struct {
		name     string
		s        Scheduled
		now      time.Time
		period   string
		from, to time.Time
		ok       bool
	}{
		{"daily, across the end of summer time", Scheduled{Every: "day", At: "07:00", Zone: berlin}, at(2026, 10, 25, 7, 30),
			"2026-10-25", at(2026, 10, 24, 7, 0), at(2026, 10, 25, 7, 0), true},
		{"daily, before its time: yesterday's", Scheduled{Every: "day", At: "07:00", Zone: berlin}, at(2026, 12, 2, 6, 59),
			"2026-12-01", at(2026, 11, 30, 7, 0), at(2026, 12, 1, 7, 0), true},
		{"weekly on its Monday", Scheduled{Every: "week", At: "07:00", Weekday: time.Monday, Zone: berlin}, at(2026, 11, 30, 8, 0),
			"2026-11-30", at(2026, 11, 23, 7, 0), at(2026, 11, 30, 7, 0), true},
		{"weekly, on Wednesday: Monday's is two days old", Scheduled{Every: "week", At: "07:00", Weekday: time.Monday, Zone: berlin},
			at(2026, 12, 2, 8, 0), "2026-11-30", at(2026, 11, 23, 7, 0), at(2026, 11, 30, 7, 0), false},
		{"monthly on the first, at its minute", Scheduled{Every: "month", At: "07:00", Zone: berlin}, at(2026, 12, 1, 7, 0),
			"2026-12-01", at(2026, 11, 1, 7, 0), at(2026, 12, 1, 7, 0), true},
		{"monthly, a minute early: November's first is a month old", Scheduled{Every: "month", At: "07:00", Zone: berlin},
			at(2026, 12, 1, 6, 59), "2026-11-01", at(2026, 10, 1, 7, 0), at(2026, 11, 1, 7, 0), false},
	} {
		period, from, to, ok := due(c.s, c.now.UTC())
		if period != c.period || !from.Equal(c.from) || !to.Equal(c.to) || ok != c.ok {
			t.Errorf("%s: %s %v..%v %v, want %s %v..%v %v", c.name, period, from, to, ok, c.period, c.from, c.to, c.ok)
		}
	}
	if _, from, to, _ := due(Scheduled{Every: "day", At: "07:00", Zone: berlin}, at(2026, 10, 25, 8, 0)); to.Sub(from) != 25*time.Hour {
		t.Errorf("the day summer time ended lasted %v", to.Sub(from))
	}
}

// TestScheduledReportMailedOnce: a due report is mailed as an attachment
// to its recipients, once: the next pass and a restarted reporter send it
// no more; a mail server that is down leaves it for the next pass.
func TestScheduledReportMailedOnce(t *testing.T) {
	box, port := startMailbox(t)
	now := time.Date(2026, 11, 30, 7, 1, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	ctx := context.Background()
	st := reportStore(t, clock)
	var asked []RenderRequest
	render := func(ctx context.Context, rq RenderRequest, format string, w io.Writer) (string, string, error) {
		asked = append(asked, rq)
		doc := tabular.Doc{Title: "Response times", Sections: []tabular.Section{{Title: "By priority", Header: []string{"Priority"}}}}
		return doc.Title, "response-times-2026-11-30." + format, doc.Write(w, format)
	}
	opts := Options{Store: st, Customers: st.Customers, SMTP: SMTP{Host: "127.0.0.1", Port: port, TLS: "none", From: "alarmrx <noc@station.example>"},
		SendAt: "07:00", WindowStart: "18:00", Logger: zaptest.NewLogger(t), Now: clock, Render: render,
		Scheduled: []Scheduled{{Name: "daily-response", Report: "response-times", Every: "day", At: "07:00", Zone: time.UTC,
			Format: "html", To: []string{"ops@station.example", "Boss <boss@station.example>"}}}}

	box.mu.Lock()
	box.down = true
	box.mu.Unlock()
	if n, err := New(opts).RunScheduled(ctx); err == nil || n != 0 {
		t.Fatalf("mail server down: %d %v", n, err)
	}
	box.mu.Lock()
	box.down = false
	box.mu.Unlock()
	if n, err := New(opts).RunScheduled(ctx); err != nil || n != 1 {
		t.Fatalf("next pass: %d %v", n, err)
	}
	if n, err := New(opts).RunScheduled(ctx); err != nil || n != 0 {
		t.Fatalf("a restarted reporter: %d %v", n, err)
	}
	if len(asked) != 2 || !asked[1].From.Equal(time.Date(2026, 11, 29, 7, 0, 0, 0, time.UTC)) || !asked[1].To.Equal(time.Date(2026, 11, 30, 7, 0, 0, 0, time.UTC)) {
		t.Fatalf("rendered: %+v", asked)
	}
	got := box.all()
	if len(got) != 1 || strings.Join(got[0].to, ",") != "ops@station.example,boss@station.example" {
		t.Fatalf("mail: %+v", got)
	}
	msg, err := mail.ReadMessage(strings.NewReader(got[0].data))
	must(t, err)
	if subj, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); subj != "Response times – 2026-11-29 07:00 to 2026-11-30 07:00 UTC" {
		t.Errorf("subject %q", subj)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	must(t, err)
	mr := multipart.NewReader(msg.Body, params["boundary"])
	text, err := mr.NextPart()
	must(t, err)
	b, _ := io.ReadAll(text)
	if !strings.Contains(string(b), `sent on the schedule "daily-response"`) {
		t.Errorf("body: %s", b)
	}
	file, err := mr.NextPart()
	must(t, err)
	raw, _ := io.ReadAll(file)
	html, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(raw), "\r\n", ""))
	must(t, err)
	if file.FileName() != "response-times-2026-11-30.html" || file.Header.Get("Content-Type") != "text/html; charset=utf-8" ||
		!bytes.Contains(html, []byte("<h1>Response times</h1>")) {
		t.Errorf("attachment %q %q: %.80s", file.FileName(), file.Header.Get("Content-Type"), html)
	}
	runs, err := st.ScheduledRuns(ctx, 10)
	must(t, err)
	if len(runs) != 1 || runs[0].Period != "2026-11-30" || runs[0].Attempts != 2 || runs[0].SentAt == nil || runs[0].LastError != "" {
		t.Errorf("runs: %+v", runs)
	}
}
