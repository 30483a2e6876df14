package receiver

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alarmrx/alarmrx/internal/acceptloop"
	"github.com/alarmrx/alarmrx/internal/evidence"
	"github.com/alarmrx/alarmrx/protocols"
	"go.uber.org/zap"
)

// listener owns one configured listener's sockets (TCP and/or UDP, or a
// serial port) and their sessions; every frame goes through its pipeline.
type listener struct {
	r *Receiver
	// cur is the pipeline in force: a reload that keeps the listener's
	// socket swaps it (new keys, limits, timeouts), and each frame and
	// connection reads it anew. opts are the options it was bound with;
	// only its fixed ones are read from them (name, endpoints).
	cur  atomic.Pointer[pipeline]
	opts ListenerOptions
	log  *zap.Logger
	tcp  net.Listener
	udp  net.PacketConn
	// cancel ends the listener's loops (its serial line's reopening); a
	// listener removed by a reload is cancelled alone. active counts its
	// loops and sessions, which a removal waits for.
	cancel context.CancelFunc
	active sync.WaitGroup
	// udpDone is closed when the UDP read loop returns; handedOver says a
	// successor took the UDP socket; drained is closed when a retired
	// listener's sessions are done; serialAfter, when set, is the drained
	// of the listener this one succeeds on its serial device.
	udpDone     chan struct{}
	handedOver  atomic.Bool
	drained     chan struct{}
	serialAfter <-chan struct{}

	stopping  atomic.Bool
	mu        sync.Mutex
	conns     map[net.Conn]struct{}
	perSource map[netip.Prefix]int // open connections by source (IPv4 address, IPv6 /64)
	serial    *serialConn          // the open serial port, nil when none
}

// aLongTimeAgo is a deadline in the past: setting it wakes a blocked read.
var aLongTimeAgo = time.Unix(1, 0)

// acceptLoop accepts until the listener is stopped and runs each
// connection in a tracked goroutine.
func (l *listener) acceptLoop(ctx context.Context) {
	acceptloop.Run(ctx, l.tcp, func(c net.Conn) {
		if !l.track(c) {
			return
		}
		if !l.run("tcp session "+c.RemoteAddr().String(), func() { l.serveConn(c) }) {
			l.untrack(c, "shutdown")
		}
	}, func(err error, backoff time.Duration) {
		if !l.stopping.Load() {
			l.log.Warn("accept failed; retrying", zap.Error(err), zap.Duration("backoff", backoff))
		}
	})
}

// The closed "limit" label set of alarmrx_connections_refused_total.
const (
	limitMaxConns = "max_conns"
	limitPerIP    = "max_conns_per_ip"
	limitSource   = "allowed_sources"
)

// allowed reports whether addr is a source the listener takes: any, when
// allowed_sources is empty.
func (l *listener) allowed(addr net.Addr) bool {
	sources := l.pipe().opts.AllowedSources
	if len(sources) == 0 {
		return true
	}
	var ap netip.AddrPort
	switch a := addr.(type) {
	case *net.TCPAddr:
		ap = a.AddrPort()
	case *net.UDPAddr:
		ap = a.AddrPort()
	default:
		return false
	}
	ip := ap.Addr().Unmap().WithZone("")
	for _, p := range sources {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// track registers a connection, refusing it when the listener is stopping,
// at max_conns, or its source address at max_conns_per_ip: one client
// holding idle connections must not lock every panel out.
func (l *listener) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stopping.Load() {
		_ = c.Close()
		return false
	}
	src := evidence.SourceOf(c.RemoteAddr().String())
	p := l.pipe()
	limit := ""
	switch {
	case !l.allowed(c.RemoteAddr()):
		limit = limitSource
	case len(l.conns) >= p.opts.MaxConns:
		limit = limitMaxConns
	case l.perSource[src] >= p.opts.MaxConnsPerIP:
		limit = limitPerIP
	}
	if limit != "" {
		_ = c.Close()
		l.r.m.connsRefused.WithLabelValues(l.opts.Name, limit).Inc()
		p.logLimited(protocols.ReasonUnknown, "connection refused: "+refusal(limit),
			zap.String("remote_addr", c.RemoteAddr().String()), zap.Int("max_conns", p.opts.MaxConns),
			zap.Int("max_conns_per_ip", p.opts.MaxConnsPerIP))
		return false
	}
	l.conns[c] = struct{}{}
	l.perSource[src]++
	l.r.m.connections.WithLabelValues(l.opts.Name).Inc()
	l.r.m.connsActive.WithLabelValues(l.opts.Name).Inc()
	return true
}

// refusal words a refused connection's limit for the log.
func refusal(limit string) string {
	if limit == limitSource {
		return "source address not in allowed_sources"
	}
	return limit + " reached"
}

func (l *listener) untrack(c net.Conn, cause string) {
	src := evidence.SourceOf(c.RemoteAddr().String())
	l.mu.Lock()
	delete(l.conns, c)
	if l.perSource[src]--; l.perSource[src] <= 0 {
		delete(l.perSource, src)
	}
	l.mu.Unlock()
	_ = c.Close()
	l.r.m.connsActive.WithLabelValues(l.opts.Name).Dec()
	l.r.m.connsClosed.WithLabelValues(l.opts.Name, cause).Inc()
}

// stop stops accepting and wakes every session blocked in a read; sessions
// busy with a frame finish it (commit and reply) first.
func (l *listener) stop() {
	l.stopping.Store(true)
	if l.tcp != nil {
		_ = l.tcp.Close()
	}
	if l.udp != nil {
		_ = l.udp.SetReadDeadline(aLongTimeAgo)
	}
	l.mu.Lock()
	for c := range l.conns {
		_ = c.SetReadDeadline(aLongTimeAgo)
	}
	if l.serial != nil {
		_ = l.serial.SetReadDeadline(aLongTimeAgo)
	}
	l.mu.Unlock()
}

// closeAll cuts every remaining connection (shutdown grace exceeded).
func (l *listener) closeAll() {
	l.mu.Lock()
	for c := range l.conns {
		_ = c.Close()
	}
	if l.serial != nil {
		_ = l.serial.port.Close() // wakes a write stuck on a blocked line
	}
	l.mu.Unlock()
}

// serveConn is one TCP session; a panic in it is recovered by the
// routine group, after the connection is released here.
func (l *listener) serveConn(c net.Conn) {
	cause := "error"
	defer func() { l.untrack(c, cause) }()
	p := l.pipe()
	s := &session{p: p, current: l.pipe, c: c, transport: "tcp", remote: c.RemoteAddr().String(),
		firstRead: p.opts.ReadTimeout, idle: p.opts.IdleTimeout, maxFrame: p.opts.MaxFrameBytes,
		overlong: overlongClose, readSize: tcpReadSize, stopping: l.stopping.Load}
	end := s.serve()
	cause = end.cause
	if end.err != nil {
		l.log.Debug("session ended", zap.String("remote_addr", s.remote), zap.Bool("write", end.write), zap.Error(end.err))
	}
}

// tcpReadSize is a TCP session's read buffer. Panels send a frame of a
// few hundred bytes and wait for its reply, and a station holds thousands
// of idle connections, each with its buffer: a frame longer than a read
// is put together by the framer.
const tcpReadSize = 1024
