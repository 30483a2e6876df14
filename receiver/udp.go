package receiver

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"go.uber.org/zap"
)

// udpLoop reads datagrams until the listener stops. Each datagram carries
// one frame [DC-09 §3.2] and is handled in its own goroutine, at most
// max_conns at once, so that slow commits of one panel do not hold up the
// others; when all slots are busy the loop stops reading (backpressure) and
// the kernel buffer absorbs or drops, which the panel's retry covers.
func (l *listener) udpLoop(ctx context.Context) {
	sem := make(chan struct{}, l.pipe().opts.MaxConns)
	buf := make([]byte, 64*1024)
	backoff := time.NewTimer(0)
	defer backoff.Stop()
	for {
		n, addr, err := l.udp.ReadFrom(buf)
		if err != nil {
			if l.stopping.Load() || errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			// A failing socket (ICMP errors reported on read, buffer
			// exhaustion) must not spin: wait a little, or for shutdown.
			l.log.Warn("udp read failed", zap.Error(err))
			backoff.Reset(10 * time.Millisecond)
			select {
			case <-backoff.C:
			case <-ctx.Done():
				return
			}
			continue
		}
		if !l.allowed(addr) {
			// Not answered: a reply would make the listener a reflector
			// for whoever forges the source.
			l.r.m.connsRefused.WithLabelValues(l.opts.Name, limitSource).Inc()
			l.pipe().logLimited(protocols.ReasonUnknown, "datagram dropped: source address not in allowed_sources",
				zap.String("remote_addr", addr.String()))
			continue
		}
		d := &datagram{data: append([]byte(nil), buf[:n]...), pc: l.udp, to: addr, received: l.r.opts.Now()}
		if limit := l.pipe().opts.MaxConns; limit != cap(sem) {
			// A reload changed max_conns: new datagrams take slots of the
			// new size; those in flight free the old ones.
			sem = make(chan struct{}, limit)
		}
		slots := sem
		slots <- struct{}{}
		if !l.run("udp datagram", func() {
			defer func() { <-slots }()
			l.serveDatagram(d)
		}) {
			// Shutdown began while this datagram waited for a slot: it was
			// read, so it is answered, here on the loop's own goroutine.
			<-slots
			l.r.routines.Safely("udp datagram", func() { l.serveDatagram(d) })
			return
		}
	}
}

// serveDatagram runs one datagram as a session of its own: its frame is
// answered to the datagram's source address [DC-09 §3.2].
func (l *listener) serveDatagram(d *datagram) {
	p := l.pipe()
	s := &session{p: p, c: d, transport: "udp", remote: d.to.String(), receivedAt: d.received,
		maxFrame: max(p.opts.MaxFrameBytes, len(d.data)), whole: d.data,
		stopping: func() bool { return false }} // a datagram in hand is always finished
	if end := s.serve(); end.err != nil {
		l.log.Debug("udp datagram", zap.String("remote_addr", s.remote), zap.Error(end.err))
	}
}

// datagram is the conn of one received datagram: its bytes are the
// session's whole input, so reading has nothing more (io.EOF); writing
// answers its source on the listener's socket.
type datagram struct {
	data []byte
	pc   net.PacketConn
	to   net.Addr
	// received is when it was read off the socket: its receipt time, not
	// the later moment a slot was free for it.
	received time.Time
}

func (d *datagram) Read([]byte) (int, error) { return 0, io.EOF }

func (d *datagram) Write(p []byte) (int, error)        { return d.pc.WriteTo(p, d.to) }
func (d *datagram) SetReadDeadline(time.Time) error    { return nil }
func (d *datagram) SetWriteDeadline(t time.Time) error { return d.pc.SetWriteDeadline(t) }
