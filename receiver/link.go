package receiver

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"
)

// LinkRecorder records a supervised link going down or coming back (a
// legacy receiver's heartbeats stopping and resuming). *store.Store
// satisfies it.
type LinkRecorder interface {
	LinkChanged(ctx context.Context, listener string, receiver int, up bool, at time.Time) error
}

// linkWatch supervises a listener's link by its records: any valid record
// or heartbeat proves the link; silence for the timeout is a link failure,
// and the next record its restore [protocols.md §4.3]. After start-up the
// link gets one full timeout before it can fail.
type linkWatch struct {
	mu      sync.Mutex
	timeout time.Duration
	last    time.Time
	up      bool
}

func (w *linkWatch) seen(now time.Time) (restored bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.last = now
	if !w.up {
		w.up = true
		return true
	}
	return false
}

func (w *linkWatch) check(now time.Time) (failed bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.up && now.Sub(w.last) >= w.timeout {
		w.up = false
		return true
	}
	return false
}

// superviseLink checks the link every second until ctx ends.
func (p *pipeline) superviseLink(ctx context.Context) {
	t := time.NewTicker(min(time.Second, p.link.timeout/4))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := p.r.opts.Now()
		if p.link.check(now) {
			p.linkChanged(false, now)
		}
	}
}

// linkSeen is called for every valid record of a supervised listener.
func (p *pipeline) linkSeen(now time.Time) {
	if p.link != nil && p.link.seen(now) {
		p.linkChanged(true, now)
	}
}

// linkChanged reports a link change at once (metric, log line) and hands
// its record in the store to the receiver's effects, which write changes
// in the order they happened and never hold up the frame that caused one.
func (p *pipeline) linkChanged(up bool, at time.Time) {
	v := 0.0
	if up {
		v = 1
	}
	p.r.m.linkUp.WithLabelValues(p.opts.Name).Set(v)
	if up {
		p.log.Info("link up: records arrive", zap.Time("at", at))
	} else {
		p.r.m.linkFailures.WithLabelValues(p.opts.Name).Inc()
		p.log.Warn("link failed: no record or heartbeat", zap.Duration("timeout", p.link.timeout))
	}
	links := p.r.opts.Links
	if links == nil {
		return
	}
	p.r.effects.add(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, p.r.opts.CommitTimeout)
		defer cancel()
		if err := links.LinkChanged(ctx, p.opts.Name, p.opts.Receiver, up, at); err != nil {
			p.log.Error("link change not recorded", zap.Bool("up", up), zap.Error(err))
		}
	})
}
