package receiver

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"go.uber.org/zap"
)

// udpLoop reads datagrams until the listener stops. Each datagram carries
// one frame [DC-09 §3.2] and is handled in its own goroutine, at most
// max_conns at once, so that slow commits of one panel do not hold up the
// others; when all slots are busy the loop stops reading (backpressure) and
// the kernel buffer absorbs or drops, which the panel's retry covers.
func (l *listener) udpLoop(ctx context.Context) {
	sem := make(chan struct{}, l.opts.MaxConns)
	var inflight sync.WaitGroup
	defer inflight.Wait()
	buf := make([]byte, 64*1024)
	for {
		n, addr, err := l.udp.ReadFrom(buf)
		if err != nil {
			if l.stopping.Load() || errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			l.log.Warn("udp read failed", zap.Error(err))
			time.Sleep(10 * time.Millisecond)
			continue
		}
		received := l.r.opts.Now()
		data := append([]byte(nil), buf[:n]...)
		sem <- struct{}{}
		inflight.Go(func() {
			defer func() { <-sem }()
			l.serveDatagram(data, addr, received)
		})
	}
}

func (l *listener) serveDatagram(data []byte, addr net.Addr, received time.Time) {
	remote := addr.String()
	defer func() {
		if p := recover(); p != nil {
			l.r.m.panics.Inc()
			l.log.Error("datagram panic recovered", zap.String("remote_addr", remote), zap.Any("panic", p),
				zap.Stack("stack"))
		}
	}()
	f := newFramer(l.opts.Codec, max(l.opts.MaxFrameBytes, len(data)))
	err := f.feed(data, func(frame []byte) error {
		reply := l.serveFrame(frame, frameMeta{transport: "udp", remoteAddr: remote, receivedAt: received})
		if len(reply) == 0 {
			return nil
		}
		// [DC-09 §3.2] The reply goes to the datagram's source address.
		if err := l.udp.SetWriteDeadline(time.Now().Add(l.opts.WriteTimeout)); err != nil {
			return err
		}
		_, err := l.udp.WriteTo(reply, addr)
		return err
	}, func(skipped int) { l.garbage(skipped, remote) })
	if err != nil {
		l.log.Debug("udp datagram", zap.String("remote_addr", remote), zap.Error(err))
	}
	if f.buffered() > 0 {
		// A datagram ends its frame: what is left is an incomplete frame.
		l.garbage(f.buffered(), remote)
	}
}
