package output

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/alarmrx/alarmrx/internal/fence"
	"github.com/alarmrx/alarmrx/internal/ratelog"
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/xmlsignal"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.uber.org/zap"
)

// WebhookOptions configure a webhook output: each outbox item is POSTed to
// URL, at least once, in order.
type WebhookOptions struct {
	Name   string
	URL    string
	Format string // json or xml (the native AlarmMessage)
	// Token, when set, is sent as "Authorization: Bearer <token>". It is a
	// secret: never logged.
	Token      string
	Timeout    time.Duration // per request, default 10 s
	MaxBackoff time.Duration // default 5 min
	Outbox     Outbox
	Logger     *zap.Logger
	Registerer prometheus.Registerer
	Client     *http.Client
	Poll       time.Duration
	Now        func() time.Time
}

// Webhook delivers the outbox to an automation URL.
type Webhook struct {
	opts       WebhookOptions
	log        *zap.Logger
	mDelivered prometheus.Counter
	mFailures  prometheus.Counter
	wake       chan struct{} // a signal was stored: look at the outbox now
	// rateLog limits the lines of failures to record or read the outbox
	// to one per kind per 10 s.
	rateLog *ratelog.Limiter
}

// NewWebhook returns a webhook output.
func NewWebhook(o WebhookOptions) *Webhook {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = 100 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: o.Timeout}
	}
	w := &Webhook{opts: o, log: o.Logger.Named("output").With(zap.String("output", o.Name)), rateLog: ratelog.New(logEvery),
		wake: make(chan struct{}, 1)}
	f := promauto.With(o.Registerer)
	labels := prometheus.Labels{"output": o.Name}
	w.mDelivered = f.NewCounter(prometheus.CounterOpts{Name: "alarmrx_webhook_delivered_total", ConstLabels: labels,
		Help: "Items the webhook target accepted (2xx)."})
	w.mFailures = f.NewCounter(prometheus.CounterOpts{Name: "alarmrx_webhook_failures_total", ConstLabels: labels,
		Help: "Webhook requests that failed (network error or non-2xx); the item is sent again after a backoff."})
	f.NewGaugeFunc(prometheus.GaugeOpts{Name: "alarmrx_webhook_lag_seconds", ConstLabels: labels,
		Help: "Age of the oldest item the webhook target has not accepted (0 when none)."}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, oldest, err := o.Outbox.OutboxLag(ctx, o.Name)
		if err != nil {
			logLagUnread(w.log, w.rateLog, w.opts.Now(), err)
		}
		if oldest.IsZero() {
			return 0
		}
		return w.opts.Now().Sub(oldest).Seconds()
	})
	return w
}

// Name is the output's name, its outbox target.
func (w *Webhook) Name() string { return w.opts.Name }

// Wake tells the output its outbox got rows (see Surgard.Wake).
func (w *Webhook) Wake() { wake(w.wake) }

// Run delivers until ctx ends: items in outbox order; a failed item is
// retried with a doubling backoff (1 s up to MaxBackoff) and nothing behind
// it overtakes it.
func (w *Webhook) Run(ctx context.Context) {
	backoff := time.Second
	for ctx.Err() == nil {
		items, err := w.opts.Outbox.PendingOutbox(ctx, w.opts.Name, 64)
		if err != nil && ctx.Err() == nil {
			if ok, suppressed := w.rateLog.Allow("outbox_unread", w.opts.Now()); ok {
				w.log.Warn("outbox read failed; retrying", zap.Error(err), zap.Int("suppressed", suppressed))
			}
		}
		if err != nil {
			sleep(ctx, w.opts.Poll)
			continue
		}
		if len(items) == 0 {
			idle(ctx, w.wake, w.opts.Poll)
			continue
		}
		for _, it := range items {
			if err := w.post(ctx, it); err != nil {
				w.mFailures.Inc()
				if merr := w.opts.Outbox.MarkAttempt(ctx, it.ID, err.Error()); merr != nil && ctx.Err() == nil {
					logAttemptUnrecorded(w.log, w.rateLog, w.opts.Now(), it, merr)
				}
				w.log.Warn("webhook delivery failed; retrying", zap.Int64("outbox_id", it.ID), zap.Error(err),
					zap.Duration("backoff", backoff))
				sleep(ctx, backoff)
				backoff = min(2*backoff, w.opts.MaxBackoff)
				break
			}
			backoff = time.Second
			w.mDelivered.Inc()
			if err := w.opts.Outbox.MarkDelivered(ctx, []int64{it.ID}); err != nil {
				w.log.Warn("delivery not recorded; it will be sent again", zap.Error(err))
				break
			}
		}
	}
}

