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
func (l *listener) superviseLink(ctx context.Context) {
	t := time.NewTicker(min(time.Second, l.link.timeout/4))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := l.r.opts.Now()
		if l.link.check(now) {
			l.linkChanged(false, now)
		}
	}
}

// recordSeen is called for every valid record of a supervised listener.
func (l *listener) recordSeen(now time.Time) {
	if l.link != nil && l.link.seen(now) {
		l.linkChanged(true, now)
	}
}

func (l *listener) linkChanged(up bool, at time.Time) {
	v := 0.0
	if up {
		v = 1
	}
	l.r.m.linkUp.WithLabelValues(l.opts.Name).Set(v)
	if up {
		l.log.Info("link up: records arrive", zap.Time("at", at))
	} else {
		l.r.m.linkFailures.WithLabelValues(l.opts.Name).Inc()
		l.log.Warn("link failed: no record or heartbeat", zap.Duration("timeout", l.link.timeout))
	}
	if l.r.opts.Links == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(l.commitCtx), l.r.opts.CommitTimeout)
	defer cancel()
	if err := l.r.opts.Links.LinkChanged(ctx, l.opts.Name, l.opts.Receiver, up, at); err != nil {
		l.log.Error("link change not recorded", zap.Bool("up", up), zap.Error(err))
	}
}
