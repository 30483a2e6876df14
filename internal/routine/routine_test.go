package routine

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestPanicIsRecoveredAndReported(t *testing.T) {
	var gotName string
	var gotValue any
	var gotStack []byte
	g := New(func(name string, v any, stack []byte) { gotName, gotValue, gotStack = name, v, stack })
	if !g.Go("session", func() { panic("codec bug") }) {
		t.Fatal("an open group refused work")
	}
	if err := g.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if gotName != "session" || gotValue != "codec bug" || !strings.Contains(string(gotStack), "routine_test.go") {
		t.Fatalf("handler got %q %v, stack %d bytes", gotName, gotValue, len(gotStack))
	}
	if !g.Safely("loop", func() { panic(1) }) || g.Safely("loop", func() {}) {
		t.Fatal("Safely misreports panics")
	}
}

func TestClosedGroupRefusesWork(t *testing.T) {
	g := New(nil)
	g.Close()
	ran := false
	if g.Go("late", func() { ran = true }) {
		t.Fatal("a closed group started work")
	}
	if err := g.Wait(context.Background()); err != nil || ran {
		t.Fatalf("wait %v, ran %v", err, ran)
	}
}

func TestWaitIsBoundedByContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := New(nil)
		release := make(chan struct{})
		g.Go("stuck", func() { <-release })
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		if err := g.Wait(ctx); err != context.DeadlineExceeded {
			t.Fatalf("wait = %v, want the context's deadline", err)
		}
		if waited := time.Since(start); waited != 5*time.Second {
			t.Fatalf("waited %v, want the 5 s bound", waited)
		}
		close(release)
		if err := g.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// TestDoIsTrackedInTheCallersGoroutine: work done in the caller's
// goroutine holds Wait, and is refused once the group is closed.
func TestDoIsTrackedInTheCallersGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := New(nil)
		inside, release := make(chan struct{}), make(chan struct{})
		go g.Do("request", func() { close(inside); <-release })
		<-inside
		g.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := g.Wait(ctx); err != context.DeadlineExceeded {
			t.Fatalf("wait = %v while work was inside Do", err)
		}
		close(release)
		if err := g.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
		if ran, _ := g.Do("late", func() {}); ran {
			t.Fatal("a closed group ran work")
		}
		if ran, panicked := New(nil).Do("bad", func() { panic("x") }); !ran || !panicked {
			t.Fatalf("ran %v panicked %v", ran, panicked)
		}
	})
}
