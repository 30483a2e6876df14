package store

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// TestUnprogrammedZonesAreListedUntilAdded: a signal on a zone with no
// zone record is stored (and queued) as any other, and its account lists
// the zone with its first and last signal and count (017 and 17 are one
// zone; zone 0, programmed zones and unknown accounts are not listed)
// until the zone is added; a zone deleted and signalling again comes back.
func TestUnprogrammedZonesAreListedUntilAdded(t *testing.T) {
	// Batches of one signal: the cursor moves across many folds.
	chunk := unprogrammedChunk
	unprogrammedChunk = 1
	t.Cleanup(func() { unprogrammedChunk = chunk })
	f := newQueueFixture(t)
	ctx := context.Background()
	must(t, f.s.Zones.Create(ctx, &Zone{AccountID: f.a.ID, Number: "17", Description: "Front door"}))
	t0 := f.clock.Now()
	burg := func(number, zone string) {
		f.signal(t, number, "BA", zone, protocols.QualifierNew, protocols.CategoryBurglary, HandlingQueue, 4)
		f.clock.Add(time.Minute)
	}
	burg("1111", "017") // programmed
	burg("1111", "005")
	burg("1111", "5")
	burg("1111", "000") // Contact ID's "no zone"
	burg("1111", "12")
	burg("1111", "")
	burg("9999", "5") // unknown account
	burg("2222", "5") // another account's zone 5
	burg("1111", "05")
	// Read before the fold caught up (at most a few batches are folded
	// by a read), the first signals are listed already.
	list, err := f.s.UnprogrammedZones(ctx, f.a.ID)
	must(t, err)
	if len(list) != 2 || list[0].Signals != 2 {
		t.Fatalf("after the read's batches: %+v", list)
	}
	for {
		_, more, err := f.s.FoldUnprogrammedZones(ctx)
		must(t, err)
		if !more {
			break
		}
	}
	list, err = f.s.UnprogrammedZones(ctx, f.a.ID)
	must(t, err)
	got := fmt.Sprint(list)
	want := fmt.Sprint([]UnprogrammedZone{
		{AccountID: f.a.ID, Zone: "5", FirstSignalAt: t0.Add(time.Minute), LastSignalAt: t0.Add(8 * time.Minute), Signals: 3, LastSignalID: 9},
		{AccountID: f.a.ID, Zone: "12", FirstSignalAt: t0.Add(4 * time.Minute), LastSignalAt: t0.Add(4 * time.Minute), Signals: 1, LastSignalID: 5},
	})
	if got != want {
		t.Fatalf("unprogrammed zones\n got %s\nwant %s", got, want)
	}
	// The signals themselves were stored and queued as any other.
	sigs, err := f.s.Signals(ctx, SignalFilter{AccountID: f.a.ID, Limit: 100})
	must(t, err)
	if len(sigs) != 7 || sigs[1].Zone != "005" || sigs[1].ZoneDescription != "" || sigs[1].Handling != HandlingQueue {
		t.Fatalf("signals: %+v", sigs)
	}
	// Folding again counts nothing twice.
	if n, more, err := f.s.FoldUnprogrammedZones(ctx); err != nil || n != 0 || more {
		t.Fatalf("fold again: %d %v %v", n, more, err)
	}
	if again, _ := f.s.UnprogrammedZones(ctx, f.a.ID); fmt.Sprint(again) != want {
		t.Fatalf("listed twice: %s", fmt.Sprint(again))
	}

	// Adding zone 5 (as the panel's 005) takes it off the list; its next
	// signal has a description and is not listed.
	z := &Zone{AccountID: f.a.ID, Number: "005", Description: "Back door"}
	must(t, f.s.Zones.Create(ctx, z))
	burg("1111", "5")
	list, err = f.s.UnprogrammedZones(ctx, f.a.ID)
	must(t, err)
	if len(list) != 1 || list[0].Zone != "12" {
		t.Fatalf("after adding zone 5: %+v", list)
	}
	if other, _ := f.s.UnprogrammedZones(ctx, f.b.ID); len(other) != 1 || other[0].Zone != "5" || other[0].Signals != 1 {
		t.Fatalf("the other account's zone 5: %+v", other)
	}
	// Deleted, and signalling again, it is listed afresh.
	must(t, f.s.Zones.Delete(ctx, z.ID))
	burg("1111", "5")
	list, err = f.s.UnprogrammedZones(ctx, f.a.ID)
	must(t, err)
	if len(list) != 2 || list[0].Zone != "5" || list[0].Signals != 1 {
		t.Fatalf("after deleting zone 5: %+v", list)
	}
	if _, err := f.s.UnprogrammedZones(ctx, 999); err == nil {
		t.Fatal("unprogrammed zones of no account")
	}
}

// TestUnprogrammedZonesAreBounded: one account keeps at most
// maxUnprogrammedPerAccount rows; the zones it has go on counting.
func TestUnprogrammedZonesAreBounded(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	// Rows written straight in, as if many zones had signalled.
	err := f.s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for i := range maxUnprogrammedPerAccount {
			if _, err := tx.ExecContext(ctx, `INSERT INTO unprogrammed_zones VALUES (?, ?, 1, 1, 1, 1)`, f.a.ID, fmt.Sprint(1000+i)); err != nil {
				return err
			}
		}
		return nil
	})
	must(t, err)
	f.signal(t, "1111", "BA", "7", protocols.QualifierNew, protocols.CategoryBurglary, HandlingQueue, 4)
	f.signal(t, "1111", "BA", "1000", protocols.QualifierNew, protocols.CategoryBurglary, HandlingQueue, 4)
	list, err := f.s.UnprogrammedZones(ctx, f.a.ID)
	must(t, err)
	if len(list) != maxUnprogrammedPerAccount || list[0].Zone != "1000" || list[0].Signals != 2 {
		t.Fatalf("%d rows, first %+v", len(list), list[0])
	}
}
