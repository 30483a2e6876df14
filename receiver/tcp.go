package receiver

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alarmrx/alarmrx/internal/evidence"
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// listener is one configured listener: a codec on a TCP and/or UDP socket.
type listener struct {
	r         *Receiver
	opts      ListenerOptions
	protocol  string
	log       *zap.Logger
	tcp       net.Listener
	udp       net.PacketConn
	commitCtx context.Context

	// Per-frame metric handles, resolved once: the ACK path does no label
	// lookups.
	mReceived      prometheus.Counter
	mHandling      prometheus.Observer
	mReplies       map[string]prometheus.Counter             // by reply kind
	mSignals       map[protocols.Category]prometheus.Counter // by event category
	mResolved      map[string]prometheus.Counter             // by resolution result
	mUnknownEvents prometheus.Counter
	mPrefixMissing prometheus.Counter // expect mode: numbers sent without the prefix

	link     *linkWatch // nil when the link is not supervised
	internal bool       // carries the receiver's own events (supervision)

	stopping  atomic.Bool
	mu        sync.Mutex
	conns     map[net.Conn]struct{}
	perSource map[netip.Prefix]int // open connections by source (IPv4 address, IPv6 /64)
	sessions  sync.WaitGroup
}

// aLongTimeAgo is a deadline in the past: setting it wakes a blocked read.
var aLongTimeAgo = time.Unix(1, 0)

// acceptLoop accepts until the listener is stopped, retrying temporary
// errors with a doubling backoff, and runs each connection in a tracked
// goroutine.
func (l *listener) acceptLoop(ctx context.Context) {
	defer l.sessions.Wait()
	backoff := 10 * time.Millisecond
	for {
		c, err := l.tcp.Accept()
		if err != nil {
			if l.stopping.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			l.log.Warn("accept failed; retrying", zap.Error(err), zap.Duration("backoff", backoff))
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return
			}
			backoff = min(backoff*2, time.Second)
			continue
		}
		backoff = 10 * time.Millisecond
		if !l.track(c) {
			continue
		}
		l.sessions.Go(func() { l.serveConn(c) })
	}
}

// The closed "limit" label set of alarmrx_connections_refused_total.
const (
	limitMaxConns = "max_conns"
	limitPerIP    = "max_conns_per_ip"
)

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
	limit := ""
	switch {
	case len(l.conns) >= l.opts.MaxConns:
		limit = limitMaxConns
	case l.perSource[src] >= l.opts.MaxConnsPerIP:
		limit = limitPerIP
	}
	if limit != "" {
		_ = c.Close()
		l.r.m.connsRefused.WithLabelValues(l.opts.Name, limit).Inc()
		l.logLimited(protocols.ReasonUnknown, "connection refused: "+limit+" reached",
			zap.String("remote_addr", c.RemoteAddr().String()), zap.Int("max_conns", l.opts.MaxConns),
			zap.Int("max_conns_per_ip", l.opts.MaxConnsPerIP))
		return false
	}
	l.conns[c] = struct{}{}
	l.perSource[src]++
	l.r.m.connections.WithLabelValues(l.opts.Name).Inc()
	l.r.m.connsActive.WithLabelValues(l.opts.Name).Inc()
	return true
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
	l.mu.Unlock()
}

// closeAll cuts every remaining connection (shutdown grace exceeded).
func (l *listener) closeAll() {
	l.mu.Lock()
	for c := range l.conns {
		_ = c.Close()
	}
	l.mu.Unlock()
}

