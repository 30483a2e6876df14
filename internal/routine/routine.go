package routine

import (
	"context"
	"runtime/debug"
	"sync"
)

// PanicHandler hears of a recovered panic: the goroutine's name, the value
// and the stack.
type PanicHandler func(name string, value any, stack []byte)

// Group tracks goroutines (nats-server's startGoRoutine). The zero value is
// not usable: call New.
type Group struct {
	onPanic PanicHandler
	mu      sync.Mutex
	closed  bool
	wg      sync.WaitGroup
}

// New returns a group whose panics go to onPanic (nil: recovered and
// forgotten).
func New(onPanic PanicHandler) *Group { return &Group{onPanic: onPanic} }

// Go runs f in a new goroutine unless the group is closed; it reports
// whether f was started. A panic in f is recovered and handed to the
// group's handler: one bad frame never ends the process.
func (g *Group) Go(name string, f func()) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		g.Safely(name, f)
	}()
	return true
}

// Do runs f in the calling goroutine as one of the group's, unless the
// group is closed: Wait waits for it, and a panic in it is recovered and
// handed to the handler. It reports whether f ran; panicked whether it
// panicked. Work that arrives on another server's goroutine (an HTTP
// request handing a frame in) is tracked this way.
func (g *Group) Do(name string, f func()) (ran, panicked bool) {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return false, false
	}
	g.wg.Add(1)
	g.mu.Unlock()
	defer g.wg.Done()
	return true, g.Safely(name, f)
}

// Safely runs f in the calling goroutine and recovers a panic in it, for
// loops that must survive one bad iteration (a serial line's session). It
// reports whether f panicked.
func (g *Group) Safely(name string, f func()) (panicked bool) {
	defer func() {
		if p := recover(); p != nil {
			panicked = true
			if g.onPanic != nil {
				g.onPanic(name, p, debug.Stack())
			}
		}
	}()
	f()
	return false
}

// Close refuses new goroutines from now on; those running go on.
func (g *Group) Close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// Wait waits until every goroutine of the group has returned or ctx ends,
// and returns ctx's error in the second case.
func (g *Group) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
