package store

import (
	"context"
	"time"

	"github.com/alarmrx/alarmrx/store/outbox"
)

// The outbox lives in store/outbox; these are its names here.
type (
	// OutboxTarget is an output that gets an outbox row for every stored
	// signal it wants.
	OutboxTarget = outbox.Target
	// OutboxItem is one signal (or incident update) waiting for an output,
	// with what encoders need.
	OutboxItem = outbox.Item
	// UndeliverableItem is an outbox row an output settled as
	// undeliverable.
	UndeliverableItem = outbox.UndeliverableItem
)

// newOutbox wires the outbox to the rest of the store: incident updates
// carry the incident, a configured output's lag is the gauges' count, and
// a row settled as undeliverable raises the output's incident.
func (s *Store) newOutbox() *outbox.Outbox {
	return outbox.New(s.db, outbox.Options{
		Now:     s.opts.Now,
		Targets: func() []outbox.Target { return s.currentRules().Outbox },
		// A closure: the queue is built after the outbox.
		Incident: func(ctx context.Context, id int64) (*Incident, error) { return s.Incident(ctx, id) },
		Counted: func(ctx context.Context, target string) (int, time.Time, error) {
			sn := s.gauges.current(ctx)
			if sn.err != nil {
				return 0, time.Time{}, sn.err
			}
			l := sn.outbox[target]
			return l.n, l.oldest, nil
		},
		Undeliverable: s.raiseUndeliverable,
	})
}
