package sqlite

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// metrics are the file's; the writer keeps its own (engine), and the
// store those of what is written.
type metrics struct {
	fileOK    prometheus.Gauge
	integrity *prometheus.GaugeVec // integrity.go
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
	return &metrics{
		fileOK: f.NewGauge(prometheus.GaugeOpts{
			Name: "alarmrx_store_file_ok",
			Help: "1 while the database file at its path is the one the store has open; 0 once it was deleted or replaced (acknowledgements stop until a restart).",
		}),
	}
}
