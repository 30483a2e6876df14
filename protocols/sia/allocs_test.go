//go:build !race

package sia

import "testing"

// TestAllocations pins the per-signal cost: one string for the data, the
// event slice and the modifier store. The race detector changes allocation
// counts, hence the build tag.
func TestAllocations(t *testing.T) {
	for _, tc := range []struct {
		name string
		max  float64
		f    func()
	}{
		{"ParsePayload typical", 3, func() { benchAccount, benchEvents, _ = ParsePayload(benchTypical) }},
		{"ParsePayload Sur-Gard two events", 4, func() { benchAccount, benchEvents, _ = ParsePayload(benchSurGard) }},
		{"Lookup", 0, func() { _, _ = Lookup("BA") }},
		{"DecodeBlock", 0, func() { _, _, _ = DecodeBlock(benchBlock) }},
	} {
		if got := testing.AllocsPerRun(100, tc.f); got > tc.max {
			t.Errorf("%s: %v allocations, want at most %v", tc.name, got, tc.max)
		}
	}
}
