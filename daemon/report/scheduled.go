package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/internal/fence"
	smtpmail "github.com/alarmrx/alarmrx/internal/mail"
	"github.com/alarmrx/alarmrx/internal/tabular"
	"go.uber.org/zap"
)

// Scheduled is one station report mailed on a schedule (report.scheduled):
// its period ends at At each day, each Weekday or on the first of each
// month, in Zone, and covers the day, the week or the calendar month
// before it.
type Scheduled struct {
	Name    string
	Report  string // the station report's name (response-times…)
	Every   string // day, week or month
	At      string // HH:MM in Zone
	Weekday time.Weekday
	Zone    *time.Location
	Format  string // pdf, html or csv
	To      []string
	SiteID  int64 // the open-close report's site
}

// Render writes one station report in format to w and returns its title
// and file name; the daemon gives it (the API's reports over the store).
type Render func(ctx context.Context, rq RenderRequest, format string, w io.Writer) (title, file string, err error)

// RenderRequest is the report Render writes.
type RenderRequest struct {
	Report   string
	From, To time.Time
	SiteID   int64
	Zone     *time.Location
}

// catchUp is how long after its period's end a scheduled report is still
// sent: a node that was down over a morning sends it when it is back, one
// down for days does not mail a week-old period.
const catchUp = 24 * time.Hour

// due is the newest period of s that ended by now: its name (the day it
// ended, in s.Zone) and its range; ok false when it ended over catchUp
// ago. Periods are counted in calendar days, so a day across a change of
// clocks is 23 or 25 hours and a month is the calendar month.
func due(s Scheduled, now time.Time) (period string, from, to time.Time, ok bool) {
	local := now.In(s.Zone)
	end, err := clock(local, s.At)
	if err != nil {
		return "", from, to, false
	}
	switch s.Every {
	case "day":
		if end.After(local) {
			end = end.AddDate(0, 0, -1)
		}
		from = end.AddDate(0, 0, -1)
	case "week":
		end = end.AddDate(0, 0, -((int(local.Weekday()) - int(s.Weekday) + 7) % 7))
		if end.After(local) {
			end = end.AddDate(0, 0, -7)
		}
		from = end.AddDate(0, 0, -7)
	case "month":
		end = end.AddDate(0, 0, 1-local.Day())
		if end.After(local) {
			end = end.AddDate(0, -1, 0)
		}
		from = end.AddDate(0, -1, 0)
	default:
		return "", from, to, false
	}
	// clock gives the wall time of the day; AddDate keeps it, so each
	// end is At on its own day even across a change of clocks.
	return end.Format("2006-01-02"), from, end, now.Sub(end) < catchUp
}

// RunScheduled mails the scheduled reports whose period is due and not
// yet sent; it returns how many it sent. Each period is claimed before
// its mail (ClaimRun), so it goes once across restarts and nodes; a
// failed send gives the claim back for the next pass.
func (r *Reporter) RunScheduled(ctx context.Context) (int, error) {
	sent := 0
	var errs []error
	for _, s := range r.opts.Scheduled {
		period, from, to, ok := due(s, r.opts.Now())
		if !ok {
			continue
		}
		claim, err := r.opts.Store.ClaimRun(ctx, s.Name, period)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if claim == 0 {
			continue // sent, or claimed by a send whose outcome was lost
		}
		sendErr := r.mailScheduled(ctx, s, from, to)
		if errors.Is(sendErr, fence.ErrLost) {
			sendErr = fmt.Errorf("report: the report job's lease was lost before %s was mailed", s.Name)
		}
		if err := r.opts.Store.FinishRun(ctx, s.Name, period, claim, sendErr); err != nil {
			errs = append(errs, err)
		}
		if sendErr != nil {
			errs = append(errs, fmt.Errorf("scheduled report %s %s: %w", s.Name, period, sendErr))
			continue
		}
		sent++
		r.log.Info("scheduled report mailed", zap.String("schedule", s.Name), zap.String("period", period),
			zap.Int("recipients", len(s.To)))
	}
	return sent, errors.Join(errs...)
}

// mailScheduled writes one period of s and mails it to its recipients.
func (r *Reporter) mailScheduled(ctx context.Context, s Scheduled, from, to time.Time) error {
	if r.opts.Render == nil {
		return errors.New("report: no renderer for scheduled reports")
	}
	var file bytes.Buffer
	title, name, err := r.opts.Render(ctx, RenderRequest{Report: s.Report, From: from, To: to, SiteID: s.SiteID, Zone: s.Zone}, s.Format, &file)
	if err != nil {
		return err
	}
	sender, err := mail.ParseAddress(r.opts.SMTP.From)
	if err != nil {
		return fmt.Errorf("report: sender: %w", err)
	}
	var rcpt []string
	for _, a := range s.To {
		addr, err := mail.ParseAddress(a)
		if err != nil {
			return fmt.Errorf("report: recipient %q: %w", a, err)
		}
		rcpt = append(rcpt, addr.Address)
	}
	subject := fmt.Sprintf("%s – %s to %s", title, from.Format("2006-01-02 15:04"), to.Format("2006-01-02 15:04 MST"))
	body := fmt.Sprintf("%s of the station, %s to %s (%s), is attached as %s.\r\n\r\nThis report is sent on the schedule %q of report.scheduled.\r\n",
		title, from.Format("Mon 2 Jan 2006 15:04"), to.Format("Mon 2 Jan 2006 15:04"), s.Zone, name, s.Name)
	msg, err := composeAttached(sender.String(), strings.Join(rcpt, ", "), subject, body, name, file.Bytes(), r.opts.Now())
	if err != nil {
		return err
	}
	if err := fence.Check(ctx); err != nil {
		return err // another node mails the reports now
	}
	return smtpmail.Send(r.opts.SMTP, sender.Address, rcpt, msg)
}

// composeAttached writes a multipart/mixed message: a plain text body and
// one file, base64 in lines of 76 [RFC 2045 §6.8].
func composeAttached(from, to, subject, text, file string, content []byte, now time.Time) ([]byte, error) {
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	pw, err := w.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=utf-8"}, "Content-Transfer-Encoding": {"8bit"}})
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(pw, text); err != nil {
		return nil, err
	}
	ctype := tabular.Formats[file[strings.LastIndexByte(file, '.')+1:]]
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	pw, err = w.CreatePart(textproto.MIMEHeader{"Content-Type": {ctype},
		"Content-Transfer-Encoding": {"base64"},
		"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": file})}})
	if err != nil {
		return nil, err
	}
	enc := base64.StdEncoding.EncodeToString(content)
	for len(enc) > 76 {
		if _, err := io.WriteString(pw, enc[:76]+"\r\n"); err != nil {
			return nil, err
		}
		enc = enc[76:]
	}
	if _, err := io.WriteString(pw, enc+"\r\n"); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	var msg bytes.Buffer
	fmt.Fprintf(&msg, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\n", from, to, mimeWord(subject),
		now.UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&msg, "Content-Type: multipart/mixed; boundary=%q\r\n\r\n", w.Boundary())
	msg.Write(body.Bytes())
	return msg.Bytes(), nil
}
