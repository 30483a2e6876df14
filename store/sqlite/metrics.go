package sqlite

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// metrics are the writer's and the file's; the store keeps those of what
// is written.
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
	fileOK         prometheus.Gauge
	integrity      *prometheus.GaugeVec // integrity.go
}

func newMetrics(reg prometheus.Registerer, fileBytes func() float64) *metrics {
	f := promauto.With(reg)
	// The size is read from the file system at the scrape: two stat calls,
	// no SQL, and always the size on disk now (a checkpoint or a vacuum
	// changes it without a commit).
	f.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "alarmrx_store_bytes",
		Help: "Size on disk of the database file and its write-ahead log together.",
	}, fileBytes)
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
	}
	m.up.Set(1)
	return m
}
