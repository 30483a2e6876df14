package store

import (
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
	framesStored  *prometheus.CounterVec
	signalsStored prometheus.Counter
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
		framesStored: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_store_frames_total",
			Help: "Frames committed to the store, by status.",
		}, []string{"status"}),
		signalsStored: f.NewCounter(prometheus.CounterOpts{
			Name: "alarmrx_store_signals_total",
			Help: "Signals (decoded events) committed to the store.",
		}),
	}
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
