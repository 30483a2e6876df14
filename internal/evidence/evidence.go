package evidence

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Evidence kinds: the closed label set of the evidence metrics.
const (
	Frame = "frame" // a rejected frame or message
	Login = "login" // a failed login's audit row
)

// Why evidence was not kept: the closed "reason" label set.
const (
	evidenceOverSource = "source" // the source address used its budget for the minute
	evidenceOverTotal  = "total"  // every source together used the minute's budget
)

// Quota decides which refused inputs are kept as rows. Anyone who
// can reach a port can send refused input, so what is stored of it is
// bounded: a budget per source address and one for every source together,
// per minute of the clock; past them the input is only counted. The disk
// total is bounded separately, by pruning the oldest rows (store).
//
// Budgets are fixed windows of one minute: simple, and at most twice the
// budget in any sliding minute.
type Quota struct {
	perSource, perMinute int

	mu       sync.Mutex
	minute   int64 // Unix minute of the current window
	total    int
	bySource map[netip.Prefix]int // at most perMinute entries: only kept rows add one

	kept    *prometheus.CounterVec
	dropped *prometheus.CounterVec
}

// NewQuota returns a quota of perSource rows per source address
// and perMinute rows in all per minute (0 keeps none), its metrics
// registered with reg.
func NewQuota(perSource, perMinute int, reg prometheus.Registerer) *Quota {
	f := promauto.With(reg)
	q := &Quota{
		perSource: perSource, perMinute: perMinute, bySource: map[netip.Prefix]int{},
		kept: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_evidence_kept_total",
			Help: "Refused inputs kept as evidence rows (rejected frames, failed logins), by kind.",
		}, []string{"kind"}),
		dropped: f.NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_evidence_dropped_total",
			Help: "Refused inputs only counted, not kept, because a budget was used up: per source address (source) or for all sources (total).",
		}, []string{"kind", "reason"}),
	}
	for _, k := range []string{Frame, Login} {
		q.kept.WithLabelValues(k)
		q.dropped.WithLabelValues(k, evidenceOverSource)
		q.dropped.WithLabelValues(k, evidenceOverTotal)
	}
	return q
}

// Allow reports whether a refused input of kind from remote (an address
// "host:port" or a bare host) may be kept as a row at now, and takes it
// from the budgets if so. A nil quota keeps everything.
func (q *Quota) Allow(kind, remote string, now time.Time) bool {
	if q == nil {
		return true
	}
	src := SourceOf(remote)
	q.mu.Lock()
	defer q.mu.Unlock()
	if m := now.Unix() / 60; m != q.minute {
		q.minute, q.total = m, 0
		clear(q.bySource)
	}
	switch {
	case q.total >= q.perMinute:
		q.dropped.WithLabelValues(kind, evidenceOverTotal).Inc()
		return false
	case q.bySource[src] >= q.perSource:
		q.dropped.WithLabelValues(kind, evidenceOverSource).Inc()
		return false
	}
	q.total++
	q.bySource[src]++
	q.kept.WithLabelValues(kind).Inc()
	return true
}

// SourceOf is the budget's key for a remote address: the IPv4 address, or
// the /64 of an IPv6 one (one host commonly holds a whole /64). Anything
// that is no IP address (a serial port, a test's name) shares one key.
func SourceOf(remote string) netip.Prefix {
	host := remote
	if h, _, err := net.SplitHostPort(remote); err == nil {
		host = h
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Prefix{}
	}
	addr = addr.Unmap()
	bits := 32
	if addr.Is6() {
		bits = 64
	}
	p, _ := addr.WithZone("").Prefix(bits)
	return p
}
