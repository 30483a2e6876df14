package output

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/surgard"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap/zaptest"
)

func TestRecordEventCarriesReceiveTime(t *testing.T) {
	at := time.Date(2026, 11, 30, 9, 7, 48, 0, time.UTC)
	it := store.OutboxItem{ReceivedAt: at, Receiver: 1, Line: 3, Account: "ABC1234", Event: protocols.Event{
		Format: protocols.FormatSIA, Code: "BA", Qualifier: protocols.QualifierNew, Zone: "017", Address: "017",
		AddressKind: protocols.AddressZone, Partition: "1",
		Modifiers: []protocols.Modifier{{Name: "media_portal", Value: "https://x/y?a=1&b=2"}, {Name: "attr_camera", Value: "ch2"}},
	}}
	rec, err := surgard.Encode(surgard.Head{Receiver: 1, Line: 3}, it.Account, recordEvent(it))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(rec); got != "S01003[#ABC1234|Nri1/da11-30-26/ti09:07:48/BA017]\x14" {
		t.Fatalf("record %q", got)
	}
	// A panel's own time stays.
	it.Event.Modifiers = []protocols.Modifier{{Name: "ti", Value: "08:00:00"}}
	rec, _ = surgard.Encode(surgard.Head{Receiver: 1, Line: 3}, it.Account, recordEvent(it))
	if !strings.Contains(string(rec), "ti08:00:00") || strings.Contains(string(rec), "09:07:48") {
		t.Fatalf("record %q", rec)
	}
}

// fakeOutbox is an outbox in memory whose MarkUndeliverable can fail.
type fakeOutbox struct {
	mu            sync.Mutex
	items         []store.OutboxItem
	delivered     map[int64]bool
	undeliverable map[int64]string
	failSettle    int // MarkUndeliverable calls to fail first
}

func (f *fakeOutbox) OutputChanged(context.Context, string, bool, time.Time) error { return nil }
func (f *fakeOutbox) MarkAttempt(context.Context, int64, string) error             { return nil }

func (f *fakeOutbox) PendingOutbox(_ context.Context, _ string, limit int) ([]store.OutboxItem, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []store.OutboxItem
	for _, it := range f.items {
		if !f.delivered[it.ID] && f.undeliverable[it.ID] == "" && len(out) < limit {
			out = append(out, it)
		}
	}
	return out, nil
}

func (f *fakeOutbox) MarkDelivered(_ context.Context, ids []int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		f.delivered[id] = true
	}
	return nil
}

func (f *fakeOutbox) MarkUndeliverable(_ context.Context, id int64, _, reason string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failSettle > 0 {
		f.failSettle--
		return errors.New("store down")
	}
	f.undeliverable[id] = reason
	return nil
}

func (f *fakeOutbox) OutboxLag(context.Context, string) (int, time.Time, error) {
	return 0, time.Time{}, nil
}

func cidItem(id int64, account, code string) store.OutboxItem {
	return store.OutboxItem{ID: id, Kind: "signal", SignalID: id, Receiver: 1, Line: 1, Account: account,
		Event: protocols.Event{Format: protocols.FormatContactID, Code: code, Qualifier: protocols.QualifierNew, Partition: "01",
			Zone: "001", Address: "001"}}
}

// TestUndeliverableWaitsForTheStore: an undeliverable signal the store does
// not take yet stays pending and holds the line (nothing overtakes it, it
// is never skipped); once settled, the next signal goes out. An incident
// step has no record either and is settled the same way.
func TestUndeliverableWaitsForTheStore(t *testing.T) {
	ob := &fakeOutbox{delivered: map[int64]bool{}, undeliverable: map[int64]string{}, failSettle: 2,
		items: []store.OutboxItem{cidItem(1, "12345", "999"), {ID: 2, Kind: "incident", IncidentID: 7}, cidItem(3, "4321", "130")}}
	s, err := NewSurgard(SurgardOptions{Name: "automation", TCP: "127.0.0.1:0", Outbox: ob, Logger: zaptest.NewLogger(t),
		Registerer: prometheus.NewRegistry(), AckTimeout: time.Second, Heartbeat: time.Hour, Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	rec, err := bufio.NewReader(c).ReadString(surgard.DC4)
	if err != nil || rec != "501001 184321E13001001\x14" {
		t.Fatalf("record %q, %v", rec, err)
	}
	ob.mu.Lock()
	settled := len(ob.undeliverable)
	reason := ob.undeliverable[1]
	ob.mu.Unlock()
	if settled != 2 || !strings.Contains(reason, "not 12345 (5)") || testutil.ToFloat64(s.mUndeliverable) != 2 {
		t.Fatalf("undeliverable %v (counted %v) when the next record went out", ob.undeliverable, testutil.ToFloat64(s.mUndeliverable))
	}
	if _, err := c.Write([]byte{surgard.ACK}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ob.mu.Lock()
		ok := ob.delivered[3] && !ob.delivered[1] && !ob.delivered[2]
		ob.mu.Unlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("record 3 not marked delivered")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
