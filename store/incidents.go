package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/outbox"
	"github.com/alarmrx/alarmrx/store/queue"
)

// The incidents and the operator steps live in store/queue; these are
// their names here.
type (
	// Incident is what an operator works.
	Incident = queue.Incident
	// IncidentFilter selects incidents for history lists.
	IncidentFilter = queue.IncidentFilter
	// ResponseTimes is the report of how fast incidents were answered.
	ResponseTimes = queue.ResponseTimes
	// ResponseGroup is one row of the response-time report.
	ResponseGroup = queue.ResponseGroup
	// Percentiles are a stage's durations in the report.
	Percentiles = queue.Percentiles
	// IncidentAction is one entry of an incident's append-only action log.
	IncidentAction = queue.IncidentAction
	// QueueRules are the operator-queue settings the store enforces.
	QueueRules = queue.QueueRules
	// ClaimHeldError: another operator holds the incident.
	ClaimHeldError = queue.ClaimHeldError
	// Step is one operator step on an incident.
	Step = queue.Step
	// StepOutcome reports timings the metrics want.
	StepOutcome = queue.StepOutcome
)

// StepActions are the operator steps.
var StepActions = queue.StepActions

// A passcode check's results.
const (
	PasscodePassed = queue.PasscodePassed
	PasscodeFailed = queue.PasscodeFailed
	PasscodeDuress = queue.PasscodeDuress
)

// newBoard wires the queue to the rest of the store: a step is queued for
// the outputs in its transaction, counted, and published to the queue's
// and the site's subscribers.
func (s *Store) newBoard() *queue.Board {
	return queue.New(s.db, queue.Options{
		Now: s.opts.Now,
		StepTaken: func(ctx context.Context, tx *sql.Tx, incident int64, action string, at time.Time) error {
			return outbox.QueueIncidentUpdate(ctx, tx, s.currentRules().Outbox, incident, action, at)
		},
		Publish:       func(e QueueEvent) { s.queue.publish(e) },
		Stepped:       func(o *StepOutcome) { s.m.observeStep(o) },
		SiteChanged:   func(site int64, kind string) { s.sites.publish(SiteEvent{SiteID: site, Kind: kind}) },
		CheckPasscode: s.checkPasscode,
		Plan:          s.planView,
		MayLeaveSteps: mayLeaveSteps,
		Resolved:      s.resolved,
	})
}

// checkPasscode compares given with the passcode of responding party
// partyID of the site, in constant time whatever the two lengths (both
// are hashed first), and says the party's name and whether they matched.
// A party of another site is not found; a party without a passcode on
// file cannot be checked.
func (s *Store) checkPasscode(ctx context.Context, tx *sql.Tx, siteID, partyID int64, given string) (string, string, error) {
	var name, code, duress string
	err := tx.QueryRowContext(ctx, `SELECT name, passcode, duress_passcode FROM responding_parties WHERE id = ? AND site_id = ?`,
		partyID, siteID).Scan(&name, openSecret{s.sec, passcodeColumn, &code}, openSecret{s.sec, duressColumn, &duress})
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", core.Invalid("party_id", "is not on the call list of the incident's site")
	}
	if err != nil {
		return "", "", err
	}
	if code == "" {
		return "", "", core.Invalid("party_id", "%s has no passcode on file", name)
	}
	// Both compared, always, in constant time: how long the answer takes
	// says nothing of which matched.
	got := sha256.Sum256([]byte(given))
	want, threat := sha256.Sum256([]byte(code)), sha256.Sum256([]byte(duress))
	right := subtle.ConstantTimeCompare(want[:], got[:]) == 1
	underDuress := subtle.ConstantTimeCompare(threat[:], got[:]) == 1 && duress != ""
	switch {
	case underDuress:
		return name, queue.PasscodeDuress, nil
	case right:
		return name, queue.PasscodePassed, nil
	}
	return name, queue.PasscodeFailed, nil
}

// hub fans events out to subscribers (the SSE streams). A slow subscriber
// misses events rather than slowing the writer; it is told so by the
// resync event and refetches what it shows.
type hub[T any] struct {
	mu     sync.Mutex
	subs   map[chan T]struct{}
	resync T
	// tell, when set (several nodes on PostgreSQL), tells the other
	// nodes of each event this node publishes.
	tell func(T)
}

func newHub[T any](resync T) *hub[T] {
	return &hub[T]{subs: map[chan T]struct{}{}, resync: resync}
}

// subscribe returns a channel of events and a function that ends the
// subscription.
func (h *hub[T]) subscribe() (<-chan T, func()) {
	ch := make(chan T, 256)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}
}

// publish gives e to the subscribers, and to the other nodes'.
func (h *hub[T]) publish(e T) {
	h.publishLocal(e)
	if h.tell != nil {
		h.tell(e)
	}
}

// publishLocal gives e to this node's subscribers: an event another node
// told of.
func (h *hub[T]) publishLocal(e T) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- e:
		default:
			// Full: drop the oldest pending event and say "resync".
			select {
			case <-ch:
			default:
			}
			select {
			case ch <- h.resync:
			default:
			}
		}
	}
}

// queueHub carries incident changes and observes how long a signal took
// from receipt to being visible in the queue.
type queueHub struct {
	*hub[QueueEvent]
	visible func(QueueEvent)
}

func (h *queueHub) publish(e QueueEvent) {
	if h.visible != nil {
		h.visible(e)
	}
	h.hub.publish(e)
}

// publishLocal is publish of an event another node told of: its receipt
// to queue time is observed here too, the receipt time being the
// receiving node's clock.
func (h *queueHub) publishLocal(e QueueEvent) {
	if h.visible != nil {
		h.visible(e)
	}
	h.hub.publishLocal(e)
}

// SubscribeQueue returns a channel of queue events and a function that
// ends the subscription.
func (s *Store) SubscribeQueue() (<-chan QueueEvent, func()) { return s.queue.subscribe() }

// SiteEvent tells subscribers that something of a site changed: a signal
// was stored ("signal"), an operator acted on its incident ("incident"),
// one of its accounts went on or off test ("test"), or a technician's visit
// to it was scheduled, started, ended or cancelled ("visit").
// The portal's live view of a site listens for them. SiteID 0 means
// "resync".
type SiteEvent struct {
	SiteID int64
	Kind   string
}

// SubscribeSites returns a channel of site events and a function that
// ends the subscription.
func (s *Store) SubscribeSites() (<-chan SiteEvent, func()) { return s.sites.subscribe() }
