package store

import (
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store/queue"
)

// Handling modes: what the queue does with one signal (stored in
// signals.handling).
const (
	HandlingQueue   = queue.HandlingQueue   // opens or joins its account's incident
	HandlingAttach  = queue.HandlingAttach  // joins the open incident if there is one (restores, unknown accounts), else logged
	HandlingLog     = queue.HandlingLog     // stored only (openings, closings, tests, info)
	HandlingTest    = queue.HandlingTest    // in an on-test scope: stored, listed as a test result, never queued
	HandlingRepeat  = queue.HandlingRepeat  // a runaway's repeat: auto-logged on its incident, never alarmed again
	HandlingGrouped = queue.HandlingGrouped // a storm's signal: joins its disaster mode's one incident
)

// Incident kinds.
const (
	IncidentAlarm          = queue.IncidentAlarm
	IncidentUnknownAccount = queue.IncidentUnknownAccount
	IncidentRunaway        = queue.IncidentRunaway
	IncidentDisaster       = queue.IncidentDisaster
	// IncidentUnencrypted: plain frames for an account that must encrypt.
	IncidentUnencrypted = EventUnencrypted
)

// troublePriority is the priority of the trouble incidents frames raise.
const troublePriority = queue.TroublePriority

// Incident statuses.
const (
	IncidentOpen     = queue.IncidentOpen
	IncidentResolved = queue.IncidentResolved
)

// The queue's in-transaction writer lives in store/queue; these are its
// names here.
type (
	// Handling is the pipeline's decision for one event.
	Handling = queue.Handling
	// RunawayRules are the runaway detector's.
	RunawayRules = queue.RunawayRules
	// QueueEvent tells subscribers that an incident changed.
	QueueEvent = queue.Event
)

func (rec *Receipt) handling(i int, e *protocols.Event) Handling {
	if i < len(rec.Handling) && rec.Handling[i].Mode != "" {
		h := rec.Handling[i]
		if h.Priority == 0 {
			h.Priority = e.Category.DefaultPriority()
		}
		return h
	}
	return Handling{Mode: HandlingLog, Priority: e.Category.DefaultPriority()}
}

// incidentKey names the account an incident belongs to (queue.IncidentKey).
func incidentKey(receiver int, account string, res Resolution) string {
	return queue.IncidentKey(receiver, account, res.AccountID)
}

// systemUser is the name on action-log entries the receiver writes itself.
const systemUser = queue.SystemUser
