package receiver

import (
	"context"
	"sync"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
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

// seen records a record at now; a link that was down comes up, and
// changed runs under the watch's lock, so that changes are reported in
// the order they happened even when a record and the check race.
func (w *linkWatch) seen(now time.Time, changed func(up bool)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.last = now
	if !w.up {
		w.up = true
		changed(true)
	}
}

// check fails a link silent for the timeout, reporting it as seen does.
func (w *linkWatch) check(now time.Time, changed func(up bool)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.up && now.Sub(w.last) >= w.timeout {
		w.up = false
		changed(false)
	}
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
		p.link.check(now, func(up bool) { p.linkChanged(up, now) })
	}
}

// linkSeen is called for every valid record of a supervised listener.
func (p *pipeline) linkSeen(now time.Time) {
	if p.link != nil {
		p.link.seen(now, func(up bool) { p.linkChanged(up, now) })
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
	taken := p.r.effects.add(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, p.r.opts.CommitTimeout)
		defer cancel()
		if err := links.LinkChanged(ctx, p.opts.Name, p.opts.Receiver, up, at); err != nil {
			p.log.Error("link change not recorded", zap.Bool("up", up), zap.Error(err))
		}
	})
	if !taken {
		p.logLimited(protocols.ReasonStore, "link change not recorded: the receiver has stopped, or the store is too far behind",
			zap.Bool("up", up))
	}
}
