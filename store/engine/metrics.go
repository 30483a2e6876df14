package engine

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// metrics are the writer's; the engine keeps those of its storage, and
// the store those of what is written.
type metrics struct {
	pending       prometheus.Gauge
	backpressure  prometheus.Counter
	commitSeconds prometheus.Histogram
	batchSize     prometheus.Histogram
	commitErrors  prometheus.Counter
	// The projection's (writer.go, Projector).
	projectSeconds prometheus.Histogram
	projectBatch   prometheus.Histogram
	projectErrors  prometheus.Counter
	up             prometheus.Gauge
	retries        prometheus.Counter
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
		projectSeconds: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "alarmrx_store_projection_seconds",
			Help:    "Time to write and commit one projection transaction (the signals, incidents and outbox rows of frames already committed and acknowledged).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		projectBatch: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "alarmrx_store_projection_batch_size",
			Help:    "Frames projected in one projection transaction.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 13),
		}),
		projectErrors: f.NewCounter(prometheus.CounterOpts{
			Name: "alarmrx_store_projection_errors_total",
			Help: "Projection transactions that failed and were rolled back; their frames stay in the journal and are projected again.",
		}),
		retries: f.NewCounter(prometheus.CounterOpts{
			Name: "alarmrx_store_retries_total",
			Help: "Transactions run again after the database refused them for a conflict of its own (a serialization failure or a deadlock).",
		}),
		commitErrors: f.NewCounter(prometheus.CounterOpts{
			Name: "alarmrx_store_commit_errors_total",
			Help: "Group-commit transactions that failed; their frames were not acknowledged.",
		}),
		up: f.NewGauge(prometheus.GaugeOpts{
			Name: "alarmrx_store_up",
			Help: "1 while the last commit succeeded, 0 while the store fails (acknowledgements stop).",
		}),
	}
	m.up.Set(1)
	return m
}
