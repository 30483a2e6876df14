package receiver

import (
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
)

func TestClassify(t *testing.T) {
	q := DefaultQueueRules()
	q.Codes = map[string]CodeRule{
		CodeKey("SIA", "WA"): {Priority: 3},
		CodeKey("SIA", "OP"): {Handling: "operator"},
		CodeKey("SIA", "BA"): {Handling: "log"},
	}
	known := store.Resolution{AccountID: 1, SiteID: 1}
	onTest := store.Resolution{AccountID: 1, SiteID: 1, OnTestID: 9}
	ev := func(code string, cat protocols.Category, qual protocols.Qualifier) *protocols.Event {
		return &protocols.Event{Format: "SIA", Code: code, Category: cat, Qualifier: qual}
	}
	cases := []struct {
		name     string
		ev       *protocols.Event
		res      store.Resolution
		mode     string
		priority int
	}{
		{"fire queued at 1", ev("FA", protocols.CategoryFire, protocols.QualifierNew), known, store.HandlingQueue, 1},
		{"burglary logged by code rule", ev("BA", protocols.CategoryBurglary, protocols.QualifierNew), known, store.HandlingLog, 4},
		{"water raised to 3", ev("WA", protocols.CategoryAlarm, protocols.QualifierNew), known, store.HandlingQueue, 3},
		{"opening queued by code rule", ev("OP", protocols.CategoryOpenClose, protocols.QualifierNew), known, store.HandlingQueue, 9},
		{"closing logged", ev("CL", protocols.CategoryOpenClose, protocols.QualifierRestore), known, store.HandlingLog, 9},
		{"test report logged", ev("RP", protocols.CategoryTest, protocols.QualifierNone), known, store.HandlingLog, 9},
		{"restore attaches", ev("TR", protocols.CategoryTrouble, protocols.QualifierRestore), known, store.HandlingAttach, 6},
		{"unknown account attaches", ev("PA", protocols.CategoryHoldUp, protocols.QualifierNew), store.Resolution{}, store.HandlingAttach, 2},
		{"on test beats fire", ev("FA", protocols.CategoryFire, protocols.QualifierNew), onTest, store.HandlingTest, 1},
		{"unknown code queued at 5", ev("ZZ", protocols.CategoryUnknown, protocols.QualifierNew), known, store.HandlingQueue, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := q.classify(c.ev, c.res)
			if h.Mode != c.mode || h.Priority != c.priority {
				t.Fatalf("got %s/%d, want %s/%d", h.Mode, h.Priority, c.mode, c.priority)
			}
		})
	}
}

func TestRunawayTripsOnceThenRepeatsUntilQuiet(t *testing.T) {
	q := QueueRules{RunawayMax: 3, RunawayWindow: time.Minute, RunawayQuiet: 10 * time.Minute}
	r := newRunaway(100)
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	var got []string
	step := func(at time.Duration) {
		trip, repeat, _ := r.observe("1/1234/SIABA/1", t0.Add(at), &q)
		switch {
		case trip:
			got = append(got, "trip")
		case repeat:
			got = append(got, "repeat")
		default:
			got = append(got, "ok")
		}
	}
	// 3 within a minute are fine; a 4th trips; then repeats until 10 min of quiet.
	for _, at := range []time.Duration{0, 10 * time.Second, 20 * time.Second, 30 * time.Second, 40 * time.Second,
		5 * time.Minute, 15*time.Minute + time.Second, 16 * time.Minute} {
		step(at)
	}
	want := "ok ok ok trip repeat repeat ok ok"
	if s := strings.Join(got, " "); s != want {
		t.Fatalf("got %q, want %q", s, want)
	}
	// Signals spread wider than the window never trip.
	r2 := newRunaway(100)
	for i := range 20 {
		if trip, repeat, _ := r2.observe("k", t0.Add(time.Duration(i)*31*time.Second), &q); trip || repeat {
			t.Fatalf("signal %d tripped", i)
		}
	}
	// The map stays bounded.
	r3 := newRunaway(10)
	for i := range 1000 {
		r3.observe(string(rune('a'+i%26))+time.Duration(i).String(), t0, &q)
	}
	if len(r3.entries) > 10 {
		t.Fatalf("%d entries kept, cap 10", len(r3.entries))
	}
}
