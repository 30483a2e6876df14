package acceptloop

import (
	"context"
	"errors"
	"net"
	"time"
)

// The backoff after a failed accept (out of file descriptors, say): it
// doubles from firstBackoff up to maxBackoff and starts again after an
// accept that worked.
const (
	firstBackoff = 10 * time.Millisecond
	maxBackoff   = time.Second
)

// Run accepts connections on ln and hands each to serve, until ln is
// closed or ctx ends. failed, when set, hears of each failed accept with
// the wait before the next one.
func Run(ctx context.Context, ln net.Listener, serve func(net.Conn), failed func(err error, backoff time.Duration)) {
	backoff := firstBackoff
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		c, err := ln.Accept()
		if err == nil {
			backoff = firstBackoff
			serve(c)
			continue
		}
		if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
			return
		}
		if failed != nil {
			failed(err, backoff)
		}
		timer.Reset(backoff)
		select {
		case <-timer.C:
		case <-ctx.Done():
			return
		}
		backoff = min(2*backoff, maxBackoff)
	}
}
