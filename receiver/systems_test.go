package receiver

import (
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
)

// TestGenericAlarmsTakeTheirSystemsCategory: a generic alarm (SIA BA,
// Contact ID 130, an "other alarm", a code in no table) is classified by
// the system it comes from; a code rule still overrides its priority, and
// fire stays priority 1 whatever the system or the rule.
func TestGenericAlarmsTakeTheirSystemsCategory(t *testing.T) {
	want := map[string]protocols.Category{
		"intrusion": protocols.CategoryBurglary, "fire": protocols.CategoryFire, "cctv": protocols.CategoryBurglary,
		"access_control": protocols.CategoryBurglary, "elevator": protocols.CategoryMedical, "iot": protocols.CategoryAlarm,
		"other": protocols.CategoryBurglary, "building_management": protocols.CategoryAlarm, "telemetry": protocols.CategoryTrouble,
		"scada": protocols.CategoryTrouble, "guard_tour": protocols.CategorySchedule, "perimeter_protection": protocols.CategoryBurglary,
		"vehicle_tracking": protocols.CategoryBurglary, "home_automation": protocols.CategoryBurglary, "pers": protocols.CategoryMedical,
		"health_check": protocols.CategoryMedical, "atm_skimming": protocols.CategoryHoldUp,
	}
	if len(want) != len(store.SystemTypes) {
		t.Fatalf("the table covers %d system types, the store has %d: %v", len(want), len(store.SystemTypes), store.SystemTypes)
	}
	q := DefaultQueueRules()
	q.Codes = map[string]CodeRule{
		CodeKey("CID", "130"): {Priority: 2}, // a station that wants every CID burglary code sooner
		CodeKey("SIA", "FA"):  {Priority: 5}, // refused in effect: fire stays 1
	}
	ev := func(format, code string, cat protocols.Category) *protocols.Event {
		return &protocols.Event{Format: format, Code: code, Category: cat, Qualifier: protocols.QualifierNew}
	}
	for _, sys := range store.SystemTypes {
		res := store.Resolution{AccountID: 1, SiteID: 1, SystemType: sys}
		cat := want[sys]
		t.Run(sys, func(t *testing.T) {
			check := func(name string, e *protocols.Event, wantCat protocols.Category, wantPriority int) {
				t.Helper()
				h := q.classify(e, res)
				if e.Category != wantCat || h.Priority != wantPriority || h.Mode != store.HandlingQueue {
					t.Errorf("%s: %s priority %d %s, want %s priority %d queued", name, e.Category, h.Priority, h.Mode, wantCat, wantPriority)
				}
			}
			check("SIA BA", ev("SIA", "BA", protocols.CategoryBurglary), cat, cat.DefaultPriority())
			// Another alarm with no more to say, and a code in no table,
			// are generic too (an intruder panel keeps its own reading).
			other, unknown := cat, cat
			if sys == "intrusion" || sys == "other" || sys == "home_automation" {
				other, unknown = protocols.CategoryAlarm, protocols.CategoryUnknown
			}
			check("SIA UA", ev("SIA", "UA", protocols.CategoryAlarm), other, other.DefaultPriority())
			check("CID 999", ev("CID", "999", protocols.CategoryUnknown), unknown, unknown.DefaultPriority())
			// The code rule wins over the system's priority, but not over
			// fire's.
			p130 := 2
			if cat == protocols.CategoryFire {
				p130 = 1
			}
			check("CID 130 with a code rule", ev("CID", "130", protocols.CategoryBurglary), cat, p130)
			check("SIA FA with a code rule", ev("SIA", "FA", protocols.CategoryFire), protocols.CategoryFire, 1)
			// Codes that say more keep their category on every system.
			check("SIA YT", ev("SIA", "YT", protocols.CategoryTamper), protocols.CategoryTamper, 7)
			check("CID 100", ev("CID", "100", protocols.CategoryMedical), protocols.CategoryMedical, 3)
			// A restore of a generic alarm joins its incident, in the
			// system's category.
			r := ev("SIA", "BH", protocols.CategoryBurglary)
			r.Qualifier = protocols.QualifierRestore
			if h := q.classify(r, res); r.Category != cat || h.Mode != store.HandlingAttach {
				t.Errorf("SIA BH: %s %s, want %s attached", r.Category, h.Mode, cat)
			}
		})
	}
	// An unknown account has no system: its burglary stays a burglary.
	e := ev("SIA", "BA", protocols.CategoryBurglary)
	if h := q.classify(e, store.Resolution{}); e.Category != protocols.CategoryBurglary || h.Priority != 4 {
		t.Fatalf("unknown account: %s %d", e.Category, h.Priority)
	}
}
