package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap/zaptest"
)

// TestMarkUndeliverable: an undeliverable row leaves the pending set
// without being delivered, is listed with its reason and time, and raises
// one incident for the output while it is open; the rows behind it stay
// pending in order.
func TestMarkUndeliverable(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	s, err := Open(context.Background(), path, Options{Logger: zaptest.NewLogger(t), Registerer: prometheus.NewRegistry(),
		Outbox: []OutboxTarget{{Name: "automation"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for i := 1; i <= 4; i++ {
		if _, err := s.Commit(ctx, testMessage("1234", fmt.Sprintf("%04d", i)), testReceipt(fmt.Sprint("frame ", i))); err != nil {
			t.Fatal(err)
		}
	}
	items, err := s.PendingOutbox(ctx, "automation", 10)
	if err != nil || len(items) != 4 {
		t.Fatalf("pending %d, %v", len(items), err)
	}
	at := time.Date(2024, 1, 1, 12, 5, 0, 0, time.UTC)
	for _, i := range []int{0, 2} {
		if err := s.MarkUndeliverable(ctx, items[i].ID, "automation", fmt.Sprint("no record ", i), at); err != nil {
			t.Fatal(err)
		}
	}
	// Settled already: nothing changes.
	if err := s.MarkUndeliverable(ctx, items[0].ID, "automation", "again", at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDelivered(ctx, []int64{items[2].ID}); err != nil {
		t.Fatal(err)
	}

	pending, err := s.PendingOutbox(ctx, "automation", 10)
	if err != nil || len(pending) != 2 || pending[0].ID != items[1].ID || pending[1].ID != items[3].ID {
		t.Fatalf("pending after: %+v, %v", pending, err)
	}
	if n, _, err := s.OutboxLag(ctx, "automation"); err != nil || n != 2 {
		t.Fatalf("lag %d, %v", n, err)
	}
	list, err := s.UndeliverableOutbox(ctx, "automation", 0, 0)
	if err != nil || len(list) != 2 {
		t.Fatalf("undeliverable %+v, %v", list, err)
	}
	for j, i := range []int{0, 2} {
		u := list[j]
		if u.ID != items[i].ID || u.SignalID != items[i].SignalID || u.Reason != fmt.Sprint("no record ", i) || !u.At.Equal(at) ||
			u.Account != "1234" || u.Code != "BA" || u.Kind != "signal" || !u.ReceivedAt.Equal(items[i].ReceivedAt) {
			t.Errorf("row %d: %+v", j, u)
		}
	}
	if page, err := s.UndeliverableOutbox(ctx, "automation", list[0].ID, 10); err != nil || len(page) != 1 || page[0].ID != list[1].ID {
		t.Fatalf("page after %d: %+v, %v", list[0].ID, page, err)
	}
	if _, err := s.UndeliverableOutbox(ctx, "nosuch", 0, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown output: %v", err)
	}

	incs, err := s.Incidents(ctx, IncidentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var found []Incident
	for _, inc := range incs {
		if inc.Kind == IncidentOutputUndeliverable {
			found = append(found, inc)
		}
	}
	if len(found) != 1 || found[0].Status != IncidentOpen || found[0].SignalCount != 2 || found[0].Priority != troublePriority {
		t.Fatalf("undeliverable incidents: %+v", found)
	}
	ids, roles, err := s.IncidentSignalIDs(ctx, found[0].ID)
	if err != nil || len(ids) != 2 || roles[items[0].SignalID] != "undeliverable" || roles[items[2].SignalID] != "undeliverable" {
		t.Fatalf("incident signals %v %v, %v", ids, roles, err)
	}
}
