package receiver

import (
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
}

// CodeRule overrides one event code.
type CodeRule struct {
	Priority int    // 0 keeps the category's
	Handling string // "operator", "log" or "" to keep
}

// CodeKey is the key of QueueRules.Codes: "SIA/BA", "CID/130".
func CodeKey(format, code string) string { return format + "/" + code }

// DefaultQueueRules logs openings, closings, tests and information and
// queues everything else. (The runaway detector is the projection's:
// store.Options.Runaway.)
func DefaultQueueRules() QueueRules {
	return QueueRules{
		LogOnly: map[protocols.Category]bool{
			protocols.CategoryOpenClose: true, protocols.CategoryTest: true, protocols.CategoryInfo: true,
		},
		UnknownPriority: 5,
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

// classifyEvents fills the receipt's per-event handling from the queue
// rules. Whether a signal is a runaway is the projection's to decide
// (store.Options.Runaway): a panel's signals may reach several nodes.
// logOnly (a synthetic message the station logs) turns what would be
// queued into a log entry; fire is never logged only.
func (p *pipeline) classifyEvents(m *protocols.Message, rec *store.Receipt, logOnly bool) {
	q := p.r.queue.Load()
	rec.UnknownPriority = q.UnknownPriority
	rec.Handling = make([]store.Handling, len(m.Events))
	for i := range m.Events {
		var res store.Resolution
		if i < len(rec.Resolutions) {
			res = rec.Resolutions[i]
		}
		rec.Handling[i] = q.classify(&m.Events[i], res)
		if logOnly && rec.Handling[i].Mode == store.HandlingQueue && m.Events[i].Category != protocols.CategoryFire {
			rec.Handling[i].Mode = store.HandlingLog
		}
	}
}
