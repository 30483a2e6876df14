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
	running int
	// drained is closed once the group is closed and nothing runs: Wait
	// selects on it, so a Wait that gives up leaves nothing behind.
	drained chan struct{}
}

// New returns a group whose panics go to onPanic (nil: recovered and
// forgotten).
func New(onPanic PanicHandler) *Group {
	return &Group{onPanic: onPanic, drained: make(chan struct{})}
}

// enter counts one more piece of work unless the group is closed.
func (g *Group) enter() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.running++
	return true
}

func (g *Group) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running--; g.running == 0 && g.closed {
		close(g.drained)
	}
}

// Go runs f in a new goroutine unless the group is closed; it reports
// whether f was started. A panic in f is recovered and handed to the
// group's handler: one bad frame never ends the process.
func (g *Group) Go(name string, f func()) bool {
	if !g.enter() {
		return false
	}
	go func() {
		defer g.leave()
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
	if !g.enter() {
		return false, false
	}
	defer g.leave()
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

// Close refuses new work from now on; what runs goes on.
func (g *Group) Close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return
	}
	g.closed = true
	if g.running == 0 {
		close(g.drained)
	}
}

// Wait closes the group and waits until all its work has returned or ctx
// ends, and returns ctx's error in the second case.
func (g *Group) Wait(ctx context.Context) error {
	g.Close()
	select {
	case <-g.drained:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
