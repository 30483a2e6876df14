package ratelog

import (
	"sync"
	"time"
)

// Limiter allows one log line per key per interval and counts what it
// suppressed in between, so that a misbehaving panel that retries every
// second yields one line per interval instead of thousands.
type Limiter struct {
	interval time.Duration
	mu       sync.Mutex
	seen     map[string]*rateEntry
}

type rateEntry struct {
	last       time.Time
	suppressed int
}

// New returns a limiter of one line per key per interval.
func New(interval time.Duration) *Limiter {
	return &Limiter{interval: interval, seen: make(map[string]*rateEntry)}
}

// Allow reports whether a line for key may be logged now and how many lines
// for it were suppressed since the last one. Keys come from closed sets
// (listener × reason), so the map stays small.
func (r *Limiter) Allow(key string, now time.Time) (ok bool, suppressed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.seen[key]
	if e == nil {
		r.seen[key] = &rateEntry{last: now}
		return true, 0
	}
	if now.Sub(e.last) >= r.interval {
		n := e.suppressed
		e.last, e.suppressed = now, 0
		return true, n
	}
	e.suppressed++
	return false, 0
}
