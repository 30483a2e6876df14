//go:build !race

package contactid

import "testing"

// TestAllocations pins the per-signal cost: the race detector changes
// allocation counts, hence the build tag.
func TestAllocations(t *testing.T) {
	for _, tc := range []struct {
		name string
		max  float64
		f    func()
	}{
		{"Parse+Event", 1, func() { m, _ := Parse(benchMessage); benchEvent = m.Event() }},
		{"ParsePayload", 1, func() { _, benchEvent, _ = ParsePayload(benchPayload) }},
		{"Lookup", 0, func() { _, _ = Lookup("131") }},
	} {
		if got := testing.AllocsPerRun(100, tc.f); got > tc.max {
			t.Errorf("%s: %v allocations, want at most %v", tc.name, got, tc.max)
		}
	}
}
