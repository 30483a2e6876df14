package store

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

type metrics struct {
	pending       prometheus.Gauge
	backpressure  prometheus.Counter
	commitSeconds prometheus.Histogram
	batchSize     prometheus.Histogram
	commitErrors  prometheus.Counter
	up            prometheus.Gauge
	fileOK        prometheus.Gauge
	framesStored  *prometheus.CounterVec
	signalsStored prometheus.Counter
	timeToClaim   prometheus.Histogram
	timeToResolve prometheus.Histogram
	visible       prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	m := &metrics{
		pending: f.NewGauge(prometheus.GaugeOpts{
			Name: "alarmrx_store_pending_commits",
			Help: "Commits queued for the store writer and not yet written.",
		}),
		backpressure: f.NewCounter(prometheus.CounterOpts{
			Name: "alarmrx_store_backpressure_total",
			Help: "Commits that had to wait because the writer queue was full.",
		}),
		commitSeconds: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "alarmrx_store_commit_seconds",
			Help:    "Time to write and commit one group-commit transaction.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		batchSize: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "alarmrx_store_commit_batch_size",
			Help:    "Frames written in one group-commit transaction.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12),
		}),
		commitErrors: f.NewCounter(prometheus.CounterOpts{
			Name: "alarmrx_store_commit_errors_total",
			Help: "Group-commit transactions that failed; their frames were not acknowledged.",
		}),
		up: f.NewGauge(prometheus.GaugeOpts{
			Name: "alarmrx_store_up",
			Help: "1 while the last commit succeeded, 0 while the store fails (acknowledgements stop).",
		}),
		fileOK: f.NewGauge(prometheus.GaugeOpts{
			Name: "alarmrx_store_file_ok",
			Help: "1 while the database file at its path is the one the store has open; 0 once it was deleted or replaced (acknowledgements stop until a restart).",
		}),
		framesStored: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_store_frames_total",
			Help: "Frames committed to the store, by status.",
		}, []string{"status"}),
		signalsStored: f.NewCounter(prometheus.CounterOpts{
			Name: "alarmrx_store_signals_total",
			Help: "Signals (decoded events) committed to the store.",
		}),
	}
	queueBuckets := []float64{1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 14400}
	m.timeToClaim = f.NewHistogram(prometheus.HistogramOpts{
		Name:    "alarmrx_incident_time_to_claim_seconds",
		Help:    "Time from an incident's first signal to its first claim by an operator.",
		Buckets: queueBuckets,
	})
	m.timeToResolve = f.NewHistogram(prometheus.HistogramOpts{
		Name:    "alarmrx_incident_time_to_resolve_seconds",
		Help:    "Time from an incident's first signal to its resolution.",
		Buckets: queueBuckets,
	})
	m.visible = f.NewHistogram(prometheus.HistogramOpts{
		Name:    "alarmrx_queue_visible_seconds",
		Help:    "Time from a signal's receipt to its incident change being published to the operator consoles.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	})
	m.up.Set(1)
	for _, st := range []string{StatusAccepted, StatusRejected} {
		m.framesStored.WithLabelValues(st)
	}
	return m
}

func (m *metrics) countStored(r *commitReq) {
	st := r.rec.Status
	if st == "" {
		st = StatusAccepted
	}
	m.framesStored.WithLabelValues(st).Inc()
	if st == StatusAccepted {
		m.signalsStored.Add(float64(len(r.msg.Events)))
	}
}

func (m *metrics) registerIndex(reg prometheus.Registerer, accounts func() int) {
	promauto.With(reg).NewGaugeFunc(prometheus.GaugeOpts{
		Name: "alarmrx_accounts",
		Help: "Accounts in the in-memory resolution index.",
	}, func() float64 { return float64(accounts()) })
}

func (m *metrics) observeStep(o *StepOutcome) {
	if o.FirstClaim {
		m.timeToClaim.Observe(o.TimeToClaim.Seconds())
	}
	if o.Resolved {
		m.timeToResolve.Observe(o.TimeToResolve.Seconds())
	}
}

func (m *metrics) observeVisible(e QueueEvent) {
	if !e.ReceivedAt.IsZero() {
		m.visible.Observe(time.Since(e.ReceivedAt).Seconds())
	}
}

// queueCollector reports the open incidents by priority and state at
// scrape time, from the figures the store recounts after each commit
// (gauges.go): a scrape runs no SQL.
type queueCollector struct {
	s    *Store
	desc *prometheus.Desc
}

func newQueueCollector(s *Store) *queueCollector {
	return &queueCollector{s: s, desc: prometheus.NewDesc("alarmrx_queue_incidents",
		"Open incidents by priority (1 most urgent) and state: queued (waiting or being worked) or held.",
		[]string{"priority", "state"}, nil)}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	// A failing database leaves the gauge out rather than failing the
	// whole scrape: /metrics matters most while the store fails, and
	// alarmrx_store_up says that it does.
	if c.s.fenceError() != nil {
		return
	}
	sn := c.s.gauges.current(context.Background())
	if sn.err != nil {
		return
	}
	// Held is decided here, against the clock of the scrape, so that a
	// hold running out shows without a recount.
	now := c.s.opts.Now().UnixNano()
	var counts [10][2]float64
	for _, o := range sn.open {
		if o.priority < 1 || o.priority > 9 {
			continue
		}
		state := 0
		if o.heldUntil > now {
			state = 1
		}
		counts[o.priority][state] += o.n
	}
	for p := 1; p <= 9; p++ {
		for state, name := range []string{"queued", "held"} {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, counts[p][state], strconv.Itoa(p), name)
		}
	}
}
