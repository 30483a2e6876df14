package daemon

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/internal/mail"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// escalator tells the supervisors of the incidents left unattended past
// their priority's queue.escalate_after: the store marks and logs them and
// the consoles are told (their supervisors get a notification); here they
// are counted, logged and mailed to queue.escalation_email.
type escalator struct {
	d         *Daemon
	escalated prometheus.Counter
	// unmailed are escalations whose mail the server refused: sent again
	// with the next (at most maxUnmailed, the oldest dropped with a log
	// line; a restart forgets them, the console still shows them).
	unmailed []store.Incident
}

const maxUnmailed = 1000

func newEscalator(d *Daemon) *escalator {
	e := &escalator{d: d, escalated: prometheus.NewCounter(prometheus.CounterOpts{
		Name: "alarmrx_incidents_escalated_total",
		Help: "Incidents left unclaimed past their priority's queue.escalate_after, escalated to the supervisors.",
	})}
	d.reg.MustRegister(e.escalated)
	return e
}

// run escalates what is due and mails the supervisors; the queue sweep
// calls it.
func (e *escalator) run(ctx context.Context) (int, error) {
	var after [9]time.Duration // the configuration in force: a reload may change it
	copy(after[:], e.d.config().Queue.EscalateAfter)
	list, err := e.d.store.Escalate(ctx, e.d.now(), after)
	if err != nil || (len(list) == 0 && len(e.unmailed) == 0) {
		return 0, err
	}
	e.escalated.Add(float64(len(list)))
	for _, in := range list {
		e.d.log.Warn("incident unattended: escalated to the supervisors", zap.Int64("incident", in.ID), zap.Int("priority", in.Priority),
			zap.String("account", in.Account), zap.Duration("unclaimed_for", e.d.now().Sub(in.OpenedAt).Round(time.Second)))
	}
	if to := e.d.config().Queue.EscalationEmail; len(to) > 0 {
		send := append(e.unmailed, list...)
		if over := len(send) - maxUnmailed; over > 0 {
			e.d.log.Warn("escalation mails not sent for long: the oldest are given up (the console shows them)", zap.Int("given_up", over))
			send = send[over:]
		}
		rc := e.d.config().Report.SMTP
		srv := mail.Server{Host: rc.Host, Port: rc.Port, TLS: rc.TLS, Username: rc.Username, Password: rc.Password, From: rc.From,
			Timeout: 15 * time.Second}
		from := rc.From
		if a, err := netmail.ParseAddress(rc.From); err == nil {
			from = a.Address // "alarmrx <noc@…>" says who; SMTP takes the address
		}
		if err := mail.Send(srv, from, to, escalationMail(rc.From, to, send, e.d.now())); err != nil {
			e.unmailed = send
			return len(list), fmt.Errorf("escalation mail (sent again with the next sweep): %w", err)
		}
		e.unmailed = nil
	}
	return len(list), nil
}

// escalationMail is the supervisors' mail: one line per incident.
func escalationMail(from string, to []string, list []store.Incident, now time.Time) []byte {
	var b bytes.Buffer
	subject := fmt.Sprintf("%d unattended incident(s): priority %d %s", len(list), list[0].Priority, list[0].Title)
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
		from, strings.Join(to, ", "), mime.QEncoding.Encode("utf-8", subject), now.UTC().Format(time.RFC1123Z))
	b.WriteString("These incidents are unclaimed past their priority's time:\r\n\r\n")
	for _, in := range list {
		fmt.Fprintf(&b, "#%d  priority %d  %s  (%s, receiver %d account %s)  unclaimed for %s\r\n", in.ID, in.Priority, in.Title,
			in.SiteName, in.Receiver, in.Account, now.Sub(in.OpenedAt).Round(time.Second))
	}
	return b.Bytes()
}
