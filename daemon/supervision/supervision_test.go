package supervision

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

func TestSupervisorFailsOnceAndRestores(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	s := NewSupervisor(10*time.Second, t0)
	s.Load([]SupervisedAccount{
		{ID: 1, Receiver: 1, Number: "1111", Interval: time.Minute},
		{ID: 2, Receiver: 1, Number: "2222", Interval: time.Minute, TestInterval: 24 * time.Hour},
		{ID: 3, Receiver: 2, Number: "3333", Interval: time.Minute, Failed: true}, // failed before a restart
	}, t0)
	at := func(d time.Duration) time.Time { return t0.Add(d) }

	// A full interval + grace of grace after start: nothing is due at 69 s.
	if due := s.Due(at(69 * time.Second)); len(due) != 0 {
		t.Fatalf("due at 69 s: %+v", due)
	}
	// Account 2 checks in at 30 s; account 1 stays silent.
	s.Seen(2, at(30*time.Second), false)
	due := s.Due(at(70 * time.Second))
	if len(due) != 1 || due[0].AccountID != 1 || due[0].Test {
		t.Fatalf("due at 70 s: %+v (3 stays failed without a second event)", due)
	}
	if due := s.Due(at(85 * time.Second)); len(due) != 0 {
		t.Fatalf("raised twice: %+v", due)
	}
	if due := s.Due(at(100 * time.Second)); len(due) != 1 || due[0].AccountID != 2 {
		t.Fatalf("due at 100 s: %+v", due)
	}
	if !s.Seen(1, at(2*time.Minute), false) {
		t.Fatal("the message after a failure must restore")
	}
	if s.Seen(1, at(2*time.Minute+time.Second), false) {
		t.Fatal("restored twice")
	}
	if !s.Seen(3, at(2*time.Minute), false) {
		t.Fatal("a failure from before the restart must be restored by the next message")
	}
	s.KeepFailed(3) // its restore could not be stored
	if !s.Seen(3, at(2*time.Minute+time.Second), false) {
		t.Fatal("a restore that was not stored must be raised by the next message")
	}
	if s.Failed() != 1 {
		t.Fatalf("failed accounts %d, want 1 (account 2)", s.Failed())
	}
	// The periodic test of account 2 is late after 24 h + grace, unless a
	// test report arrives; other messages do not count as tests.
	s.Seen(2, at(23*time.Hour), false)
	due = s.Due(at(24*time.Hour + 11*time.Second))
	var late bool
	for _, e := range due {
		late = late || (e.AccountID == 2 && e.Test)
	}
	if !late {
		t.Fatalf("no fail-to-test at 24 h: %+v", due)
	}
	// An event that could not be stored is raised again.
	s.Seen(1, at(25*time.Hour), false)
	due = s.Due(at(25*time.Hour + 71*time.Second))
	if len(due) != 1 || due[0].AccountID != 1 {
		t.Fatalf("due %+v", due)
	}
	s.Unfail(due[0], at(25*time.Hour+71*time.Second))
	if due := s.Due(at(25*time.Hour + 72*time.Second)); len(due) != 1 {
		t.Fatalf("not raised again after Unfail: %+v", due)
	}
	// Removing an account stops it.
	s.Remove(1)
	s.Set(SupervisedAccount{ID: 4, Receiver: 1, Number: "4444", Interval: time.Second}, at(26*time.Hour))
	due = s.Due(at(26*time.Hour + 20*time.Second))
	if len(due) != 1 || due[0].AccountID != 4 {
		t.Fatalf("after set/remove: %+v", due)
	}
}

