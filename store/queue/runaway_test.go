package queue_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/store/queue"
)

// TestRunawayMemoryKeepsWhatCommitted: the detector's state in memory
// (a single node's) changes only with a transaction that committed, is
// pruned of idle signals, and stays bounded.
func TestRunawayMemoryKeepsWhatCommitted(t *testing.T) {
	ctx := context.Background()
	rules := queue.RunawayRules{Max: 2, Window: time.Minute, Quiet: 10 * time.Minute}
	m := queue.NewRunawayMemory(4)
	var tx queue.Tx
	tx.UseRunawayMemory(m)
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC).UnixNano()
	observe := func(key string, at time.Duration) string {
		t.Helper()
		trip, repeat, _, err := tx.ObserveRunaway(ctx, key, t0+at.Nanoseconds(), rules)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case trip:
			return "trip"
		case repeat:
			return "repeat"
		}
		return "ok"
	}
	end := func(committed bool) {
		t.Helper()
		if err := tx.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if committed {
			m.Commit()
		} else {
			m.Discard()
		}
		tx.Reset(nil)
	}
	var got []string
	got = append(got, observe("k", time.Second), observe("k", 2*time.Second))
	end(true)
	got = append(got, observe("k", 3*time.Second)) // rolled back
	end(false)
	got = append(got, observe("k", 3*time.Second)) // tried again
	end(true)
	got = append(got, observe("k", 4*time.Second))
	end(true)
	if s := fmt.Sprint(got); s != "[ok ok trip trip repeat]" {
		t.Fatalf("observed %s, want [ok ok trip trip repeat]: the rolled-back signal counted once", s)
	}
	if m.Len() != 1 {
		t.Fatalf("memory holds %d signals, want 1", m.Len())
	}
	// Idle past the window and the quiet time: pruned, once committed.
	if _, err := tx.PruneRunaways(ctx, t0+time.Hour.Nanoseconds(), rules); err != nil {
		t.Fatal(err)
	}
	end(false)
	if m.Len() != 1 {
		t.Fatalf("a prune that rolled back left %d signals, want 1", m.Len())
	}
	if _, err := tx.PruneRunaways(ctx, t0+time.Hour.Nanoseconds(), rules); err != nil {
		t.Fatal(err)
	}
	end(true)
	if m.Len() != 0 {
		t.Fatalf("%d signals after the prune, want 0", m.Len())
	}
	// Bounded: past 4, down to half.
	for i := range 9 {
		observe(fmt.Sprint("key", i), time.Duration(i)*time.Second)
	}
	end(true)
	if m.Len() > 4 {
		t.Fatalf("memory holds %d signals, bound 4", m.Len())
	}
}
