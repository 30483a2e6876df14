package store

import (
	"context"
	"testing"
	"time"
)

// TestFalseAlarmsRollOff: a false alarm counts for its site, account and
// customer for 365 days from its resolution and not after; an incident
// resolved with another code never counts.
func TestFalseAlarmsRollOff(t *testing.T) {
	f := newQueueFixture(t, func(o *Options) { o.FalseAlarms = FalseAlarmRules{Codes: []string{"false_alarm"}} })
	ctx := context.Background()
	fire, burglary := f.fireAndBurglary(t)
	resolve := func(id int64, code string) {
		t.Helper()
		if _, err := f.s.Act(ctx, id, f.op1, Step{Action: "resolve", Code: code, Note: "checked"}, reportRules); err != nil {
			t.Fatal(err)
		}
	}
	resolve(fire, "false_alarm")
	f.clock.Add(24 * time.Hour)
	resolve(burglary, "police_dispatched")
	counts := func() [3]int {
		t.Helper()
		var out [3]int
		for i, q := range [][3]int64{{f.site.ID, 0, 0}, {0, f.a.ID, 0}, {0, 0, f.site.CustomerID}} {
			c, err := f.s.FalseAlarms(ctx, q[0], q[1], q[2])
			must(t, err)
			out[i] = c.Count
		}
		return out
	}
	if got := counts(); got != [3]int{1, 1, 1} {
		t.Fatalf("the day after: site, account, customer %v, want 1 each", got)
	}
	f.clock.Add(FalseAlarmYear - 24*time.Hour - time.Second)
	if got := counts(); got != [3]int{1, 1, 1} {
		t.Fatalf("a second before the year is up: %v, want 1 each", got)
	}
	f.clock.Add(time.Second)
	if got := counts(); got != [3]int{0, 0, 0} {
		t.Fatalf("a year after: %v, want none", got)
	}
}
