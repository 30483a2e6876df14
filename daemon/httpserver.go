package daemon

import (
	"log"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/alarmrx/alarmrx/internal/evidence"
	"github.com/alarmrx/alarmrx/internal/ratelog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"go.uber.org/zap"
)

// The closed label sets of the HTTP server's own metrics.
const (
	httpLimitMaxConns = "max_conns"
	httpLimitPerIP    = "max_conns_per_ip"

	httpErrorTLS   = "tls_handshake"
	httpErrorOther = "other"
)

// limitListener caps the connections an HTTP server holds, in all and per
// source address (IPv4 address, IPv6 /64): over a cap a new connection is
// closed at once, so one client cannot exhaust the server's file
// descriptors and lock out the console, the probes and the XML senders.
type limitListener struct {
	net.Listener
	max, perIP int
	refused    *prometheus.CounterVec

	mu       sync.Mutex
	active   int
	bySource map[netip.Prefix]int
}

func newLimitListener(l net.Listener, max, perIP int, reg prometheus.Registerer) *limitListener {
	if max <= 0 {
		max = 1024
	}
	if perIP <= 0 {
		perIP = min(64, max)
	}
	ll := &limitListener{Listener: l, max: max, perIP: perIP, bySource: map[netip.Prefix]int{},
		refused: promauto.With(reg).NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_http_connections_refused_total",
			Help: "HTTP connections closed at once because the server held http.max_conns, or their address http.max_conns_per_ip (limit).",
		}, []string{"limit"})}
	ll.refused.WithLabelValues(httpLimitMaxConns)
	ll.refused.WithLabelValues(httpLimitPerIP)
	return ll
}

// Accept returns the next connection within the caps, closing those over.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		src := evidence.SourceOf(c.RemoteAddr().String())
		l.mu.Lock()
		limit := ""
		switch {
		case l.active >= l.max:
			limit = httpLimitMaxConns
		case l.bySource[src] >= l.perIP:
			limit = httpLimitPerIP
		default:
			l.active++
			l.bySource[src]++
		}
		l.mu.Unlock()
		if limit != "" {
			l.refused.WithLabelValues(limit).Inc()
			_ = c.Close()
			continue
		}
		return &limitedConn{Conn: c, release: func() { l.release(src) }}, nil
	}
}

func (l *limitListener) release(src netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.active--
	if l.bySource[src]--; l.bySource[src] <= 0 {
		delete(l.bySource, src)
	}
}

// limitedConn gives its slot back on the first Close.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// httpErrorLog is the HTTP server's ErrorLog: each line goes to the zap
// logger at most once per kind per 10 s, with the number suppressed, and
// is counted. A client failing TLS handshakes in a loop would otherwise
// write a line per attempt.
func httpErrorLog(logger *zap.Logger, reg prometheus.Registerer) *log.Logger {
	w := &rateLimitedLog{log: logger.Named("http"), limiter: ratelog.New(10 * time.Second),
		count: promauto.With(reg).NewCounterVec(prometheus.CounterOpts{
			Name: "alarmrx_http_server_errors_total",
			Help: "Errors the HTTP server reported, such as failed TLS handshakes (kind).",
		}, []string{"kind"})}
	w.count.WithLabelValues(httpErrorTLS)
	w.count.WithLabelValues(httpErrorOther)
	return log.New(w, "", 0)
}

type rateLimitedLog struct {
	log     *zap.Logger
	limiter *ratelog.Limiter
	count   *prometheus.CounterVec
}

func (w *rateLimitedLog) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	kind := httpErrorOther
	if strings.Contains(msg, "TLS handshake error") {
		kind = httpErrorTLS
	}
	w.count.WithLabelValues(kind).Inc()
	if ok, suppressed := w.limiter.Allow(kind, time.Now()); ok {
		w.log.Warn("http server error", zap.String("kind", kind), zap.String("error", msg), zap.Int("suppressed", suppressed))
	}
	return len(p), nil
}
