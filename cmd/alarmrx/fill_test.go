package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// TestBenchFill: `bench fill` writes its signals through the store's own
// path: every one a frame with a signal of a known account, one in ten an
// alarm in its account's incident; a second fill adds to the first.
func TestBenchFill(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	for range 2 {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), []string{"bench", "fill", "--data-dir", dir, "--signals", "60", "--accounts", "3",
			"--committers", "4"}, nil, &out, &errOut, nil); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
		if !strings.HasPrefix(out.String(), "added 60 signals in ") {
			t.Fatalf("output %q", out.String())
		}
	}
	s, err := store.Open(context.Background(), filepath.Join(dir, store.FileName), store.Options{
		Logger: zap.NewNop(), Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	frames, signals, err := s.Counts(ctx)
	if err != nil || frames != 120 || signals != 120 {
		t.Fatalf("%d frames, %d signals (%v), want 120 each", frames, signals, err)
	}
	unknown, err := s.Signals(ctx, store.SignalFilter{Resolution: store.ResolutionUnknown})
	if err != nil || len(unknown) != 0 {
		t.Fatalf("%d signals of unknown accounts (%v)", len(unknown), err)
	}
	inc, err := s.Incidents(ctx, store.IncidentFilter{})
	if err != nil || len(inc) != 3 {
		t.Fatalf("incidents %d (%v), want one per account", len(inc), err)
	}
	var alarms int
	for _, in := range inc {
		alarms += in.SignalCount
	}
	if alarms != 12 {
		t.Fatalf("%d alarms in the incidents, want 12 (one in ten)", alarms)
	}
}
