package receiver

import (
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
)

// Resolver finds the account and on-test scope of an event in memory.
// *store.Store satisfies it; a nil Resolver leaves every account unknown.
type Resolver interface {
	Resolve(receiver int, number string, ev *protocols.Event, at time.Time) store.Resolution
}

// Resolution outcomes: the closed label set of alarmrx_signals_resolved_total.
const (
	resolvedKnown   = "resolved"
	resolvedUnknown = "unknown"
	resolvedTest    = "test"
)

// unknownEvery is how often one unknown account raises its event: the
// store's decision, which this node's limiter spares the database most
// of the time.
const unknownEvery = store.UnknownAccountEvery

// unknownLimiter remembers when each unknown (receiver, account) last
// raised its event. It is bounded: when full, entries older than the
// interval are dropped, and if none are, the oldest half goes.
type unknownLimiter struct {
	mu   sync.Mutex
	last map[string]time.Time
	max  int
}

func newUnknownLimiter(max int) *unknownLimiter {
	return &unknownLimiter{last: make(map[string]time.Time), max: max}
}

// due reports whether the account should raise its event at now.
func (u *unknownLimiter) due(key string, now time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	t, ok := u.last[key]
	return !ok || now.Sub(t) >= unknownEvery
}

// raised records that the event was stored at now.
func (u *unknownLimiter) raised(key string, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.last) >= u.max {
		for k, t := range u.last {
			if now.Sub(t) >= unknownEvery {
				delete(u.last, k)
			}
		}
		for k := range u.last {
			if len(u.last) < u.max/2 {
				break
			}
			delete(u.last, k)
		}
	}
	u.last[key] = now
}

// resolve fills the receipt with what each event resolved to and with the
// unknown accounts due for an event. It returns the limiter keys to mark
// once the commit succeeded.
func (p *pipeline) resolve(m *protocols.Message, rec *store.Receipt, now time.Time) []string {
	if len(m.Events) == 0 {
		return nil
	}
	rec.Resolutions = make([]store.Resolution, len(m.Events))
	var marks []string
	for i := range m.Events {
		ev := &m.Events[i]
		account := ev.Account
		if account == "" {
			account = m.Account
		}
		var res store.Resolution
		if p.r.opts.Resolver != nil {
			res = p.r.opts.Resolver.Resolve(p.opts.Receiver, account, ev, now)
		}
		rec.Resolutions[i] = res
		switch {
		case res.OnTestID != 0:
			p.mResolved[resolvedTest].Inc()
		case res.Known():
			p.mResolved[resolvedKnown].Inc()
		default:
			p.mResolved[resolvedUnknown].Inc()
			key := p.unknownKey(account)
			if account != "" && !slices.Contains(marks, key) && p.r.unknown.due(key, now) {
				rec.UnknownAccounts = append(rec.UnknownAccounts, account)
				marks = append(marks, key)
			}
		}
	}
	return marks
}

func (p *pipeline) unknownKey(account string) string {
	return strconv.Itoa(p.opts.Receiver) + "/" + account
}
