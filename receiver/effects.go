package receiver

import (
	"context"
	"sync"
)

// effects runs, one at a time and in the order they were added, the store
// writes that a frame causes beyond itself (a link's change recorded as a
// station event). They run after the frame's reply on their own goroutine,
// so that no ACK waits for them. The queue holds changes of state only
// (a link going down or up), never one entry per frame; still, a store that
// stalls while links flap would let it grow, so it is capped at
// maxEffects, and what does not fit is refused for the caller to report.
type effects struct {
	// safely runs one effect and recovers its panic: one bad effect must
	// not stop the ones after it.
	safely  func(func())
	mu      sync.Mutex
	queue   []func(context.Context)
	wake    chan struct{}
	stopped bool
}

func newEffects(safely func(func())) *effects {
	return &effects{safely: safely, wake: make(chan struct{}, 1)}
}

// maxEffects bounds the effects waiting for the store.
const maxEffects = 4096

// add queues one effect and reports whether it was taken: after the
// shutdown drained the queue, or with maxEffects waiting, it is not (the
// caller says what is lost).
func (e *effects) add(f func(context.Context)) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped || len(e.queue) >= maxEffects {
		return false
	}
	e.queue = append(e.queue, f)
	select {
	case e.wake <- struct{}{}:
	default:
	}
	return true
}

// run runs effects until done is closed, then the ones still queued, with
// ctx for their store writes.
func (e *effects) run(ctx context.Context, done <-chan struct{}) {
	for {
		select {
		case <-e.wake:
		case <-done:
			e.mu.Lock()
			e.stopped = true
			e.mu.Unlock()
			e.drain(ctx)
			return
		}
		e.drain(ctx)
	}
}

func (e *effects) drain(ctx context.Context) {
	for {
		e.mu.Lock()
		if len(e.queue) == 0 {
			e.mu.Unlock()
			return
		}
		f := e.queue[0]
		e.queue[0] = nil
		e.queue = e.queue[1:]
		e.mu.Unlock()
		e.safely(func() { f(ctx) })
	}
}
