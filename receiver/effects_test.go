package receiver

import (
	"context"
	"testing"
)

// TestEffectsAreBounded: a store that does not keep up makes the queue
// refuse effects past maxEffects instead of growing; after stop nothing is
// taken; what was taken runs in order.
func TestEffectsAreBounded(t *testing.T) {
	e := newEffects(func(f func()) { f() })
	var ran []int
	for i := range maxEffects {
		if !e.add(func(context.Context) { ran = append(ran, i) }) {
			t.Fatalf("effect %d refused below the cap", i)
		}
	}
	if e.add(func(context.Context) {}) {
		t.Fatal("an effect past the cap was taken")
	}
	done := make(chan struct{})
	close(done)
	e.run(context.Background(), done)
	if len(ran) != maxEffects || ran[0] != 0 || ran[maxEffects-1] != maxEffects-1 {
		t.Fatalf("ran %d effects, first %d", len(ran), ran[0])
	}
	if e.add(func(context.Context) {}) {
		t.Fatal("an effect was taken after stop")
	}
}