// serveConn is one TCP session: read, frame, handle each frame in order,
// write its reply. The first frame must come within read_timeout, later
// ones within idle_timeout; every reply is written under write_timeout.
func (l *listener) serveConn(c net.Conn) {
	cause := "error"
	remote := c.RemoteAddr().String()
	defer func() {
		if p := recover(); p != nil {
			l.r.m.panics.Inc()
			l.log.Error("session panic recovered", zap.String("remote_addr", remote), zap.Any("panic", p),
				zap.Stack("stack"))
			cause = "error"
		}
		l.untrack(c, cause)
	}()
	log := l.log.With(zap.String("remote_addr", remote))
	f := newFramer(l.opts.Codec, l.opts.MaxFrameBytes)
	readBuf := make([]byte, 4096)
	deadline := time.Now().Add(l.opts.ReadTimeout)
	for {
		if l.stopping.Load() {
			cause = "shutdown"
			return
		}
		if err := c.SetReadDeadline(deadline); err != nil {
			return
		}
		n, err := c.Read(readBuf)
		if n > 0 {
			received := l.r.opts.Now()
			if ferr := f.feed(readBuf[:n], func(frame []byte) error {
				// Only a whole frame earns more time: a sender trickling
				// bytes that never complete one (slowloris) is cut off.
				deadline = time.Now().Add(l.opts.IdleTimeout)
				reply := l.serveFrame(frame, frameMeta{transport: "tcp", remoteAddr: remote, receivedAt: received})
				if len(reply) == 0 {
					return nil
				}
				if err := c.SetWriteDeadline(time.Now().Add(l.opts.WriteTimeout)); err != nil {
					return err
				}
				_, err := c.Write(reply)
				return err
			}, func(skipped int) { l.garbage(skipped, remote) }); ferr != nil {
				if errors.Is(ferr, protocols.ErrFrameTooLong) {
					l.r.m.framesRejected.WithLabelValues(l.opts.Name, l.protocol, protocols.ReasonTooLong.String()).Inc()
					l.logLimited(protocols.ReasonTooLong, "frame too long: closing connection",
						zap.String("remote_addr", remote), zap.Int("max_frame_bytes", l.opts.MaxFrameBytes),
						zap.String("frame", snippet(l.evidence(f.pending()))))
					cause = "too_long"
					// The stream cannot be framed any more; a protocol that
					// has a refusal for an overlong message (XML code 1)
					// gets it before the connection closes.
					outcome := protocols.Reject(l.protocol, protocols.ReasonTooLong, protocols.ErrFrameTooLong)
					if reply := l.reply(nil, outcome, frameMeta{transport: "tcp", remoteAddr: remote}); len(reply) > 0 {
						l.writeAndLinger(c, reply)
					}
					return
				}
				log.Debug("write failed", zap.Error(ferr))
				return
			}
		}
		if err != nil {
			switch {
			case l.stopping.Load():
				cause = "shutdown"
			case errors.Is(err, os.ErrDeadlineExceeded):
				cause = "idle"
			case errors.Is(err, io.EOF):
				cause = "eof"
				if f.buffered() > 0 {
					l.garbage(f.buffered(), remote)
				}
			default:
				log.Debug("read failed", zap.Error(err))
			}
			return
		}
	}
}

// writeAndLinger writes a last reply and half-closes the connection, then
// reads and drops what the peer still sends, for a bounded time, before
// the close: closing with unread bytes would make the kernel send a reset,
// and the peer could lose the reply with it.
func (l *listener) writeAndLinger(c net.Conn, reply []byte) {
	if err := c.SetWriteDeadline(time.Now().Add(l.opts.WriteTimeout)); err != nil {
		return
	}
	if _, err := c.Write(reply); err != nil {
		return
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	_, _ = io.CopyN(io.Discard, c, int64(max(l.opts.MaxFrameBytes, 64<<10)))
}

// garbage counts bytes the framer skipped while resynchronising.
func (l *listener) garbage(n int, remote string) {
	l.r.m.framesRejected.WithLabelValues(l.opts.Name, l.protocol, protocols.ReasonGarbage.String()).Inc()
	l.logLimited(protocols.ReasonGarbage, "bytes outside any frame skipped",
		zap.String("remote_addr", remote), zap.Int("bytes", n))
}