// EventID is the id an outbox item carries to the target, also its
// idempotency key: the same item is always the same id.
func EventID(it store.OutboxItem) string {
	if it.Kind == "incident" {
		return "incident-" + strconv.FormatInt(it.IncidentID, 10) + "-" + strconv.FormatInt(it.ID, 10)
	}
	return "signal-" + strconv.FormatInt(it.SignalID, 10)
}

func (w *Webhook) post(ctx context.Context, it store.OutboxItem) error {
	body, ctype, err := encode(w.opts.Format, it)
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, w.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, w.opts.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Idempotency-Key", EventID(it))
	req.Header.Set("User-Agent", "alarmrx")
	if w.opts.Token != "" {
		req.Header.Set("Authorization", "Bearer "+w.opts.Token)
	}
	if err := fence.Check(ctx); err != nil {
		return err // another node delivers this output now
	}
	resp, err := w.opts.Client.Do(req)
	if err != nil {
		// The URL may carry credentials (a password, an api_key parameter):
		// the error goes to the log and the outbox without it. The output's
		// name says which URL it was.
		var ue *url.Error
		if errors.As(err, &ue) {
			return fmt.Errorf("post: %w", ue.Err)
		}
		return fmt.Errorf("post: %w", err)
	}
	// The body is read only so that the connection can be reused: the
	// status alone says whether the target took the item, so a body cut
	// short costs a new connection next time, nothing more.
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)); err != nil {
		w.log.Debug("webhook response body not read to its end", zap.Error(err))
	}
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("target answered HTTP %d", resp.StatusCode)
	}
	return nil
}

// WebhookSignal is the JSON body of a signal.
type WebhookSignal struct {
	EventID    string               `json:"event_id"`
	Type       string               `json:"type"` // signal
	ReceivedAt time.Time            `json:"received_at"`
	Receiver   int                  `json:"receiver"`
	Line       int                  `json:"line"`
	Listener   string               `json:"listener"`
	Account    string               `json:"account"`
	Resolution string               `json:"resolution"`
	SiteID     *int64               `json:"site_id"`
	Format     string               `json:"format"`
	Code       string               `json:"code"`
	Qualifier  string               `json:"qualifier"`
	Partition  string               `json:"partition,omitempty"`
	Zone       string               `json:"zone,omitempty"`
	User       string               `json:"user,omitempty"`
	Category   string               `json:"category"`
	Text       string               `json:"text,omitempty"`
	Modifiers  []protocols.Modifier `json:"modifiers,omitempty"`
}

// WebhookIncident is the JSON body of an incident update.
type WebhookIncident struct {
	EventID  string         `json:"event_id"`
	Type     string         `json:"type"` // incident
	Action   string         `json:"action"`
	At       time.Time      `json:"at"`
	Incident store.Incident `json:"incident"`
}

func encode(format string, it store.OutboxItem) ([]byte, string, error) {
	if it.Kind == "incident" {
		b, err := json.Marshal(WebhookIncident{EventID: EventID(it), Type: "incident", Action: it.Action, At: it.CreatedAt, Incident: *it.Incident})
		return b, "application/json", err
	}
	e := it.Event
	if format == "xml" {
		msg := xmlsignal.Message{Header: xmlsignal.Header{MessageID: EventID(it), Source: "alarmrx",
			Receiver: strconv.Itoa(it.Receiver), Line: strconv.Itoa(it.Line), SentAt: it.ReceivedAt.UTC().Format(time.RFC3339Nano)}}
		code := e.Code
		if e.Format == protocols.FormatContactID {
			code = map[protocols.Qualifier]string{protocols.QualifierRestore: "R", protocols.QualifierStatus: "P"}[e.Qualifier]
			if code == "" {
				code = "E"
			}
			code += e.Code
		}
		when := e.PanelTime
		if when.IsZero() {
			when = it.ReceivedAt
		}
		msg.Signals = []xmlsignal.Signal{{Account: it.Account, EventTime: when.UTC().Format(time.RFC3339Nano),
			Code: xmlsignal.Code{Format: e.Format, Value: code}, Area: e.Partition, Zone: e.Zone, User: e.User, Text: e.Text}}
		b, err := xml.MarshalIndent(msg, "", "  ")
		return append([]byte(xml.Header), b...), "application/xml", err
	}
	b, err := json.Marshal(WebhookSignal{EventID: EventID(it), Type: "signal", ReceivedAt: it.ReceivedAt, Receiver: it.Receiver,
		Line: it.Line, Listener: it.Listener, Account: it.Account, Resolution: it.Resolution, SiteID: it.SiteID,
		Format: e.Format, Code: e.Code, Qualifier: e.Qualifier.String(), Partition: e.Partition, Zone: e.Zone, User: e.User,
		Category: e.Category.String(), Text: e.Text, Modifiers: e.Modifiers})
	return b, "application/json", err
}
