package acceptloop

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// flaky fails its first accepts, then hands out one connection, then
// reports itself closed.
type flaky struct {
	mu    sync.Mutex
	fails int
	conn  net.Conn
}

var errNoFD = errors.New("too many open files")

func (f *flaky) Accept() (net.Conn, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.fails > 0:
		f.fails--
		return nil, errNoFD
	case f.conn != nil:
		c := f.conn
		f.conn = nil
		return c, nil
	}
	return nil, net.ErrClosed
}
func (f *flaky) Close() error   { return nil }
func (f *flaky) Addr() net.Addr { return &net.TCPAddr{} }

// TestBacksOffThenServes: failed accepts wait 10, 20, 40 ms, the next
// connection is served, and a closed listener ends the loop.
func TestBacksOffThenServes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		ln := &flaky{fails: 3, conn: a}
		var waits []time.Duration
		var served net.Conn
		start := time.Now()
		Run(context.Background(), ln, func(c net.Conn) { served = c },
			func(err error, backoff time.Duration) { waits = append(waits, backoff) })
		if len(waits) != 3 || waits[0] != 10*time.Millisecond || waits[2] != 40*time.Millisecond {
			t.Fatalf("backoffs %v", waits)
		}
		if took := time.Since(start); took != 70*time.Millisecond {
			t.Fatalf("waited %v in all, want 70 ms", took)
		}
		if served != a {
			t.Fatal("the connection after the failures was not served")
		}
	})
}

// TestEndsWithItsContext: a loop waiting out a backoff ends with ctx.
func TestEndsWithItsContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); Run(ctx, &flaky{fails: 1 << 30}, func(net.Conn) {}, nil) }()
		time.Sleep(5 * time.Second)
		cancel()
		<-done
	})
}
