package receiver

import (
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Reply kinds: the closed label set of alarmrx_replies_sent_total.
const (
	replyACK  = "ack"
	replyNAK  = "nak"
	replyDUH  = "duh"
	replyNone = "none" // deliberate silence (bad CRC, unparseable frame)
)

// Close causes: the closed label set of alarmrx_connections_closed_total.
var closeCauses = []string{"eof", "idle", "error", "too_long", "shutdown"}

type metrics struct {
	framesReceived     *prometheus.CounterVec
	framesRejected     *prometheus.CounterVec
	deviations         *prometheus.CounterVec
	replies            *prometheus.CounterVec
	signals            *prometheus.CounterVec
	duplicates         *prometheus.CounterVec
	polls              *prometheus.CounterVec
	connections        *prometheus.CounterVec
	connsActive        *prometheus.GaugeVec
	connsRefused       *prometheus.CounterVec
	connsClosed        *prometheus.CounterVec
	panics             prometheus.Counter
	handlingSeconds    *prometheus.HistogramVec
	dedupeEntries      prometheus.GaugeFunc
	resolved           *prometheus.CounterVec
	unknownEvents      *prometheus.CounterVec
	prefixMissing      *prometheus.CounterVec
	linkUp             *prometheus.GaugeVec
	linkFailures       *prometheus.CounterVec
	serialOpen         *prometheus.GaugeVec
	serialOpenFailures *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, dedupeLen func() float64) *metrics {
	f := promauto.With(reg)
	m := &metrics{
		framesReceived: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_frames_received_total",
			Help: "Frames received, before decoding.",
		}, []string{"listener", "protocol"}),
		framesRejected: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_frames_rejected_total",
			Help: "Frames or bytes rejected, by reason; each got its protocol's negative reply or none.",
		}, []string{"listener", "protocol", "reason"}),
		deviations: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_frame_deviations_total",
			Help: "Accepted frames that departed from their standard in a tolerated way, by deviation.",
		}, []string{"listener", "protocol", "reason"}),
		replies: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_replies_sent_total",
			Help: "Replies sent, by kind (ack, nak, duh; none counts deliberate silence).",
		}, []string{"protocol", "kind"}),
		signals: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_signals_received_total",
			Help: "Events stored and acknowledged, by protocol and event category.",
		}, []string{"protocol", "category"}),
		polls: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_polls_total",
			Help: "Polls (valid messages with no event: DC-09 NULL, link tests, heartbeats) acknowledged without a row each, by whether their account is known.",
		}, []string{"listener", "account"}),
		duplicates: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_duplicates_total",
			Help: "Retransmitted frames acknowledged again without being stored again.",
		}, []string{"listener"}),
		connections: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_connections_total",
			Help: "TCP connections accepted.",
		}, []string{"listener"}),
		connsActive: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "alarmrx_connections_active",
			Help: "TCP connections open now.",
		}, []string{"listener"}),
		connsRefused: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_connections_refused_total",
			Help: "TCP connections closed at once because the listener was at max_conns, their source address at max_conns_per_ip, or not in allowed_sources (limit; UDP datagrams from outside allowed_sources too).",
		}, []string{"listener", "limit"}),
		connsClosed: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_connections_closed_total",
			Help: "TCP connections closed, by cause.",
		}, []string{"listener", "cause"}),
		panics: f.NewCounter(prometheus.CounterOpts{
			Name: "alarmrx_panics_total",
			Help: "Panics recovered in the receiver's goroutines (sessions, datagrams, serial lines, submitted and synthetic messages); the daemon kept running.",
		}),
		handlingSeconds: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "alarmrx_frame_handling_seconds",
			Help:    "Time from a frame's receipt to its reply being written (includes the durable commit).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"protocol"}),
		resolved: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_signals_resolved_total",
			Help: "Events by what their account resolved to: resolved (a known account), unknown, or test (in an on-test scope).",
		}, []string{"listener", "result"}),
		unknownEvents: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_unknown_account_events_total",
			Help: "Unknown-account events raised (at most one per account per hour).",
		}, []string{"listener"}),
		prefixMissing: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_account_prefix_missing_total",
			Help: "Account numbers sent without the receiver's prefix to a listener or XML sender whose account_prefix_mode is expect: stored as sent, they match no account.",
		}, []string{"listener"}),
		linkUp: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "alarmrx_link_up",
			Help: "1 while a supervised link (a legacy receiver's heartbeats) delivers records, 0 after it fell silent.",
		}, []string{"listener"}),
		linkFailures: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_link_failures_total",
			Help: "Supervised links that fell silent for longer than their heartbeat timeout.",
		}, []string{"listener"}),
		serialOpen: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "alarmrx_serial_port_open",
			Help: "1 while the listener's serial port is open.",
		}, []string{"listener"}),
		serialOpenFailures: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_serial_open_failures_total",
			Help: "Failed attempts to open a serial port (retried with backoff).",
		}, []string{"listener"}),
		dedupeEntries: f.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "alarmrx_dedupe_entries",
			Help: "Frames remembered for duplicate detection.",
		}, dedupeLen),
	}
	return m
}

// initListener pre-creates every label value of a listener so that dashboards
// see zeros rather than missing series [style habit 12].
func (m *metrics) initListener(listener, protocol string) {
	m.framesReceived.WithLabelValues(listener, protocol)
	for _, r := range protocols.Reasons() {
		m.framesRejected.WithLabelValues(listener, protocol, r.String())
		m.deviations.WithLabelValues(listener, protocol, r.String())
	}
	for _, k := range []string{replyACK, replyNAK, replyDUH, replyNone} {
		m.replies.WithLabelValues(protocol, k)
	}
	for _, c := range protocols.Categories() {
		m.signals.WithLabelValues(protocol, c.String())
	}
	m.duplicates.WithLabelValues(listener)
	m.connections.WithLabelValues(listener)
	m.connsActive.WithLabelValues(listener)
	m.connsRefused.WithLabelValues(listener, limitMaxConns)
	m.connsRefused.WithLabelValues(listener, limitPerIP)
	m.connsRefused.WithLabelValues(listener, limitSource)
	for _, c := range closeCauses {
		m.connsClosed.WithLabelValues(listener, c)
	}
	m.handlingSeconds.WithLabelValues(protocol)
}
