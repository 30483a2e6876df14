package output

import (
	"context"
	"sync"
	"time"

	"github.com/alarmrx/alarmrx/internal/ratelog"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.uber.org/zap"
)

// status is what the record outputs (Sur-Gard, peers) share: the
// automation's presence as the outbox records it, the settling of items,
// and the metrics that say both.
type status struct {
	name    string
	outbox  Outbox
	log     *zap.Logger
	now     func() time.Time
	rateLog *ratelog.Limiter

	mu     sync.Mutex
	absent bool
	lastOK time.Time // last acknowledgement or connection: absence counts from here

	mUp            prometheus.Gauge
	mDelivered     prometheus.Counter
	mRetries       prometheus.Counter
	mUndeliverable prometheus.Counter
}

func newStatus(name string, outbox Outbox, log *zap.Logger, reg prometheus.Registerer, now func() time.Time) *status {
	s := &status{name: name, outbox: outbox, log: log, now: now, rateLog: ratelog.New(logEvery), lastOK: now()}
	f := promauto.With(reg)
	labels := prometheus.Labels{"output": name}
	s.mUp = f.NewGauge(prometheus.GaugeOpts{Name: "alarmrx_output_up", ConstLabels: labels, Help: helpUp})
	s.mUp.Set(1) // up until it has been away for a while: a restart is no absence
	s.mDelivered = f.NewCounter(prometheus.CounterOpts{Name: "alarmrx_output_delivered_total", ConstLabels: labels, Help: helpDelivered})
	s.mRetries = f.NewCounter(prometheus.CounterOpts{Name: "alarmrx_output_retries_total", ConstLabels: labels, Help: helpRetries})
	s.mUndeliverable = f.NewCounter(prometheus.CounterOpts{Name: "alarmrx_output_undeliverable_total", ConstLabels: labels,
		Help: helpUndeliverable})
	f.NewGaugeFunc(prometheus.GaugeOpts{Name: "alarmrx_output_pending", ConstLabels: labels, Help: helpPending}, func() float64 {
		n, _ := s.lag()
		return float64(n)
	})
	f.NewGaugeFunc(prometheus.GaugeOpts{Name: "alarmrx_output_lag_seconds", ConstLabels: labels, Help: helpLag}, func() float64 {
		_, oldest := s.lag()
		if oldest.IsZero() {
			return 0
		}
		return s.now().Sub(oldest).Seconds()
	})
	return s
}

func (s *status) lag() (int, time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	n, oldest, err := s.outbox.OutboxLag(ctx, s.name)
	if err != nil {
		logLagUnread(s.log, s.rateLog, s.now(), err)
	}
	return n, oldest
}

// seen restarts the absence count: a connection came.
func (s *status) seen() {
	s.mu.Lock()
	s.lastOK = s.now()
	s.mu.Unlock()
}

func (s *status) lastSeen() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastOK
}

// delivered settles an acknowledged item; false when the store did not
// record it: the item stays pending and is sent again, and the caller
// stops there, so that nothing behind it overtakes it.
func (s *status) delivered(ctx context.Context, it store.OutboxItem) bool {
	if err := s.outbox.MarkDelivered(ctx, []int64{it.ID}); err != nil {
		if ok, suppressed := s.rateLog.Allow("delivered_unrecorded", s.now()); ok {
			s.log.Warn("delivery not recorded; it will be sent again", zap.Error(err), zap.Int("suppressed", suppressed))
		}
		sleep(ctx, time.Second)
		return false
	}
	s.mDelivered.Inc()
	s.setAbsent(false, "")
	return true
}

// markAttempt records a failed send on the item. The item stays pending
// whether or not that is recorded: only the attempt count and the last
// error shown in the API are missing.
func (s *status) markAttempt(ctx context.Context, it store.OutboxItem, why error) {
	// At shutdown the store refuses the cancelled ctx: nothing to report.
	if err := s.outbox.MarkAttempt(ctx, it.ID, why.Error()); err != nil && ctx.Err() == nil {
		logAttemptUnrecorded(s.log, s.rateLog, s.now(), it, err)
	}
}

// undeliverable settles an item that is not sent: no message of the
// output's protocol carries it, or the peer refused it for good. It
// reports false when the store did not take it: the item stays pending
// and delivery stops there, to keep the order, until the store answers
// again.
func (s *status) undeliverable(ctx context.Context, it store.OutboxItem, why error) bool {
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.outbox.MarkUndeliverable(wctx, it.ID, s.name, why.Error(), s.now()); err != nil {
		if ok, suppressed := s.rateLog.Allow("undeliverable_unrecorded", s.now()); ok {
			s.log.Warn("undeliverable signal not recorded; it stays pending and is tried again",
				zap.Int64("signal_id", it.SignalID), zap.Error(err), zap.Int("suppressed", suppressed))
		}
		sleep(ctx, time.Second)
		return false
	}
	s.mUndeliverable.Inc()
	if ok, suppressed := s.rateLog.Allow("undeliverable", s.now()); ok {
		s.log.Warn("signal not sent: listed as undeliverable", zap.Int64("signal_id", it.SignalID),
			zap.Int64("outbox_id", it.ID), zap.Error(why), zap.Int("suppressed", suppressed))
	}
	return true
}

// setAbsent records the automation going absent or coming back, once per
// change: the metric, a log line and the outbox's trouble incident.
func (s *status) setAbsent(absent bool, why string) {
	s.mu.Lock()
	changed := s.absent != absent
	s.absent = absent
	if !absent {
		s.lastOK = s.now()
	}
	s.mu.Unlock()
	if absent {
		s.mUp.Set(0)
	} else {
		s.mUp.Set(1)
	}
	if !changed {
		return
	}
	if absent {
		s.log.Warn("automation absent: signals are kept until it acknowledges again", zap.String("why", why))
	} else {
		s.log.Info("automation acknowledges again")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.outbox.OutputChanged(ctx, s.name, !absent, s.now()); err != nil {
		s.log.Error("automation state not recorded", zap.Error(err))
	}
}
