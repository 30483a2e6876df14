package output

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
)

// memOutbox is an Outbox in memory. It keeps what the output recorded
// (deliveries in order, attempts, undeliverable items, up and down
// changes) and can fail MarkUndeliverable and MarkAttempt a number of
// times. Tests wait on it with await instead of polling.
type memOutbox struct {
	mu            sync.Mutex
	items         []store.OutboxItem
	delivered     []int64 // in the order marked
	attempts      map[int64][]string
	undeliverable map[int64]string
	changes       []bool // OutputChanged: true up, false absent
	failSettle    int    // MarkUndeliverable calls to fail first
	failAttempts  int    // MarkAttempt calls to fail first
	reads         int    // PendingOutbox calls
	changed       chan struct{}
}

func newMemOutbox(items ...store.OutboxItem) *memOutbox {
	return &memOutbox{items: items, attempts: map[int64][]string{}, undeliverable: map[int64]string{},
		changed: make(chan struct{})}
}

var _ Outbox = (*memOutbox)(nil)

var errStoreDown = errors.New("store down")

// notify wakes the waiters; f.mu is held.
func (f *memOutbox) notify() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// await blocks until cond, called with f.mu held, is true after some
// change, failing the test if that takes longer than limit.
func (f *memOutbox) await(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	timeout := time.After(limit)
	for {
		f.mu.Lock()
		ok, ch := cond(), f.changed
		f.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-timeout:
			f.mu.Lock()
			defer f.mu.Unlock()
			t.Fatalf("%s: not within %s (delivered %v, undeliverable %v, attempts %v, changes %v)", what, limit,
				f.delivered, f.undeliverable, f.attempts, f.changes)
		}
	}
}

// add appends items to the outbox, as new signals are stored.
func (f *memOutbox) add(items ...store.OutboxItem) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items = append(f.items, items...)
	f.notify()
}

func (f *memOutbox) OutputChanged(_ context.Context, _ string, up bool, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.changes = append(f.changes, up)
	f.notify()
	return nil
}

func (f *memOutbox) MarkAttempt(_ context.Context, id int64, why string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failAttempts > 0 {
		f.failAttempts--
		return errStoreDown
	}
	f.attempts[id] = append(f.attempts[id], why)
	f.notify()
	return nil
}

func (f *memOutbox) PendingOutbox(_ context.Context, _ string, limit int) ([]store.OutboxItem, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	f.notify()
	var out []store.OutboxItem
	for _, it := range f.items {
		if !slices.Contains(f.delivered, it.ID) && f.undeliverable[it.ID] == "" && len(out) < limit {
			out = append(out, it)
		}
	}
	return out, nil
}

func (f *memOutbox) MarkDelivered(_ context.Context, ids []int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delivered = append(f.delivered, ids...)
	f.notify()
	return nil
}

func (f *memOutbox) MarkUndeliverable(_ context.Context, id int64, _, reason string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failSettle > 0 {
		f.failSettle--
		return errStoreDown
	}
	f.undeliverable[id] = reason
	f.notify()
	return nil
}

func (f *memOutbox) OutboxLag(context.Context, string) (int, time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, it := range f.items {
		if !slices.Contains(f.delivered, it.ID) && f.undeliverable[it.ID] == "" {
			n++
		}
	}
	return n, time.Time{}, nil
}

// cidItem is a Contact ID signal of receiver 1, line 1, partition 01, zone
// 001. Its record is "501001 18<account>E<code>01001" when the account has
// four digits; with five, no Sur-Gard record carries a code without a SIA
// twin.
func cidItem(id int64, account, code string) store.OutboxItem {
	return store.OutboxItem{ID: id, Kind: "signal", SignalID: id, Receiver: 1, Line: 1, Account: account,
		Event: protocols.Event{Format: protocols.FormatContactID, Code: code, Qualifier: protocols.QualifierNew, Partition: "01",
			Zone: "001", Address: "001"}}
}
