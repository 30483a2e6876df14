package store

import (
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// metrics are those of what the store writes and of the queue; the
// engine keeps the writer's (store/sqlite).
type metrics struct {
	framesStored  *prometheus.CounterVec
	signalsStored prometheus.Counter
	timeToClaim   prometheus.Histogram
	timeToResolve prometheus.Histogram
	visible       prometheus.Histogram
	pruned        *prometheus.CounterVec
	vacuumed      prometheus.Counter
	runaways      prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	m := &metrics{
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
	m.runaways = f.NewCounter(prometheus.CounterOpts{
		Name: "alarmrx_runaways_total",
		Help: "Runaway signals this node's projection detected: more identical signals of an account, code and zone within the window than allowed. On several nodes, the sum over the nodes is the station's count.",
	})
	for _, st := range []string{StatusAccepted, StatusRejected} {
		m.framesStored.WithLabelValues(st)
	}
	m.pruned = f.NewCounterVec(prometheus.CounterOpts{
		Name: "alarmrx_store_pruned_rows_total",
		Help: "Rows deleted by retention, by kind of record.",
	}, []string{"kind"})
	for _, k := range RetentionKinds() {
		m.pruned.WithLabelValues(k)
	}
	m.vacuumed = f.NewCounter(prometheus.CounterOpts{
		Name: "alarmrx_store_vacuumed_pages_total",
		Help: "Free database pages given back to the file system by incremental vacuum.",
	})
	return m
}

func (m *metrics) countStored(r *commitItem) {
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
	if c.s.db.Fenced() != nil {
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
