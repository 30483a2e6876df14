package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// TestEscalationThresholdsPerPriority: each priority has its own time: a
// fire unclaimed 30 s is escalated, a burglary only at 2 min; a claimed or
// held incident is not; an incident is escalated once.
func TestEscalationThresholdsPerPriority(t *testing.T) {
	f := newQueueFixture(t)
	ctx := context.Background()
	after := [9]time.Duration{30 * time.Second, time.Minute, 90 * time.Second, 2 * time.Minute, 3 * time.Minute, 10 * time.Minute, 15 * time.Minute, 15 * time.Minute, 0}
	f.signal(t, "1111", "FA", "1", protocols.QualifierNew, protocols.CategoryFire, HandlingQueue, 1)
	f.signal(t, "2222", "BA", "3", protocols.QualifierNew, protocols.CategoryBurglary, HandlingQueue, 4)
	ids := func(list []Incident) []string {
		var out []string
		for _, in := range list {
			out = append(out, in.Account)
		}
		return out
	}
	check := func(after time.Duration, want string, a [9]time.Duration) {
		t.Helper()
		f.clock.Add(after)
		list, err := f.s.Escalate(ctx, f.clock.Now(), a)
		must(t, err)
		if got := fmt.Sprint(ids(list)); got != want {
			t.Fatalf("at +%s escalated %s, want %s", after, got, want)
		}
	}
	check(29*time.Second, "[]", after)
	check(time.Second, "[1111]", after)
	check(time.Minute, "[]", after) // the fire once; the burglary not yet
	check(30*time.Second, "[2222]", after)
	check(time.Hour, "[]", after)

	// A claimed incident and a held one are attended.
	f.signal(t, "1111", "FA", "2", protocols.QualifierNew, protocols.CategoryFire, HandlingQueue, 1) // joins 1111's
	rules := QueueRules{ClaimTimeout: time.Hour, ResolutionCodes: []string{"false_alarm"}}
	queue, _ := f.queue(t)
	for _, id := range queue {
		in, err := f.s.Incident(ctx, id)
		must(t, err)
		if in.EscalatedAt == nil {
			t.Errorf("incident %d not marked", id)
		}
		_, err = f.s.Act(ctx, id, f.op1, Step{Action: "resolve", Code: "false_alarm", Note: "drill"}, rules)
		must(t, err)
	}
	f.signal(t, "1111", "FA", "3", protocols.QualifierNew, protocols.CategoryFire, HandlingQueue, 1)
	f.signal(t, "2222", "BA", "4", protocols.QualifierNew, protocols.CategoryBurglary, HandlingQueue, 4)
	queue, _ = f.queue(t)
	_, err := f.s.Act(ctx, queue[0], f.op1, Step{Action: "claim"}, rules)
	must(t, err)
	_, err = f.s.Act(ctx, queue[1], f.op2, Step{Action: "hold", HoldFor: Duration(time.Hour)}, rules)
	must(t, err)
	check(time.Hour-time.Second, "[]", after)
}
