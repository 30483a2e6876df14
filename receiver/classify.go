package receiver

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
)

// QueueRules decide what the operator queue does with each event
// [design.md §5, automation-research.md §6.3].
type QueueRules struct {
	// LogOnly categories are stored without opening an incident.
	LogOnly map[protocols.Category]bool
	// Codes override single codes, keyed by CodeKey(format, code).
	Codes map[string]CodeRule
	// UnknownPriority is the priority of an unknown-account incident.
	UnknownPriority int
	// Runaway: more than RunawayMax identical signals within RunawayWindow
	// trip the detector; it resets after RunawayQuiet without a repeat.
	// RunawayMax 0 turns it off.
	RunawayMax    int
	RunawayWindow time.Duration
	RunawayQuiet  time.Duration
}

// CodeRule overrides one event code.
type CodeRule struct {
	Priority int    // 0 keeps the category's
	Handling string // "operator", "log" or "" to keep
}

// CodeKey is the key of QueueRules.Codes: "SIA/BA", "CID/130".
func CodeKey(format, code string) string { return format + "/" + code }

// DefaultQueueRules logs openings, closings, tests and information and
// queues everything else, with runaway detection at 10 signals in 2 min.
func DefaultQueueRules() QueueRules {
	return QueueRules{
		LogOnly: map[protocols.Category]bool{
			protocols.CategoryOpenClose: true, protocols.CategoryTest: true, protocols.CategoryInfo: true,
		},
		UnknownPriority: 5,
		RunawayMax:      10,
		RunawayWindow:   2 * time.Minute,
		RunawayQuiet:    30 * time.Minute,
	}
}

// classify decides one event's handling. First the account's system type
// makes a generic alarm its own (store.SystemCategory: a PERS's burglary
// code is medical, a fire panel's is fire); ev's category becomes that,
// and the signal is stored with it. Then order matters: on-test wins over
// everything (a test never reaches an operator), a per-code rule
// (queue.codes) overrides the category's priority and handling, fire is
// locked at priority 1, restores only join their incident, and an unknown
// account's signals join its unknown-account incident rather than opening
// alarms.
func (q *QueueRules) classify(ev *protocols.Event, res store.Resolution) store.Handling {
	ev.Category = store.SystemCategory(res.SystemType, ev.Category)
	h := store.Handling{Priority: ev.Category.DefaultPriority(), Mode: store.HandlingQueue}
	if q.LogOnly[ev.Category] {
		h.Mode = store.HandlingLog
	}
	if rule, ok := q.Codes[CodeKey(ev.Format, ev.Code)]; ok {
		if rule.Priority != 0 {
			h.Priority = rule.Priority
		}
		switch rule.Handling {
		case "operator":
			h.Mode = store.HandlingQueue
		case "log":
			h.Mode = store.HandlingLog
		}
	}
	if ev.Category == protocols.CategoryFire {
		// [design.md §5, NFPA 72] Fire stays priority 1 and is presented.
		h.Priority, h.Mode = 1, store.HandlingQueue
	}
	if ev.Qualifier == protocols.QualifierRestore && h.Mode == store.HandlingQueue {
		h.Mode = store.HandlingAttach
	}
	if !res.Known() && h.Mode == store.HandlingQueue {
		h.Mode = store.HandlingAttach
	}
	if res.OnTestID != 0 {
		h.Mode = store.HandlingTest
	}
	return h
}

// runaway detects swinging signals: per (account, code, zone), a sliding
// window of receipt times. Tripped, it turns further repeats into
// auto-logged repeats until the signal has been quiet for the quiet time.
type runaway struct {
	mu      sync.Mutex
	entries map[string]*runawayState
	max     int // entries kept; the idle ones go first
}

type runawayState struct {
	times   []time.Time
	tripped bool
	last    time.Time
}

func newRunaway(maxEntries int) *runaway {
	return &runaway{entries: make(map[string]*runawayState), max: maxEntries}
}

// observe records one signal and says whether it trips the detector
// (first time over the limit) or is a repeat of a tripped signal.
func (r *runaway) observe(key string, now time.Time, q *QueueRules) (trip, repeat bool, detail string) {
	if q.RunawayMax <= 0 {
		return false, false, ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	st, ok := r.entries[key]
	if !ok {
		r.makeRoom(now, q)
		st = &runawayState{}
		r.entries[key] = st
	}
	if st.tripped {
		if now.Sub(st.last) < q.RunawayQuiet {
			st.last = now
			return false, true, ""
		}
		st.tripped, st.times = false, st.times[:0]
	}
	st.last = now
	cut := now.Add(-q.RunawayWindow)
	kept := st.times[:0]
	for _, t := range st.times {
		if t.After(cut) {
			kept = append(kept, t)
		}
	}
	st.times = append(kept, now)
	if len(st.times) > q.RunawayMax {
		n := len(st.times)
		st.tripped, st.times = true, st.times[:0]
		return true, false, fmt.Sprintf("%d identical signals within %s", n, q.RunawayWindow)
	}
	return false, false, ""
}

// makeRoom keeps the map bounded: entries idle longer than both the window
// and the quiet time go; if none are idle, the oldest half goes.
func (r *runaway) makeRoom(now time.Time, q *QueueRules) {
	if len(r.entries) < r.max {
		return
	}
	idle := max(q.RunawayWindow, q.RunawayQuiet)
	for k, st := range r.entries {
		if now.Sub(st.last) > idle {
			delete(r.entries, k)
		}
	}
	for k := range r.entries {
		if len(r.entries) < r.max/2 {
			break
		}
		delete(r.entries, k)
	}
}

// classifyEvents fills the receipt's per-event handling from the queue
// rules and the runaway detector.
func (p *pipeline) classifyEvents(m *protocols.Message, rec *store.Receipt, now time.Time) {
	q := &p.r.opts.Queue
	rec.UnknownPriority = q.UnknownPriority
	rec.Handling = make([]store.Handling, len(m.Events))
	for i := range m.Events {
		ev := &m.Events[i]
		var res store.Resolution
		if i < len(rec.Resolutions) {
			res = rec.Resolutions[i]
		}
		h := q.classify(ev, res)
		if h.Mode != store.HandlingTest {
			account := ev.Account
			if account == "" {
				account = m.Account
			}
			key := strconv.Itoa(p.opts.Receiver) + "/" + account + "/" + ev.Format + ev.Code + "/" + ev.Zone
			trip, repeat, detail := p.r.runaway.observe(key, now, q)
			switch {
			case trip:
				h.Mode, h.Runaway, h.RunawayDetail = store.HandlingQueue, true, detail
				p.r.m.runaways.WithLabelValues(p.opts.Name).Inc()
			case repeat:
				h.Mode = store.HandlingRepeat
			}
		}
		rec.Handling[i] = h
	}
}
