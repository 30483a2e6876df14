package receiver

import (
	"testing"

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