// BenchmarkSupervisor measures the timer wheel at 1,000,000 supervised
// accounts (intervals of 1 min to 1 h): load time and heap, check-ins per
// second, and sweeping every account's expiry.
func BenchmarkSupervisor(b *testing.B) {
	const n = 1_000_000
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	list := make([]SupervisedAccount, n)
	for i := range list {
		list[i] = SupervisedAccount{ID: int64(i + 1), Receiver: 1, Number: fmt.Sprintf("%08d", i),
			Interval: time.Duration(60+i%3600) * time.Second}
	}
	load := func() (*Supervisor, time.Duration, uint64) {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s := NewSupervisor(75*time.Second, t0)
		start := time.Now()
		s.Load(list, t0)
		took := time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&after)
		return s, took, after.HeapAlloc - before.HeapAlloc
	}
	b.Run("load", func(b *testing.B) {
		var took time.Duration
		var heap uint64
		for b.Loop() {
			_, took, heap = load()
		}
		b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
		b.ReportMetric(took.Seconds()*1000, "load-ms")
	})
	b.Run("checkin", func(b *testing.B) {
		s, _, _ := load()
		b.ResetTimer()
		i := 0
		for b.Loop() {
			i = (i + 7919) % n
			s.Seen(int64(i+1), t0.Add(time.Second), false)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checkins/s")
	})
	b.Run("expire-all", func(b *testing.B) {
		var failed int
		for b.Loop() {
			b.StopTimer()
			s, _, _ := load()
			b.StartTimer()
			failed = 0
			for sec := 0; sec <= 3800; sec++ {
				failed += len(s.Due(t0.Add(time.Duration(sec) * time.Second)))
			}
		}
		if failed != n {
			b.Fatalf("%d expiries, want %d", failed, n)
		}
		b.ReportMetric(float64(n)/(b.Elapsed().Seconds()/float64(b.N)), "expiries/s")
	})
}

// TestChattyPanelKeepsTheWheelSmall: a panel reporting every second for an
// hour leaves one pending wake-up in the wheel, not one per message, and
// still fails on time once it goes silent.
func TestChattyPanelKeepsTheWheelSmall(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	s := NewSupervisor(10*time.Second, t0)
	s.Load([]SupervisedAccount{{ID: 1, Receiver: 1, Number: "1111", Interval: time.Minute, TestInterval: 25 * time.Hour}}, t0)
	var last time.Time
	for sec := 1; sec <= 3600; sec++ {
		last = t0.Add(time.Duration(sec) * time.Second)
		s.Seen(1, last, false)
		if due := s.Due(last); len(due) != 0 {
			t.Fatalf("due while reporting at %s: %+v", last, due)
		}
	}
	entries := 0
	for _, ids := range s.buckets {
		entries += len(ids)
	}
	if entries > 2 {
		t.Fatalf("%d wheel entries for one account after 3600 messages, want at most 2", entries)
	}
	if due := s.Due(last.Add(69 * time.Second)); len(due) != 0 {
		t.Fatalf("due before interval + grace: %+v", due)
	}
	if due := s.Due(last.Add(70 * time.Second)); len(due) != 1 || due[0].AccountID != 1 || due[0].Test {
		t.Fatalf("due at interval + grace: %+v", due)
	}
}

// TestRestoreIsSavedAsFailedUntilStored: between the check-in that ends a
// failure and the storing of its restore, the state saved still says
// failed, so that a crash in between raises the restore again.
func TestRestoreIsSavedAsFailedUntilStored(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	s := NewSupervisor(0, t0)
	s.Load([]SupervisedAccount{{ID: 1, Receiver: 1, Number: "1", Interval: time.Minute, Failed: true}}, t0)
	if !s.Seen(1, t0.Add(time.Second), false) {
		t.Fatal("the check-in did not end the failure")
	}
	if d := s.Dirty(); len(d) != 1 || !d[0].Failed {
		t.Fatalf("saved before the restore is stored: %+v", d)
	}
	if s.Failed() != 0 {
		t.Fatal("an account whose panel talks again counts as failed")
	}
	s.Restored(1)
	if d := s.Dirty(); len(d) != 1 || d[0].Failed {
		t.Fatalf("saved after the restore is stored: %+v", d)
	}
}
